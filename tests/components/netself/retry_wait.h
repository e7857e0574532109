/* SPDX-License-Identifier: GPL-2.0-only */
/* Waiting between attempts to reach a driver that is being restarted.
 *
 * There is no timer in the ABI, and nothing tells netself when init has
 * put the new driver's portal at the old selector. So a helper thread at
 * the lowest priority (NETSELF_WAITER_PRIO) does the waiting: it spins a
 * back-off that doubles with every failed attempt, then polls (DJ_SYS_LOOKUP)
 * until a portal is at the driver's selector again, and wakes the main
 * thread, which meanwhile sleeps on a semaphore. At that priority the
 * spinning uses only time no other thread wants: netself (prio 40 in
 * net.conf) never holds up lower-priority components, and a driver that
 * never comes back costs nothing but idle time. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define NETSELF_WAITER_PRIO 1

/* Creates the waiter for the portal at pt_sel; false if that failed (then
 * retry_wait spins in the calling thread instead, at its priority). */
bool retry_wait_init(uint64_t pt_sel);

/* Blocks until it is worth trying again after `failures` failed
 * attempts in a row. */
void retry_wait(unsigned failures);
