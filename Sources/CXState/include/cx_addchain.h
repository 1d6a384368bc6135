/*
 * cx_addchain.h - dependent ADD chains: work of a known cost in core cycles,
 * used to relate TSC ticks to core cycles (calibration) and as the
 * harness suite's reference load.
 */
#ifndef CX_ADDCHAIN_H
#define CX_ADDCHAIN_H

#include "cx_platform.h"

/**
 * Continues a dependency chain: `blocks` blocks of 100 64-bit ADDs on `acc`,
 * each reading the previous result, so they cannot overlap: one add per core
 * cycle on every x86 core since the P6.  Returns acc + 100 * blocks.
 *
 * The addend is a register, never an immediate: Golden Cove and later Intel
 * cores (Sapphire and Emerald Rapids among them) fold chains of
 * `add $imm, reg` at register rename, so such a chain retires several adds
 * per cycle (about 0.25 TSC ticks per add measured on an Emerald Rapids VM,
 * against 0.77 for `add reg, reg`).  The renamer does not know a register's
 * value, so `add %one, %acc` stays one ALU latency per add; the empty asm
 * hides the constant from the compiler too.
 *
 * Chains that are timed back to back must be threaded through `acc` (the
 * next starts from the value the previous returned).  Chains that each start
 * from a constant are independent: out-of-order execution runs the head of
 * one under the tail of the one before, as far as the reorder buffer reaches
 * (a few hundred instructions), and n chains then take less than n times one.
 *
 * The loop counter (`dec`) is a second, separate chain that moves once per
 * 100 adds, so the loop branch resolves long before the adds finish and
 * costs nothing on the add chain.
 */
static inline uint64_t cx_add_chain(uint64_t acc, uint64_t blocks) {
#if CX_X86_64
    uint64_t one = 1;
    __asm__ __volatile__("" : "+r"(one));  /* an opaque register holding 1 */
    __asm__ __volatile__(
        "test %1, %1\n\t"
        "jz 2f\n\t"          /* blocks == 0: no work */
        "1:\n\t"
        ".rept 100\n\t"
        "add %2, %0\n\t"     /* each add reads the previous one's result */
        ".endr\n\t"
        "dec %1\n\t"         /* one block done */
        "jnz 1b\n\t"
        "2:"
        : "+r"(acc), "+r"(blocks) : "r"(one) : "cc");
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

#endif /* CX_ADDCHAIN_H */
