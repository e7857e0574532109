/* SPDX-License-Identifier: BSD-2-Clause */
/* Channels with doorbells (lib/channel.h, docs/channels.md): the set-up
 * protocol through a portal, the blocking and non-blocking copies, and
 * tear-down. The rings themselves are lib/chan_ring.c.
 *
 * Region layout: ring 0 (client to server) at offset 0, ring 1 (server to
 * client) right after it, both of the connection's geometry. The server
 * allocates exactly its pages, in naturally sized pieces (one per set bit
 * of the page count, largest first: 258 pages are 256 + 2), and delegates
 * them as one memory item per piece (the kernel moves at most 2^10 pages
 * per item); the client's receive window is the next power of two. */
#include "lib/channel.h"
#include "string.h"
#include "lib/syscall.h"
#include "lib/utcb.h"

#define PAGE_SHIFT 12
#define PAGE_BYTES (1ull << PAGE_SHIFT)
#define USER_PAGES (1ull << 35) /* the user half: 2^47 bytes */
#define MAX_SELECTOR ((1ull << 52) - 2)
#define REGION_RIGHTS (DJ_MEM_R | DJ_MEM_W)
#define CONNECT_REPLY_WORDS 2
#define DOORBELL_COUNT 2
#define ANY_ITEMS (~0u)
#define MAX_ORDER_BITS 11 /* piece orders 0..10: DJ_CHAN_MAX_REGION_PAGES = 2^10 */

/* ---- Geometry ----------------------------------------------------------------- */

size_t dj_chan_region_bytes(struct dj_chan_geom geom)
{
    return 2 * dj_chan_ring_bytes(geom.slots, geom.slot_size);
}

static uint64_t region_pages(struct dj_chan_geom geom)
{
    return dj_chan_region_bytes(geom) >> PAGE_SHIFT;
}

int dj_chan_region_order(struct dj_chan_geom geom)
{
    uint64_t pages = region_pages(geom);
    if (pages == 0 || pages > DJ_CHAN_MAX_REGION_PAGES)
        return -1;
    int order = 0;
    while ((1ull << order) < pages)
        order++;
    return order;
}

/* The client produces on ring 0 and consumes ring 1; the server the other
 * way round. The producer's attach clears its ring. */
static enum dj_status attach_ends(struct dj_chan *c, uint64_t va, struct dj_chan_geom geom, bool client)
{
    size_t ring = dj_chan_ring_bytes(geom.slots, geom.slot_size);
    void *ring0 = (void *)(uintptr_t)va, *ring1 = (void *)(uintptr_t)(va + ring);
    enum dj_status st = dj_chan_tx_attach(&c->tx, client ? ring0 : ring1, ring, geom.slots, geom.slot_size);
    if (st == DJ_OK)
        st = dj_chan_rx_attach(&c->rx, client ? ring1 : ring0, ring, geom.slots, geom.slot_size);
    return st;
}

static void mark_closed(struct dj_chan *c)
{
    c->tx.broken = true;
    c->rx.broken = true;
}

/* ---- Client side of the set-up ------------------------------------------------ */

/* One set-up call with a receive window open for its reply's items. */
static enum dj_status setup_call(uint64_t pt, uint64_t window, unsigned words, unsigned items_expected,
                                 unsigned reply_words)
{
    struct dj_utcb *u = dj_utcb();
    uint64_t out = 0;
    u->recv_window = window;
    enum dj_status st = dj_call(pt, DJ_MTD(words, 0), &out);
    u->recv_window = 0; /* nothing else may land there */
    if (st != DJ_OK)
        return st;
    if (DJ_MTD_UNTYPED(out) < 1)
        return DJ_E_BAD_PARAM;
    if (u->words[0] != DJ_OK)
        return u->words[0] < DJ_STATUS_COUNT ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
    bool items_ok = items_expected == ANY_ITEMS || DJ_MTD_TYPED(out) == items_expected;
    return DJ_MTD_UNTYPED(out) == reply_words && items_ok ? DJ_OK : DJ_E_BAD_PARAM;
}

/* The server's reply must have put a semaphore with these rights at sel. */
static bool is_doorbell(uint64_t sel, unsigned rights)
{
    uint64_t crd = 0;
    enum dj_obj_type type = DJ_OBJ_NONE;
    return dj_lookup(DJ_CRD(DJ_CRD_OBJ, sel, 0, 0), &crd, &type) == DJ_OK && type == DJ_OBJ_SM &&
           (DJ_CRD_RIGHTS(crd) & rights) == rights;
}

static void give_up_region(uint64_t va, int order)
{
    dj_revoke(DJ_CRD(DJ_CRD_MEM, va >> PAGE_SHIFT, order, DJ_MEM_R), true);
}

static enum dj_status connect_region(struct dj_chan *c, uint64_t pt, struct dj_chan_geom geom, uint64_t va,
                                     int order)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_CHAN_OP_CONNECT;
    u->words[1] = geom.slots;
    u->words[2] = geom.slot_size;
    u->words[3] = va >> PAGE_SHIFT;
    uint64_t window = DJ_CRD(DJ_CRD_MEM, va >> PAGE_SHIFT, order, REGION_RIGHTS);
    enum dj_status st = setup_call(pt, window, DJ_CHAN_CONNECT_WORDS, ANY_ITEMS, CONNECT_REPLY_WORDS);
    if (st == DJ_OK && u->words[1] != dj_chan_region_bytes(geom))
        st = DJ_E_BAD_PARAM;
    return st == DJ_OK ? attach_ends(c, va, geom, true) : st;
}

static enum dj_status connect_doorbells(uint64_t pt, uint64_t sm_sel)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_CHAN_OP_DOORBELLS;
    u->words[1] = sm_sel;
    enum dj_status st = setup_call(pt, DJ_CRD(DJ_CRD_OBJ, sm_sel, 1, DJ_OBJ_ALL), DJ_CHAN_DOORBELLS_WORDS,
                                   DOORBELL_COUNT, 1);
    if (st == DJ_OK && (!is_doorbell(sm_sel, DJ_SM_DOWN) || !is_doorbell(sm_sel + 1, DJ_SM_UP)))
        st = DJ_E_BAD_CAP;
    return st;
}

enum dj_status dj_chan_connect(struct dj_chan *c, uint64_t pt, struct dj_chan_geom geom, uint64_t va, uint64_t sm_sel)
{
    *c = (struct dj_chan){0};
    mark_closed(c);
    int order = dj_chan_region_order(geom);
    if (order < 0 || (va & (PAGE_BYTES - 1)) || sm_sel > MAX_SELECTOR)
        return DJ_E_BAD_PARAM;
    enum dj_status st = connect_region(c, pt, geom, va, order);
    if (st == DJ_OK)
        st = connect_doorbells(pt, sm_sel);
    if (st != DJ_OK) {
        /* va and sm_sel were free: whatever a failed step left there goes. */
        mark_closed(c);
        give_up_region(va, order);
        dj_revoke(DJ_CRD(DJ_CRD_OBJ, sm_sel, 1, DJ_OBJ_ALL), true);
        return st;
    }
    c->own_sm = sm_sel;
    c->peer_sm = sm_sel + 1;
    c->mem_va = va;
    c->mem_order = (unsigned)order;
    c->mem_bytes = dj_chan_region_bytes(geom);
    c->owner = false;
    return DJ_OK;
}

/* ---- Server side of the set-up ------------------------------------------------ */

static uint64_t reply_status(struct dj_utcb *u, enum dj_status st)
{
    u->words[0] = st;
    return DJ_MTD(1, 0);
}

static enum dj_status make_doorbells(struct dj_chan_server *s)
{
    if (s->doorbells_made)
        return DJ_OK;
    enum dj_status st = dj_create_sm(s->sm_sel, s->pd_sel, 0);
    /* With a shared wake-up the client rings that semaphore itself: a
     * reset cannot take its copy back (it is not derived from this
     * channel), so it lasts as long as the client's PD; the client can
     * only ring it (a spurious wake-up of the server's thread). */
    if (st == DJ_OK && !s->wake_sm) {
        st = dj_create_sm(s->sm_sel + 1, s->pd_sel, 0);
        if (st != DJ_OK)
            dj_revoke(DJ_CRD(DJ_CRD_OBJ, s->sm_sel, 0, DJ_OBJ_ALL), true);
    }
    if (st != DJ_OK)
        return st;
    s->doorbells_made = true;
    s->chan.own_sm = s->wake_sm ? s->wake_sm : s->sm_sel + 1; /* the client ups it */
    s->chan.peer_sm = s->sm_sel;    /* the client waits on it */
    return DJ_OK;
}

enum dj_status dj_chan_server_init(struct dj_chan_server *s)
{
    mark_closed(&s->chan);
    return make_doorbells(s);
}

/* The geometry a CONNECT asks for, checked against the server's limits;
 * the order of its region, or -1. */
static int requested_order(const struct dj_chan_server *s, const struct dj_utcb *u, struct dj_chan_geom *geom)
{
    uint64_t slots = u->words[1], slot_size = u->words[2], page = u->words[3];
    if (slots > s->max.slots || slot_size > s->max.slot_size)
        return -1;
    *geom = (struct dj_chan_geom){(uint32_t)slots, (uint32_t)slot_size};
    int order = dj_chan_region_order(*geom);
    if (order < 0 || page >= USER_PAGES || (1ull << order) > USER_PAGES - page)
        return -1;
    return order;
}

/* The exact pages of the region at s->va: allocated on first use, piece
 * by piece; reused afterwards (cleared: nothing of an earlier client
 * shows) when the new geometry fits. */
static enum dj_status region_for(struct dj_chan_server *s, uint64_t pages)
{
    if (s->region_pages == 0) {
        for (int bit = MAX_ORDER_BITS - 1; bit >= 0; bit--) {
            if (!(pages & (1ull << bit)))
                continue;
            enum dj_status st =
                dj_mem_alloc(s->va + ((uint64_t)s->region_pages << PAGE_SHIFT), (unsigned)bit, REGION_RIGHTS);
            if (st != DJ_OK)
                return st; /* the pieces so far stay allocated: still too few */
            s->region_pages += 1u << bit;
        }
        return DJ_OK;
    }
    if (pages > s->region_pages)
        return DJ_E_QUOTA; /* allocated for a smaller geometry: it cannot grow in place */
    memset((void *)(uintptr_t)s->va, 0, (size_t)s->region_pages << PAGE_SHIFT);
    return DJ_OK;
}

/* The reply's memory items: pages from page 0 of the region to the
 * client's page `dst`, one naturally sized piece per set bit. */
static unsigned region_items(const struct dj_chan_server *s, struct dj_utcb *u, uint64_t pages, uint64_t dst)
{
    unsigned n = (unsigned)__builtin_popcountll(pages), i = 0;
    struct dj_typed_item *items = dj_utcb_typed(u, n);
    uint64_t off = 0;
    for (int bit = MAX_ORDER_BITS - 1; bit >= 0; bit--) {
        if (!(pages & (1ull << bit)))
            continue;
        items[i++] = (struct dj_typed_item){
            DJ_CRD(DJ_CRD_MEM, (s->va >> PAGE_SHIFT) + off, bit, REGION_RIGHTS), dst + off};
        off += 1ull << bit;
    }
    return n;
}

static void take_back_region(struct dj_chan_server *s)
{
    if (s->region_pages == 0)
        return;
    int order = 0;
    while ((1u << order) < s->region_pages)
        order++;
    dj_revoke(DJ_CRD(DJ_CRD_MEM, s->va >> PAGE_SHIFT, order, DJ_MEM_R), false);
}

static uint64_t serve_connect(struct dj_chan_server *s, struct dj_utcb *u)
{
    if (s->state == DJ_CHAN_CONNECTED || (s->state == DJ_CHAN_HALF_OPEN && u->badge != s->badge))
        return reply_status(u, DJ_E_BUSY);
    struct dj_chan_geom geom;
    int order = requested_order(s, u, &geom);
    if (order < 0)
        return reply_status(u, DJ_E_BAD_PARAM);
    take_back_region(s); /* a repeated CONNECT: the earlier delegation goes */
    uint64_t pages = region_pages(geom);
    enum dj_status st = region_for(s, pages);
    if (st == DJ_OK)
        st = attach_ends(&s->chan, s->va, geom, false);
    if (st == DJ_OK) {
        /* The client's producer end clears ring 0 too, but it need not. */
        struct dj_chan_tx ring0;
        st = dj_chan_tx_attach(&ring0, (void *)(uintptr_t)s->va, dj_chan_ring_bytes(geom.slots, geom.slot_size),
                               geom.slots, geom.slot_size);
    }
    if (st != DJ_OK) {
        mark_closed(&s->chan);
        s->state = DJ_CHAN_IDLE;
        return reply_status(u, st);
    }
    s->chan.mem_va = s->va;
    s->chan.mem_order = (unsigned)order;
    s->chan.mem_bytes = dj_chan_region_bytes(geom);
    s->chan.owner = true;
    s->badge = u->badge;
    s->state = DJ_CHAN_HALF_OPEN;
    unsigned items = region_items(s, u, pages, u->words[3]);
    u->words[1] = dj_chan_region_bytes(geom);
    u->words[0] = DJ_OK;
    return DJ_MTD(CONNECT_REPLY_WORDS, items);
}

static uint64_t serve_doorbells(struct dj_chan_server *s, struct dj_utcb *u)
{
    if (s->state == DJ_CHAN_IDLE)
        return reply_status(u, DJ_E_BAD_PARAM); /* CONNECT comes first */
    if (s->state == DJ_CHAN_CONNECTED || u->badge != s->badge)
        return reply_status(u, DJ_E_BUSY);
    uint64_t sel = u->words[1];
    if (sel > MAX_SELECTOR)
        return reply_status(u, DJ_E_BAD_PARAM);
    enum dj_status st = make_doorbells(s);
    if (st != DJ_OK)
        return reply_status(u, st);
    struct dj_typed_item *items = dj_utcb_typed(u, DOORBELL_COUNT);
    items[0] = (struct dj_typed_item){DJ_CRD(DJ_CRD_OBJ, s->chan.peer_sm, 0, DJ_SM_UP | DJ_SM_DOWN), sel};
    items[1] = (struct dj_typed_item){DJ_CRD(DJ_CRD_OBJ, s->chan.own_sm, 0, DJ_SM_UP), sel + 1};
    s->state = DJ_CHAN_CONNECTED;
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* the channel is set up before it is announced */
    s->connected = true;
    dj_sm_up(s->chan.own_sm); /* a main thread waiting on its doorbell sees the connection */
    u->words[0] = DJ_OK;
    return DJ_MTD(1, DOORBELL_COUNT);
}

uint64_t dj_chan_serve(struct dj_chan_server *s, struct dj_utcb *u)
{
    uint64_t mtd = u->mtd;
    uint64_t op = DJ_MTD_UNTYPED(mtd) ? u->words[0] : 0;
    if (op == DJ_CHAN_OP_CONNECT && mtd == DJ_MTD(DJ_CHAN_CONNECT_WORDS, 0))
        return serve_connect(s, u);
    if (op == DJ_CHAN_OP_DOORBELLS && mtd == DJ_MTD(DJ_CHAN_DOORBELLS_WORDS, 0))
        return serve_doorbells(s, u);
    return reply_status(u, DJ_E_BAD_PARAM);
}

void dj_chan_server_reset(struct dj_chan_server *s)
{
    s->connected = false;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    mark_closed(&s->chan);
    take_back_region(s);
    if (s->doorbells_made)
        dj_revoke(DJ_CRD(DJ_CRD_OBJ, s->sm_sel, 1, DJ_OBJ_ALL), false);
    s->badge = 0;
    s->state = DJ_CHAN_IDLE; /* last: only now may a handler accept a CONNECT */
}

/* ---- Messages ------------------------------------------------------------------- */

/* 8 bytes per instruction where possible (under QEMU's -icount every
 * iteration of a rep counts as one instruction). */
static void copy_bytes(void *dst, const void *src, size_t n)
{
    size_t words = n / sizeof(uint64_t), rest = n % sizeof(uint64_t);
    __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
    __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(rest) : : "memory");
}

void dj_chan_kick(struct dj_chan *c, bool needed)
{
    if (needed)
        dj_sm_up(c->peer_sm);
}

void dj_chan_flush(struct dj_chan *c)
{
    bool tx = dj_chan_tx_publish(&c->tx);
    bool rx = dj_chan_rx_publish(&c->rx);
    dj_chan_kick(c, tx || rx);
}

enum dj_status dj_chan_wait(struct dj_chan *c)
{
    dj_chan_flush(c);
    enum dj_status st = dj_sm_down(c->own_sm);
    if (st != DJ_OK)
        mark_closed(c); /* the doorbell was taken away: the channel is gone */
    return st;
}

enum dj_status dj_chan_try_write(struct dj_chan *c, const void *msg, size_t len)
{
    if (c->tx.broken)
        return DJ_E_ABORTED;
    if (len > dj_chan_payload_max(c->tx.slot_size))
        return DJ_E_OVERFLOW;
    void *slot = dj_chan_tx_reserve(&c->tx, len);
    if (!slot)
        return c->tx.broken ? DJ_E_ABORTED : DJ_E_TIMEOUT;
    copy_bytes(slot, msg, len);
    dj_chan_tx_commit(&c->tx, len);
    dj_chan_kick(c, dj_chan_tx_publish(&c->tx));
    return DJ_OK;
}

enum dj_status dj_chan_write(struct dj_chan *c, const void *msg, size_t len)
{
    for (;;) {
        enum dj_status st = dj_chan_try_write(c, msg, len);
        if (st != DJ_E_TIMEOUT)
            return st;
        if (dj_chan_tx_arm(&c->tx) && dj_chan_wait(c) != DJ_OK)
            return DJ_E_ABORTED;
    }
}

enum dj_status dj_chan_try_read(struct dj_chan *c, void *buf, size_t cap, size_t *len)
{
    *len = 0;
    if (c->rx.broken)
        return DJ_E_ABORTED;
    size_t n;
    const void *slot = dj_chan_rx_peek(&c->rx, &n);
    if (!slot)
        return c->rx.broken ? DJ_E_ABORTED : DJ_E_TIMEOUT;
    *len = n;
    if (n > cap)
        return DJ_E_OVERFLOW;
    copy_bytes(buf, slot, n);
    dj_chan_rx_release(&c->rx);
    dj_chan_kick(c, dj_chan_rx_publish(&c->rx));
    return DJ_OK;
}

enum dj_status dj_chan_read(struct dj_chan *c, void *buf, size_t cap, size_t *len)
{
    for (;;) {
        enum dj_status st = dj_chan_try_read(c, buf, cap, len);
        if (st != DJ_E_TIMEOUT)
            return st;
        if (dj_chan_rx_arm(&c->rx) && dj_chan_wait(c) != DJ_OK)
            return DJ_E_ABORTED;
    }
}

void dj_chan_close(struct dj_chan *c)
{
    mark_closed(c);
    if (c->mem_va)
        dj_revoke(DJ_CRD(DJ_CRD_MEM, c->mem_va >> PAGE_SHIFT, c->mem_order, DJ_MEM_R), !c->owner);
    if (c->own_sm)
        dj_revoke(DJ_CRD(DJ_CRD_OBJ, c->own_sm, 0, DJ_OBJ_ALL), !c->owner);
    if (c->peer_sm)
        dj_revoke(DJ_CRD(DJ_CRD_OBJ, c->peer_sm, 0, DJ_OBJ_ALL), !c->owner);
    c->mem_va = 0;
    c->own_sm = c->peer_sm = 0;
}
