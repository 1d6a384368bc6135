/*
 * cx_cpuid.h - what the CPU and the OS say exists: CPUID and XGETBV.
 *
 * Both are read once at start-up to build the CPU description; neither
 * belongs in a timed region (CPUID serialises and is a VM exit under a
 * hypervisor, thousands of ticks).
 */
#ifndef CX_CPUID_H
#define CX_CPUID_H

#include "cx_platform.h"

/** One CPUID result. */
typedef struct { uint32_t eax, ebx, ecx, edx; } cx_cpuid_regs;

/**
 * CPUID(leaf, subleaf).  Serialising, and a VM exit under a hypervisor
 * (thousands of ticks): never call it inside a timed region.
 */
static inline cx_cpuid_regs cx_cpuid(uint32_t leaf, uint32_t subleaf) {
    cx_cpuid_regs r = {0, 0, 0, 0};
#if CX_X86_64
    __asm__ __volatile__("cpuid"
                         : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                         : "a"(leaf), "c"(subleaf));
#else
    (void)leaf; (void)subleaf;
#endif
    return r;
}

/**
 * XGETBV(index): index 0 is XCR0 (the OS-enabled state components); index 1
 * is XINUSE (components not in their init state).
 * Preconditions: CPUID.1:ECX.OSXSAVE[bit 27]; for index 1 also
 * CPUID.(0xD,1):EAX.XGETBV1[bit 2].
 */
static inline uint64_t cx_xgetbv(uint32_t index) {
#if CX_X86_64
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(index));
    return ((uint64_t)hi << 32) | lo;
#else
    (void)index;
    return 0;
#endif
}

#endif /* CX_CPUID_H */
