/* SPDX-License-Identifier: GPL-2.0-only */
/* DJ_SYS_EC_CTRL: operations on an EC through a DJ_EC_CTRL capability.
 *
 * Kill (op 1) semantics, so that neither side of a call can hold the
 * other hostage:
 *   - a handler killed mid-call fails its client's call with DJ_E_ABORTED
 *     and the client runs again on the SC it had lent the handler;
 *   - a client killed mid-call is only marked dead at first: the handler
 *     finishes the call on the client's time, its reply is dropped, and
 *     the client dies when the reply would resume it (sched_exit_to_user),
 *     or, when the call ended otherwise and its PD is being destroyed, in
 *     that destruction (pd_reclaim.c), whether its SC runs again or not.
 *     The server thus ends the call consistently and takes the next one;
 *   - any other EC dies at once; if it runs on another CPU, that CPU is
 *     told (VEC_IPI_WAKE) and dispatches before it returns to user mode.
 * Afterwards the EC's capabilities refuse every use (DJ_E_BAD_CAP).
 * Recall (op 0): see recall() below. Unknown operations: DJ_E_BAD_PARAM. */
#include "kernel/ec_ctrl.h"
#include "kernel/sched.h"

/* True when ec called a portal whose handler is working on that call. */
static bool client_in_call(const struct ec *ec)
{
    const struct ec *h = ec->callee;
    return ec->state == EC_WAIT_REPLY && h && h->caller == ec;
}

/* The client whose call the handler h is serving, or NULL. */
static struct ec *client_of(struct ec *h)
{
    struct ec *c = h->caller;
    return c && c->callee == h && c->state == EC_WAIT_REPLY ? c : 0;
}

static uint64_t kill(struct ec *target)
{
    if (target->state == EC_DEAD)
        return DJ_OK;
    if (client_in_call(target)) {
        target->obj.dead = true;
        target->killed = true;
        return DJ_OK;
    }
    struct ec *client = client_of(target);
    /* A handler blocked mid-call holds its client's SC as blocked_sc. */
    struct sc *lent = target->blocked_sc;
    bool was_running = target->state == EC_READY;
    target->blocked_sc = 0;
    ec_kill(target);
    if (client && client->state == EC_READY && lent) {
        client->blocked_sc = lent;
        sched_wake(client);
    }
    if (was_running)
        sched_reschedule_cpu(target->cpu);
    return DJ_OK;
}

/* The target enters the kernel (an IPI if it runs elsewhere) and, on its
 * way back to user mode, calls its recall portal (event_base + 31) with
 * its state; blocked, it does so when it next runs. */
static uint64_t recall(struct ec *target)
{
    if (target->state == EC_DEAD)
        return DJ_E_ABORTED;
    target->recall_pending = true;
    sched_reschedule_cpu(target->cpu);
    return DJ_OK;
}

void ec_ctrl_kill(struct ec *target)
{
    kill(target);
}

uint64_t ec_ctrl(struct ec *caller, struct ec *target, uint64_t op)
{
    (void)caller; /* the capability check was the caller's part */
    switch (op) {
    case DJ_EC_OP_KILL: return kill(target);
    case DJ_EC_OP_RECALL: return recall(target);
    default: return DJ_E_BAD_PARAM;
    }
}
