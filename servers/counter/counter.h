/* SPDX-License-Identifier: GPL-2.0-only */
/* The counter server's protocol (the second example of
 * docs/writing-a-server.md). Every client has a counter of its own, kept
 * in a page that the server lends the client read-only:
 *   COUNTER_OP_MAP [1] address   -> [0] status, and the page as one memory
 *                                   item (read-only) at that address
 *   COUNTER_OP_ADD [1] amount    -> [0] status, [1] the new value
 * The client opens its receive window over the address for MAP
 * (dj_request_mem does). The address must be page aligned
 * (DJ_E_BAD_ADDR); any other shape gets DJ_E_BAD_PARAM. */
#pragma once
#include <stdint.h>

#define COUNTER_OP_MAP 1
#define COUNTER_OP_ADD 2
#define COUNTER_MAP_WORDS 2
#define COUNTER_ADD_WORDS 2
#define COUNTER_MAP_REPLY_WORDS 1
#define COUNTER_ADD_REPLY_WORDS 2

/* What the client sees in its page. */
struct counter_page {
    uint64_t value;   /* the sum of every amount added */
    uint64_t changes; /* how many ADDs */
};
