/* SPDX-License-Identifier: GPL-2.0-only */
/* IOAPIC model: 24 pins at 0xfec00000 (IOREGSEL at +0x00, IOWIN at
 * +0x10), version 0x11 (no EOI register: LAPICs broadcast EOIs).
 *
 * Redirection entries: vector, delivery mode (fixed, lowest priority,
 * NMI, INIT), physical/logical destination (8 bits), polarity, trigger,
 * mask; edge pins send a message on each rising edge, level pins while
 * asserted with remote IRR set until the LAPIC's EOI (ioapic_eoi).
 *
 * Pin levels are logical: ioapic_set_irq(gsi, true) means the device
 * asserts its interrupt, whatever polarity the guest programmed (the
 * VMM's MADT and the devices agree on that, so the polarity bit is
 * stored and read back, not applied).
 *
 * The VMM (platform.c) wires deliver to lapic_deliver(), the LAPICs'
 * EOIs (vmm_irq_eoi) to ioapic_eoi() and vmm_irq_set() to
 * ioapic_set_irq(). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "apic_msg.h"
#include "acpi.h" /* VMM_IOAPIC_BASE */

#define IOAPIC_MMIO_SIZE 0x1000u
#define IOAPIC_PINS 24u

struct ioapic {
    uint32_t id;
    uint32_t regsel;
    uint64_t redir[IOAPIC_PINS];
    bool asserted[IOAPIC_PINS];
    void (*deliver)(const struct apic_msg *m); /* one message to the LAPICs (lapic_deliver) */
};

/* All pins masked and deasserted; id is the IOAPIC ID the MADT names. */
void ioapic_init(struct ioapic *io, uint8_t id, void (*deliver)(const struct apic_msg *m));

/* vmm_bus callbacks for [VMM_IOAPIC_BASE, +IOAPIC_MMIO_SIZE). */
uint64_t ioapic_mmio_read(void *dev, uint64_t offset, unsigned size);
void ioapic_mmio_write(void *dev, uint64_t offset, unsigned size, uint64_t value);

/* A device asserts (true) or deasserts its interrupt line; pins past
 * IOAPIC_PINS are ignored. */
void ioapic_set_irq(struct ioapic *io, unsigned gsi, bool asserted);
/* A LAPIC's EOI of a level-triggered vector. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);
