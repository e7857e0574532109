// host-test-sources: servers/vmm/net_channel.c servers/vmm/virtq.c servers/vmm/virtio_pci.c servers/vmm/virtio_net.c servers/vmm/pci_config.c lib/chan_ring.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's channel backend for virtio-net (servers/vmm/net_channel.c)
 * between the real ring layer (lib/chan_ring.c) and the device, with a
 * test peer on the other ends of the rings: frames both ways byte for
 * byte and in order, back-pressure in both directions (a full ring holds
 * the guest's frames, a guest without buffers leaves the peer's frames in
 * the ring until it adds some), frames of bad lengths from the peer
 * dropped without blocking the ring, and a peer that corrupts the ring or
 * vanishes costs only the frames in flight. The system calls of
 * lib/channel.c are replaced by counters. */
#include "vnet_harness.h"
#include "servers/vmm/net_channel.h"
#include "lib/component.h"
#include "lib/utcb.h"

#define SLOTS DJ_NIC_SLOTS
#define SLOT_SIZE DJ_NIC_SLOT_SIZE

/* ---- fakes of lib/channel.c, lib/component.c and the system calls ---------- */

static unsigned kicks, closes;
struct dj_utcb *dj_utcb_self;

void dj_chan_kick(struct dj_chan *c, bool needed)
{
    (void)c;
    kicks += needed;
}
void dj_chan_close(struct dj_chan *c)
{
    (void)c;
    closes++;
}
enum dj_status dj_chan_connect(struct dj_chan *c, uint64_t pt, struct dj_chan_geom geom, uint64_t va, uint64_t sm)
{
    (void)c, (void)pt, (void)geom, (void)va, (void)sm;
    fail_msg("not used by this test");
    return DJ_E_BAD_PARAM;
}
int dj_chan_region_order(struct dj_chan_geom geom)
{
    (void)geom;
    return 0;
}
uint64_t dj_chan_serve(struct dj_chan_server *s, struct dj_utcb *u)
{
    (void)s, (void)u;
    return 0;
}
enum dj_status dj_chan_server_init(struct dj_chan_server *s)
{
    (void)s;
    return DJ_OK;
}
void dj_chan_server_reset(struct dj_chan_server *s)
{
    (void)s;
}
bool dj_is_client_announcement(const struct dj_utcb *u)
{
    (void)u;
    return false;
}
enum dj_status dj_sm_ctrl(uint64_t sel, uint64_t op)
{
    (void)sel, (void)op;
    return DJ_OK;
}
enum dj_status dj_sm_down_timeout(uint64_t sel, uint64_t us)
{
    (void)sel, (void)us;
    return DJ_E_TIMEOUT;
}

/* ---- the channel and its peer ------------------------------------------------- */

static struct net_channel nc;
static void *ring_mem[2];    /* [0]: VMM to peer, [1]: peer to VMM */
static struct dj_chan_tx peer_tx; /* produces into ring 1 */
static struct dj_chan_rx peer_rx; /* consumes ring 0 */
static size_t ring_bytes;

static void no_lock(void)
{
}

static int setup(void **state)
{
    (void)state;
    setup_device();
    driver_queues_reset();
    memset(&nc, 0, sizeof(nc));
    nc.lock = nc.unlock = no_lock;
    kicks = closes = 0;
    ring_bytes = dj_chan_ring_bytes(SLOTS, SLOT_SIZE);
    for (unsigned i = 0; i < 2; i++) {
        ring_mem[i] = aligned_alloc(4096, ring_bytes);
        assert_non_null(ring_mem[i]);
        memset(ring_mem[i], 0, ring_bytes);
    }
    assert_int_equal(dj_chan_tx_attach(&nc.own.tx, ring_mem[0], ring_bytes, SLOTS, SLOT_SIZE), DJ_OK);
    assert_int_equal(dj_chan_rx_attach(&peer_rx, ring_mem[0], ring_bytes, SLOTS, SLOT_SIZE), DJ_OK);
    assert_int_equal(dj_chan_tx_attach(&peer_tx, ring_mem[1], ring_bytes, SLOTS, SLOT_SIZE), DJ_OK);
    assert_int_equal(dj_chan_rx_attach(&nc.own.rx, ring_mem[1], ring_bytes, SLOTS, SLOT_SIZE), DJ_OK);
    /* The device with the channel backend, brought up by the guest. */
    free(net);
    net = malloc(sizeof(*net));
    assert_non_null(net);
    struct virtio_pci_setup s = {.bus = &bus, .ram = &ram, .bar_base = BAR_ADDR};
    struct virtio_net_backend b = net_channel_backend(&nc);
    assert_true(virtio_net_init(net, &s, test_mac, &b));
    nc.dev = net;
    nc.chan = &nc.own; /* connected */
    bring_up(BASE_FEATURES | (1ull << VIRTIO_F_EVENT_IDX), true);
    return 0;
}

static int teardown_all(void **state)
{
    free(ring_mem[0]);
    free(ring_mem[1]);
    return teardown(state);
}

static void peer_send(const uint8_t *f, size_t len)
{
    void *slot = dj_chan_tx_reserve(&peer_tx, len);
    assert_non_null(slot);
    memcpy(slot, f, len);
    assert_true(dj_chan_tx_commit(&peer_tx, len));
}

/* The frame the guest received in used entry i. */
static void assert_guest_got(unsigned i, const uint8_t *f, size_t len)
{
    struct virtq_used_elem *e = used_elem(RXQ_USED, i);
    assert_int_equal(e->len, VIRTIO_NET_HDR_LEN + len);
    assert_memory_equal(gpa(desc(RXQ_DESC, e->id)->addr + VIRTIO_NET_HDR_LEN), f, len);
}

static void frames_from_peer_wait_for_guest_buffers(void **state)
{
    (void)state;
    uint8_t f[1514];
    for (unsigned i = 0; i < 10; i++) {
        make_frame(f, 60 + 100 * i, 100 + i);
        peer_send(f, 60 + 100 * i);
    }
    dj_chan_tx_publish(&peer_tx);
    post_rx(4, VIRTIO_NET_HDR_LEN + 1518);
    net_channel_poll(&nc);
    assert_int_equal(used_idx(RXQ_USED), 4);
    assert_true(nc.rx_stalled);
    assert_int_equal(dj_chan_rx_pending(&nc.own.rx), 6); /* still the peer's, in the ring */
    assert_int_equal(msi_count_for(1), 1);
    /* The guest adds buffers and notifies: the rest arrives. */
    post_rx(8, VIRTIO_NET_HDR_LEN + 1518);
    notify(VIRTIO_NET_RXQ);
    assert_int_equal(used_idx(RXQ_USED), 10);
    assert_false(nc.rx_stalled);
    for (unsigned i = 0; i < 10; i++) {
        make_frame(f, 60 + 100 * i, 100 + i);
        assert_guest_got(i, f, 60 + 100 * i);
    }
    assert_int_equal(nc.stats.from_peer, 10);
    /* The consumer end is armed: the peer's next publish rings. */
    peer_send(f, 60);
    assert_true(dj_chan_tx_publish(&peer_tx));
}

static void frames_to_peer_wait_for_ring_space(void **state)
{
    (void)state;
    enum { FRAMES = SLOTS + 44 };
    uint8_t f[200];
    /* The guest queues more frames than the ring holds, in batches its
     * queue allows. */
    unsigned queued = 0;
    while (queued < FRAMES) {
        unsigned batch = FRAMES - queued < 100 ? FRAMES - queued : 100; /* fewer than the 128 buffers */
        for (unsigned i = 0; i < batch; i++, queued++) {
            make_frame(f, 100 + queued % 100, queued);
            publish(&txq, put_desc(&txq, tx_buffer(queued % 128, f, 100 + queued % 100),
                                   VIRTIO_NET_HDR_LEN + 100 + queued % 100, 0, 0));
        }
        notify(VIRTIO_NET_TXQ);
        if (net->tx_blocked)
            break;
    }
    assert_true(net->tx_blocked);
    assert_int_equal(nc.stats.to_peer, SLOTS);
    unsigned got = 0;
    size_t len;
    const uint8_t *m;
    uint8_t want[200];
    while (got < FRAMES) {
        /* The peer takes what is there, then hands the slots back. */
        while ((m = dj_chan_rx_peek(&peer_rx, &len)) != NULL) {
            make_frame(want, 100 + got % 100, got);
            assert_int_equal(len, 100 + got % 100);
            assert_memory_equal(m, want, len);
            dj_chan_rx_release(&peer_rx);
            got++;
        }
        dj_chan_rx_publish(&peer_rx);
        if (got < FRAMES && !net->tx_blocked) {
            /* Queue the rest the guest still has. */
            for (; queued < FRAMES; queued++) {
                make_frame(f, 100 + queued % 100, queued);
                publish(&txq, put_desc(&txq, tx_buffer(queued % 128, f, 100 + queued % 100),
                                       VIRTIO_NET_HDR_LEN + 100 + queued % 100, 0, 0));
            }
            notify(VIRTIO_NET_TXQ);
        }
        net_channel_poll(&nc); /* the I/O thread, woken by the doorbell */
        assert_true(got < FRAMES || dj_chan_tx_in_flight(&nc.own.tx) == 0);
        if (got < FRAMES)
            assert_int_not_equal(dj_chan_rx_pending(&peer_rx), 0);
    }
    assert_int_equal(nc.stats.to_peer, FRAMES);
    assert_int_equal(used_idx(TXQ_USED), FRAMES);
    assert_false(net->tx_blocked);
    assert_int_equal(net->stats.tx_dropped, 0);
}

static void bad_lengths_from_peer_do_not_block(void **state)
{
    (void)state;
    uint8_t f[SLOT_SIZE];
    make_frame(f, sizeof(f), 7);
    peer_send(f, 10);                                     /* runt */
    peer_send(f, dj_chan_payload_max(SLOT_SIZE));         /* far too long */
    peer_send(f, 1519);                                   /* one byte too long */
    peer_send(f, 64);                                     /* fine */
    dj_chan_tx_publish(&peer_tx);
    post_rx(4, VIRTIO_NET_HDR_LEN + 1518);
    net_channel_poll(&nc);
    assert_int_equal(used_idx(RXQ_USED), 1);
    assert_guest_got(0, f, 64);
    assert_int_equal(dj_chan_rx_pending(&nc.own.rx), 0);
    assert_int_equal(net->stats.rx_dropped, 3);
}

static void peer_corrupts_ring(void **state)
{
    (void)state;
    uint8_t f[64];
    make_frame(f, 64, 8);
    peer_send(f, 64);
    dj_chan_tx_publish(&peer_tx);
    /* The first slot's length turns to garbage: the ring layer calls it broken. */
    memset(ring_mem[1], 0x7f, 64);
    post_rx(2, 1600);
    net_channel_poll(&nc);
    assert_true(nc.own.rx.broken);
    assert_int_equal(used_idx(RXQ_USED), 0);
    /* The guest keeps running: its frames go nowhere, its queue drains. */
    publish(&txq, put_desc(&txq, tx_buffer(0, f, 64), VIRTIO_NET_HDR_LEN + 64, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(used_idx(TXQ_USED), 1);
    assert_false(needs_reset());
}

static void peer_corrupts_its_consumer_index(void **state)
{
    (void)state;
    /* The peer's consumer index on ring 0 turns to garbage: once this
     * side looks at it, its producer end is broken, and the guest's
     * frames are dropped instead of waiting forever for space. */
    memset((uint8_t *)ring_mem[0] + (size_t)SLOTS * SLOT_SIZE + 64, 0x7f, 64); /* the consumer line */
    uint8_t f[64];
    make_frame(f, 64, 10);
    unsigned total = 0;
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < 100; i++, total++)
            publish(&txq, put_desc(&txq, tx_buffer(i, f, 64), VIRTIO_NET_HDR_LEN + 64, 0, 0));
        notify(VIRTIO_NET_TXQ);
    }
    assert_true(nc.own.tx.broken);
    assert_false(net->tx_blocked);
    assert_int_equal(used_idx(TXQ_USED), total);
    assert_true(nc.stats.dropped_unconnected > 0);
    assert_false(needs_reset());
}

static void peer_gone(void **state)
{
    (void)state;
    /* No channel (lost, not yet reconnected): guest frames are dropped,
     * nothing waits, the device stays healthy. */
    nc.chan = NULL;
    uint8_t f[64];
    make_frame(f, 64, 9);
    for (unsigned i = 0; i < 3; i++)
        publish(&txq, put_desc(&txq, tx_buffer(i, f, 64), VIRTIO_NET_HDR_LEN + 64, 0, 0));
    notify(VIRTIO_NET_TXQ);
    assert_int_equal(used_idx(TXQ_USED), 3);
    assert_int_equal(nc.stats.dropped_unconnected, 3);
    net_channel_poll(&nc); /* nothing to do */
    assert_false(needs_reset());
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(frames_from_peer_wait_for_guest_buffers, setup, teardown_all),
        cmocka_unit_test_setup_teardown(frames_to_peer_wait_for_ring_space, setup, teardown_all),
        cmocka_unit_test_setup_teardown(bad_lengths_from_peer_do_not_block, setup, teardown_all),
        cmocka_unit_test_setup_teardown(peer_corrupts_ring, setup, teardown_all),
        cmocka_unit_test_setup_teardown(peer_corrupts_its_consumer_index, setup, teardown_all),
        cmocka_unit_test_setup_teardown(peer_gone, setup, teardown_all),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
