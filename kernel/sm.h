/* SPDX-License-Identifier: GPL-2.0-only */
/* Counting semaphore; interrupts signal semaphores too. */
#pragma once
#include "kernel/ec.h"

struct sm {
    struct kobj obj;
    uint64_t count;
    struct ec *waiters; /* FIFO of blocked ECs */
    struct ec *last_waiter;
};

struct sm *sm_create(struct quota *q, uint64_t count);
/* Wake the first waiter or count up. */
void sm_up(struct sm *sm);
/* Count down, or block ec (returns false: the caller must dispatch). */
bool sm_down(struct sm *sm, struct ec *ec);
/* Count down (DJ_OK), or fail at once when us is 0 (DJ_E_TIMEOUT), or
 * block ec for at most us microseconds (returns SM_BLOCKED: the caller
 * must dispatch; the EC later gets DJ_OK from an up, DJ_E_TIMEOUT from
 * timeout_expire, or DJ_E_ABORTED when the semaphore goes). */
#define SM_BLOCKED (-1)
int sm_down_timed(struct sm *sm, struct ec *ec, uint64_t us);
/* Take ec (a waiter) out of the queue (and off its timed list). */
void sm_remove_waiter(struct sm *sm, struct ec *ec);
/* ec's timed wait has reached its deadline: out of the queue, woken with
 * DJ_E_TIMEOUT. */
void sm_wait_expired(struct ec *ec);
/* Its PD dies: wake every waiter with DJ_E_ABORTED and unbind the
 * interrupt lines and MSIs bound to it. */
void sm_kill(struct sm *sm);
/* The last reference is gone (kobj.c): no capability can up it any more,
 * so its waiters are woken with DJ_E_ABORTED. */
void sm_release(struct sm *sm);
