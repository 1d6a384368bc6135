/* The wrappers of ckvm.h.  timer_create's SIGEV_THREAD_ID and gettid need
 * _GNU_SOURCE, which Swift's Glibc import does not define. */
#define _GNU_SOURCE
#include "ckvm.h"

#include <errno.h>

#if CKVM_SUPPORTED
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* ioctl(2) and friends return -1 with errno; these return -errno. */
static int result(long r) { return r < 0 ? -errno : (int)r; }

int ckvm_open(const char *path) { return result(open(path, O_RDWR | O_CLOEXEC)); }
int ckvm_close(int fd) { return result(close(fd)); }
int ckvm_get_api_version(int kvm_fd) { return result(ioctl(kvm_fd, KVM_GET_API_VERSION, 0)); }
int ckvm_check_extension(int fd, long cap) { return result(ioctl(fd, KVM_CHECK_EXTENSION, cap)); }
int ckvm_get_vcpu_mmap_size(int kvm_fd) { return result(ioctl(kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0)); }
int ckvm_create_vm(int kvm_fd) { return result(ioctl(kvm_fd, KVM_CREATE_VM, 0)); }

int ckvm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid_entry2 *entries, uint32_t *count) {
    size_t bytes = sizeof(struct kvm_cpuid2) + (size_t)*count * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *c = calloc(1, bytes);
    if (!c) return -ENOMEM;
    c->nent = *count;
    int r = result(ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c));
    if (r == 0) {
        *count = c->nent;
        memcpy(entries, c->entries, (size_t)c->nent * sizeof(struct kvm_cpuid_entry2));
    }
    free(c);
    return r;
}

int ckvm_set_user_memory_region(int vm_fd, uint32_t slot, uint64_t guest_phys,
                                uint64_t size, void *host) {
    struct kvm_userspace_memory_region r = {
        .slot = slot, .flags = 0, .guest_phys_addr = guest_phys,
        .memory_size = size, .userspace_addr = (uint64_t)(uintptr_t)host,
    };
    return result(ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &r));
}

int ckvm_create_vcpu(int vm_fd, unsigned long id) { return result(ioctl(vm_fd, KVM_CREATE_VCPU, id)); }

struct kvm_run *ckvm_map_run(int vcpu_fd, size_t size, int *err) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu_fd, 0);
    if (p == MAP_FAILED) { *err = -errno; return NULL; }
    *err = 0;
    return p;
}

int ckvm_unmap(void *addr, size_t size) { return result(munmap(addr, size)); }

void *ckvm_map_anonymous(size_t size, int *err) {
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) { *err = -errno; return NULL; }
    *err = 0;
    return p;
}

int ckvm_get_regs(int fd, struct kvm_regs *r) { return result(ioctl(fd, KVM_GET_REGS, r)); }
int ckvm_set_regs(int fd, const struct kvm_regs *r) { return result(ioctl(fd, KVM_SET_REGS, r)); }
int ckvm_get_sregs(int fd, struct kvm_sregs *s) { return result(ioctl(fd, KVM_GET_SREGS, s)); }
int ckvm_set_sregs(int fd, const struct kvm_sregs *s) { return result(ioctl(fd, KVM_SET_SREGS, s)); }

int ckvm_set_cpuid2(int vcpu_fd, const struct kvm_cpuid_entry2 *entries, uint32_t count) {
    size_t bytes = sizeof(struct kvm_cpuid2) + (size_t)count * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *c = calloc(1, bytes);
    if (!c) return -ENOMEM;
    c->nent = count;
    memcpy(c->entries, entries, (size_t)count * sizeof(struct kvm_cpuid_entry2));
    int r = result(ioctl(vcpu_fd, KVM_SET_CPUID2, c));
    free(c);
    return r;
}

int ckvm_run(int vcpu_fd) { return result(ioctl(vcpu_fd, KVM_RUN, 0)); }

static inline uint64_t fenced_tsc(void) {
    uint32_t lo, hi;
    /* lfence before: earlier work is done; after: later work waits. */
    __asm__ __volatile__("lfence\n\trdtsc\n\tlfence" : "=a"(lo), "=d"(hi) :: "memory");
    return ((uint64_t)hi << 32) | lo;
}

long ckvm_min_loop(int vcpu_fd, const struct kvm_run *run, uint16_t port, uint64_t iterations, uint64_t *ticks) {
    uint64_t t0 = fenced_tsc();
    for (uint64_t i = 0; i < iterations; i++) {
        if (ioctl(vcpu_fd, KVM_RUN, 0) < 0) return -errno;
        if (run->exit_reason != KVM_EXIT_IO || run->io.port != port) return (long)i;
    }
    *ticks = fenced_tsc() - t0;
    return (long)iterations;
}

int ckvm_get_xsave2(int vcpu_fd, void *buf, size_t size) {
    (void)size; /* KVM writes its uabi size; the caller sized buf from KVM_CAP_XSAVE2 */
    return result(ioctl(vcpu_fd, KVM_GET_XSAVE2, buf));
}
int ckvm_get_xsave(int vcpu_fd, void *buf4096) { return result(ioctl(vcpu_fd, KVM_GET_XSAVE, buf4096)); }
int ckvm_set_xsave(int vcpu_fd, const void *buf) { return result(ioctl(vcpu_fd, KVM_SET_XSAVE, buf)); }

int ckvm_set_cpuid2_in_child(const char *path, const struct kvm_cpuid_entry2 *entries, uint32_t count) {
    /* Everything the child needs is prepared before fork: the child of a
       multithreaded process may only make async-signal-safe calls. */
    size_t bytes = sizeof(struct kvm_cpuid2) + (size_t)count * sizeof(struct kvm_cpuid_entry2);
    struct kvm_cpuid2 *c = calloc(1, bytes);
    if (!c) return -ENOMEM;
    c->nent = count;
    memcpy(c->entries, entries, (size_t)count * sizeof(struct kvm_cpuid_entry2));
    pid_t pid = fork();
    if (pid < 0) { int e = errno; free(c); return -e; }
    if (pid == 0) {
        /* Exit status: 0 success, 1 + step * 64 + errno clipped to 63 otherwise. */
        int kvm = open(path, O_RDWR | O_CLOEXEC);
        if (kvm < 0) _exit(1 + 0 * 64 + (errno & 63));
        int vm = ioctl(kvm, KVM_CREATE_VM, 0);
        if (vm < 0) _exit(1 + 1 * 64 + (errno & 63));
        int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
        if (vcpu < 0) _exit(1 + 2 * 64 + (errno & 63));
        if (ioctl(vcpu, KVM_SET_CPUID2, c) < 0) _exit(1 + 3 * 64 + (errno & 63));
        _exit(0);
    }
    free(c);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR) return -ECHILD;
    }
    if (!WIFEXITED(status)) return -ECHILD;
    int code = WEXITSTATUS(status);
    if (code == 0) return 0;
    int step = (code - 1) / 64, err = (code - 1) % 64;
    /* Only KVM_SET_CPUID2's own answer is the result; an earlier step's
       failure is reported as ECHILD-distinct codes the caller shows. */
    return step == 3 ? -err : -(1000 + step * 100 + err);
}
int ckvm_get_stats_fd(int vcpu_fd) { return result(ioctl(vcpu_fd, KVM_GET_STATS_FD, NULL)); }

long ckvm_pread(int fd, void *buf, size_t size, uint64_t offset) {
    ssize_t r = pread(fd, buf, size, (off_t)offset);
    return r < 0 ? -errno : r;
}

uint32_t ckvm_run_exit_reason(const struct kvm_run *run) { return run->exit_reason; }

void ckvm_run_io(const struct kvm_run *run, uint8_t *direction, uint8_t *size,
                 uint16_t *port, uint32_t *count, uint8_t *data) {
    *direction = run->io.direction;
    *size = run->io.size;
    *port = run->io.port;
    *count = run->io.count;
    *data = *((const uint8_t *)run + run->io.data_offset);
}

uint64_t ckvm_run_error_detail(const struct kvm_run *run) {
    switch (run->exit_reason) {
    case KVM_EXIT_INTERNAL_ERROR: return run->internal.suberror;
    case KVM_EXIT_FAIL_ENTRY: return run->fail_entry.hardware_entry_failure_reason;
    default: return 0;
    }
}

void ckvm_run_set_immediate_exit(struct kvm_run *run, uint8_t value) { run->immediate_exit = value; }

/* ------------------------------------------------------------- watchdog */

static _Thread_local struct kvm_run *volatile watchdog_run;
static _Thread_local volatile uint64_t watchdog_firings;

static void watchdog_handler(int signo) {
    (void)signo;
    watchdog_firings++;
    struct kvm_run *run = watchdog_run;
    if (run) run->immediate_exit = 1;
}

int ckvm_watchdog_install(int signo) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = watchdog_handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN must return -EINTR */
    if (sigaction(signo, &sa, NULL) != 0) return -errno;
    /* The timer signals this thread; a mask inherited from the parent
       process (posix_spawn keeps it) may block the signal, and a blocked
       watchdog never stops a guest. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, signo);
    int e = pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    return e == 0 ? 0 : -e;
}

void ckvm_watchdog_target(struct kvm_run *run) { watchdog_run = run; }
uint64_t ckvm_watchdog_fired(void) { return watchdog_firings; }

int ckvm_timer_create(int signo, intptr_t *timer) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = signo;
    ev._sigev_un._tid = gettid();
    timer_t t;
    int r = result(timer_create(CLOCK_MONOTONIC, &ev, &t));
    if (r == 0) *timer = (intptr_t)t;
    return r;
}

int ckvm_timer_arm(intptr_t timer, uint64_t first_ns, uint64_t interval_ns) {
    struct itimerspec its = {
        .it_value = { .tv_sec = (time_t)(first_ns / 1000000000u), .tv_nsec = (long)(first_ns % 1000000000u) },
        .it_interval = { .tv_sec = (time_t)(interval_ns / 1000000000u), .tv_nsec = (long)(interval_ns % 1000000000u) },
    };
    return result(timer_settime((timer_t)timer, 0, &its, NULL));
}

int ckvm_timer_delete(intptr_t timer) { return result(timer_delete((timer_t)timer)); }
int ckvm_sigrt(int offset) { return SIGRTMIN + offset; }

#else /* not x86-64 Linux: every call fails */

int ckvm_open(const char *p) { (void)p; return -ENOSYS; }
int ckvm_close(int fd) { (void)fd; return -ENOSYS; }
int ckvm_get_api_version(int f) { (void)f; return -ENOSYS; }
int ckvm_check_extension(int f, long c) { (void)f; (void)c; return -ENOSYS; }
int ckvm_get_vcpu_mmap_size(int f) { (void)f; return -ENOSYS; }
int ckvm_get_supported_cpuid(int f, struct kvm_cpuid_entry2 *e, uint32_t *n) { (void)f; (void)e; (void)n; return -ENOSYS; }
int ckvm_create_vm(int f) { (void)f; return -ENOSYS; }
int ckvm_set_user_memory_region(int f, uint32_t s, uint64_t g, uint64_t n, void *h) { (void)f; (void)s; (void)g; (void)n; (void)h; return -ENOSYS; }
int ckvm_create_vcpu(int f, unsigned long i) { (void)f; (void)i; return -ENOSYS; }
struct kvm_run *ckvm_map_run(int f, size_t n, int *e) { (void)f; (void)n; *e = -ENOSYS; return 0; }
int ckvm_unmap(void *a, size_t n) { (void)a; (void)n; return -ENOSYS; }
void *ckvm_map_anonymous(size_t n, int *e) { (void)n; *e = -ENOSYS; return 0; }
int ckvm_get_regs(int f, struct kvm_regs *r) { (void)f; (void)r; return -ENOSYS; }
int ckvm_set_regs(int f, const struct kvm_regs *r) { (void)f; (void)r; return -ENOSYS; }
int ckvm_get_sregs(int f, struct kvm_sregs *s) { (void)f; (void)s; return -ENOSYS; }
int ckvm_set_sregs(int f, const struct kvm_sregs *s) { (void)f; (void)s; return -ENOSYS; }
int ckvm_set_cpuid2(int f, const struct kvm_cpuid_entry2 *e, uint32_t n) { (void)f; (void)e; (void)n; return -ENOSYS; }
int ckvm_run(int f) { (void)f; return -ENOSYS; }
int ckvm_get_xsave2(int f, void *b, size_t n) { (void)f; (void)b; (void)n; return -ENOSYS; }
long ckvm_min_loop(int f, const struct kvm_run *r, uint16_t p, uint64_t n, uint64_t *t) { (void)f; (void)r; (void)p; (void)n; (void)t; return -ENOSYS; }
int ckvm_get_xsave(int f, void *b) { (void)f; (void)b; return -ENOSYS; }
int ckvm_set_xsave(int f, const void *b) { (void)f; (void)b; return -ENOSYS; }
int ckvm_set_cpuid2_in_child(const char *p, const struct kvm_cpuid_entry2 *e, uint32_t n) { (void)p; (void)e; (void)n; return -ENOSYS; }
int ckvm_get_stats_fd(int f) { (void)f; return -ENOSYS; }
long ckvm_pread(int f, void *b, size_t n, uint64_t o) { (void)f; (void)b; (void)n; (void)o; return -ENOSYS; }
uint32_t ckvm_run_exit_reason(const struct kvm_run *r) { (void)r; return 0; }
void ckvm_run_io(const struct kvm_run *r, uint8_t *d, uint8_t *s, uint16_t *p, uint32_t *c, uint8_t *v) { (void)r; *d = 0; *s = 0; *p = 0; *c = 0; *v = 0; }
uint64_t ckvm_run_error_detail(const struct kvm_run *r) { (void)r; return 0; }
void ckvm_run_set_immediate_exit(struct kvm_run *r, uint8_t v) { (void)r; (void)v; }
int ckvm_watchdog_install(int s) { (void)s; return -ENOSYS; }
void ckvm_watchdog_target(struct kvm_run *r) { (void)r; }
uint64_t ckvm_watchdog_fired(void) { return 0; }
int ckvm_timer_create(int s, intptr_t *t) { (void)s; (void)t; return -ENOSYS; }
int ckvm_timer_arm(intptr_t t, uint64_t a, uint64_t b) { (void)t; (void)a; (void)b; return -ENOSYS; }
int ckvm_timer_delete(intptr_t t) { (void)t; return -ENOSYS; }
int ckvm_sigrt(int o) { (void)o; return 0; }

#endif
