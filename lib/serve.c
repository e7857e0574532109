/* SPDX-License-Identifier: BSD-2-Clause */
/* Server start, reply helpers and client calls: see serve.h. */
#include "lib/serve.h"
#include "lib/component.h"
#include "lib/freespace.h"
#include "lib/proto.h"
#include "lib/status.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"

static const struct dj_service *service;

/* Announcements from init first (every service gets them), then the
 * service's own handler. */
static uint64_t service_handler(uint64_t badge, struct dj_utcb *u)
{
    if (badge != DJ_BADGE_PARENT)
        return service->handle(badge, u);
    if (!dj_is_client_announcement(u))
        return dj_reply_status(u, DJ_E_BAD_PARAM);
    return dj_reply_status(u, service->client ? service->client(u->words[1], u) : DJ_OK);
}

void dj_serve_forever(const struct dj_service *s)
{
    service = s;
    unsigned pages = s->stack_pages ? s->stack_pages : DJ_SERVER_STACK_PAGES;
    void *stack = dj_alloc_guarded(pages);
    uint64_t utcb_va = dj_alloc_va(1), sleep_sm = dj_alloc_sel();
    enum dj_status st = DJ_E_QUOTA;
    if (stack && utcb_va && sleep_sm)
        st = dj_serve(service_handler, stack, pages * DJ_PAGE_SIZE, utcb_va);
    if (st != DJ_OK)
        printf("cannot offer the service: %s\n", dj_status_name(st));
    dj_block_forever(sleep_sm);
}

uint64_t dj_reply_mem(struct dj_utcb *u, enum dj_status st, unsigned words, const void *src, unsigned order,
                      unsigned rights, uint64_t dst)
{
    u->words[0] = st;
    struct dj_typed_item *item = dj_utcb_typed(u, 1);
    item->crd = DJ_CRD(DJ_CRD_MEM, (uintptr_t)src >> DJ_PAGE_SHIFT, order, rights);
    item->hotspot = dst >> DJ_PAGE_SHIFT;
    return DJ_MTD(words, 1);
}

uint64_t dj_reply_cap(struct dj_utcb *u, enum dj_status st, unsigned words, uint64_t sel, unsigned order,
                      unsigned rights, uint64_t dst)
{
    u->words[0] = st;
    struct dj_typed_item *item = dj_utcb_typed(u, 1);
    item->crd = DJ_CRD(DJ_CRD_OBJ, sel, order, rights);
    item->hotspot = dst;
    return DJ_MTD(words, 1);
}

/* The server's status from a reply that arrived (st is the call's). */
static enum dj_status reply_status(enum dj_status st, uint64_t out, unsigned reply_words, unsigned items)
{
    if (st != DJ_OK)
        return st;
    if (DJ_MTD_UNTYPED(out) < 1 || DJ_MTD_UNTYPED(out) != (reply_words ? reply_words : 1))
        return DJ_E_BAD_PARAM; /* a reply of the wrong shape is not trusted */
    enum dj_status server = (enum dj_status)dj_utcb()->words[0];
    if (server == DJ_OK && DJ_MTD_TYPED(out) != items)
        return DJ_E_BAD_PARAM;
    return server;
}

enum dj_status dj_request(uint64_t pt, uint64_t mtd, unsigned reply_words)
{
    uint64_t out;
    enum dj_status st = dj_call(pt, mtd, &out);
    return reply_status(st, out, reply_words, 0);
}

enum dj_status dj_request_mem(uint64_t pt, uint64_t mtd, unsigned reply_words, void *dst, unsigned order)
{
    struct dj_utcb *u = dj_utcb();
    uint64_t out;
    u->recv_window = DJ_CRD(DJ_CRD_MEM, (uintptr_t)dst >> DJ_PAGE_SHIFT, order, DJ_MEM_ALL);
    enum dj_status st = dj_call(pt, mtd, &out);
    u->recv_window = 0; /* nothing else may land there */
    return reply_status(st, out, reply_words, 1);
}
