/* The few system calls the instruction layer needs (cx_linux.h); glibc
 * exposes them only under _GNU_SOURCE, which Swift's Glibc import does not
 * define, so it is defined here, before any system header. */
#define _GNU_SOURCE
#include "cx_linux.h"

#include <errno.h>

#if CX_LINUX
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

long cx_arch_prctl(int code, unsigned long arg) {
#if defined(SYS_arch_prctl)
    long r = syscall(SYS_arch_prctl, code, arg);
    return r < 0 ? -errno : r;
#else
    (void)code; (void)arg;
    return -ENOSYS;
#endif
}

int cx_current_cpu(void) { return sched_getcpu(); }

int cx_pin_to_cpu(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return -EINVAL;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0 ? 0 : -errno;
}

int cx_cpu_allowed(int cpu) {
    if (cpu < 0 || cpu >= CPU_SETSIZE) return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -errno;
    return CPU_ISSET(cpu, &set) ? 1 : 0;
}
#else
long cx_arch_prctl(int code, unsigned long arg) { (void)code; (void)arg; return -ENOSYS; }
int cx_current_cpu(void) { return -1; }
int cx_pin_to_cpu(int cpu) { (void)cpu; return -ENOSYS; }
int cx_cpu_allowed(int cpu) { (void)cpu; return -ENOSYS; }
#endif
