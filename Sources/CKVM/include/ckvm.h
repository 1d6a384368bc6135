/*
 * ckvm.h - one thin wrapper per /dev/kvm ioctl or system call the kvm suite
 * makes, and nothing else.
 *
 * Convention (as cx_arch_prctl): every function returns the call's result
 * (a file descriptor, a size, 0) or -errno; nothing sets errno for the
 * caller to read later, so Swift gets the error with the result.  The
 * structures are the kernel's own (<linux/kvm.h>), imported into Swift as
 * they are.  Policy (which mode the guest runs in, what the CPUID offers,
 * when a run is given up) lives in Swift.
 *
 * On hosts other than x86-64 Linux every function returns -ENOSYS.
 */
#ifndef CKVM_H
#define CKVM_H

#include <stddef.h>
#include <stdint.h>

#if defined(__linux__) && defined(__x86_64__)
#include <linux/kvm.h>
#define CKVM_SUPPORTED 1
#else
#define CKVM_SUPPORTED 0
struct kvm_run; struct kvm_regs; struct kvm_sregs; struct kvm_cpuid_entry2;
#endif

/** 1 when the wrappers are real (x86-64 Linux), else 0. */
static inline int ckvm_is_supported(void) { return CKVM_SUPPORTED; }

/* ------------------------------------------------------------- /dev/kvm */

/** open(path, O_RDWR | O_CLOEXEC): the KVM system fd.  `path` is normally
 *  "/dev/kvm"; tests pass a missing or unreadable file. */
int ckvm_open(const char *path);

/** close(fd).  Returns 0 or -errno. */
int ckvm_close(int fd);

/** KVM_GET_API_VERSION on the system fd: 12 on every kernel since 2.6.22. */
int ckvm_get_api_version(int kvm_fd);

/** KVM_CHECK_EXTENSION(cap) on the system or VM fd: 0 when absent, else a
 *  capability-specific positive value (KVM_CAP_XSAVE2: the size in bytes
 *  of the buffer KVM_GET_XSAVE2 needs). */
int ckvm_check_extension(int fd, long cap);

/** KVM_GET_VCPU_MMAP_SIZE: bytes to mmap from a vCPU fd (kvm_run and the
 *  pages after it). */
int ckvm_get_vcpu_mmap_size(int kvm_fd);

/** KVM_GET_SUPPORTED_CPUID into `entries` (capacity *count); on return
 *  *count is the number of entries filled.  -E2BIG when capacity is short. */
int ckvm_get_supported_cpuid(int kvm_fd, struct kvm_cpuid_entry2 *entries, uint32_t *count);

/** KVM_CREATE_VM(type 0, the default VM type): the VM fd. */
int ckvm_create_vm(int kvm_fd);

/* ---------------------------------------------------------------- VM fd */

/** KVM_SET_USER_MEMORY_REGION: maps `size` bytes of this process at `host`
 *  into guest-physical memory at `guest_phys`, as slot `slot`.
 *  Precondition: `host` and `size` page-aligned. */
int ckvm_set_user_memory_region(int vm_fd, uint32_t slot, uint64_t guest_phys,
                                uint64_t size, void *host);

/** KVM_CREATE_VCPU(id): the vCPU fd. */
int ckvm_create_vcpu(int vm_fd, unsigned long id);

/* -------------------------------------------------------------- vCPU fd */

/** mmap(size, PROT_READ|PROT_WRITE, MAP_SHARED) of the vCPU fd at offset 0:
 *  the vCPU's struct kvm_run.  Returns NULL on failure with -errno in *err. */
struct kvm_run *ckvm_map_run(int vcpu_fd, size_t size, int *err);

/** munmap(addr, size).  Returns 0 or -errno. */
int ckvm_unmap(void *addr, size_t size);

/** Anonymous private mapping of `size` bytes, zeroed, for guest memory.
 *  Returns NULL on failure with -errno in *err. */
void *ckvm_map_anonymous(size_t size, int *err);

int ckvm_get_regs(int vcpu_fd, struct kvm_regs *regs);
int ckvm_set_regs(int vcpu_fd, const struct kvm_regs *regs);
int ckvm_get_sregs(int vcpu_fd, struct kvm_sregs *sregs);
int ckvm_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs);

/** KVM_SET_CPUID2 with `count` entries (the kvm_cpuid2 header is built here). */
int ckvm_set_cpuid2(int vcpu_fd, const struct kvm_cpuid_entry2 *entries, uint32_t count);

/** KVM_GET_XSAVE2 into `buf` of `size` bytes (at least KVM_CAP_XSAVE2's
 *  value on the VM: KVM writes its uabi size, 4096 or more).  Returns 0 or -errno. */
int ckvm_get_xsave2(int vcpu_fd, void *buf, size_t size);

/** KVM_GET_XSAVE: the legacy 4096-byte struct kvm_xsave; -EINVAL once the
 *  vCPU's state is larger (after KVM_SET_CPUID2 offered XTILEDATA). */
int ckvm_get_xsave(int vcpu_fd, void *buf4096);

/** KVM_SET_XSAVE from `buf`: KVM reads its uabi size (4096, or the
 *  KVM_CAP_XSAVE2 size once the state grew), so `buf` must hold that many
 *  bytes.  Returns 0 or -errno. */
int ckvm_set_xsave(int vcpu_fd, const void *buf);

/** In a child process (fork, then only system calls, then _exit): open
 *  `path`, KVM_CREATE_VM, KVM_CREATE_VCPU, KVM_SET_CPUID2 with `count`
 *  entries.  Returns what KVM_SET_CPUID2 returned there (0 or -errno, errno
 *  below 64), or -(1000 + 100 * step + errno) when an earlier step failed
 *  (step 0 open, 1 KVM_CREATE_VM, 2 KVM_CREATE_VCPU), or -ECHILD when the
 *  child could not be waited for or did not exit normally.  The child inherits this process's arch_prctl
 *  permissions; creating its vCPU locks the child's guest permission, not
 *  this process's. */
int ckvm_set_cpuid2_in_child(const char *path, const struct kvm_cpuid_entry2 *entries, uint32_t count);

/** KVM_RUN: enters the guest until an exit user space must handle, a
 *  signal (-EINTR, exit_reason KVM_EXIT_INTR) or immediate_exit. */
int ckvm_run(int vcpu_fd);

/** KVM_GET_STATS_FD on a vCPU fd: a file of binary statistics (header,
 *  descriptors, data), read with pread.  Needs KVM_CAP_BINARY_STATS_FD. */
int ckvm_get_stats_fd(int vcpu_fd);

/** pread(fd, buf, size, offset): bytes read or -errno. */
long ckvm_pread(int fd, void *buf, size_t size, uint64_t offset);

/** The minimal host loop: `iterations` KVM_RUNs back to back, each of
 *  which must end in a one-byte OUT to `port`; nothing else per iteration
 *  but the exit-reason check.  *ticks gets the fenced TSC ticks of the
 *  whole loop.  Returns the number of KVM_RUNs that ended as expected
 *  (== iterations on success), or -errno of a failed KVM_RUN (-EINTR: the
 *  watchdog), with *ticks untouched on failure; a different exit stops the
 *  loop and returns the count so far. */
long ckvm_min_loop(int vcpu_fd, const struct kvm_run *run, uint16_t port, uint64_t iterations, uint64_t *ticks);

/* ------------------------------------------------------ struct kvm_run */

/** run->exit_reason (KVM_EXIT_*). */
uint32_t ckvm_run_exit_reason(const struct kvm_run *run);

/** The KVM_EXIT_IO fields: direction (KVM_EXIT_IO_IN/OUT), size (bytes per
 *  access), port, count (repetitions); the first data byte in *data. */
void ckvm_run_io(const struct kvm_run *run, uint8_t *direction, uint8_t *size,
                 uint16_t *port, uint32_t *count, uint8_t *data);

/** KVM_EXIT_INTERNAL_ERROR suberror, or KVM_EXIT_FAIL_ENTRY hardware reason,
 *  or 0 for other exits. */
uint64_t ckvm_run_error_detail(const struct kvm_run *run);

/** Sets run->immediate_exit (1: the next KVM_RUN returns -EINTR at once). */
void ckvm_run_set_immediate_exit(struct kvm_run *run, uint8_t value);

/* ------------------------------------------------------------- watchdog */

/**
 * The vCPU watchdog: a POSIX timer that sends `signo` to the calling thread
 * (SIGEV_THREAD_ID), whose handler, installed without SA_RESTART, sets
 * immediate_exit in the kvm_run the thread registered and counts the
 * firing.  A KVM_RUN in progress returns -EINTR; one about to start returns
 * -EINTR at once through immediate_exit, so no firing is lost to the race
 * between the check and the ioctl.
 */

/** sigaction(signo) with the watchdog handler, no SA_RESTART.  Idempotent. */
int ckvm_watchdog_install(int signo);

/** The kvm_run whose immediate_exit the handler sets on this thread (NULL: none). */
void ckvm_watchdog_target(struct kvm_run *run);

/** Firings seen on this thread since it started. */
uint64_t ckvm_watchdog_fired(void);

/** timer_create(CLOCK_MONOTONIC) delivering `signo` to the calling thread;
 *  the timer id in *timer (an integer: the first id is 0, which a pointer
 *  type would turn into NULL).  Returns 0 or -errno. */
int ckvm_timer_create(int signo, intptr_t *timer);

/** timer_settime: first firing after `first_ns`, then every `interval_ns`
 *  (0: once); both 0 disarms.  Returns 0 or -errno. */
int ckvm_timer_arm(intptr_t timer, uint64_t first_ns, uint64_t interval_ns);

/** timer_delete.  Returns 0 or -errno. */
int ckvm_timer_delete(intptr_t timer);

/** SIGRTMIN + offset (SIGRTMIN is a function in glibc, not a constant). */
int ckvm_sigrt(int offset);

#endif /* CKVM_H */
