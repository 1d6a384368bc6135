/*
 * cxstate.h - the instructions the suites time, and nothing else.
 *
 * Every function is `static inline` so that Swift (through the Clang
 * importer) inlines it into release builds: a timed loop must contain the
 * instruction, not a call to it. Inline assembly is written as raw mnemonics,
 * so no -m flag or target attribute is needed to *assemble* AVX or XSAVE;
 * whether it may *run* is the caller's business: every instruction beyond
 * baseline x86-64 must be gated on its CPUID bit (and XCR0) first.
 *
 * On a non-x86-64 host every function compiles to a stub returning zero, so
 * the package builds everywhere; the CLI refuses to run suites there.
 */
#ifndef CXSTATE_H
#define CXSTATE_H

#include <stdint.h>

#if defined(__x86_64__)
#define CX_X86_64 1
#else
#define CX_X86_64 0
#endif

/** 1 when compiled for x86-64 (the instructions below are real), else 0. */
static inline int cx_is_x86_64(void) { return CX_X86_64; }

/* ------------------------------------------------------------------ timers */

/**
 * TSC read for the start of a timed region: `lfence; rdtsc; lfence`.
 * The first LFENCE waits for earlier instructions to complete; the second
 * keeps later ones from starting before the TSC is read.  Units: TSC ticks.
 */
static inline uint64_t cx_rdtsc_fenced(void) {
#if CX_X86_64
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
#else
    return 0;
#endif
}

/**
 * Unfenced RDTSC: may execute out of order with its neighbours.  Used only
 * to find the TSC's step (the smallest non-zero difference between reads),
 * never to time a region.
 */
static inline uint64_t cx_rdtsc(void) {
#if CX_X86_64
    uint32_t lo, hi;
    __asm__ __volatile__("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
#else
    return 0;
#endif
}

/**
 * TSC read with the processor id: `rdtscp; lfence`.  RDTSCP waits for
 * earlier instructions to complete; the trailing LFENCE keeps later ones from
 * starting early.  `*aux` receives IA32_TSC_AUX, which Linux sets to
 * (node << 12 | cpu), so two reads on different CPUs can be told apart.
 * Precondition: CPUID.80000001H:EDX.RDTSCP[bit 27].
 */
static inline uint64_t cx_rdtscp(uint32_t *aux) {
#if CX_X86_64
    uint32_t lo, hi, c;
    __asm__ __volatile__("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(c) :: "memory");
    *aux = c;
    return ((uint64_t)hi << 32) | lo;
#else
    *aux = 0;
    return 0;
#endif
}

/**
 * RDPID: IA32_TSC_AUX without reading the TSC.  Used as a stand-in for an
 * MSR read, since it reads an MSR-backed value from user mode.
 * Precondition: CPUID.(7,0):ECX.RDPID[bit 22].
 */
static inline uint64_t cx_rdpid(void) {
#if CX_X86_64
    uint64_t v;
    __asm__ __volatile__("rdpid %0" : "=r"(v));
    return v;
#else
    return 0;
#endif
}

/** LFENCE alone (baseline x86-64 with SSE2). */
static inline void cx_lfence(void) {
#if CX_X86_64
    __asm__ __volatile__("lfence" ::: "memory");
#endif
}

/* ------------------------------------------------------------------- CPUID */

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

/* ------------------------------------------------------------ XSAVE family */
/*
 * All take a 64-byte aligned buffer large enough for the requested mask
 * (CPUID.(0xD,0).EBX for XSAVE/XSAVEOPT, the compacted size for XSAVEC) and
 * the requested-feature bitmap, which the instruction reads from EDX:EAX and
 * ANDs with XCR0.  The "memory" clobber is there because the buffer is
 * written (or read) through a pointer the compiler cannot see.
 */

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

/* ---------------------------------------------------- register state touch */

/** VZEROUPPER: puts the upper YMM halves back in their init state, so the
 *  AVX component reads as clean in XINUSE.  Precondition: AVX usable. */
static inline void cx_vzeroupper(void) {
#if CX_X86_64
    __asm__ __volatile__("vzeroupper" ::: "memory");
#endif
}

/** Writes a non-zero pattern into all 16 XMM registers (SSE component dirty). */
static inline void cx_dirty_sse(void) {
#if CX_X86_64
    __asm__ __volatile__(
        "pcmpeqd %%xmm0, %%xmm0\n\t"
        "movdqa %%xmm0, %%xmm1\n\tmovdqa %%xmm0, %%xmm2\n\tmovdqa %%xmm0, %%xmm3\n\t"
        "movdqa %%xmm0, %%xmm4\n\tmovdqa %%xmm0, %%xmm5\n\tmovdqa %%xmm0, %%xmm6\n\t"
        "movdqa %%xmm0, %%xmm7\n\tmovdqa %%xmm0, %%xmm8\n\tmovdqa %%xmm0, %%xmm9\n\t"
        "movdqa %%xmm0, %%xmm10\n\tmovdqa %%xmm0, %%xmm11\n\tmovdqa %%xmm0, %%xmm12\n\t"
        "movdqa %%xmm0, %%xmm13\n\tmovdqa %%xmm0, %%xmm14\n\tmovdqa %%xmm0, %%xmm15"
        ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
            "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#endif
}

/** Writes all-ones into all 16 YMM registers (AVX component dirty).
 *  Precondition: AVX usable (CPUID.1:ECX.AVX and XCR0 bits 1-2). */
static inline void cx_dirty_avx(void) {
#if CX_X86_64
    __asm__ __volatile__(
        "vpcmpeqd %%ymm0, %%ymm0, %%ymm0\n\t"
        "vmovdqa %%ymm0, %%ymm1\n\tvmovdqa %%ymm0, %%ymm2\n\tvmovdqa %%ymm0, %%ymm3\n\t"
        "vmovdqa %%ymm0, %%ymm4\n\tvmovdqa %%ymm0, %%ymm5\n\tvmovdqa %%ymm0, %%ymm6\n\t"
        "vmovdqa %%ymm0, %%ymm7\n\tvmovdqa %%ymm0, %%ymm8\n\tvmovdqa %%ymm0, %%ymm9\n\t"
        "vmovdqa %%ymm0, %%ymm10\n\tvmovdqa %%ymm0, %%ymm11\n\tvmovdqa %%ymm0, %%ymm12\n\t"
        "vmovdqa %%ymm0, %%ymm13\n\tvmovdqa %%ymm0, %%ymm14\n\tvmovdqa %%ymm0, %%ymm15"
        ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
            "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
#endif
}

/** Writes all-ones into k1..k7 and all 32 ZMM registers (opmask, ZMM_Hi256
 *  and Hi16_ZMM components dirty).  Precondition: AVX-512F usable
 *  (CPUID.(7,0):EBX.AVX512F[bit 16] and XCR0 bits 5-7). */
static inline void cx_dirty_avx512(void) {
#if CX_X86_64
    __asm__ __volatile__(
        "vpternlogd $0xff, %%zmm0, %%zmm0, %%zmm0\n\t"
        "kxnorw %%k0, %%k0, %%k1\n\tkxnorw %%k0, %%k0, %%k2\n\tkxnorw %%k0, %%k0, %%k3\n\t"
        "kxnorw %%k0, %%k0, %%k4\n\tkxnorw %%k0, %%k0, %%k5\n\tkxnorw %%k0, %%k0, %%k6\n\t"
        "kxnorw %%k0, %%k0, %%k7\n\t"
        ".irp r,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31\n\t"
        "vmovdqa64 %%zmm0, %%zmm\\r\n\t"
        ".endr"
        /* zmm16-31 and k1-7 cannot be named as clobbers unless the file is
         * built with AVX-512 enabled; it is not, so the compiler never
         * allocates them and the low 16 suffice. */
        ::: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
            "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory");
#endif
}

/* ----------------------------------------------------------- calibration */

/**
 * Continues a dependency chain: `blocks` blocks of 100 64-bit ADDs on `acc`,
 * each reading the previous result, so they cannot overlap: one add per core
 * cycle on every x86 core since the P6.  Returns acc + 100 * blocks.
 *
 * Chains that are timed back to back must be threaded through `acc` (the
 * next starts from the value the previous returned).  Chains that each start
 * from a constant are independent: out-of-order execution runs the head of
 * one under the tail of the one before, as far as the reorder buffer reaches
 * (a few hundred instructions), and n chains then take less than n times one.
 */
static inline uint64_t cx_add_chain(uint64_t acc, uint64_t blocks) {
#if CX_X86_64
    __asm__ __volatile__(
        "test %1, %1\n\t"
        "jz 2f\n\t"
        "1:\n\t"
        ".rept 100\n\t"
        "add $1, %0\n\t"
        ".endr\n\t"
        "dec %1\n\t"
        "jnz 1b\n\t"
        "2:"
        : "+r"(acc), "+r"(blocks) :: "cc");
    return acc;
#else
    return acc + 100 * blocks;
#endif
}

/**
 * One chain of `blocks` blocks of 100 dependent ADDs from zero; the time per
 * add in TSC ticks estimates the ratio TSC frequency / core frequency.  One
 * chain per timed region only (see cx_add_chain for chains back to back).
 * Returns 100 * blocks.
 */
static inline uint64_t cx_dependent_adds(uint64_t blocks) {
    return cx_add_chain(0, blocks);
}

/* ------------------------------------------------------------------ Linux */

/** arch_prctl(2) codes for dynamic XSAVE features (Linux 5.16+). */
enum {
    CX_ARCH_GET_XCOMP_SUPP = 0x1021,
    CX_ARCH_GET_XCOMP_PERM = 0x1022,
    CX_ARCH_REQ_XCOMP_PERM = 0x1023,
    CX_ARCH_GET_XCOMP_GUEST_PERM = 0x1024,
    CX_ARCH_REQ_XCOMP_GUEST_PERM = 0x1025,
};

/* Thin system-call wrappers Swift cannot reach without _GNU_SOURCE. */

/** Raw arch_prctl(code, arg): glibc has no wrapper.  Returns the syscall's
 *  result (0 or -errno). */
long cx_arch_prctl(int code, unsigned long arg);

/** sched_getcpu(): the CPU the calling thread runs on, or -1. */
int cx_current_cpu(void);

/** Pins the calling thread to `cpu` (sched_setaffinity).  Returns 0 or -errno. */
int cx_pin_to_cpu(int cpu);

/** Whether `cpu` is in the calling thread's allowed set (sched_getaffinity):
 *  1 yes, 0 no, -errno on failure. */
int cx_cpu_allowed(int cpu);

#endif /* CXSTATE_H */
