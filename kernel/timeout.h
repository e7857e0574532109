/* SPDX-License-Identifier: GPL-2.0-only */
/* Deadlines of timed semaphore downs (DJ_SM_OP_DOWN_TIMEOUT), counted in
 * ticks of the waiting EC's CPU. Each CPU keeps the ECs that wait with a
 * deadline on one list, earliest first, under the big kernel lock; the
 * CPU checks it on every tick (sched_tick) and after every wake-up of its
 * idle loop (the LAPIC tick keeps running while it halts).
 *
 * Invariant: an EC is on a list only while it waits in a semaphore's
 * queue; whatever takes it out of that queue (an up, a revocation, its
 * death, its expiry) takes it off the list too (sm.c), so no list ever
 * holds an EC that could be freed. */
#pragma once
#include "kernel/ec.h"

/* The tick of this CPU at which at least us microseconds will have passed
 * from now (never earlier; UINT64_MAX for timeouts beyond counting). */
uint64_t timeout_deadline(uint64_t us);
/* ec (blocking on this CPU) waits until the deadline at most. */
void timeout_arm(struct ec *ec, uint64_t deadline);
/* ec waits no longer (nothing when it is on no list). */
void timeout_disarm(struct ec *ec);
/* Every EC of this CPU whose deadline has come stops waiting with
 * DJ_E_TIMEOUT. Under the big kernel lock. */
void timeout_expire(void);
