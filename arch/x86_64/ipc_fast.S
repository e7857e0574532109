/* SPDX-License-Identifier: GPL-2.0-only */
/* The IPC fast path: DJ_SYS_CALL and DJ_SYS_REPLY with untyped words only,
 * straight from the syscall instruction to the other EC's sysret.
 *
 * syscall_entry (entry.S) jumps here with RSP at the end of the running
 * EC's frame, the user RSP in the per-CPU scratch slot and every other
 * register as the user left it. Only what a system call preserves goes
 * to the frame (RIP, RFLAGS, RSP and the callee-saved registers: the ABI
 * in lib/syscall.h declares the argument registers clobbered); its other
 * slots keep this EC's own earlier values, so whatever the frame hands
 * back later never holds another EC's data.
 *
 * Every check comes before the first change (but for remembering a portal
 * the capability table gave, which changes nothing the general path sees).
 * When one fails, the frame is as syscall_entry found it and
 * syscall_general takes the call as if the fast path did not exist; after
 * the checks the path cannot fail. The
 * checks and changes are those of ipc_call, ipc_reply, begin_call and
 * ec_switch_to (kernel/), for the cases named at each check.
 *
 * With more than one CPU online the fast path takes the big kernel lock
 * like every other entry (sched.h), and leaves through return_to_user,
 * which drops it. Structure offsets and constants are absolute symbols
 * from kernel/ipc_fast.c. */
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/idt.h"

/* Register use once the user's callee-saved registers are in the frame:
 *   %rbx  the running EC            %r15  the EC to switch to
 *   %rbp  the running EC's PD       %r12  the PD of the EC to switch to
 *   %r14  call: the portal; reply: the caller's RIP
 *   %r13, %rcx  scratch             %r8  the MTD, once committed
 * %rax, %rdi, %rsi, %rdx, %r8-%r10 keep the user's values until the last
 * check, for syscall_general. */

#define SYSRET_RIP_BAD_BIT 47 /* a syscall RIP is canonical unless this bit is set */

/* ec_switch_to from %rbx to %r15 (the address space was switched before,
 * if it differs): eager FPU switch with XSAVE (ipc_fast_enable turns the
 * fast path on only where it exists), so that no EC ever sees another's
 * vector registers (mask EDX:EAX = 0:all-ones: every component XCR0
 * enables, all below bit 32), leaving RAX 0xffffffff and RDX 0,
 * then this CPU's running EC and the frame its next entry saves to, then
 * the data segment selectors (user_segments.h): the running EC's saved,
 * the other's loaded only where they differ (rare: user code seldom loads
 * any), GS between two swapgs so the kernel's GS base stays in its MSR.
 * Clobbers %rax, %rdx, %r13. */
.macro switch_ec
    movl $-1, %eax
    xorl %edx, %edx
    xsave64 EC_FPU(%rbx)
    xrstor64 EC_FPU(%r15)
    movq %r15, %gs:PERCPU_RUNNING_EC
    leaq EC_FRAME_END(%r15), %r13
    movq %r13, %gs:PERCPU_TSS_RSP0
    movw %ds, EC_SEGS_DS(%rbx)
    movw %es, EC_SEGS_ES(%rbx)
    movw %fs, EC_SEGS_FS(%rbx)
    movw %gs, EC_SEGS_GS(%rbx)
    movq EC_SEGS(%rbx), %r13
    cmpq %r13, EC_SEGS(%r15)
    jne 4f
5:
    .pushsection .text.ipc_fast_segments, "ax"
4:  movw EC_SEGS_DS(%r15), %ds
    movw EC_SEGS_ES(%r15), %es
    movw EC_SEGS_FS(%r15), %fs
    swapgs
    movw EC_SEGS_GS(%r15), %gs
    swapgs
    jmp 5b
    .popsection
.endm

/* Into another PD (%r12): the last check, then its I/O bitmap as
 * iobitmap_activate would leave it (a bitmap the TSS does not hold yet
 * needs a copy: the general path's) and its address space. This CPU's
 * CR3 is always that of its running EC's PD (%rbp), as pd_activate keeps
 * it. Clobbers %rcx, %r13. */
.macro switch_pd
    movq PD_IO_GEN(%r12), %rcx
    movl %gs:PERCPU_INDEX, %r13d
    cmpq %rcx, iobitmap_loaded_gen(,%r13,8)
    je 2f
    testq %rcx, %rcx
    jz 1f
    cmpq %rcx, iobitmap_content_gen(,%r13,8)
    jne .Lgeneral
    movw $IOMAP_IN_TSS, %gs:PERCPU_TSS_IOMAP_BASE
    movq %rcx, iobitmap_loaded_gen(,%r13,8)
    jmp 2f
1:  movw $IOMAP_DENY_ALL, %gs:PERCPU_TSS_IOMAP_BASE
    movq %rcx, iobitmap_loaded_gen(,%r13,8)
2:  movq PD_CR3(%r12), %rcx
    movq %rcx, %cr3
.endm

    .text
    .global ipc_fast_path
ipc_fast_path:
    movq %rcx, FE_RIP(%rsp)
    movq %r11, FE_RFLAGS(%rsp)
    movq %gs:PERCPU_USER_RSP, %rcx
    movq %rcx, FE_RSP(%rsp)
    movq $VEC_SYSCALL, FE_VECTOR(%rsp) /* a later general exit uses sysret and its canonical check */
    movq %rbx, FE_RBX(%rsp)
    movq %rbp, FE_RBP(%rsp)
    movq %r12, FE_R12(%rsp)
    movq %r13, FE_R13(%rsp)
    movq %r14, FE_R14(%rsp)
    movq %r15, FE_R15(%rsp)
    movq %gs:PERCPU_RUNNING_EC, %rbx
    cmpl $1, cpus_online(%rip)
    ja .Llock
.Llocked:
    testq %rax, %rax
    jnz .Lreply

/* ---- call: %rdi portal selector, %rsi MTD ---- */
    cmpq $UTCB_WORD_COUNT, %rsi     /* untyped words only, and no more than a UTCB holds */
    ja .Lgeneral
    movq EC_PD(%rbx), %rbp
    cmpq %rdi, PD_CALL_SEL(%rbp)    /* the portal the last call here went through */
    jne .Llookup
    movq PD_CALL_PT(%rbp), %r14
.Lportal:
    /* The portal and its handler: alive, idle, on this CPU. A handler in
     * EC_WAIT_CALL is not dead (ec_kill sets EC_DEAD). */
    cmpb $0, PT_DEAD(%r14)
    jne .Lgeneral
    movq PT_EC(%r14), %r15
    cmpl $EC_STATE_WAIT_CALL, EC_STATE(%r15)
    jne .Lgeneral
    movl EC_CPU(%rbx), %ecx
    cmpl %ecx, EC_CPU(%r15)
    jne .Lgeneral
    cmpb $0, EC_RECALL_PENDING(%r15) /* the general path delivers the recall first */
    jne .Lgeneral
    movq EC_PD(%r15), %r12
    cmpq %r12, %rbp
    je .Lcall_commit
    switch_pd
.Lcall_commit:
    /* Committed. The message: MTD and words to the handler's UTCB. */
    movq %rsi, %r8
    movq EC_UTCB_WORDS(%r15), %rdi
    movq %rsi, UTCB_MTD_FROM_WORDS(%rdi)
    /* begin_call: the caller waits for the handler, which starts at the
     * portal's entry on its initial stack with the badge and the MTD. */
    movq PT_BADGE(%r14), %r13
    movq %r13, UTCB_BADGE_FROM_WORDS(%rdi)
    movq %rsi, %rcx
    movq EC_UTCB_WORDS(%rbx), %rsi
    rep movsq
    movq %r13, %rdi
    movl $EC_STATE_READY, EC_STATE(%r15)
    movq %rbx, EC_CALLER(%r15)
    movq %r15, EC_CALLEE(%rbx)
    movb $0, EC_IN_FAULT(%rbx)
    movl $EC_STATE_WAIT_REPLY, EC_STATE(%rbx)
    switch_ec
    movq PT_IP(%r14), %rcx
    cmpq $0, %gs:PERCPU_EXIT_WORK
    jne .Lcall_exit_work
    /* sysret into the handler: RIP, RSP, RDI and RSI are the call's, the
     * rest its own from its frame. */
    movq %r8, %rsi
    movq EC_F_RFLAGS(%r15), %r11
    movq EC_F_RAX(%r15), %rax
    movq EC_F_RBX(%r15), %rbx
    movq EC_F_RDX(%r15), %rdx
    movq EC_F_RBP(%r15), %rbp
    movq EC_F_R8(%r15), %r8
    movq EC_F_R9(%r15), %r9
    movq EC_F_R10(%r15), %r10
    movq EC_F_R12(%r15), %r12
    movq EC_F_R13(%r15), %r13
    movq EC_F_R14(%r15), %r14
    movq EC_HANDLER_RSP(%r15), %rsp
    movq EC_F_R15(%r15), %r15
    swapgs
    sysretq

/* The capability: three table levels, each possibly absent, then the
 * slot's type and rights; a portal found is remembered for next time
 * (capspace_remove forgets it). */
.Llookup:
    cmpq $CAP_MAX_SEL, %rdi
    jae .Lgeneral
    movq %rdi, %r12
    shrq $CAP_TOP_SHIFT, %r12
    movq PD_CAP_DIRS(%rbp,%r12,8), %r12
    testq %r12, %r12
    jz .Lgeneral
    movq %rdi, %r13
    shrq $CAP_DIR_SHIFT, %r13
    andl $CAP_DIR_MASK, %r13d
    movq (%r12,%r13,8), %r12
    testq %r12, %r12
    jz .Lgeneral
    movl %edi, %r13d
    andl $CAP_SLOT_MASK, %r13d
    shll $CAP_SLOT_SHIFT, %r13d
    cmpb $OBJ_PT, SLOT_TYPE(%r12,%r13)   /* an occupied slot: a free one has type 0 */
    jne .Lgeneral
    testb $PT_RIGHT_CALL, SLOT_RIGHTS(%r12,%r13)
    jz .Lgeneral
    movq SLOT_OBJ(%r12,%r13), %r14
    movq %rdi, PD_CALL_SEL(%rbp)
    movq %r14, PD_CALL_PT(%rbp)
    jmp .Lportal

/* Flagged work (the kernel lock to drop, rescheduling, interrupts to
 * deliver) is the general exit's, which needs the whole frame. */
.Lcall_exit_work:
    movq %rcx, EC_F_RIP(%r15)
    movq EC_HANDLER_RSP(%r15), %rcx
    movq %rcx, EC_F_RSP(%r15)
    movq %rdi, EC_F_RDI(%r15)
    movq %r8, EC_F_RSI(%r15)
    jmp .Lexit_work

/* ---- reply: %rdi MTD ---- */
.Lreply:
    cmpq $UTCB_WORD_COUNT, %rdi
    ja .Lgeneral
    cmpq $0, EC_WAITERS(%rbx)        /* the general path wakes the next caller */
    jne .Lgeneral
    /* A caller waiting for this handler (a thread never has one: portals
     * name local ECs only, so its reply gets DJ_E_BAD_CAP there). */
    movq EC_CALLER(%rbx), %r15
    testq %r15, %r15
    jz .Lgeneral
    cmpl $EC_STATE_WAIT_REPLY, EC_STATE(%r15)
    jne .Lgeneral
    cmpq %rbx, EC_CALLEE(%r15)
    jne .Lgeneral
    /* Not a fault call (its reply carries state), no recall to deliver,
     * not killed mid-call (it dies on the way): three bytes at once. */
    testl $EC_FAULT_RECALL_KILLED, EC_IN_FAULT(%r15)
    jnz .Lgeneral
    movq EC_F_RIP(%r15), %r14        /* a non-canonical return is a #GP there */
    btq $SYSRET_RIP_BAD_BIT, %r14
    jc .Lgeneral
    movq EC_PD(%rbx), %rbp
    movq EC_PD(%r15), %r12
    cmpq %r12, %rbp
    je .Lreply_commit
    switch_pd
.Lreply_commit:
    /* Committed. The reply: MTD and words to the caller's UTCB. */
    movq %rdi, %r8
    movq %rdi, %rcx
    movq EC_UTCB_WORDS(%r15), %rdi
    movq %r8, UTCB_MTD_FROM_WORDS(%rdi)
    movq EC_UTCB_WORDS(%rbx), %rsi
    rep movsq
    movq $0, EC_CALLER(%rbx)
    movl $EC_STATE_WAIT_CALL, EC_STATE(%rbx) /* its next call starts on its initial stack */
    movq $0, EC_CALLEE(%r15)
    movl $EC_STATE_READY, EC_STATE(%r15)
    switch_ec
    cmpq $0, %gs:PERCPU_EXIT_WORK
    jne .Lreply_exit_work
    /* sysret into the caller: DJ_OK and the reply's MTD, RDX 0 (from
     * switch_ec; a call clobbers it), the rest as its call left them. */
    movq %r14, %rcx
    movq %r8, %rsi
    movq EC_F_RFLAGS(%r15), %r11
    xorl %eax, %eax
    movq EC_F_RBX(%r15), %rbx
    movq EC_F_RDI(%r15), %rdi
    movq EC_F_RBP(%r15), %rbp
    movq EC_F_R8(%r15), %r8
    movq EC_F_R9(%r15), %r9
    movq EC_F_R10(%r15), %r10
    movq EC_F_R12(%r15), %r12
    movq EC_F_R13(%r15), %r13
    movq EC_F_R14(%r15), %r14
    movq EC_F_RSP(%r15), %rsp
    movq EC_F_R15(%r15), %r15
    swapgs
    sysretq

.Lreply_exit_work:
    movq $0, EC_F_RAX(%r15)
    movq %r8, EC_F_RSI(%r15)
.Lexit_work:
    movq %gs:PERCPU_KERNEL_STACK_TOP, %rsp
    jmp return_to_user

/* More than one CPU: take the big kernel lock (the way out drops it), as
 * sched_kernel_entry does; an EC killed from another CPU meanwhile goes
 * the general way, which finishes the kill. */
.Llock:
    movq %gs:PERCPU_KERNEL_STACK_TOP, %rsp
    pushq %rax
    pushq %rdi
    pushq %rsi
    pushq %rdx                       /* and keeps the stack 16-byte aligned */
    call kernel_lock
    popq %rdx
    popq %rsi
    popq %rdi
    popq %rax
    leaq EC_FRAME_END(%rbx), %rsp
    cmpb $0, EC_DEAD(%rbx)
    jne .Lgeneral
    jmp .Llocked

/* Not for the fast path: restore what it used and take the general one. */
.Lgeneral:
    movq FE_RIP(%rsp), %rcx
    movq FE_RFLAGS(%rsp), %r11
    movq FE_RBX(%rsp), %rbx
    movq FE_RBP(%rsp), %rbp
    movq FE_R12(%rsp), %r12
    movq FE_R13(%rsp), %r13
    movq FE_R14(%rsp), %r14
    movq FE_R15(%rsp), %r15
    jmp syscall_general
