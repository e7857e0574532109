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
static uint64_t no_syscalls(struct trap_frame *f)
{
    (void)f;
    return ENOSYS_RESULT;
}
/* Called by syscall_entry (entry.S); its result goes to the frame's RAX. */
syscall_handler_fn syscall_handler = no_syscalls;
static user_fault_fn fault_handler;
static void (*interrupt_hook)(uint64_t vector);
static user_fault_fn noncanonical_hook;
static struct trap_frame test_frame[MAX_CPUS];

void syscall_init_cpu(uint64_t kernel_stack_top)
{
    this_cpu()->kernel_stack_top = kernel_stack_top;
    wrmsr(MSR_STAR, STAR_VALUE);
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_SFMASK, SFMASK_VALUE);
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
}

void syscall_set_handler(syscall_handler_fn fn) { syscall_handler = fn ? fn : no_syscalls; }
void user_fault_set_handler(user_fault_fn fn) { fault_handler = fn; }
void user_interrupt_set_hook(void (*fn)(uint64_t vector)) { interrupt_hook = fn; }
void user_noncanonical_set_hook(user_fault_fn fn) { noncanonical_hook = fn; }

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
    if (noncanonical_hook)
        noncanonical_hook(user_frame_current());
    user_mode_end(USER_END_NONCANONICAL_RETURN);
}

void trap_from_user(struct trap_frame *f);
void trap_from_user(struct trap_frame *f)
{
    if (f->vector < 32) {
        if (fault_handler)
            fault_handler(f);
        else
            user_mode_end(USER_END_FAULT | f->vector);
        return;
    }
    trap_dispatch(f);
    if (interrupt_hook)
        interrupt_hook(f->vector);
}

/* Called by user_mode_run: a fresh frame entering at rip with stack rsp. */
void user_mode_prepare(uint64_t rip, uint64_t rsp);
void user_mode_prepare(uint64_t rip, uint64_t rsp)
{
    struct trap_frame *f = &test_frame[this_cpu()->index];
    memset(f, 0, sizeof(*f));
    f->rip = rip;
    f->rsp = rsp;
    user_frame_sanitize(f);
    user_context_activate(f);
}
