/* Per-CPU data, reached through the GS base. */
#pragma once
#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>
#include "gdt.h"
#include "idt.h"
#endif

#define MAX_CPUS 64
#define KERNEL_STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE (8 * 1024)

/* Offsets the entry code uses (checked against the struct below). */
#define PERCPU_ENTRY_STACK_TOP 8
#define PERCPU_USER_RSP 16
#define PERCPU_RESUME_RSP 24
#define PERCPU_KERNEL_STACK_TOP 32
#define PERCPU_USER_FRAME 40
#define PERCPU_EXIT_WORK 48

#ifndef __ASSEMBLY__
struct percpu {
    struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
    uint64_t entry_stack_top; /* end of the user frame: where ring-3 entries save state */
    uint64_t user_rsp;        /* scratch: user stack pointer during syscall entry */
    uint64_t resume_rsp;      /* kernel context to return to when a test's user code ends */
    uint64_t kernel_stack_top; /* this CPU's kernel stack, fresh at every entry from ring 3 */
    struct trap_frame *user_frame; /* register state of the user context running here */
    volatile uint64_t exit_work;   /* nonzero: sched_exit_to_user has work on the way out */
    void *running_ec;              /* struct ec whose state is loaded here (see ec.h) */
    uint32_t index;      /* 0 = bootstrap processor */
    uint32_t apic_id;
    volatile bool online;
    volatile uint64_t timer_ticks;
    struct cpu_tables tables; /* GDT and TSS of this CPU */
};

_Static_assert(__builtin_offsetof(struct percpu, entry_stack_top) == PERCPU_ENTRY_STACK_TOP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, resume_rsp) == PERCPU_RESUME_RSP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, kernel_stack_top) == PERCPU_KERNEL_STACK_TOP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, user_frame) == PERCPU_USER_FRAME, "layout");
_Static_assert(__builtin_offsetof(struct percpu, exit_work) == PERCPU_EXIT_WORK, "layout");

extern struct percpu percpu[MAX_CPUS];
extern unsigned cpus_online;

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* Make p the current CPU's per-CPU area (sets the GS base). */
void percpu_install(struct percpu *p, uint32_t index, uint32_t apic_id);
#endif
