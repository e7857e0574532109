/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel side of ring-3 entries: syscall MSRs, the active user frame,
 * and the hand-off to whoever handles syscalls and user faults. */
#include "arch/x86_64/user_mode.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "common/string.h"
#include "arch/x86_64/percpu.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_SFMASK 0xc0000084
/* SYSRET loads CS from STAR[63:48] + 16 and SS from STAR[63:48] + 8. */
#define STAR_SYSRET_BASE ((uint64_t)(GDT_USER_DS - 8) & ~3ull)
#define STAR_VALUE ((STAR_SYSRET_BASE << 48) | ((uint64_t)GDT_KERNEL_CS << 32))
#define RFLAGS_TF (1ull << 8)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_NT (1ull << 14)
#define RFLAGS_AC (1ull << 18)
/* The kernel runs with interrupts off and clean flags from the first instruction. */
#define SFMASK_VALUE (RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_NT | RFLAGS_AC)
#define ENOSYS_RESULT ((uint64_t)-1)

_Static_assert(sizeof(struct trap_frame) == 22 * 8, "entry.S FRAME_SIZE");

extern char syscall_entry[];

#ifdef DONJON_TEST_KERNEL
/* Until user_entries_to_kernel, ring-3 entries belong to the self-tests. */
static uint64_t no_syscalls(struct trap_frame *f)
{
    (void)f;
    return ENOSYS_RESULT;
}
/* Called by syscall_entry (entry.S); its result goes to the frame's RAX. */
syscall_handler_fn syscall_handler = no_syscalls;
static user_fault_fn fault_handler;
static bool kernel_handlers;

void syscall_set_handler(syscall_handler_fn fn) { syscall_handler = fn ? fn : no_syscalls; }
void user_fault_set_handler(user_fault_fn fn) { fault_handler = fn; }

void user_entries_to_kernel(void)
{
    syscall_handler = syscall_entry_ec;
    fault_handler = fault_dispatch_ec;
    kernel_handlers = true;
}

static void user_fault(struct trap_frame *f)
{
    if (fault_handler)
        fault_handler(f);
    else
        user_mode_end(USER_END_FAULT | f->vector);
}

static void user_interrupt_done(uint64_t vector)
{
    if (kernel_handlers)
        sched_user_interrupt(vector);
}

static void user_noncanonical(struct trap_frame *f)
{
    if (kernel_handlers)
        noncanonical_return_ec(f);
    user_mode_end(USER_END_NONCANONICAL_RETURN);
}
#else
static void user_fault(struct trap_frame *f) { fault_dispatch_ec(f); }
static void user_interrupt_done(uint64_t vector) { sched_user_interrupt(vector); }
static void user_noncanonical(struct trap_frame *f) { noncanonical_return_ec(f); }
#endif

void syscall_init_cpu(uint64_t kernel_stack_top)
{
    this_cpu()->kernel_stack_top = kernel_stack_top;
    wrmsr(MSR_STAR, STAR_VALUE);
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, SFMASK_VALUE);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void user_context_activate(struct trap_frame *f)
{
    this_cpu()->tables.tss.rsp[0] = (uint64_t)(f + 1);
}

int user_frame_sanitize(struct trap_frame *f)
{
    f->cs = GDT_USER_CS;
    f->ss = GDT_USER_DS;
    f->rflags = (f->rflags & RFLAGS_USER_MASK) | RFLAGS_IF | RFLAGS_RESERVED_1;
    return is_canonical(f->rip) ? 0 : -1;
}

/* return_to_user found the active frame's RIP non-canonical (a syscall
 * that ended at the top of the lower half): it must not sysret there. */
void user_return_noncanonical(void);
void user_return_noncanonical(void)
{
    user_noncanonical(user_frame_current());
}

void trap_from_user(struct trap_frame *f);
void trap_from_user(struct trap_frame *f)
{
    if (f->vector < 32) {
        user_fault(f);
        return;
    }
    trap_dispatch(f);
    user_interrupt_done(f->vector);
}
