/*
 * ckvm_guest.h - the guest programs (64-bit machine code in ckvm_guest.S)
 * and the guest-physical layout they assume.
 *
 * The host copies the code blob to CKVM_GUEST_CODE, points RIP at an
 * entry (blob start + ckvm_guest_entry_offset), and passes in registers:
 *     R12 = K, exits in the short region (the long one makes 2K), >= 1
 *     R13 = samples, >= 0
 *     R8  = guest address of the results page
 *     R9  = MSR index (RDMSR / WRMSR programs)
 *     R10, R11 = low and high half of the value CKVM_GUEST_WRMSR_VALUE writes
 * Each sample times K and 2K exits back to back with `lfence; rdtsc;
 * lfence` around each region, the order alternating with the sample's
 * parity so drift cancels.  The results page holds
 *     [0] samples completed   [1] exits made (the guest's own count)
 *     then from byte 64, per sample i: short-region ticks at 64 + 16 i,
 *     long-region ticks at 64 + 16 i + 8.
 * When done the program writes a byte to CKVM_PORT_DONE and halts.
 */
#ifndef CKVM_GUEST_H
#define CKVM_GUEST_H

#include <stddef.h>
#include <stdint.h>

/** The exit each program makes, K and 2K times per sample. */
enum ckvm_guest_program {
    CKVM_GUEST_CPUID = 0,   /* CPUID leaf 0: handled in the kernel */
    CKVM_GUEST_RDMSR = 1,   /* RDMSR of R9: emulated in the kernel */
    CKVM_GUEST_WRMSR = 2,   /* WRMSR of R9 with the value read once first */
    CKVM_GUEST_VMCALL = 3,  /* unknown hypercall, Intel encoding */
    CKVM_GUEST_VMMCALL = 4, /* unknown hypercall, AMD encoding */
    CKVM_GUEST_OUTB = 5,    /* OUT to CKVM_PORT_EXIT: exits to user space */
    CKVM_GUEST_WRMSR_VALUE = 6, /* WRMSR of R9 with EDX:EAX = R11:R10 from the host */
    CKVM_GUEST_SPIN = 7,    /* loops forever without exiting (watchdog test) */
    /* Minimal loops (no results page, no timing in the guest): every
       KVM_RUN ends at one port write to CKVM_PORT_EXIT. */
    CKVM_GUEST_OUTB_FOREVER = 8,       /* 64-bit: out; jmp */
    CKVM_GUEST_CPUID_BURST = 9,        /* 64-bit: R12 CPUIDs, then out; repeat */
    CKVM_GUEST_REAL_OUTB_FOREVER = 10, /* real mode: out; jmp */
    CKVM_GUEST_REAL_CPUID_BURST = 11,  /* real mode: EDI CPUIDs, then out; repeat */
    CKVM_GUEST_NM_CYCLE = 12,          /* K/2K x (WRMSR(XFD, R10); LDTILECFG): the XFD #NM cycle */
    CKVM_GUEST_XSETBV = 13,            /* XSETBV(XCR0 = R11:R10), then done */
    CKVM_GUEST_UD = 14,                /* UD2: an exception for the stub tests */
    CKVM_GUEST_NM_HANDLER = 15,        /* not a program: the #NM handler's entry */
    CKVM_GUEST_FAULT_STUBS = 16,       /* not a program: vector N's stub at + 8 N */
    CKVM_GUEST_OUTB_NOPS = 17,         /* 64-bit: out; 4 x nop; jmp */
    CKVM_GUEST_PROGRAM_COUNT = 18,
};

enum {
    CKVM_PORT_DONE = 0xE0,
    CKVM_PORT_EXIT = 0xE1,
    /** An exception stub writes its vector here, then halts. */
    CKVM_PORT_FAULT = 0xE2,
    /** Hypercall number no KVM defines: the kernel answers -KVM_ENOSYS in RAX. */
    CKVM_HYPERCALL_UNKNOWN = 0xFFFF,
};

/** Guest-physical layout (identity-mapped: virtual == physical). */
enum {
    CKVM_GUEST_PML4 = 0x1000,
    CKVM_GUEST_PDPT = 0x2000,
    CKVM_GUEST_PD = 0x3000,
    CKVM_GUEST_GDT = 0x4000,
    CKVM_GUEST_TSS = 0x5000,
    CKVM_GUEST_IDT = 0x6000,     /* 32 interrupt gates, 16 bytes each */
    CKVM_GUEST_TILECFG = 0x7000, /* 64-byte LDTILECFG operand, palette 1, all tiles 16x64 */
    CKVM_GUEST_CODE = 0x8000,
    CKVM_GUEST_STACK_TOP = 0x80000,
    CKVM_GUEST_RESULTS = 0x100000,
    CKVM_GUEST_RESULTS_HEADER = 64,
    CKVM_GUEST_MEMORY = 0x200000, /* 2 MiB: one large page */
};

/** The code blob: start and size in bytes. */
const uint8_t *ckvm_guest_code(void);
size_t ckvm_guest_code_size(void);

/** Offset of a program's entry in the blob, or -1 for an unknown program. */
long ckvm_guest_entry_offset(int program);

#endif /* CKVM_GUEST_H */
