/* SPDX-License-Identifier: GPL-2.0-only */
/* Where netself keeps things: its selectors (from DJ_CHILD_FIRST_FREE
 * up) and its addresses (lib/startinfo.h). Each connection to the driver
 * gets a fresh slot of the shared window for its region and a fresh pair
 * of doorbell selectors (driver_link.c), so nothing of a dead channel, not
 * even the zeroed pages init put where its region was, is mistaken for
 * the new one. */
#pragma once
#include "lib/startinfo.h"

#define NETSELF_SEL_SLEEP_SM DJ_CHILD_FIRST_FREE
#define NETSELF_SEL_CHANNELS (DJ_CHILD_FIRST_FREE + 2)
#define NETSELF_CHANNEL_SEL_PAIRS 1024 /* generations before doorbell selectors are reused */
/* The retry waiter (retry_wait.c): its event portals, then its objects. */
#define NETSELF_SEL_WAITER (NETSELF_SEL_CHANNELS + 2 * NETSELF_CHANNEL_SEL_PAIRS)
#define NETSELF_WAITER_SELS (DJ_EV_COUNT + 8)

/* Channel regions: one naturally aligned slot per connection in the
 * shared window (memory the driver owns; init replaces it by zeroed
 * pages when the driver dies). */
#define NETSELF_CHANNEL_VA_SLOT (1ull << 24)
#define NETSELF_CHANNEL_VA DJ_CHILD_SHARED_VA
#define NETSELF_CHANNEL_VA_SLOTS ((DJ_CHILD_SHARED_END - NETSELF_CHANNEL_VA) / NETSELF_CHANNEL_VA_SLOT)

/* UTCBs of the retry waiter's two ECs (the kernel maps them). */
#define NETSELF_WAITER_UTCB_VA DJ_CHILD_FREE_VA
#define NETSELF_WAITER_STARTUP_UTCB_VA (DJ_CHILD_FREE_VA + 0x1000)

_Static_assert(NETSELF_SEL_WAITER + NETSELF_WAITER_SELS <= DJ_SEL_IRQ_BASE, "netself's selectors below the IRQ range");
