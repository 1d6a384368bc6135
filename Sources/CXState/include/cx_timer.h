/*
 * cx_timer.h - reading the TSC around a timed region.
 *
 * A region is timed as `t0 = cx_rdtsc_fenced(); work; t1 = cx_rdtsc_fenced()`
 * and its cost is t1 - t0 minus the same difference for an empty region
 * (the timing kernel does that subtraction): the fences keep the work
 * inside the two reads, and the empty region removes what the reads and
 * fences themselves cost.  Units everywhere: TSC ticks.
 */
#ifndef CX_TIMER_H
#define CX_TIMER_H

#include "cx_platform.h"

/**
 * TSC read for either end of a timed region: `lfence; rdtsc; lfence`.
 * The first LFENCE waits for earlier instructions (the work before a stop
 * read) to complete before the TSC is read; the second keeps later ones
 * (the work after a start read) from starting before it.  LFENCE, not
 * CPUID: CPUID is a VM exit under a hypervisor.  Units: TSC ticks.
 */
static inline uint64_t cx_rdtsc_fenced(void) {
#if CX_X86_64
    uint32_t lo, hi;
    __asm__ __volatile__("lfence\n\t"   /* earlier instructions done */
                         "rdtsc\n\t"
                         "lfence"       /* later ones not started */
                         : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
#else
    return 0;
#endif
}

/**
 * Unfenced RDTSC: may execute out of order with its neighbours.  Used only
 * to find the TSC's step (the smallest non-zero difference between reads),
 * never to time a region.  Units: TSC ticks.
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
 * TSC read with the processor id: `rdtscp; lfence`.  RDTSCP itself waits
 * for earlier instructions to complete (no leading fence needed); the
 * trailing LFENCE keeps later ones from starting before the read.  `*aux`
 * receives IA32_TSC_AUX, which Linux sets to (node << 12 | cpu), so two
 * reads on different CPUs can be told apart.  Units: TSC ticks.
 * Precondition: CPUID.80000001H:EDX.RDTSCP[bit 27].
 */
static inline uint64_t cx_rdtscp(uint32_t *aux) {
#if CX_X86_64
    uint32_t lo, hi, c;
    __asm__ __volatile__("rdtscp\n\t"   /* waits for earlier instructions */
                         "lfence"       /* later ones not started */
                         : "=a"(lo), "=d"(hi), "=c"(c) :: "memory");
    *aux = c;
    return ((uint64_t)hi << 32) | lo;
#else
    *aux = 0;
    return 0;
#endif
}

#endif /* CX_TIMER_H */
