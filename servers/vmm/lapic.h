/* SPDX-License-Identifier: GPL-2.0-only */
/* Local APIC model, one per vCPU, in x2APIC mode only: the x2APIC MSRs
 * (0x800-0x8ff), IA32_APIC_BASE, the timer (one-shot, periodic,
 * TSC-deadline), IPIs, EOI and interrupt priority. Every LAPIC starts
 * enabled in x2APIC mode (as firmware may leave it; CPUID offers x2APIC),
 * which Linux keeps. xAPIC mode (the MMIO page) is not modelled: a write
 * of IA32_APIC_BASE that selects it raises #GP, and a LAPIC the guest
 * disables stays disabled (the way back to x2APIC leads through xAPIC).
 *
 * How the VMM uses it:
 *  - lapic_set_init() at power-on and on VM reset: vCPU 0 is the BSP,
 *    APIC ID = vCPU index.
 *  - MSR exits for lapic_handles_msr() go to lapic_msr_read/write (false
 *    means: inject #GP).
 *  - Before entering the guest: nmi_pending (cleared when injected), then
 *    lapic_pending_vector(); when the guest can take it, inject it and
 *    call lapic_accept().
 *  - Timers: the deadline field is the TSC at which the vCPU's timer
 *    fires; at or after it, call lapic_timer_tick(). A guest write that
 *    moves the deadline kicks the vCPU (vmm_vcpu_kick) so its handler
 *    re-arms its timer.
 *  - The LAPIC reaches the VMM through the services of vmm.h: the guest
 *    TSC, kicks, INIT and SIPI, and EOIs of level-triggered interrupts
 *    (vmm_irq_eoi).
 *
 * APIC timer clock: one timer tick ("bus clock") is LAPIC_TSC_PER_TICK
 * TSC cycles, exactly. The VMM reports it consistently in CPUID:
 *   leaf 0x15: EAX = 1, EBX = LAPIC_TSC_PER_TICK, ECX = tsc_hz / LAPIC_TSC_PER_TICK
 *              (crystal = APIC bus clock; TSC = ECX * EBX / EAX; Linux
 *              takes its APIC timer period from ECX)
 *   leaf 0x16: EAX = tsc_hz / 1e6 (base MHz), EBX = same (max MHz),
 *              ECX = tsc_hz / LAPIC_TSC_PER_TICK / 1e6 (bus MHz)
 * The version register reports 6 LVT entries (no CMCI) and no directed
 * EOI, so every level-triggered EOI is broadcast to the IOAPIC. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "apic_msg.h"
#include "acpi.h" /* VMM_LAPIC_BASE */

#define LAPIC_TSC_PER_TICK 16u
#define LAPIC_NO_DEADLINE UINT64_MAX
/* Shortest period of a periodic timer after its first expiry (about
 * 20-60 us at common TSC rates): shorter ones only make exits. */
#define LAPIC_MIN_PERIOD_TSC 65536u

#define MSR_IA32_APIC_BASE 0x1bu
#define MSR_IA32_TSC_DEADLINE 0x6e0u
#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST 0x8ffu

struct lapic_set;

struct lapic {
    struct lapic_set *set;
    unsigned index;      /* vCPU index, also the APIC ID */
    uint64_t apic_base;  /* IA32_APIC_BASE */
    uint32_t tpr, svr;
    uint64_t icr;
    uint32_t lvt[6];     /* timer, thermal, perf, LINT0, LINT1, error */
    uint32_t irr[8], isr[8], tmr[8];
    bool nmi_pending;
    /* timer */
    uint32_t initial_count, divide_config;
    uint64_t deadline;      /* TSC of the next expiry or LAPIC_NO_DEADLINE (read by the VMM) */
    uint64_t tsc_deadline;  /* IA32_TSC_DEADLINE as the guest sees it */
};

struct lapic_set {
    struct lapic cpu[VMM_MAX_VCPUS];
    unsigned count;
};

/* count LAPICs (1..VMM_MAX_VCPUS: the VMM's vCPU count, checked at its
 * start), all in x2APIC mode, vCPU 0 the BSP. */
void lapic_set_init(struct lapic_set *s, unsigned count);

bool lapic_handles_msr(uint32_t msr);
/* false: the access faults (#GP). */
bool lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *value);
bool lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t value);

/* Highest vector that may be injected now (IRR above the processor
 * priority), or -1. */
int lapic_pending_vector(const struct lapic *l);
/* vec was injected: IRR -> ISR. */
void lapic_accept(struct lapic *l, uint8_t vec);
/* An NMI is pending while nmi_pending is set: the VMM clears it when it
 * injects the NMI. The timer fires at deadline (TSC, LAPIC_NO_DEADLINE:
 * never): lapic_timer_tick fires it if that is at or before now. */
void lapic_timer_tick(struct lapic *l, uint64_t now);

/* Route an interrupt message (IOAPIC, MSI, IPI) to its destinations.
 * Returns the number of LAPICs that accepted it. */
unsigned lapic_deliver(struct lapic_set *s, const struct apic_msg *m);
/* Decode an MSI (address 0xfeeXXXXX, data) and deliver it; false when
 * the address or the delivery mode is not one an MSI may use. */
bool lapic_msi(struct lapic_set *s, uint64_t address, uint32_t data);
