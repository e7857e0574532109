/* SPDX-License-Identifier: GPL-2.0-only */
/* vnettest: the VMM's virtio-net device and its channel backend
 * (servers/vmm/virtio_net.c, net_channel.c) on the real kernel, without
 * a VM: two components, each with a device on "guest RAM" in its own
 * memory and a small driver standing in for the guest (guest.h), joined
 * by a channel the way two VMs' VMMs are. "vnetsrv" offers the channel
 * (net_channel_serve_init, its portal answers through
 * net_channel_portal); "vnetcli" (pt=vnetsrv) connects like a VMM to a
 * NIC driver (DJ_NIC_OP_INFO for its MAC, then the channel). The client's
 * guest sends VNETTEST_FRAMES frames of varied lengths, the server's guest
 * checks each and sends it back, the client checks the echoes: order,
 * length, bytes. Both queues are smaller than the channel's rings and
 * both sides sleep on their doorbells, so back-pressure and doorbell
 * suppression are exercised in both directions. A stall (no doorbell for
 * VNETTEST_STALL_US) fails the test instead of hanging it.
 *
 * The peer-death variant: "vnetdie" serves like vnetsrv but its first
 * instance faults on purpose after VNETTEST_DIE_AFTER frames and init
 * restarts it; "vnetorph" (pt=vnetdie) streams until the channel is
 * lost, then must see the guest's link go down, connect to the new
 * instance by itself (net_channel_establish) with the link up again, and
 * get VNETTEST_AFTER_RESTART frames echoed. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/component.h"
#include "lib/console_client.h"
#include "lib/proto.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "guest.h"

#define VNETTEST_FRAMES 3000u
#define VNETTEST_DIE_AFTER 500u
#define VNETTEST_AFTER_RESTART 1000u
#define VNETTEST_ENDLESS 0xffffffffu
#define VNETTEST_STALL_US 2000000ull
#define ETHERTYPE_LOCAL 0x88b5u /* IEEE local experimental */
#define ETH_HEADER 14u
#define SEQ_OFF ETH_HEADER
#define FRAME_MIN 60u
#define FRAME_SPREAD 1455u /* lengths 60..1514 */
#define ECHO_SLOTS 128u
#define HANDLER_STACK_BYTES 8192
#define HANDLER_UTCB_VA DJ_CHILD_FREE_VA
#define SERVER_REGION_VA (DJ_CHILD_FREE_VA + 0x1000000ull)
#define SEL_SLEEP DJ_CHILD_FIRST_FREE
#define SEL_CHANNEL (DJ_CHILD_FIRST_FREE + 1) /* 2 * NET_CHANNEL_SEL_PAIRS */
#define PAGE 4096ull

static const uint8_t server_mac[6] = {0x52, 0x54, 0x00, 0x76, 0x6e, 0x01};
static const uint8_t client_mac[6] = {0x52, 0x54, 0x00, 0x76, 0x6e, 0x02};

static struct net_channel nc;
static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint8_t frame[DJ_NIC_FRAME_MAX];
static uint8_t echo[ECHO_SLOTS][DJ_NIC_FRAME_MAX];
static size_t echo_len[ECHO_SLOTS];
static unsigned echo_head, echo_tail;
static uint32_t received, sent, bad, target;
static const char *bad_why;
static bool serving;

enum outcome { DONE, LOST, FAILED };

static void no_lock(void)
{
}

static size_t frame_len(uint32_t seq)
{
    return FRAME_MIN + (seq * 97u) % FRAME_SPREAD;
}

static void build(uint8_t *f, uint32_t seq, const uint8_t *dst, const uint8_t *src)
{
    size_t len = frame_len(seq);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = ETHERTYPE_LOCAL >> 8;
    f[13] = ETHERTYPE_LOCAL & 0xff;
    memcpy(f + SEQ_OFF, &seq, sizeof(seq));
    for (size_t i = SEQ_OFF + sizeof(seq); i < len; i++)
        f[i] = (uint8_t)(seq + i * 13);
}

/* The frame received must be number `received`, from src to dst. */
static bool check(const uint8_t *f, size_t len, const uint8_t *dst, const uint8_t *src)
{
    static uint8_t want[DJ_NIC_FRAME_MAX];
    if (len != frame_len(received)) {
        bad_why = "length";
        return false;
    }
    build(want, received, dst, src);
    if (memcmp(f, want, len) != 0) {
        bad_why = "bytes or order";
        return false;
    }
    return true;
}

static void server_rx(const uint8_t *f, size_t len)
{
    if (!check(f, len, server_mac, client_mac)) {
        bad++;
        return;
    }
    received++;
    if (echo_head - echo_tail == ECHO_SLOTS) {
        bad++;
        bad_why = "echo queue overflow";
        return;
    }
    /* Back to the client: addresses swapped, the rest as it came. */
    uint8_t *e = echo[echo_head % ECHO_SLOTS];
    memcpy(e, f + 6, 6);
    memcpy(e + 6, f, 6);
    memcpy(e + 12, f + 12, len - 12);
    echo_len[echo_head % ECHO_SLOTS] = len;
    echo_head++;
}

static void client_rx(const uint8_t *f, size_t len)
{
    if (!check(f, len, client_mac, server_mac)) {
        bad++;
        return;
    }
    received++;
}

/* One round: the guest takes what arrived and sends what it can, the
 * backend moves frames over the channel. True when anything moved. */
static bool round_trip(void)
{
    uint64_t before = nc.stats.from_peer + nc.stats.to_peer;
    /* The server takes no more frames than it can queue for the echo:
     * the rest waits in the device and the channel (back-pressure). */
    unsigned room = serving ? ECHO_SLOTS - (echo_head - echo_tail) : GUEST_QSIZE;
    bool moved = guest_reap(serving ? server_rx : client_rx, room) > 0;
    if (serving) {
        while (echo_tail != echo_head && guest_send(echo[echo_tail % ECHO_SLOTS], echo_len[echo_tail % ECHO_SLOTS])) {
            echo_tail++;
            sent++;
            moved = true;
        }
    } else {
        while (sent < target && guest_tx_free() > 0) {
            build(frame, sent, server_mac, client_mac);
            guest_send(frame, frame_len(sent));
            sent++;
            moved = true;
        }
    }
    guest_kick();
    net_channel_poll(&nc);
    return moved || nc.stats.from_peer + nc.stats.to_peer != before;
}

static bool finished(void)
{
    if (bad)
        return true;
    if (serving) /* every echo handed to the channel; the client confirms their arrival */
        return received >= target && sent >= target && guest_tx_free() == GUEST_QSIZE;
    return received == target;
}

/* Moves frames until `target` went both ways; sleeps on the doorbell when
 * nothing moves (the poll armed what it waits for). LOST: the peer broke
 * the ring or its doorbell went away. */
static enum outcome exchange(uint32_t frames, const char **why)
{
    uint64_t sleeps = 0;
    received = sent = 0;
    target = frames;
    while (!finished()) {
        if (round_trip() || finished())
            continue;
        if (nc.chan->rx.broken || nc.chan->tx.broken) {
            *why = "the peer broke the channel";
            return LOST;
        }
        sleeps++;
        enum dj_status st = dj_sm_down_timeout(nc.chan->own_sm, VNETTEST_STALL_US);
        if (st == DJ_E_TIMEOUT) {
            printf("stalled: sent %u received %u, device tx_blocked %d, rx_stalled %d\n", sent, received,
                   guest_dev.tx_blocked, nc.rx_stalled);
            *why = "stalled: no doorbell while frames were outstanding";
            return FAILED;
        }
        if (st != DJ_OK) {
            *why = "the doorbell is gone";
            return LOST;
        }
    }
    if (bad) {
        *why = bad_why;
        return FAILED;
    }
    printf("%u frames both ways; slept %llu times; backend %llu out, %llu in; device tx held back %llu times\n",
           received, (unsigned long long)sleeps, (unsigned long long)nc.stats.to_peer,
           (unsigned long long)nc.stats.from_peer, (unsigned long long)guest_dev.stats.tx_blocked);
    return DONE;
}

static bool report(bool ok, const char *test, const char *why)
{
    if (ok)
        printf("PASS %s\n", test);
    else
        printf("FAIL %s: %s (frame %u)\n", test, why, received);
    return ok;
}

static void discard(const uint8_t *f, size_t len)
{
    (void)f, (void)len;
}

/* What the VMM's main thread does between rounds (net.c): poll, sleep on
 * the doorbell, and drop the channel after a loss. */
static void channel_wait(void)
{
    nc.lock();
    net_channel_poll(&nc);
    struct dj_chan *c = nc.chan;
    bool broken = !c || c->rx.broken || c->tx.broken || nc.reset_requested;
    nc.unlock();
    if (c && (broken || dj_sm_down(c->own_sm) != DJ_OK))
        net_channel_drop(&nc);
}

/* vnetorph: stream until the server dies, then carry on with its successor. */
static void orphan(void)
{
    const char *why = "";
    enum outcome o = exchange(VNETTEST_ENDLESS, &why);
    printf("channel lost after %u frames echoed: %s\n", received, why);
    if (!report(o == LOST && received >= VNETTEST_DIE_AFTER / 2, "vnet_peer_death_lost", why))
        return;
    channel_wait(); /* sees the loss: drops the channel */
    report(nc.chan == NULL && !guest_link_up(), "vnet_peer_death_link_down", "the guest still sees the link up");
    guest_reap(discard, GUEST_QSIZE); /* what the old connection left in the guest */
    net_channel_establish(&nc);
    bool up = nc.chan != NULL;
    report(up && guest_link_up() && nc.stats.connects == 2, "vnet_peer_death_reconnect",
           "no new connection with the link up");
    if (!up)
        return;
    o = exchange(VNETTEST_AFTER_RESTART, &why);
    report(o == DONE, "vnet_peer_death_traffic_resumes", why);
}

static uint64_t handler(uint64_t badge, struct dj_utcb *u)
{
    return net_channel_portal(&nc, badge, u);
}

static bool start_server(const char **why)
{
    *why = "net_channel_serve_init";
    if (net_channel_serve_init(&nc, DJ_SEL_SELF_PD, SERVER_REGION_VA, SEL_CHANNEL, client_mac) != DJ_OK)
        return false;
    *why = "dj_serve";
    if (dj_serve(handler, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA) != DJ_OK)
        return false;
    struct virtio_net_backend b = net_channel_backend(&nc);
    if (!guest_start(&b, server_mac, why))
        return false;
    nc.dev = &guest_dev;
    *why = "waiting for the peer";
    net_channel_establish(&nc);
    return true;
}

static bool start_client(const char *server, const char **why)
{
    *why = "no portal to the server";
    if (!dj_start_cap(server, &nc.pt))
        return false;
    *why = "sleep semaphore";
    if (dj_create_sm(SEL_SLEEP, DJ_SEL_SELF_PD, 0) != DJ_OK)
        return false;
    int order = dj_chan_region_order((struct dj_chan_geom){DJ_NIC_SLOTS, DJ_NIC_SLOT_SIZE});
    nc.sleep_sm = SEL_SLEEP;
    nc.va_base = DJ_CHILD_SHARED_VA;
    nc.va_stride = PAGE << (order < 0 ? 0 : order);
    nc.sel_base = SEL_CHANNEL;
    *why = "DJ_NIC_OP_INFO";
    if (net_channel_info(&nc) != DJ_OK || memcmp(nc.mac, client_mac, 6) != 0)
        return false;
    struct virtio_net_backend b = net_channel_backend(&nc);
    if (!guest_start(&b, nc.mac, why))
        return false;
    nc.dev = &guest_dev;
    *why = "connect";
    net_channel_establish(&nc);
    return true;
}

int main(void)
{
    const struct dj_start_info *si = dj_start_with_console();
    if (!si)
        return 1;
    bool dying = strncmp(si->name, "vnetdie", DJ_START_NAME_MAX) == 0;
    bool orphaned = strncmp(si->name, "vnetorph", DJ_START_NAME_MAX) == 0;
    serving = dying || strncmp(si->name, "vnetsrv", DJ_START_NAME_MAX) == 0;
    nc.lock = nc.unlock = no_lock;
    const char *why = "";
    const char *test = serving ? "vnet_channel_server" : "vnet_channel_client";
    if (!(serving ? start_server(&why) : start_client(orphaned ? "vnetdie" : "vnetsrv", &why))) {
        report(false, test, why);
    } else if (orphaned) {
        orphan();
    } else if (dying && si->generation == 0) {
        exchange(VNETTEST_DIE_AFTER, &why);
        printf("%u frames echoed: faulting on purpose with the stream running\n", received);
        __builtin_trap();
    } else {
        uint32_t frames = dying ? VNETTEST_AFTER_RESTART : VNETTEST_FRAMES;
        bool ok = exchange(frames, &why) == DONE; /* before why is read */
        report(ok, test, why);
    }
    dj_block_forever(SEL_CHANNEL + 2 * NET_CHANNEL_SEL_PAIRS);
}
