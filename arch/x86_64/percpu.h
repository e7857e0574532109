/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-CPU data, reached through the GS base. */
#pragma once
#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#endif

#define MAX_CPUS 64
#define KERNEL_STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE (8 * 1024)

/* Offsets the entry code uses (checked against the struct below). */
#define PERCPU_USER_RSP 8
#define PERCPU_RESUME_RSP 16
#define PERCPU_KERNEL_STACK_TOP 24
#define PERCPU_EXIT_WORK 32
#define PERCPU_RUNNING_EC 40
#define PERCPU_INDEX 48
/* TSS.RSP0: the end of the running user context's frame, where every
 * ring-3 entry (interrupts by the CPU, syscall_entry by hand) saves its
 * registers; the frame itself starts sizeof(struct trap_frame) below. */
#define PERCPU_TSS_RSP0 148

#ifndef __ASSEMBLY__
struct percpu {
    struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
    uint64_t user_rsp;        /* scratch: user stack pointer during syscall entry */
    uint64_t resume_rsp;      /* test kernel: where user_mode_run returns when a test's user code ends */
    uint64_t kernel_stack_top; /* this CPU's kernel stack, fresh at every entry from ring 3 */
    volatile uint64_t exit_work;   /* nonzero: sched_exit_to_user has work on the way out */
    void *running_ec;              /* struct ec whose state is loaded here (see ec.h) */
    uint32_t index;      /* 0 = bootstrap processor */
    uint32_t apic_id;
    volatile bool online;
    volatile uint64_t timer_ticks;
    struct cpu_tables tables; /* GDT and TSS of this CPU */
};

_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, resume_rsp) == PERCPU_RESUME_RSP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, kernel_stack_top) == PERCPU_KERNEL_STACK_TOP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, exit_work) == PERCPU_EXIT_WORK, "layout");
_Static_assert(__builtin_offsetof(struct percpu, running_ec) == PERCPU_RUNNING_EC, "layout");
_Static_assert(__builtin_offsetof(struct percpu, index) == PERCPU_INDEX, "layout");
_Static_assert(__builtin_offsetof(struct percpu, tables.tss.rsp[0]) == PERCPU_TSS_RSP0, "layout");

extern struct percpu percpu[MAX_CPUS];
extern unsigned cpus_online;

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

/* percpu.running_ec in one load (the hot paths' ec_running). */
static inline void *percpu_running_ec(void)
{
    void *ec;
    __asm__("mov %%gs:%c1, %0" : "=r"(ec) : "i"(__builtin_offsetof(struct percpu, running_ec)));
    return ec;
}

/* The user context running on this CPU: its frame ends at TSS.RSP0. */
static inline struct trap_frame *user_frame_current(void)
{
    return (struct trap_frame *)this_cpu()->tables.tss.rsp[0] - 1;
}

/* Make p the current CPU's per-CPU area (sets the GS base). */
void percpu_install(struct percpu *p, uint32_t index, uint32_t apic_id);
#endif
