/* SPDX-License-Identifier: GPL-2.0-only */
/* The virtio-net backend over a channel (net_channel.h). */
#include "net_channel.h"
#include <string.h>
#include "lib/component.h"
#include "lib/proto.h"
#include "lib/syscall.h"
#include "lib/utcb.h"

#define PAGE_SIZE 4096ull
#define BITS_PER_BYTE 8
#define PUBLISH_EVERY 32          /* frames between handing slots back to the peer */
#define RETRY_PAUSE_US 100000ull  /* between connection attempts */
#define INFO_REQUEST_WORDS 1

/* ---- the backend (called under the VMM lock) ------------------------------- */

__attribute__((weak)) void net_channel_round_hook(void)
{
}

__attribute__((weak)) void net_channel_frame_hook(const struct net_channel *nc, bool to_peer, const void *frame, size_t len)
{
    (void)nc, (void)to_peer, (void)frame, (void)len;
}

static bool backend_send(void *ctx, const uint8_t *frame, size_t len)
{
    struct net_channel *nc = ctx;
    struct dj_chan *c = nc->chan;
    void *slot = c && !c->tx.broken ? dj_chan_tx_reserve(&c->tx, len) : NULL;
    if (!slot && c && !c->tx.broken)
        return false; /* full: the guest's frame waits (virtio_net_tx_resume) */
    net_channel_frame_hook(nc, true, frame, len);
    if (!slot) {
        nc->stats.dropped_unconnected++; /* the peer is gone (maybe found just now): like a cable pulled */
        return true;
    }
    memcpy(slot, frame, len);
    dj_chan_tx_commit(&c->tx, len);
    nc->stats.to_peer++;
    return true;
}

static void backend_flush(void *ctx)
{
    struct net_channel *nc = ctx;
    if (nc->chan)
        dj_chan_kick(nc->chan, dj_chan_tx_publish(&nc->chan->tx));
}

static void backend_rx_ready(void *ctx)
{
    net_channel_poll(ctx);
}

struct virtio_net_backend net_channel_backend(struct net_channel *nc)
{
    return (struct virtio_net_backend){nc, backend_send, backend_flush, backend_rx_ready};
}

/* Frames from the peer into the guest, straight from the slot (the guest
 * gets a copy; nothing here parses the bytes a hostile peer could change).
 * Stops at the first frame the guest has no buffer for. */
static void drain_rx(struct net_channel *nc, struct dj_chan *c)
{
    const void *msg;
    size_t len;
    unsigned n = 0;
    nc->rx_stalled = false;
    while ((msg = dj_chan_rx_peek(&c->rx, &len)) != NULL) {
        if (virtio_net_receive(nc->dev, msg, len) == VIRTIO_NET_RX_NO_BUFFER) {
            nc->rx_stalled = true;
            break;
        }
        net_channel_frame_hook(nc, false, msg, len);
        dj_chan_rx_release(&c->rx);
        nc->stats.from_peer++;
        if (++n % PUBLISH_EVERY == 0)
            dj_chan_kick(c, dj_chan_rx_publish(&c->rx));
    }
    if (n) {
        dj_chan_kick(c, dj_chan_rx_publish(&c->rx));
        virtio_net_rx_flush(nc->dev);
    }
}

void net_channel_poll(struct net_channel *nc)
{
    struct dj_chan *c = nc->chan;
    if (!c)
        return;
    /* Until both directions are either armed for the doorbell or waiting
     * on the guest: then the I/O thread may sleep. */
    for (;;) {
        if (nc->dev->tx_blocked && dj_chan_tx_space(&c->tx) > 0)
            virtio_net_tx_resume(nc->dev);
        drain_rx(nc, c);
        if (c->rx.broken || c->tx.broken)
            return;
        bool settled = nc->rx_stalled || dj_chan_rx_arm(&c->rx);
        if (nc->dev->tx_blocked && !dj_chan_tx_arm(&c->tx))
            settled = false;
        if (settled)
            return;
    }
}

/* ---- connection ---------------------------------------------------------------- */

/* The guest sees the link of the peer while a channel is up. */
static void set_connected(struct net_channel *nc, struct dj_chan *c)
{
    nc->lock();
    nc->chan = c;
    nc->rx_stalled = false;
    virtio_net_set_link(nc->dev, c != NULL && nc->link_up);
    if (c) {
        nc->stats.connects++;
        net_channel_poll(nc);
    } else {
        nc->stats.losses++;
        virtio_net_tx_resume(nc->dev); /* what the guest queued is dropped now */
    }
    nc->unlock();
}

void net_channel_drop(struct net_channel *nc)
{
    set_connected(nc, NULL);
    if (nc->serving) {
        dj_chan_server_reset(&nc->server);
        nc->reset_requested = false;
    } else {
        dj_chan_close(&nc->own);
    }
}

enum dj_status net_channel_info(struct net_channel *nc)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_NIC_OP_INFO;
    uint64_t out = 0;
    enum dj_status st = dj_call(nc->pt, DJ_MTD(INFO_REQUEST_WORDS, 0), &out);
    if (st != DJ_OK)
        return st;
    if (DJ_MTD_UNTYPED(out) != DJ_NIC_INFO_WORDS || DJ_MTD_TYPED(out) != 0)
        return DJ_E_BAD_PARAM; /* a reply of the wrong shape is not trusted */
    if (u->words[0] != DJ_OK)
        return (enum dj_status)u->words[0];
    for (unsigned i = 0; i < VIRTIO_NET_MAC_LEN; i++)
        nc->mac[i] = (uint8_t)(u->words[1] >> (BITS_PER_BYTE * i));
    nc->link_up = u->words[2] == 1;
    return DJ_OK;
}

enum dj_status net_channel_connect(struct net_channel *nc)
{
    enum dj_status st = net_channel_info(nc);
    if (st != DJ_OK)
        return st;
    struct dj_chan_geom geom = {DJ_NIC_SLOTS, DJ_NIC_SLOT_SIZE};
    int order = dj_chan_region_order(geom);
    if (order < 0 || (PAGE_SIZE << order) > nc->va_stride)
        return DJ_E_BAD_PARAM;
    /* Fresh addresses and selectors each time: nothing of a dead channel
     * can be mistaken for the new one. */
    unsigned g = nc->generation++;
    uint64_t va = nc->va_base + (g % NET_CHANNEL_VA_SLOTS) * nc->va_stride;
    uint64_t sm = nc->sel_base + 2ull * (g % NET_CHANNEL_SEL_PAIRS);
    st = dj_chan_connect(&nc->own, nc->pt, geom, va, sm);
    if (st == DJ_OK)
        set_connected(nc, &nc->own);
    return st;
}

/* ---- server role ------------------------------------------------------------------ */

enum dj_status net_channel_serve_init(struct net_channel *nc, uint64_t pd_sel, uint64_t va, uint64_t sm_sel,
                                      const uint8_t peer_mac[VIRTIO_NET_MAC_LEN])
{
    nc->serving = true;
    nc->link_up = true;
    memcpy(nc->peer_mac, peer_mac, VIRTIO_NET_MAC_LEN);
    memset(&nc->server, 0, sizeof(nc->server));
    nc->server.pd_sel = pd_sel;
    nc->server.va = va;
    nc->server.sm_sel = sm_sel;
    nc->server.max = (struct dj_chan_geom){DJ_NIC_SLOTS, DJ_NIC_SLOT_SIZE};
    return dj_chan_server_init(&nc->server);
}

static uint64_t reply(struct dj_utcb *u, enum dj_status st, unsigned words)
{
    u->words[0] = st;
    return DJ_MTD(words, 0);
}

/* init announces a client it (re)starts: when it is the connected peer,
 * that peer is a new instance and the old channel goes (the I/O thread
 * resets it; the new instance's CONNECT is refused until then and
 * retried). */
static uint64_t announcement(struct net_channel *nc, struct dj_utcb *u)
{
    if (!dj_is_client_announcement(u))
        return reply(u, DJ_E_BAD_PARAM, 1);
    if (nc->server.state != DJ_CHAN_IDLE && u->words[1] == nc->server.badge) {
        nc->reset_requested = true;
        dj_sm_up(nc->server.chan.own_sm);
    }
    return reply(u, DJ_OK, 1);
}

uint64_t net_channel_portal(struct net_channel *nc, uint64_t badge, struct dj_utcb *u)
{
    uint64_t mtd = u->mtd, op = DJ_MTD_UNTYPED(mtd) ? u->words[0] : 0;
    if (!nc->serving)
        return reply(u, DJ_E_BAD_PARAM, 1);
    if (badge == DJ_BADGE_PARENT)
        return announcement(nc, u);
    if (op == DJ_NIC_OP_INFO && mtd == DJ_MTD(INFO_REQUEST_WORDS, 0)) {
        uint64_t w = 0;
        for (unsigned i = 0; i < VIRTIO_NET_MAC_LEN; i++)
            w |= (uint64_t)nc->peer_mac[i] << (BITS_PER_BYTE * i);
        u->words[1] = w;
        u->words[2] = 1;
        u->words[3] = DJ_NIC_FRAME_MAX;
        return reply(u, DJ_OK, DJ_NIC_INFO_WORDS);
    }
    if (op == DJ_CHAN_OP_CONNECT || op == DJ_CHAN_OP_DOORBELLS) {
        /* A slot must hold the largest frame. */
        if (op == DJ_CHAN_OP_CONNECT && DJ_MTD_UNTYPED(mtd) >= DJ_CHAN_CONNECT_WORDS &&
            u->words[2] < DJ_CHAN_SLOT_HEADER + DJ_NIC_FRAME_MAX)
            return reply(u, DJ_E_BAD_PARAM, 1);
        return dj_chan_serve(&nc->server, u);
    }
    return reply(u, DJ_E_BAD_PARAM, 1);
}

/* ---- (re)connection ---------------------------------------------------------------- */

void net_channel_establish(struct net_channel *nc)
{
    if (nc->serving) {
        while (!nc->server.connected)
            dj_sm_down(nc->server.chan.own_sm); /* rung once when the peer connects */
        set_connected(nc, &nc->server.chan);
        return;
    }
    while (net_channel_connect(nc) != DJ_OK)
        dj_sm_down_timeout(nc->sleep_sm, RETRY_PAUSE_US);
}
