/* SPDX-License-Identifier: GPL-2.0-only */
/* Register probes for the IPC tests (ipc_fast_tests.c): what C compiled
 * with -mgeneral-regs-only cannot do itself. */
#define SYS_CALL 0  /* DJ_SYS_CALL */
#define SYS_REPLY 1 /* DJ_SYS_REPLY */
#define GPRS 15     /* struct probe_gprs: rax rbx rcx rdx rsi rdi rbp r8-r15 */

    .text
/* void probe_fpu_load(uint64_t seed, uint32_t mxcsr, uint16_t fcw):
 * XMMi = seed + i (low quadword), MXCSR and the x87 control word. */
    .global probe_fpu_load
probe_fpu_load:
    movq %rdi, %rax
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    movq %rax, %xmm\n
    incq %rax
    .endr
    movl %esi, -8(%rsp)
    ldmxcsr -8(%rsp)
    movw %dx, -8(%rsp)
    fldcw -8(%rsp)
    ret

/* void probe_fpu_store(struct probe_fpu *out): XMM0-15 (low quadwords),
 * then MXCSR and the x87 control word. */
    .global probe_fpu_store
probe_fpu_store:
    .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15
    movq %xmm\n, %rax
    movq %rax, 8 * \n(%rdi)
    .endr
    stmxcsr 128(%rdi)
    fnstcw 132(%rdi)
    ret

/* void probe_ymm_high_load(uint64_t value): bits 128-191 of YMM0 (AVX
 * state, which FXSAVE would not save) = value; YMM1 is clobbered. */
    .global probe_ymm_high_load
probe_ymm_high_load:
    vmovq %rdi, %xmm1
    vinsertf128 $1, %xmm1, %ymm0, %ymm0
    ret

/* uint64_t probe_ymm_high_store(void): bits 128-191 of YMM0; YMM1 is
 * clobbered. */
    .global probe_ymm_high_store
probe_ymm_high_store:
    vextractf128 $1, %ymm0, %xmm1
    vmovq %xmm1, %rax
    ret

/* Every general register of a struct probe_gprs from the stack, where
 * push_all left them (rax deepest), to the array at %rdi. */
.macro push_all
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
.endm

/* Registers holding `secret` + 1..: what a side puts in every register
 * that is not an argument of its system call. */
.macro load_secrets secret_reg
    leaq 1(\secret_reg), %rbx
    leaq 2(\secret_reg), %rbp
    leaq 3(\secret_reg), %r12
    leaq 4(\secret_reg), %r13
    leaq 5(\secret_reg), %r14
    leaq 6(\secret_reg), %r15
    leaq 7(\secret_reg), %rdx
    leaq 8(\secret_reg), %r8
    leaq 9(\secret_reg), %r9
    leaq 10(\secret_reg), %r10
.endm

/* uint64_t probe_call(uint64_t pt, uint64_t mtd, uint64_t secret,
 *                     struct probe_gprs *after):
 * DJ_SYS_CALL with `secret` + 1.. in every other register; *after gets
 * every register as the call returned. Returns the status (RAX). */
    .global probe_call
probe_call:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rcx                  /* after */
    movq %rdx, %rax
    load_secrets %rax
    movl $SYS_CALL, %eax
    syscall
    push_all
    movq GPRS * 8(%rsp), %rdi   /* after */
    movl $GPRS, %ecx
1:  popq %rax                   /* r15 first: fill from the end */
    movq %rax, -8(%rdi,%rcx,8)
    decl %ecx
    jnz 1b
    popq %rcx
    movq (%rcx), %rax           /* the status */
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

/* Portal entry of the probe handler: records every register the kernel
 * started it with in probe_seen, lets probe_reply_prepare (C) put the
 * reply in its UTCB, and replies with probe_handler_secret + 1.. in every
 * other register. The stack is dj_handler_stack's: UTCB first. */
    .global probe_portal_entry
probe_portal_entry:
    movq %rax, probe_seen + 0(%rip)
    movq %rbx, probe_seen + 8(%rip)
    movq %rcx, probe_seen + 16(%rip)
    movq %rdx, probe_seen + 24(%rip)
    movq %rsi, probe_seen + 32(%rip)
    movq %rdi, probe_seen + 40(%rip)
    movq %rbp, probe_seen + 48(%rip)
    movq %r8, probe_seen + 56(%rip)
    movq %r9, probe_seen + 64(%rip)
    movq %r10, probe_seen + 72(%rip)
    movq %r11, probe_seen + 80(%rip)
    movq %r12, probe_seen + 88(%rip)
    movq %r13, probe_seen + 96(%rip)
    movq %r14, probe_seen + 104(%rip)
    movq %r15, probe_seen + 112(%rip)
    movq 0(%rsp), %rdi
    call probe_reply_prepare    /* RSP is 16-aligned here, as a call wants */
    movq %rax, %rdi             /* the reply's MTD */
    movq probe_handler_secret(%rip), %rax
    leaq 11(%rax), %rsi
    load_secrets %rax
    movl $SYS_REPLY, %eax
    syscall
    ud2                         /* the reply was refused */

    .section .note.GNU-stack, "", @progbits
