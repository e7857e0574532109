/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdbool.h>
#include "arch/x86_64/idt.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/gdt.h"
#include "kernel/panic.h"

#define IDT_INTERRUPT_GATE 0x8e /* present, DPL 0, 64-bit interrupt gate */
#define VEC_NMI 2
#define VEC_DOUBLE_FAULT 8
#define VEC_MACHINE_CHECK 18
#define NUM_EXCEPTIONS 32

struct idt_entry {
    uint16_t offset_low;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_high;
    uint32_t reserved;
} __attribute__((packed));

struct idt_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

extern const uint64_t trap_stub_table[NUM_VECTORS];
static struct idt_entry idt[NUM_VECTORS] __attribute__((aligned(16)));
static irq_handler_fn handlers[NUM_VECTORS];

static uint8_t ist_for_vector(unsigned v)
{
    switch (v) {
    case VEC_NMI: return IST_NMI;
    case VEC_DOUBLE_FAULT: return IST_DOUBLE_FAULT;
    case VEC_MACHINE_CHECK: return IST_MACHINE_CHECK;
    default: return 0;
    }
}

void idt_init(void)
{
    for (unsigned v = 0; v < NUM_VECTORS; v++) {
        uint64_t a = trap_stub_table[v];
        idt[v] = (struct idt_entry){
            .offset_low = a & 0xffff,
            .selector = GDT_KERNEL_CS,
            .ist = ist_for_vector(v),
            .type_attr = IDT_INTERRUPT_GATE,
            .offset_mid = (a >> 16) & 0xffff,
            .offset_high = a >> 32,
        };
    }
}

void idt_load(void)
{
    struct idt_pointer p = {sizeof(idt) - 1, (uint64_t)idt};
    __asm__ volatile("lidt %0" ::"m"(p));
}

void irq_register(uint8_t vector, irq_handler_fn fn)
{
    handlers[vector] = fn;
}

extern char user_copy_fault_start[], user_copy_fault_end[], user_copy_fixup[];
#define VEC_PAGE_FAULT 14

/* A page fault inside user_copy_in is the user's bad pointer, not a bug. */
static bool fixup_user_copy(struct trap_frame *f)
{
    if (f->vector != VEC_PAGE_FAULT || f->rip < (uint64_t)user_copy_fault_start ||
        f->rip > (uint64_t)user_copy_fault_end)
        return false;
    f->rip = (uint64_t)user_copy_fixup;
    return true;
}

void trap_dispatch(struct trap_frame *f)
{
    unsigned v = (unsigned)f->vector;
    if (fixup_user_copy(f))
        return;
    if (v < NUM_EXCEPTIONS && !handlers[v])
        panic_trap(f); /* an unexpected exception in ring 0 is a kernel bug */
    if (v == VEC_SPURIOUS)
        return; /* spurious interrupts take no EOI */
    if (handlers[v]) {
        handlers[v](f);
        return;
    }
    /* An interrupt nobody asked for: acknowledge so the APIC is not stuck. */
    lapic_eoi();
}
