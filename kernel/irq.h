/* SPDX-License-Identifier: GPL-2.0-only */
/* Interrupts as capabilities: an IOAPIC line (GSI) or an MSI vector bound
 * to a semaphore signals it on every interrupt, on the CPU that bound it;
 * a level-triggered line stays masked until its holder acknowledges it.
 * MSIs are edge-triggered messages the device writes: binding one tells
 * the driver what address and data to program into its device. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/idt.h"
#include "kernel/kobj.h"
#include "kernel/sm.h"
#include "kernel/mdb.h"

/* GSIs that have a vector of their own (VEC_IOAPIC_BASE upward), then
 * the MSI vectors up to the timer's. */
#define IRQ_MAX_GSI 0x80
#define VEC_MSI_BASE (VEC_IOAPIC_BASE + IRQ_MAX_GSI)

struct irq_line {
    struct kobj obj;    /* static: never freed */
    uint32_t gsi;       /* IOAPIC lines */
    bool msi;
    uint8_t vector;
    bool level;
    struct sm *sm;      /* bound semaphore, NULL when unbound */
    const struct mdb_node *bound_by; /* the capability that bound it: revoking it unbinds */
    volatile bool pending;
};

/* The line object for gsi, or NULL when no IOAPIC has it. */
struct irq_line *irq_line(uint32_t gsi);
/* The MSI object n (< DJ_MSI_COUNT). */
struct irq_line *irq_msi(unsigned n);
/* DJ_SYS_IRQ_CTRL operations; status codes of abi.h. `by` is the mapping
 * database node of the capability used to bind. Binding an MSI fills
 * *msi_addr and *msi_data; with interrupt remapping, sid >= 0 lets only
 * that requester id raise it. */
int irq_bind(struct irq_line *l, const struct mdb_node *by, struct sm *sm, uint64_t flags, int sid,
             uint64_t *msi_addr, uint64_t *msi_data);
int irq_ack(struct irq_line *l);
int irq_unbind(struct irq_line *l);
/* The capability node n to line l is being removed (revocation, or its
 * PD's destruction): if it bound the line, the line is unbound, so the
 * line's rightful holder can bind it again. Caller holds the mdb lock. */
void irq_cap_removed(struct irq_line *l, const struct mdb_node *n);
/* Signal the semaphores of lines that fired; called under the kernel lock. */
void irq_deliver_pending(void);
bool irq_work_pending(void);
