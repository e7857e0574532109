/* SPDX-License-Identifier: BSD-2-Clause */
/* What every server and client repeats, in the runtime (the tutorial,
 * docs/writing-a-server.md, uses these):
 *   - dj_serve_forever: offer a service with sensible defaults and serve;
 *   - reply helpers: a status, a status plus words, plus a memory or a
 *     capability item;
 *   - client calls that check the reply's shape, and one that receives
 *     memory with the receive window opened and closed around it. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "lib/server.h"
#include "lib/startinfo.h"

#define DJ_SERVER_STACK_PAGES 4 /* 16 KiB handler stack, an unmapped guard page below */

struct dj_service {
    /* Client calls (badge 1..DJ_COMPONENT_ID_MAX, the caller's component
     * id): the request is in u, return the reply's MTD. */
    dj_handler_fn handle;
    /* init announced client `badge` (its name in u->words[2..3], as
     * lib/proto.h says); return the reply status. NULL: accept. Calls
     * with badge DJ_BADGE_PARENT that are not announcements are refused
     * (DJ_E_BAD_PARAM) before this is asked. */
    enum dj_status (*client)(uint64_t badge, const struct dj_utcb *u);
    unsigned stack_pages; /* 0: DJ_SERVER_STACK_PAGES */
};

/* Offers the service through the parent and then serves for good: the
 * handler EC gets a fresh UTCB page and a stack of stack_pages pages
 * with an unmapped guard page below (an overflow faults and init reports
 * it instead of corrupting the server's data), client announcements are
 * answered, and the main EC sleeps on a semaphore (it wakes only to send
 * handlers' printf output). Selectors and addresses come from
 * lib/freespace.h. If the service cannot be offered it prints why and
 * sleeps. s must stay valid (a static). */
__attribute__((noreturn)) void dj_serve_forever(const struct dj_service *s);

/* ---- Replies (return value of a handler) --------------------------------- */

/* Reply word 0 = st, nothing else. */
static inline uint64_t dj_reply_status(struct dj_utcb *u, enum dj_status st)
{
    u->words[0] = st;
    return DJ_MTD(1, 0);
}

/* Reply word 0 = st followed by words[1..words-1] the handler filled in. */
static inline uint64_t dj_reply_words(struct dj_utcb *u, enum dj_status st, unsigned words)
{
    u->words[0] = st;
    return DJ_MTD(words, 0);
}

/* As dj_reply_words, plus one memory item: the 2^order pages at src (in
 * this PD) with rights (rights only shrink), to land at dst in the caller
 * (page aligned; it must lie in the caller's receive window, or the
 * caller gets DJ_E_RECV_WINDOW). The item's hotspot is dst's page number. */
uint64_t dj_reply_mem(struct dj_utcb *u, enum dj_status st, unsigned words, const void *src, unsigned order,
                      unsigned rights, uint64_t dst);

/* As dj_reply_words, plus one capability item: the 2^order capabilities
 * from selector sel with rights, to land at selector dst in the caller. */
uint64_t dj_reply_cap(struct dj_utcb *u, enum dj_status st, unsigned words, uint64_t sel, unsigned order,
                      unsigned rights, uint64_t dst);

/* ---- Client calls ---------------------------------------------------------- */

/* Calls pt with the request words already in dj_utcb() (mtd: untyped
 * only) and checks the reply: exactly reply_words words (at least 1) and
 * no items. Returns the call's status if it failed, DJ_E_BAD_PARAM for a
 * reply of another shape, else the server's status (word 0). */
enum dj_status dj_request(uint64_t pt, uint64_t mtd, unsigned reply_words);

/* As dj_request, but the reply carries memory: opens the receive window
 * over the 2^order pages at dst for the call (and closes it after), and
 * on the server's DJ_OK checks that exactly one item came. The request
 * usually tells the server dst (the hotspot is an address in the
 * receiver). DJ_E_RECV_WINDOW if the server sent memory elsewhere. */
enum dj_status dj_request_mem(uint64_t pt, uint64_t mtd, unsigned reply_words, void *dst, unsigned order);
