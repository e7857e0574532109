/* Ring-3 entry and exit: the syscall instruction's entry path and a way
 * for the kernel to run user code until it ends. This is the mechanism the
 * execution-context objects build on. */
#pragma once
#include <stdint.h>

/* Registers saved by the syscall entry, lowest address first. */
struct syscall_frame {
    uint64_t r15, r14, r13, r12, rbp, rbx, r9, r8, r10, rdx, rsi, rdi, rax;
    uint64_t rflags; /* r11 at entry */
    uint64_t rip;    /* rcx at entry */
    uint64_t rsp;
};

/* Dispatcher called by the entry code; its return value goes to user RAX. */
typedef uint64_t (*syscall_handler_fn)(struct syscall_frame *f);

/* Program STAR/LSTAR/SFMASK on this CPU; entry_stack_top is the ring-0
 * stack for syscalls and for traps from ring 3 (also TSS.RSP0). */
void syscall_init_cpu(uint64_t entry_stack_top);
void syscall_set_handler(syscall_handler_fn fn);

/* Enter ring 3 at rip with stack rsp (RFLAGS.IF set); returns the value
 * given to user_mode_end when the user code's run is ended by the kernel. */
uint64_t user_mode_run(uint64_t rip, uint64_t rsp);
/* Called from a syscall handler or trap handler on the entry stack. */
#define USER_END_NONCANONICAL_RETURN 0xdead0001ull
#define USER_END_FAULT 0xfa000000ull /* | exception vector */
__attribute__((noreturn)) void user_mode_end(uint64_t value);

/* True for addresses the CPU accepts in RIP (48-bit canonical form). */
static inline int is_canonical(uint64_t a)
{
    return (uint64_t)((int64_t)(a << 16) >> 16) == a;
}
