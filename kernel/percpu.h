/* Per-CPU data, reached through the GS base. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "gdt.h"

#define MAX_CPUS 64
#define KERNEL_STACK_SIZE (16 * 1024)
#define IST_STACK_SIZE (8 * 1024)

struct percpu {
    struct percpu *self; /* must stay first: this_cpu() reads %gs:0 */
    uint32_t index;      /* 0 = bootstrap processor */
    uint32_t apic_id;
    volatile bool online;
    volatile uint64_t timer_ticks;
    struct cpu_tables tables; /* GDT and TSS of this CPU */
};

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
