/* syscall entry and the kernel side of running user code. */
#include "gdt.h"
#include "percpu.h"

    .text
    .global syscall_entry
syscall_entry:
    swapgs
    movq %rsp, %gs:PERCPU_USER_RSP
    movq %gs:PERCPU_ENTRY_STACK_TOP, %rsp
    pushq %gs:PERCPU_USER_RSP
    pushq %rcx
    pushq %r11
    pushq %rax
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %r10
    pushq %r8
    pushq %r9
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi
    xorl %ebp, %ebp
    call syscall_dispatch
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    popq %r9
    popq %r8
    popq %r10
    popq %rdx
    popq %rsi
    popq %rdi
    addq $8, %rsp               /* user RAX: the result is in %rax */
    popq %r11
    popq %rcx
    /* sysret to a non-canonical RIP would fault in ring 0 with the user's
     * stack: syscall_dispatch has already refused such a return. */
    popq %rsp
    swapgs
    sysretq

/* uint64_t user_mode_run(uint64_t rip, uint64_t rsp) */
    .global user_mode_run
user_mode_run:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %gs:PERCPU_RESUME_RSP
    pushq $GDT_USER_DS
    pushq %rsi
    pushq $0x202                /* IF set, reserved bit 1 */
    pushq $GDT_USER_CS
    pushq %rdi
    /* Nothing of the kernel's register state goes to user mode. */
    xorl %eax, %eax
    xorl %ebx, %ebx
    xorl %ecx, %ecx
    xorl %edx, %edx
    xorl %esi, %esi
    xorl %edi, %edi
    xorl %ebp, %ebp
    xorl %r8d, %r8d
    xorl %r9d, %r9d
    xorl %r10d, %r10d
    xorl %r11d, %r11d
    xorl %r12d, %r12d
    xorl %r13d, %r13d
    xorl %r14d, %r14d
    xorl %r15d, %r15d
    swapgs
    iretq

/* void user_mode_end(uint64_t value): back into user_mode_run's caller. */
    .global user_mode_end
user_mode_end:
    movq %rdi, %rax
    movq %gs:PERCPU_RESUME_RSP, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
