/*
 * ckvm_guest.S - the guest programs: 64-bit code the host copies into guest
 * memory and runs at CPL 0 in long mode (see ckvm_guest.h for the register
 * interface and the results page).
 *
 * Only relative jumps are used, so the blob runs wherever it is copied.
 * Inside a region the loop adds `inc; dec; jnz` (about one cycle) and the
 * body's register set-up to every exit; both are part of each figure and
 * far below an exit's cost.  The fences and TSC reads are paid once per
 * region and cancel in (long - short) / K.
 */
#if defined(__x86_64__) && defined(__linux__)

#define PORT_DONE 0xE0
#define PORT_EXIT 0xE1
#define PORT_FAULT 0xE2
#define GUEST_TILECFG 0x7000
#define HYPERCALL_UNKNOWN 0xFFFF

    .section .rodata.ckvm_guest, "a"
    .code64
    .p2align 6
    .globl ckvm_guest_blob_start, ckvm_guest_blob_end
    .hidden ckvm_guest_blob_start, ckvm_guest_blob_end

/* RDX:RAX of RDTSC as one 64-bit value in \dst (clobbers RAX, RDX). */
.macro TSC_FENCED dst
    lfence
    rdtsc
    lfence
    shl $32, %rdx
    or %rax, %rdx
    mov %rdx, \dst
.endm

/* The exits.  Each may clobber RAX, RBX, RCX, RDX; state the loop keeps
 * lives in RBP, RDI, RSI, R8-R15. */
.macro BODY_CPUID
    xor %eax, %eax
    xor %ecx, %ecx
    cpuid
.endm
.macro BODY_RDMSR
    mov %r9d, %ecx
    rdmsr
.endm
.macro BODY_WRMSR
    mov %r9d, %ecx
    mov %r10d, %eax
    mov %r11d, %edx
    wrmsr
.endm
.macro BODY_VMCALL
    mov $HYPERCALL_UNKNOWN, %eax
    vmcall
.endm
.macro BODY_VMMCALL
    mov $HYPERCALL_UNKNOWN, %eax
    vmmcall
.endm
.macro BODY_OUTB
    out %al, $PORT_EXIT
.endm
/* WRMSR(IA32_XFD, R10) then LDTILECFG: with R10 = 0x40000 (and XFD
 * writes passed through) the LDTILECFG takes the XFD #NM, whose handler
 * clears XFD_ERR and XFD and returns to it; with R10 = 0 nothing faults. */
.macro BODY_NM
    mov $0x1C4, %ecx
    mov %r10d, %eax
    xor %edx, %edx
    wrmsr
    ldtilecfg GUEST_TILECFG
.endm

/* One-time set-up before the samples: WRMSR writes back the value the MSR
 * holds, so the write changes nothing. */
.macro SETUP_NONE
.endm
.macro SETUP_WRMSR
    mov %r9d, %ecx
    rdmsr
    mov %eax, %r10d
    mov %edx, %r11d
.endm

/* \count exits of \body (the count is copied before the first exit,
 * which may clobber its register); R15 counts them. */
.macro EXITS body, count
    mov \count, %r14
1:
    \body
    inc %r15
    dec %r14
    jnz 1b
.endm

/*
 * A whole program: R13 samples of (K exits, 2K exits) or (2K, K) by parity.
 * R12 = K, R8 = results page, R9 = MSR index.
 */
.macro EXIT_PROGRAM name, body, setup
\name:
    \setup
    xor %r15d, %r15d                /* exits made */
    xor %ebp, %ebp                  /* sample index */
    movq $0, (%r8)
    movq $0, 8(%r8)
    test %r13, %r13
    jz 9f
2:
    /* first region: K << parity, second: K << (1 - parity) */
    mov %ebp, %ecx
    and $1, %ecx
    mov %r12, %rbx
    shl %cl, %rbx
    TSC_FENCED %rdi
    EXITS \body, %rbx
    TSC_FENCED %rsi
    mov %ebp, %ecx
    and $1, %ecx
    xor $1, %ecx
    mov %r12, %rbx
    shl %cl, %rbx
    EXITS \body, %rbx
    TSC_FENCED %rdx
    sub %rsi, %rdx                  /* second region ticks */
    sub %rdi, %rsi                  /* first region ticks */
    mov %rbp, %rax
    shl $4, %rax
    lea 64(%r8, %rax), %rax         /* this sample's slot */
    test $1, %ebp
    jnz 3f
    mov %rsi, (%rax)                /* even: short first */
    mov %rdx, 8(%rax)
    jmp 4f
3:
    mov %rdx, (%rax)                /* odd: long first */
    mov %rsi, 8(%rax)
4:
    inc %rbp
    mov %rbp, (%r8)
    mov %r15, 8(%r8)
    cmp %r13, %rbp
    jb 2b
9:
    out %al, $PORT_DONE
    hlt
    jmp 9b
.endm

ckvm_guest_blob_start:
    EXIT_PROGRAM ckvm_guest_cpuid, BODY_CPUID, SETUP_NONE
    EXIT_PROGRAM ckvm_guest_rdmsr, BODY_RDMSR, SETUP_NONE
    EXIT_PROGRAM ckvm_guest_wrmsr, BODY_WRMSR, SETUP_WRMSR
    EXIT_PROGRAM ckvm_guest_vmcall, BODY_VMCALL, SETUP_NONE
    EXIT_PROGRAM ckvm_guest_vmmcall, BODY_VMMCALL, SETUP_NONE
    EXIT_PROGRAM ckvm_guest_outb, BODY_OUTB, SETUP_NONE
    EXIT_PROGRAM ckvm_guest_wrmsr_value, BODY_WRMSR, SETUP_NONE
    EXIT_PROGRAM ckvm_guest_nm_cycle, BODY_NM, SETUP_NONE

/* XSETBV(XCR0 = R11:R10), as a guest OS enables its XSAVE features (the
 * host sets CR4.OSXSAVE first), then the done port. */
ckvm_guest_xsetbv:
    mov %r10d, %eax
    mov %r11d, %edx
    xor %ecx, %ecx
    xsetbv
    out %al, $PORT_DONE
    hlt
    jmp ckvm_guest_xsetbv

/* A #UD, for the tests of the exception stubs. */
ckvm_guest_ud:
    ud2

/* The XFD #NM handler (vector 7 of an AMX guest's IDT): XFD_ERR read
 * (passed through for reads), XFD_ERR cleared (an intercepted MSR write:
 * one exit), XFD cleared (passed through once armed), back to the faulting
 * instruction.  As a Linux guest's handle_xfd_event does. */
ckvm_guest_nm_handler:
    push %rax
    push %rcx
    push %rdx
    mov $0x1C5, %ecx
    rdmsr
    xor %eax, %eax
    xor %edx, %edx
    wrmsr
    mov $0x1C4, %ecx
    wrmsr
    pop %rdx
    pop %rcx
    pop %rax
    iretq

/* Exception stubs, 8 bytes apart: vector N writes N to PORT_FAULT and
 * halts, so a fault is an exit the host names instead of a triple fault. */
    .p2align 3
ckvm_guest_fault_stubs:
    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .p2align 3
    mov $\n, %al
    out %al, $PORT_FAULT
    hlt
    .endr
ckvm_guest_spin:
    jmp ckvm_guest_spin

/* The minimal loops: nothing but the exit between two KVM_RUNs.  Each
 * KVM_RUN of the host returns at the port write; the next resumes at the
 * jmp.  R12 = CPUIDs per KVM_RUN for the CPUID burst (>= 1). */
ckvm_guest_outb_forever:
    out %al, $PORT_EXIT
    jmp ckvm_guest_outb_forever
/* The same with four instructions between exits, to price what a guest
 * executes between exits (the suite's loop runs three: inc, dec, jnz). */
ckvm_guest_outb_nops:
    out %al, $PORT_EXIT
    nop
    nop
    nop
    nop
    jmp ckvm_guest_outb_nops
ckvm_guest_cpuid_burst:
    mov %r12, %r14
1:
    xor %eax, %eax
    xor %ecx, %ecx
    cpuid
    dec %r14
    jnz 1b
    out %al, $PORT_EXIT
    jmp ckvm_guest_cpuid_burst

/* The same in real mode (16-bit code at CS base 0): EDI = CPUIDs per
 * KVM_RUN for the burst. */
    .code16
ckvm_guest_real_outb_forever:
    out %al, $PORT_EXIT
    jmp ckvm_guest_real_outb_forever
ckvm_guest_real_cpuid_burst:
    mov %edi, %esi
1:
    xor %eax, %eax
    xor %ecx, %ecx
    cpuid
    dec %esi
    jnz 1b
    out %al, $PORT_EXIT
    jmp ckvm_guest_real_cpuid_burst
    .code64
ckvm_guest_blob_end:

    .globl ckvm_guest_entries
    .hidden ckvm_guest_entries
    .p2align 3
ckvm_guest_entries:
    .quad ckvm_guest_cpuid - ckvm_guest_blob_start
    .quad ckvm_guest_rdmsr - ckvm_guest_blob_start
    .quad ckvm_guest_wrmsr - ckvm_guest_blob_start
    .quad ckvm_guest_vmcall - ckvm_guest_blob_start
    .quad ckvm_guest_vmmcall - ckvm_guest_blob_start
    .quad ckvm_guest_outb - ckvm_guest_blob_start
    .quad ckvm_guest_wrmsr_value - ckvm_guest_blob_start
    .quad ckvm_guest_spin - ckvm_guest_blob_start
    .quad ckvm_guest_outb_forever - ckvm_guest_blob_start
    .quad ckvm_guest_cpuid_burst - ckvm_guest_blob_start
    .quad ckvm_guest_real_outb_forever - ckvm_guest_blob_start
    .quad ckvm_guest_real_cpuid_burst - ckvm_guest_blob_start
    .quad ckvm_guest_nm_cycle - ckvm_guest_blob_start
    .quad ckvm_guest_xsetbv - ckvm_guest_blob_start
    .quad ckvm_guest_ud - ckvm_guest_blob_start
    .quad ckvm_guest_nm_handler - ckvm_guest_blob_start
    .quad ckvm_guest_fault_stubs - ckvm_guest_blob_start
    .quad ckvm_guest_outb_nops - ckvm_guest_blob_start

    .section .note.GNU-stack, "", @progbits
#endif
