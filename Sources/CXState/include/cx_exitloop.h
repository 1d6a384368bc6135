/*
 * cx_exitloop.h - the pieces of the simulated vCPU exit loop (rdmsr-exit suite).
 *
 * All the work of one simulated exit is threaded through a single 64-bit
 * accumulator `acc`: every function takes it and returns it, and each piece
 * of work depends on the value the previous piece produced.  The loop is
 * therefore one dependency chain, so injected costs add up cycle for cycle
 * instead of overlapping out of order (two independent 100-add chains would
 * take ~100 cycles together, not 200).  The value of `acc` is meaningless;
 * it only carries the dependency and keeps the work from being removed.
 *
 * Same conventions as the rest of the layer (cx_platform.h): static inline, raw mnemonics, stubs on
 * hosts other than x86-64, and every instruction beyond baseline x86-64
 * gated by the caller on its CPUID bit.
 */
#ifndef CX_EXITLOOP_H
#define CX_EXITLOOP_H

#include "cx_platform.h"

/**
 * `n` dependent 64-bit register-register ADDs on `acc` (one core cycle each
 * on every x86 core since the P6): the calibrated stand-in for work whose
 * cost is known in core cycles.  Exact to one add, unlike cx_dependent_adds (blocks of 100).
 *
 * The loop runs 8 adds per iteration while its counter moves by 8, so the
 * counter chain runs 8 times faster than the add chain and the loop-exit
 * branch resolves (and, if mispredicted, is repaired) while the adds are
 * still executing: a varying `n` costs no exposed misprediction.  The 0-7
 * remainder uses branches on bits of `n`, which also resolve early.
 * n = 0 costs four predictable branches.
 */
static inline uint64_t cx_exit_adds(uint64_t acc, uint64_t n) {
#if CX_X86_64
    /* A register operand, not an immediate: cores that fold add-immediate
     * chains at rename (several per cycle) would otherwise run the chain
     * faster than one add per cycle, with a speed that depends on the code
     * around it. */
    const uint64_t one = 1;
    __asm__ __volatile__(
        "cmp $8, %1\n\t"
        "jb 2f\n\t"          /* fewer than 8: only the remainder */
        "1:\n\t"
        ".rept 8\n\t"
        "add %2, %0\n\t"     /* each add reads the previous one's result */
        ".endr\n\t"
        "sub $8, %1\n\t"     /* 8 adds done: the counter's own, faster chain */
        "cmp $8, %1\n\t"
        "jae 1b\n\t"
        "2:\n\t"             /* n mod 8 left: bits 2, 1, 0 of the counter */
        "test $4, %1\n\t"
        "jz 3f\n\t"
        "add %2, %0\n\tadd %2, %0\n\tadd %2, %0\n\tadd %2, %0\n\t"
        "3:\n\t"
        "test $2, %1\n\t"
        "jz 4f\n\t"
        "add %2, %0\n\tadd %2, %0\n\t"
        "4:\n\t"
        "test $1, %1\n\t"
        "jz 5f\n\t"
        "add %2, %0\n\t"
        "5:"
        : "+r"(acc), "+r"(n) : "r"(one) : "cc");
    return acc;
#else
    return acc + n;
#endif
}

/**
 * The FPU swap of an exit to user space, with real XSAVE/XRSTOR of `mask`:
 * save the guest's registers, load the host's, then (the next KVM_RUN) save
 * the host's and load the guest's again.  Both areas must be 64-byte
 * aligned, large enough for the standard-format size of `mask`, and hold a
 * valid XSAVE image of this thread (save into both before the first call).
 *
 * The registers end as they began: the first XSAVE captures them into
 * `guest` and the last XRSTOR reloads them from there.  The XMM clobbers are
 * listed anyway so the compiler keeps nothing live in them across the block.
 *
 * Dependencies: the mask in EAX is computed from `acc` (ANDed to zero, which
 * keeps the dependency), so the swap starts only after the preceding work;
 * the result folds in a load from the guest area's header, which waits for
 * the first XSAVE, so the following work starts after it.
 * Precondition: CPUID.1:ECX.OSXSAVE[bit 27] and `mask` a subset of XCR0.
 */
static inline uint64_t cx_exit_fpu_swap(uint64_t acc, void *guest, void *host, uint64_t mask) {
#if CX_X86_64
    __asm__ __volatile__(
        "mov %[acc], %%rax\n\t"
        "and $0, %%rax\n\t"          /* 0, but only once acc is ready */
        "or %[lo], %%rax\n\t"        /* EAX = mask low half, after acc */
        "mov %[hi], %%rdx\n\t"       /* EDX = mask high half */
        "xsave64 (%[g])\n\t"         /* guest registers out */
        "xrstor64 (%[h])\n\t"        /* host registers in */
        "xsave64 (%[h])\n\t"         /* host registers out (next KVM_RUN) */
        "xrstor64 (%[g])\n\t"        /* guest registers back */
        "mov 512(%[g]), %%rax\n\t"   /* XSTATE_BV the first save wrote */
        "and $0, %%rax\n\t"          /* 0, but only once that save is done */
        "add %%rax, %[acc]"            /* acc unchanged, now after the swap */
        : [acc] "+r"(acc)
        : [g] "r"(guest), [h] "r"(host), [lo] "r"(mask & 0xffffffffu), [hi] "r"(mask >> 32)
        : "rax", "rdx", "cc", "memory",
          "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
          "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    return acc;
#else
    (void)guest; (void)host; (void)mask;
    return acc;
#endif
}

#endif /* CX_EXITLOOP_H */
