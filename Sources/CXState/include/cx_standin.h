/*
 * cx_standin.h - stand-in instructions for an MSR access in the simulated
 * exit loop (rdmsr-exit suite), executed as links of the loop's one
 * dependency chain so what they add is their latency, not their throughput.
 *
 * RDMSR is privileged; RDPID and RDTSCP read IA32_TSC_AUX, an MSR-backed
 * value, from user mode.  Neither takes a register input, so on its own an
 * out-of-order core issues it early and overlaps it with the work before it
 * (back-to-back copies measure throughput).  The exit path KVM runs waits
 * for the read: here each stand-in starts only once `acc` (the work before
 * it) is done, and its result is folded into `acc`, so the work after it
 * waits for the result.  What a stand-in adds to the loop is therefore the
 * start-to-result latency of the instruction (plus, for RDPID, of the LFENCE
 * that holds it back): a latency, labelled as such in the rows.
 *
 * Conventions of cx_platform.h: static inline, stubs elsewhere, and the
 * caller checks the CPUID bit first.
 */
#ifndef CX_STANDIN_H
#define CX_STANDIN_H

#include "cx_platform.h"

/**
 * RDPID after `acc` is ready, result folded into `acc`.  LFENCE waits until
 * every earlier instruction has completed locally, which includes the last
 * add on `acc` (the instruction has no input that could carry the
 * dependency).  Precondition: CPUID.(7,0):ECX.RDPID[bit 22].
 */
static inline uint64_t cx_standin_rdpid_chained(uint64_t acc) {
#if CX_X86_64
    uint64_t v;
    __asm__ __volatile__("lfence\n\t"
                         "rdpid %0" : "=r"(v) : "r"(acc) : "memory");
    return acc + (v & 0);   /* the dependency, not the value: acc waits for RDPID */
#else
    return acc;
#endif
}

/**
 * RDTSCP after `acc` is ready, result folded into `acc`.  RDTSCP itself
 * waits until all earlier instructions have executed (SDM), so no fence is
 * added.  Precondition: CPUID.80000001H:EDX.RDTSCP[bit 27].
 */
static inline uint64_t cx_standin_rdtscp_chained(uint64_t acc) {
#if CX_X86_64
    uint32_t lo, hi, c;
    __asm__ __volatile__("rdtscp" : "=a"(lo), "=d"(hi), "=c"(c) : "r"(acc) : "memory");
    (void)lo; (void)hi;
    return acc + (c & 0);
#else
    return acc;
#endif
}

#endif /* CX_STANDIN_H */
