/*
 * cx_linux.h - the Linux system calls the instruction layer needs: the
 * dynamic-XSAVE permission (arch_prctl) and CPU affinity.  glibc exposes
 * them only under _GNU_SOURCE (or not at all, for arch_prctl), which
 * Swift's Glibc import does not define, so they are thin out-of-line
 * wrappers (cx_linux.c).  Convention: each returns the call's result, a
 * negative errno on failure; off Linux each returns -ENOSYS.
 */
#ifndef CX_LINUX_H
#define CX_LINUX_H

#include "cx_platform.h"

/** arch_prctl(2) codes for dynamic XSAVE features (Linux 5.16+). */
enum {
    CX_ARCH_GET_XCOMP_SUPP = 0x1021,
    CX_ARCH_GET_XCOMP_PERM = 0x1022,
    CX_ARCH_REQ_XCOMP_PERM = 0x1023,
    CX_ARCH_GET_XCOMP_GUEST_PERM = 0x1024,
    CX_ARCH_REQ_XCOMP_GUEST_PERM = 0x1025,
};

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

#endif /* CX_LINUX_H */
