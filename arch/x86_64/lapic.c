/* SPDX-License-Identifier: GPL-2.0-only */
/* Local APIC: x2APIC through MSRs when the CPU has it, xAPIC through an
 * uncached MMIO window otherwise. Also masks the legacy 8259 PICs, which
 * the kernel never uses. */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "kernel/panic.h"

/* Register offsets (xAPIC MMIO); the x2APIC MSR is 0x800 + offset / 16. */
#define LAPIC_ID 0x020
#define LAPIC_VERSION 0x030
#define LAPIC_TPR 0x080
#define LAPIC_EOI 0x0b0
#define LAPIC_LDR 0x0d0
#define LAPIC_DFR 0x0e0
#define LAPIC_SVR 0x0f0
#define LAPIC_ESR 0x280
#define LAPIC_ICR_LOW 0x300
#define LAPIC_ICR_HIGH 0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_THERMAL 0x330
#define LAPIC_LVT_PERF 0x340
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define X2APIC_MSR_BASE 0x800
#define X2APIC_MSR_ICR 0x830

#define APIC_BASE_BSP (1ull << 8)
#define APIC_BASE_X2APIC (1ull << 10)
#define APIC_BASE_ENABLE (1ull << 11)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull

#define SVR_ENABLE (1u << 8)
#define LVT_MASKED (1u << 16)
#define LVT_DM_NMI (4u << 8)
#define VERSION_MAX_LVT(v) (((v) >> 16) & 0xff)
#define MAX_LVT_THERMAL 5
#define MAX_LVT_PERF 4

/* Interrupt command register. */
#define ICR_DM_FIXED (0u << 8)
#define ICR_DM_NMI (4u << 8)
#define ICR_DM_INIT (5u << 8)
#define ICR_DM_STARTUP (6u << 8)
#define ICR_BUSY (1u << 12)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_ALL_BUT_SELF (3u << 18)
#define ICR_WAIT_LOOPS 1000000

/* 8259 PICs. */
#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define PIC_ICW1_INIT_ICW4 0x11
#define PIC1_VECTOR_BASE 0x20
#define PIC2_VECTOR_BASE 0x28
#define PIC_ICW4_8086 0x01
#define PIC_MASK_ALL 0xff

/* LAPIC register access, shared with timer.c (declared there too). */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);

static bool x2apic;
static volatile uint32_t *mmio; /* xAPIC window; NULL until mapped */

uint32_t lapic_read(uint32_t reg)
{
    if (x2apic)
        return (uint32_t)rdmsr(X2APIC_MSR_BASE + (reg >> 4));
    return mmio[reg / 4];
}

void lapic_write(uint32_t reg, uint32_t v)
{
    if (x2apic)
        wrmsr(X2APIC_MSR_BASE + (reg >> 4), v);
    else
        mmio[reg / 4] = v;
}

static bool lapic_ready(void)
{
    return x2apic || mmio;
}

bool lapic_is_x2apic(void)
{
    return x2apic;
}

uint32_t lapic_id(void)
{
    if (!lapic_ready())
        return cpuid(1, 0).ebx >> 24;
    if (x2apic)
        return (uint32_t)rdmsr(X2APIC_MSR_BASE + (LAPIC_ID >> 4));
    return lapic_read(LAPIC_ID) >> 24;
}

void lapic_eoi(void)
{
    if (lapic_ready())
        lapic_write(LAPIC_EOI, 0);
}

/* Remap the PICs away from the exception vectors, then mask every line:
 * a spurious IRQ 7/15 then arrives at 0x27/0x2f, never as an exception. */
static void pic_disable(void)
{
    outb(PIC1_CMD, PIC_ICW1_INIT_ICW4);
    io_delay();
    outb(PIC2_CMD, PIC_ICW1_INIT_ICW4);
    io_delay();
    outb(PIC1_DATA, PIC1_VECTOR_BASE);
    io_delay();
    outb(PIC2_DATA, PIC2_VECTOR_BASE);
    io_delay();
    outb(PIC1_DATA, 4); /* slave on IRQ 2 */
    io_delay();
    outb(PIC2_DATA, 2);
    io_delay();
    outb(PIC1_DATA, PIC_ICW4_8086);
    io_delay();
    outb(PIC2_DATA, PIC_ICW4_8086);
    io_delay();
    outb(PIC1_DATA, PIC_MASK_ALL);
    outb(PIC2_DATA, PIC_MASK_ALL);
}

/* Enable the APIC in IA32_APIC_BASE (and x2APIC mode when chosen). The
 * architecture forbids going from disabled straight to x2APIC, so enable
 * xAPIC mode first. */
static void enable_in_msr(void)
{
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (!(base & APIC_BASE_ENABLE)) {
        base |= APIC_BASE_ENABLE;
        wrmsr(MSR_APIC_BASE, base);
    }
    if (x2apic && !(base & APIC_BASE_X2APIC))
        wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
}

/* Per-CPU register set-up, the same on every CPU except LINT1. */
static void setup_this_cpu(bool bsp)
{
    enable_in_msr();
    if (!x2apic) {
        lapic_write(LAPIC_DFR, 0xffffffffu); /* flat model; we use physical destinations */
        lapic_write(LAPIC_LDR, 0);
    }
    uint32_t max_lvt = VERSION_MAX_LVT(lapic_read(LAPIC_VERSION));
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    if (max_lvt >= MAX_LVT_THERMAL)
        lapic_write(LAPIC_LVT_THERMAL, LVT_MASKED);
    if (max_lvt >= MAX_LVT_PERF)
        lapic_write(LAPIC_LVT_PERF, LVT_MASKED);
    /* LINT0 would carry the 8259 (ExtINT): masked everywhere. LINT1 is
     * wired to NMI on PCs; only the BSP listens to it. */
    lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_write(LAPIC_LVT_LINT1, bsp ? LVT_DM_NMI : LVT_MASKED);
    lapic_write(LAPIC_LVT_ERROR, LVT_MASKED);
    lapic_write(LAPIC_ESR, 0);
    (void)lapic_read(LAPIC_ESR);
    lapic_write(LAPIC_TPR, 0);
    lapic_write(LAPIC_SVR, SVR_ENABLE | VEC_SPURIOUS);
    lapic_write(LAPIC_EOI, 0);
}

void lapic_init_bsp(void)
{
    pic_disable();
    if (!(cpuid(1, 0).edx & CPUID1_EDX_APIC))
        panic("lapic: this CPU has no local APIC");
    x2apic = cpu_features.x2apic;
    uint64_t base = rdmsr(MSR_APIC_BASE);
    if (!x2apic && (base & APIC_BASE_X2APIC) && (base & APIC_BASE_ENABLE))
        x2apic = true; /* firmware left x2APIC on; leaving it needs a full disable */
    if (!x2apic) {
        uint64_t phys = (base & APIC_BASE_ENABLE) ? (base & APIC_BASE_ADDR_MASK) : acpi.lapic_addr;
        if (!phys)
            phys = acpi.lapic_addr;
        if (acpi.have_madt && phys != acpi.lapic_addr)
            kprintf("lapic: note: MADT says %#llx, IA32_APIC_BASE says %#llx; using the latter\n",
                    (unsigned long long)acpi.lapic_addr, (unsigned long long)phys);
        if (!(base & APIC_BASE_ENABLE))
            wrmsr(MSR_APIC_BASE, (base & ~APIC_BASE_ADDR_MASK) | (phys & APIC_BASE_ADDR_MASK));
        mmio = ioremap(phys, PAGE_SIZE, CACHE_UC);
        if (!mmio)
            panic("lapic: cannot map the local APIC at %#llx", (unsigned long long)phys);
    }
    setup_this_cpu(true);
    uint32_t version = lapic_read(LAPIC_VERSION);
    kprintf("lapic: %s mode, id %u, version %#x, %u LVT entries\n", x2apic ? "x2APIC" : "xAPIC", lapic_id(),
            version & 0xff, VERSION_MAX_LVT(version) + 1);
}

void lapic_init_ap(void)
{
    setup_this_cpu(false);
}

static bool xapic_wait_idle(void)
{
    for (int i = 0; i < ICR_WAIT_LOOPS; i++) {
        if (!(lapic_read(LAPIC_ICR_LOW) & ICR_BUSY))
            return true;
        cpu_relax();
    }
    return false;
}

static void send_icr(uint32_t dest, uint32_t low)
{
    if (!lapic_ready())
        return;
    uint64_t flags = read_rflags();
    irq_disable();
    if (x2apic) {
        /* x2APIC MSR writes are not serializing: order earlier stores
         * (boot parameters, messages) before the IPI. */
        __asm__ volatile("mfence" ::: "memory");
        wrmsr(X2APIC_MSR_ICR, ((uint64_t)dest << 32) | low);
    } else {
        xapic_wait_idle();
        lapic_write(LAPIC_ICR_HIGH, dest << 24);
        lapic_write(LAPIC_ICR_LOW, low);
        xapic_wait_idle();
    }
    if (flags & (1u << 9))
        irq_enable();
}

void lapic_send_ipi(uint32_t apic_id, uint8_t vector)
{
    send_icr(apic_id, ICR_DM_FIXED | ICR_ASSERT | vector);
}

void lapic_send_init(uint32_t apic_id)
{
    send_icr(apic_id, ICR_DM_INIT | ICR_LEVEL | ICR_ASSERT);
    send_icr(apic_id, ICR_DM_INIT | ICR_LEVEL); /* de-assert, for old APICs */
}

void lapic_send_startup(uint32_t apic_id, uint8_t page)
{
    send_icr(apic_id, ICR_DM_STARTUP | ICR_ASSERT | page);
}

void lapic_send_nmi_all_but_self(void)
{
    send_icr(0, ICR_DM_NMI | ICR_ASSERT | ICR_ALL_BUT_SELF);
}
