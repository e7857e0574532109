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

/* The kernel's handlers of ring-3 entries (kernel/). The production kernel
 * calls them directly: a syscall (its result goes to user RAX), an
 * exception raised by user code, the end of an interrupt taken in ring 3
 * (the scheduler tick), and a return that would sysret to a non-canonical
 * RIP (f is that frame; must not return). */
uint64_t syscall_entry_ec(struct trap_frame *f);
void fault_dispatch_ec(struct trap_frame *f);
void sched_user_interrupt(uint64_t vector);
__attribute__((noreturn)) void noncanonical_return_ec(struct trap_frame *f);

/* Program STAR/LSTAR/SFMASK on this CPU and set its kernel stack. */
void syscall_init_cpu(uint64_t kernel_stack_top);

#ifdef DONJON_TEST_KERNEL
/* The test kernel's self-tests run ring-3 code before the scheduler
 * exists, with handlers of their own (tests/kernel/x86_64/user_ktest.c);
 * ring-3 entries go through these hooks until the scheduler starts. */
typedef uint64_t (*syscall_handler_fn)(struct trap_frame *f);
typedef void (*user_fault_fn)(struct trap_frame *f);
void syscall_set_handler(syscall_handler_fn fn);
void user_fault_set_handler(user_fault_fn fn);
/* Enter ring 3 at rip with stack rsp and return the value given to
 * user_mode_end when the kernel ends the run (tests/kernel/x86_64/user_entry.S). */
uint64_t user_mode_run(uint64_t rip, uint64_t rsp);
__attribute__((noreturn)) void user_mode_end(uint64_t value);
#define USER_END_NONCANONICAL_RETURN 0xdead0001ull
#define USER_END_FAULT 0xfa000000ull /* | exception vector */
/* From now on ring-3 entries go to the kernel's handlers above. */
void user_entries_to_kernel(void);
#else
static inline void user_entries_to_kernel(void) {}
#endif

/* Make f the user context of this CPU: ring-3 entries save into it. */
void user_context_activate(struct trap_frame *f);
/* Resume the active user context (sysret or iret). */
__attribute__((noreturn)) void return_to_user(void);
/* Make a frame safe to resume: user selectors, canonical RIP, tame RFLAGS.
 * Returns 0, or -1 when RIP is not canonical (the caller must not resume). */
int user_frame_sanitize(struct trap_frame *f);

/* True for addresses the CPU accepts in RIP (48-bit canonical form). */
static inline int is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}
