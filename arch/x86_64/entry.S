/* SPDX-License-Identifier: GPL-2.0-only */
/* Interrupt and exception entry. Every vector gets a stub that pushes a
 * uniform frame (struct trap_frame in idt.h).
 * From ring 3, the CPU pushes onto TSS.RSP0, which points just past the
 * current user context's frame, so the frame lands there; we then continue
 * on this CPU's kernel stack and leave through return_to_user.
 * From ring 0, and for the IST vectors (NMI, #DF, #MC, which may arrive at
 * any instruction), the frame stays on the current stack and iretq
 * returns to the interrupted code. */
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/percpu.h"

#define FRAME_RAX (14 * 8) /* offset of rax in struct trap_frame */
#define FRAME_SIZE (22 * 8) /* sizeof(struct trap_frame) */
#define VEC_NMI 2
#define VEC_DOUBLE_FAULT 8
#define VEC_MACHINE_CHECK 18

    .text
    .altmacro
.macro trap_stub vec
    .balign 16
trap_stub_\vec:
    .if !((\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30))
    pushq $0
    .endif
    pushq $\vec
    .if (\vec == VEC_NMI) || (\vec == VEC_DOUBLE_FAULT) || (\vec == VEC_MACHINE_CHECK)
    jmp trap_in_place
    .else
    jmp trap_common
    .endif
.endm

    .set i, 0
    .rept 256
    trap_stub %i
    .set i, i + 1
    .endr

.macro push_gprs
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

.macro pop_gprs
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

trap_common:
    testb $3, 24(%rsp)          /* CS of the interrupted context */
    jz trap_in_place
    swapgs
    push_gprs
    cld
    movq %rsp, %rdi
    movq %gs:PERCPU_KERNEL_STACK_TOP, %rsp
    xorl %ebp, %ebp
    call trap_from_user
    jmp return_to_user

trap_in_place:
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:  push_gprs
    cld
    movq %rsp, %rdi
    /* Link the trap into the frame-pointer chain so backtraces cross it. */
    pushq 17 * 8(%rsp)          /* interrupted RIP */
    pushq %rbp
    movq %rsp, %rbp
    call trap_dispatch
    addq $16, %rsp
    pop_gprs
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp              /* vector and error code */
    iretq

/* The syscall instruction lands here. Calls and replies try the IPC fast
 * path (ipc_fast.S) first; it comes back to syscall_general, with every
 * register as the user left it, when it cannot take them. */
    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_TSS_RSP0, %rsp
    cmpq ipc_fast_limit(%rip), %rax
    jb ipc_fast_path
    .global syscall_general
syscall_general:
    pushq $GDT_USER_DS
    pushq %gs:PERCPU_USER_RSP
    pushq %r11                  /* user RFLAGS */
    pushq $GDT_USER_CS
    pushq %rcx                  /* user RIP */
    pushq $0
    pushq $VEC_SYSCALL
    push_gprs
    movq %rsp, %rdi
    movq %rsp, %rbx             /* callee-saved: the frame the result goes to */
    movq %gs:PERCPU_KERNEL_STACK_TOP, %rsp
    xorl %ebp, %ebp
#ifdef DONJON_TEST_KERNEL
    call *syscall_handler(%rip) /* self-tests own ring 3 before the scheduler */
#else
    call syscall_entry_ec
#endif
    movq %rax, FRAME_RAX(%rbx)
    /* fall through */

/* void return_to_user(void): resume the user context of this CPU. The C
 * side has checked its RIP is canonical and its RFLAGS harmless. */
    .global return_to_user
return_to_user:
    cli
    cmpq $0, %gs:PERCPU_EXIT_WORK
    je 5f
    andq $-16, %rsp             /* never returns here: give C an aligned stack */
    call sched_exit_to_user     /* preemption, then drop the big kernel lock */
5:
    movq %gs:PERCPU_TSS_RSP0, %rsp
    subq $FRAME_SIZE, %rsp
    pop_gprs
    cmpq $VEC_SYSCALL, (%rsp)
    je 3f
    addq $16, %rsp
    swapgs
    iretq
3:  movq 16(%rsp), %rcx         /* RIP */
    /* sysret to a non-canonical RIP faults in ring 0 on Intel CPUs with
     * the user's stack: such a return becomes a fault of the user context. */
    movq %rcx, %r11
    sarq $47, %r11
    addq $1, %r11
    cmpq $1, %r11
    ja 4f
    movq 32(%rsp), %r11         /* RFLAGS */
    movq 40(%rsp), %rsp         /* user RSP */
    swapgs
    sysretq
4:  movq %gs:PERCPU_KERNEL_STACK_TOP, %rsp
    call user_return_noncanonical

    .section .rodata
    .balign 8
    .global trap_stub_table
trap_stub_table:
    .set i, 0
.macro stub_addr vec
    .quad trap_stub_\vec
.endm
    .rept 256
    stub_addr %i
    .set i, i + 1
    .endr
