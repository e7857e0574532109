/* SPDX-License-Identifier: GPL-2.0-only */
#include "tests/kernel/x86_64/fault_probe.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"

#define VEC_GENERAL_PROTECTION 13
#define VEC_PAGE_FAULT 14

/* Where a caught fault resumes; set by each probe before its access. */
static uint64_t resume_rip;
static struct fault_report report;

static void catch_fault(struct trap_frame *f)
{
    report.faulted = true;
    report.vector = f->vector;
    report.error_code = f->error_code;
    report.cr2 = f->vector == VEC_PAGE_FAULT ? read_cr2() : 0;
    f->rip = resume_rip;
}

static void arm(void)
{
    report = (struct fault_report){0};
    irq_register(VEC_PAGE_FAULT, catch_fault);
    irq_register(VEC_GENERAL_PROTECTION, catch_fault);
}

static void disarm(void)
{
    irq_register(VEC_PAGE_FAULT, 0);
    irq_register(VEC_GENERAL_PROTECTION, 0);
}

struct fault_report probe_write(volatile void *addr)
{
    arm();
    __asm__ volatile("leaq 1f(%%rip), %%rax\n\t"
                     "movq %%rax, %0\n\t"
                     "movb $0x5a, (%1)\n"
                     "1:"
                     : "=m"(resume_rip)
                     : "r"(addr)
                     : "rax", "memory");
    disarm();
    return report;
}

/* The target must hold a `jmp` back through %rcx (ff e1) or fault. */
struct fault_report probe_execute(const void *addr)
{
    arm();
    __asm__ volatile("leaq 1f(%%rip), %%rcx\n\t"
                     "movq %%rcx, %0\n\t"
                     "jmp *%1\n"
                     "1:"
                     : "=m"(resume_rip)
                     : "r"(addr)
                     : "rcx", "memory");
    disarm();
    return report;
}
