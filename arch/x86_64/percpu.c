/* SPDX-License-Identifier: GPL-2.0-only */
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/cpu.h"

struct percpu percpu[MAX_CPUS];
unsigned cpus_online;

void percpu_install(struct percpu *p, uint32_t index, uint32_t apic_id)
{
    p->self = p;
    p->index = index;
    p->apic_id = apic_id;
    wrmsr(MSR_GS_BASE, (uint64_t)p);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}
