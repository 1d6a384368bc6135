/*
 * cx_xsave.h - the XSAVE family: XSAVE, XSAVEOPT, XSAVEC and XRSTOR.
 *
 * All take a 64-byte aligned buffer large enough for the requested mask
 * (CPUID.(0xD,0).EBX for XSAVE/XSAVEOPT, the compacted size for XSAVEC) and
 * the requested-feature bitmap, which the instruction reads from EDX:EAX and
 * ANDs with XCR0.  The "memory" clobber is there because the buffer is
 * written (or read) through a pointer the compiler cannot see.  No fences:
 * these are the work a timed region measures, and the region's TSC reads
 * (cx_timer.h) are fenced.
 */
#ifndef CX_XSAVE_H
#define CX_XSAVE_H

#include "cx_platform.h"

/** XSAVE64: standard format.  Precondition: OSXSAVE. */
static inline void cx_xsave(void *buf, uint64_t mask) {
#if CX_X86_64
    __asm__ __volatile__("xsave64 (%0)" :: "r"(buf), "a"((uint32_t)mask),
                         "d"((uint32_t)(mask >> 32)) : "memory");
#else
    (void)buf; (void)mask;
#endif
}

/** XSAVEOPT64: standard format, may skip unmodified components.
 *  Precondition: OSXSAVE and CPUID.(0xD,1):EAX.XSAVEOPT[bit 0]. */
static inline void cx_xsaveopt(void *buf, uint64_t mask) {
#if CX_X86_64
    __asm__ __volatile__("xsaveopt64 (%0)" :: "r"(buf), "a"((uint32_t)mask),
                         "d"((uint32_t)(mask >> 32)) : "memory");
#else
    (void)buf; (void)mask;
#endif
}

/** XSAVEC64: compacted format.
 *  Precondition: OSXSAVE and CPUID.(0xD,1):EAX.XSAVEC[bit 1]. */
static inline void cx_xsavec(void *buf, uint64_t mask) {
#if CX_X86_64
    __asm__ __volatile__("xsavec64 (%0)" :: "r"(buf), "a"((uint32_t)mask),
                         "d"((uint32_t)(mask >> 32)) : "memory");
#else
    (void)buf; (void)mask;
#endif
}

/** XRSTOR64: restores either format; XCOMP_BV bit 63 in the header says
 *  which.  Precondition: OSXSAVE, and a buffer with a valid XSAVE header. */
static inline void cx_xrstor(const void *buf, uint64_t mask) {
#if CX_X86_64
    __asm__ __volatile__("xrstor64 (%0)" :: "r"(buf), "a"((uint32_t)mask),
                         "d"((uint32_t)(mask >> 32)) : "memory");
#else
    (void)buf; (void)mask;
#endif
}

#endif /* CX_XSAVE_H */
