/* SPDX-License-Identifier: GPL-2.0-only */
/* Synchronous IPC: call, reply, and exceptions delivered as calls. Each
 * function ends by running some EC (it does not return). */
#pragma once
#include "kernel/pt.h"

__attribute__((noreturn)) void ipc_call(struct ec *caller, struct pt *pt, uint64_t mtd);
__attribute__((noreturn)) void ipc_reply(struct ec *handler, uint64_t mtd);
/* User exception `vector` in ec: call its event portal, or kill it. */
__attribute__((noreturn)) void ipc_fault(struct ec *ec, unsigned vector, uint64_t fault_addr);
/* Delegations from src to dst (typed items); in delegate.c. */
int delegate_items(struct pd *src, struct pd *dst, const struct dj_typed_item *items, unsigned n, uint64_t window);
/* Whether every item's target range lies in window (nothing is delegated
 * when one does not: IPC reports DJ_E_RECV_WINDOW). */
bool delegate_items_fit(const struct dj_typed_item *items, unsigned n, uint64_t window);

/* Caller c now waits for handler h, which starts at the portal's entry
 * with its initial stack. A fault call (c faulted) is answered with the
 * state the portal's MTD names. Shared by ipc_call, ipc_fault and the
 * fast path. */
static inline void begin_call(struct ec *c, struct ec *h, struct pt *pt, uint64_t mtd, bool fault)
{
    h->utcb->badge = pt->badge;
    h->frame.rip = pt->ip;
    h->frame.rsp = h->handler_rsp;
    h->frame.rdi = pt->badge;
    h->frame.rsi = mtd;
    h->state = EC_READY;
    h->caller = c;
    c->callee = h;
    c->in_fault = fault;
    if (fault)
        c->call_mtd = mtd;
    c->state = EC_WAIT_REPLY;
}
