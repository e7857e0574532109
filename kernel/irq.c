#include "irq.h"
#include "apic.h"
#include "idt.h"
#include "percpu.h"

#define IRQ_FLAG_LEVEL DJ_IRQ_LEVEL
#define IRQ_FLAG_ACTIVE_LOW DJ_IRQ_ACTIVE_LOW
#define IRQ_FLAGS_KNOWN (IRQ_FLAG_LEVEL | IRQ_FLAG_ACTIVE_LOW)

static struct irq_line lines[IRQ_MAX_GSI];
static volatile bool any_pending;

struct irq_line *irq_line(uint32_t gsi)
{
    if (gsi >= IRQ_MAX_GSI || !ioapic_has_gsi(gsi))
        return 0;
    struct irq_line *l = &lines[gsi];
    if (!l->obj.type) {
        l->obj = (struct kobj){.type = DJ_OBJ_IRQ, .refs = 1};
        l->gsi = gsi;
    }
    return l;
}

/* Interrupt context: no kernel lock here, so only flag the line and let
 * irq_deliver_pending (under the lock) signal its semaphore. */
static void irq_interrupt(struct trap_frame *f)
{
    struct irq_line *l = &lines[f->vector - VEC_IOAPIC_BASE];
    if (l->level)
        ioapic_set_masked(l->gsi, true); /* until the driver acknowledges */
    l->pending = true;
    any_pending = true;
    this_cpu()->exit_work = 1;
    lapic_eoi();
}

int irq_bind(struct irq_line *l, struct sm *sm, uint64_t flags)
{
    if (flags & ~(uint64_t)IRQ_FLAGS_KNOWN)
        return DJ_E_BAD_PARAM;
    if (l->sm)
        return DJ_E_BUSY;
    l->level = flags & IRQ_FLAG_LEVEL;
    uint8_t vector = (uint8_t)(VEC_IOAPIC_BASE + l->gsi);
    /* Delivered to the CPU that binds it: where its driver runs. */
    if (ioapic_route(l->gsi, vector, this_cpu()->apic_id, l->level, flags & IRQ_FLAG_ACTIVE_LOW) < 0)
        return DJ_E_BAD_PARAM;
    kobj_get(&sm->obj);
    l->sm = sm;
    l->pending = false;
    irq_register(vector, irq_interrupt);
    ioapic_set_masked(l->gsi, false);
    return DJ_OK;
}

int irq_ack(struct irq_line *l)
{
    if (!l->sm)
        return DJ_E_BAD_PARAM;
    ioapic_set_masked(l->gsi, false);
    return DJ_OK;
}

int irq_unbind(struct irq_line *l)
{
    if (!l->sm)
        return DJ_E_BAD_PARAM;
    ioapic_set_masked(l->gsi, true);
    struct sm *sm = l->sm;
    l->sm = 0;
    l->pending = false;
    kobj_put(&sm->obj);
    return DJ_OK;
}

bool irq_work_pending(void)
{
    return any_pending;
}

void irq_deliver_pending(void)
{
    if (!any_pending)
        return;
    any_pending = false;
    for (unsigned gsi = 0; gsi < IRQ_MAX_GSI; gsi++) {
        struct irq_line *l = &lines[gsi];
        if (l->pending) {
            l->pending = false;
            if (l->sm && !l->sm->obj.dead)
                sm_up(l->sm);
        }
    }
}
