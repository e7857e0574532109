/* Per-CPU data, reached through the GS base. */
#pragma once
#ifndef __ASSEMBLY__
#include <stdbool.h>
#include <stdint.h>
#include "gdt.h"
#endif

#define MAX_CPUS 64
#define KERNEL_STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE (8 * 1024)

/* Offsets the entry code uses (checked against the struct below). */
#define PERCPU_ENTRY_STACK_TOP 8
#define PERCPU_USER_RSP 16
#define PERCPU_RESUME_RSP 24

#ifndef __ASSEMBLY__
struct percpu {
    struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
    uint64_t entry_stack_top; /* kernel stack for syscalls and traps from ring 3 */
    uint64_t user_rsp;        /* user stack pointer while in a syscall */
    uint64_t resume_rsp;      /* kernel context to return to when user code ends */
    uint32_t index;      /* 0 = bootstrap processor */
    uint32_t apic_id;
    volatile bool online;
    volatile uint64_t timer_ticks;
    struct cpu_tables tables; /* GDT and TSS of this CPU */
};

_Static_assert(__builtin_offsetof(struct percpu, entry_stack_top) == PERCPU_ENTRY_STACK_TOP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, user_rsp) == PERCPU_USER_RSP, "layout");
_Static_assert(__builtin_offsetof(struct percpu, resume_rsp) == PERCPU_RESUME_RSP, "layout");

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
