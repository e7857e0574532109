/* SPDX-License-Identifier: GPL-2.0-only */
/* Running user code from inside the test kernel, before the scheduler
 * exists (self-tests): enter ring 3 and come back. */
#include "arch/x86_64/percpu.h"

    .text
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
    call user_mode_prepare
    jmp return_to_user

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
