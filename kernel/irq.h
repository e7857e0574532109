/* Interrupt lines as capabilities: an IOAPIC line (GSI) bound to a
 * semaphore is signalled on every interrupt; a level-triggered line stays
 * masked until its holder acknowledges it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "kobj.h"
#include "sm.h"

/* GSIs that have a vector of their own (VEC_IOAPIC_BASE up to the timer). */
#define IRQ_MAX_GSI 0xc0

struct irq_line {
    struct kobj obj;    /* static: never freed */
    uint32_t gsi;
    bool level;
    struct sm *sm;      /* bound semaphore, NULL when unbound */
    volatile bool pending;
};

/* The line object for gsi, or NULL when no IOAPIC has it. */
struct irq_line *irq_line(uint32_t gsi);
/* DJ_SYS_IRQ_CTRL operations; status codes of abi.h. */
int irq_bind(struct irq_line *l, struct sm *sm, uint64_t flags);
int irq_ack(struct irq_line *l);
int irq_unbind(struct irq_line *l);
/* Signal the semaphores of lines that fired; called under the kernel lock. */
void irq_deliver_pending(void);
bool irq_work_pending(void);
