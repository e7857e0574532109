/* SPDX-License-Identifier: GPL-2.0-only */
#include "kernel/irq.h"
#include "kernel/dma_space.h"
#include "arch/x86_64/vtd.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/percpu.h"

#define IRQ_FLAGS_KNOWN (DJ_IRQ_LEVEL | DJ_IRQ_ACTIVE_LOW)

_Static_assert(VEC_MSI_BASE + DJ_MSI_COUNT <= VEC_TIMER, "MSI vectors must end below the timer's");

static struct irq_line lines[IRQ_MAX_GSI];
static struct irq_line msis[DJ_MSI_COUNT];
static volatile bool any_pending;

struct irq_line *irq_line(uint32_t gsi)
{
    if (gsi >= IRQ_MAX_GSI || !ioapic_has_gsi(gsi))
        return 0;
    struct irq_line *l = &lines[gsi];
    if (!l->obj.type) {
        l->obj = (struct kobj){.type = DJ_OBJ_IRQ, .refs = 1};
        l->gsi = gsi;
        l->vector = (uint8_t)(VEC_IOAPIC_BASE + gsi);
    }
    return l;
}

struct irq_line *irq_msi(unsigned n)
{
    if (n >= DJ_MSI_COUNT)
        return 0;
    struct irq_line *l = &msis[n];
    if (!l->obj.type) {
        l->obj = (struct kobj){.type = DJ_OBJ_IRQ, .refs = 1};
        l->msi = true;
        l->vector = (uint8_t)(VEC_MSI_BASE + n);
    }
    return l;
}

/* Interrupt context: no kernel lock here, so only flag the line and let
 * irq_deliver_pending (under the lock) signal its semaphore. */
static void irq_interrupt(struct trap_frame *f)
{
    struct irq_line *l = f->vector >= VEC_MSI_BASE ? &msis[f->vector - VEC_MSI_BASE]
                                                   : &lines[f->vector - VEC_IOAPIC_BASE];
    if (l->level)
        ioapic_set_masked(l->gsi, true); /* until the driver acknowledges */
    l->pending = true;
    any_pending = true;
    this_cpu()->exit_work = 1;
    lapic_eoi();
}

static void attach(struct irq_line *l, const struct mdb_node *by, struct sm *sm)
{
    kobj_get(&sm->obj);
    l->sm = sm;
    l->bound_by = by;
    l->pending = false;
    irq_register(l->vector, irq_interrupt);
}

/* Delivered to the CPU that binds it: where its driver runs. */
static int bind_msi(struct irq_line *l, const struct mdb_node *by, struct sm *sm, uint64_t flags, int sid,
                    uint64_t *addr, uint64_t *data)
{
    uint32_t apic_id = this_cpu()->apic_id;
    if (flags)
        return DJ_E_BAD_PARAM; /* MSIs are edge-triggered messages: nothing to choose */
    if (apic_id > MSI_MAX_DEST_ID && !vtd_ir_active())
        return DJ_E_BAD_CPU;
    attach(l, by, sm);
    if (vtd_ir_active()) { /* [vtd] a remapping entry: only this vector, only from sid if given */
        vtd_ir_msi(VTD_IRTE_MSI((unsigned)(l - msis)), l->vector, apic_id, sid, addr, data);
        return DJ_OK;
    }
    *addr = msi_address(apic_id);
    *data = l->vector;
    return DJ_OK;
}

int irq_bind(struct irq_line *l, const struct mdb_node *by, struct sm *sm, uint64_t flags, int sid,
             uint64_t *msi_addr, uint64_t *msi_data)
{
    if (l->sm)
        return DJ_E_BUSY;
    if (l->msi)
        return bind_msi(l, by, sm, flags, sid, msi_addr, msi_data);
    if (flags & ~(uint64_t)IRQ_FLAGS_KNOWN)
        return DJ_E_BAD_PARAM;
    l->level = flags & DJ_IRQ_LEVEL;
    if (ioapic_route(l->gsi, l->vector, this_cpu()->apic_id, l->level, flags & DJ_IRQ_ACTIVE_LOW) < 0)
        return DJ_E_BAD_PARAM;
    attach(l, by, sm);
    ioapic_set_masked(l->gsi, false);
    return DJ_OK;
}

int irq_ack(struct irq_line *l)
{
    if (!l->sm)
        return DJ_E_BAD_PARAM;
    if (!l->msi) /* an MSI is never masked by the kernel */
        ioapic_set_masked(l->gsi, false);
    return DJ_OK;
}

int irq_unbind(struct irq_line *l)
{
    if (!l->sm)
        return DJ_E_BAD_PARAM;
    if (!l->msi)
        ioapic_set_masked(l->gsi, true);
    else
        vtd_ir_clear(VTD_IRTE_MSI((unsigned)(l - msis))); /* [vtd] the device can no longer raise it */
    struct sm *sm = l->sm;
    l->sm = 0;
    l->bound_by = 0;
    l->pending = false;
    kobj_put(&sm->obj);
    return DJ_OK;
}

void irq_cap_removed(struct irq_line *l, const struct mdb_node *n)
{
    if (l->sm && l->bound_by == n)
        irq_unbind(l);
}

bool irq_work_pending(void)
{
    return any_pending || dma_fault_pending(); /* [vtd] DMA faults wait for delivery too */
}

static void deliver(struct irq_line *l)
{
    if (l->pending) {
        l->pending = false;
        if (l->sm && !l->sm->obj.dead)
            sm_up(l->sm);
    }
}

void irq_deliver_pending(void)
{
    dma_fault_deliver(); /* [vtd] */
    if (!any_pending)
        return;
    any_pending = false;
    for (unsigned gsi = 0; gsi < IRQ_MAX_GSI; gsi++)
        deliver(&lines[gsi]);
    for (unsigned n = 0; n < DJ_MSI_COUNT; n++)
        deliver(&msis[n]);
}
