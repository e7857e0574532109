/* SPDX-License-Identifier: GPL-2.0-only */
/* Ring-3 entry and exit. The CPU saves user state into the frame of the
 * user context that runs on this CPU (user_context_activate); the kernel
 * leaves through return_to_user, which resumes that frame. */
#pragma once
#include <stdint.h>
#include "arch/x86_64/idt.h"

#define RFLAGS_IF (1ull << 9)
#define RFLAGS_RESERVED_1 (1ull << 1)
/* Flags user code may own: CF PF AF ZF SF TF DF OF AC ID (never IOPL, NT, VM, RF). */
#define RFLAGS_USER_MASK 0x250dd5ull

/* Make the system call that entered through f run again when f resumes
 * (the syscall instruction is two bytes long). */
#define SYSCALL_INSN_LEN 2
static inline void user_frame_restart_syscall(struct trap_frame *f)
{
    f->rip -= SYSCALL_INSN_LEN;
}

/* Dispatcher for syscalls; its return value goes to user RAX. */
typedef uint64_t (*syscall_handler_fn)(struct trap_frame *f);
/* Called for an exception raised by user code (interrupts go to irq handlers). */
typedef void (*user_fault_fn)(struct trap_frame *f);

/* Program STAR/LSTAR/SFMASK on this CPU and set its kernel stack. */
void syscall_init_cpu(uint64_t kernel_stack_top);
void syscall_set_handler(syscall_handler_fn fn);
void user_fault_set_handler(user_fault_fn fn);
/* Called after an interrupt taken in ring 3 was handled (scheduler tick). */
void user_interrupt_set_hook(void (*fn)(uint64_t vector));
/* Called (must not return) when the active frame would sysret to a
 * non-canonical RIP; f is that frame. */
void user_noncanonical_set_hook(user_fault_fn fn);

/* Make f the user context of this CPU: ring-3 entries save into it. */
void user_context_activate(struct trap_frame *f);
/* Resume the active user context (sysret or iret). */
__attribute__((noreturn)) void return_to_user(void);
/* Make a frame safe to resume: user selectors, canonical RIP, tame RFLAGS.
 * Returns 0, or -1 when RIP is not canonical (the caller must not resume). */
int user_frame_sanitize(struct trap_frame *f);

/* Self-test support: enter ring 3 at rip with stack rsp and return the
 * value given to user_mode_end when the kernel ends the run. */
uint64_t user_mode_run(uint64_t rip, uint64_t rsp);
__attribute__((noreturn)) void user_mode_end(uint64_t value);
#define USER_END_NONCANONICAL_RETURN 0xdead0001ull
#define USER_END_FAULT 0xfa000000ull /* | exception vector */

/* True for addresses the CPU accepts in RIP (48-bit canonical form). */
static inline int is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}
