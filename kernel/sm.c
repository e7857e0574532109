/* SPDX-License-Identifier: GPL-2.0-only */
/* Counting semaphores. All operations run under the big kernel lock, so
 * an up on one CPU may wake an EC blocked on another: sched_wake queues
 * the waiter's SC on its own CPU and kicks that CPU with an IPI. */
#include "kernel/sm.h"
#include "kernel/assert.h"
#include "kernel/irq.h"
#include "kernel/sched.h"
#include "kernel/timeout.h"

struct sm *sm_create(struct quota *q, uint64_t count)
{
    struct sm *sm = kobj_alloc(q, DJ_OBJ_SM);
    if (sm)
        sm->count = count;
    return sm;
}

static struct ec *pop_waiter(struct sm *sm)
{
    struct ec *w = sm->waiters;
    sm->waiters = w->next_waiter;
    if (!sm->waiters)
        sm->last_waiter = 0;
    w->next_waiter = 0;
    w->blocked_on = 0;
    timeout_disarm(w);
    return w;
}

/* Killed ECs may still be queued here; an up must not be lost on them.
 * Each pass removes one waiter, so the loop ends with the queue. */
void sm_up(struct sm *sm)
{
    while (sm->waiters) {
        struct ec *w = pop_waiter(sm);
        if (w->state != EC_WAIT_SM || w->obj.dead)
            continue;
        w->frame.rax = DJ_OK;
        sched_wake(w);
        return;
    }
    sm->count++;
}

bool sm_down(struct sm *sm, struct ec *ec)
{
    if (sm->count) {
        sm->count--;
        return true;
    }
    ec->state = EC_WAIT_SM;
    ec->blocked_sc = sched_current_sc();
    ec->blocked_on = sm;
    ec->next_waiter = 0;
    if (sm->last_waiter)
        sm->last_waiter->next_waiter = ec;
    else
        sm->waiters = ec;
    sm->last_waiter = ec;
    if (ec->blocked_sc)
        sched_remove(ec->blocked_sc);
    return false;
}

void sm_remove_waiter(struct sm *sm, struct ec *ec)
{
    struct ec *prev = 0, *w = sm->waiters;
    while (w && w != ec) {
        prev = w;
        w = w->next_waiter;
    }
    if (!w)
        return;
    if (prev)
        prev->next_waiter = ec->next_waiter;
    else
        sm->waiters = ec->next_waiter;
    if (sm->last_waiter == ec)
        sm->last_waiter = prev;
    ec->next_waiter = 0;
    ec->blocked_on = 0;
    timeout_disarm(ec);
}

/* Under the big kernel lock, an up and the expiry cannot overlap: the
 * first takes the EC out of the queue, so the count goes to it (DJ_OK) or,
 * after its expiry, stays on the semaphore. */
int sm_down_timed(struct sm *sm, struct ec *ec, uint64_t us)
{
    if (!sm->count && !us)
        return DJ_E_TIMEOUT;
    uint64_t deadline = timeout_deadline(us);
    if (sm_down(sm, ec))
        return DJ_OK;
    timeout_arm(ec, deadline);
    return SM_BLOCKED;
}

void sm_wait_expired(struct ec *ec)
{
    ASSERT(ec->blocked_on);
    timeout_disarm(ec);
    if (ec->blocked_on)
        sm_remove_waiter(ec->blocked_on, ec);
    ec->frame.rax = DJ_E_TIMEOUT;
    sched_wake(ec);
}

static void abort_waiters(struct sm *sm)
{
    while (sm->waiters) {
        struct ec *w = pop_waiter(sm);
        w->frame.rax = DJ_E_ABORTED;
        sched_wake(w);
    }
}

/* Interrupts bound to sm: a restarted driver must be able to bind them again. */
static void unbind_interrupts(struct sm *sm)
{
    for (uint32_t gsi = 0; gsi < IRQ_MAX_GSI; gsi++) {
        struct irq_line *l = irq_line(gsi);
        if (l && l->sm == sm)
            irq_unbind(l);
    }
    for (unsigned n = 0; n < DJ_MSI_COUNT; n++) {
        struct irq_line *l = irq_msi(n);
        if (l && l->sm == sm)
            irq_unbind(l);
    }
}

void sm_kill(struct sm *sm)
{
    sm->obj.dead = true;
    abort_waiters(sm);
    unbind_interrupts(sm);
}

void sm_release(struct sm *sm)
{
    abort_waiters(sm);
}
