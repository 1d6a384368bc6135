/*
 * cx_state.h - putting register state components out of their init state.
 *
 * Each function writes a known non-zero pattern into the registers of one or
 * more XSAVE components, so XINUSE (XGETBV(1)) and the XSTATE_BV a save
 * writes report those components as in use.  The XSAVE timings call them
 * at the start of a "dirty" region.
 */
#ifndef CX_STATE_H
#define CX_STATE_H

#include "cx_platform.h"

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

#endif /* CX_STATE_H */
