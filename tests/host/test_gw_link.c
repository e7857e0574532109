// host-test-sources: wrappers/esp/component/gw_link.c lib/chan_ring.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The gateway component's Ethernet layer (wrappers/esp/component/
 * gw_link.c) on the real ring layer (lib/chan_ring.c), with the client's
 * ends of the rings in the test: ARP answered for our address only, the
 * neighbor's MAC learned from the neighbor only, IP frames to our MAC
 * handed up trimmed to the IP length, everything else dropped under its
 * reason; sending waits for the neighbor (one ARP request per dropped
 * packet), pads short frames and counts a full ring or a missing client.
 * A deterministic fuzz run feeds hostile frames to both sides (exact-size
 * copies, so ASan sees any overread). The doorbell system call is a
 * counter. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "wrappers/esp/component/gw.h"

struct gw_state gws; /* main.c's, which the test does not link */

#define SLOTS 8
#define SLOT_SIZE 2048
#define ETH_HDR 14
#define MIN_FRAME 60

static const uint8_t own_mac[6] = {0x02, 0, 0, 0, 0xee, 0x01};
static const uint8_t client_mac[6] = {0x52, 0x54, 0, 0x12, 0x34, 0x56};
static const uint8_t other_mac[6] = {0x52, 0x54, 0, 0x99, 0x99, 0x99};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define OWN_ADDR 0x0a01ff01u  /* 10.1.255.1 */
#define NEIGHBOR 0x0a01ff02u  /* 10.1.255.2 */
#define STRANGER 0x0a01ff07u

static unsigned doorbells;
enum dj_status dj_sm_ctrl(uint64_t sel, unsigned op)
{
    (void)sel, (void)op;
    doorbells++;
    return DJ_OK;
}

/* The client's ends: it consumes what the gateway sends on that side. */
static void *ring_mem[GW_SIDES];
static struct dj_chan_rx client_rx[GW_SIDES];

static int setup(void **state)
{
    (void)state;
    memset(&gws, 0, sizeof(gws));
    doorbells = 0;
    size_t bytes = dj_chan_ring_bytes(SLOTS, SLOT_SIZE);
    for (int s = 0; s < GW_SIDES; s++) {
        struct gw_link *l = &gws.side[s];
        l->name = s == GW_INNER ? "inner" : "outer";
        memcpy(l->own_mac, own_mac, 6);
        l->own_addr = OWN_ADDR + 0x100u * (unsigned)s;
        l->neighbor = NEIGHBOR + 0x100u * (unsigned)s;
        l->attached = true;
        ring_mem[s] = aligned_alloc(4096, bytes);
        assert_non_null(ring_mem[s]);
        memset(ring_mem[s], 0, bytes);
        assert_int_equal(dj_chan_tx_attach(&l->server.chan.tx, ring_mem[s], bytes, SLOTS, SLOT_SIZE), DJ_OK);
        assert_int_equal(dj_chan_rx_attach(&client_rx[s], ring_mem[s], bytes, SLOTS, SLOT_SIZE), DJ_OK);
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    for (int s = 0; s < GW_SIDES; s++)
        free(ring_mem[s]);
    return 0;
}

static uint64_t drops(enum esp_drop why)
{
    return gws.gw.count.drops[why];
}

static uint64_t all_drops(void)
{
    uint64_t n = 0;
    for (int i = 0; i < ESP_DROP_COUNT; i++)
        n += gws.gw.count.drops[i];
    return n;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16)), put16(p + 2, (uint16_t)v);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memset(f, 0, MIN_FRAME);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    put16(f + 12, type);
    return ETH_HDR;
}

static size_t arp(uint8_t *f, const uint8_t *dst, const uint8_t *sha, uint16_t oper, uint32_t spa, uint32_t tpa)
{
    eth(f, dst, sha, 0x0806);
    uint8_t *a = f + ETH_HDR;
    put16(a, 1);
    put16(a + 2, 0x0800);
    a[4] = 6, a[5] = 4;
    put16(a + 6, oper);
    memcpy(a + 8, sha, 6);
    put32(a + 14, spa);
    put32(a + 24, tpa);
    return MIN_FRAME;
}

/* gw_link_receive on an exact-size heap copy. */
static bool receive(enum gw_side s, const uint8_t *f, size_t len, size_t *off, size_t *pkt_len)
{
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, f, len);
    const uint8_t *pkt = NULL;
    size_t n = 0;
    bool up = gw_link_receive(s, copy, len, &pkt, &n);
    if (up) {
        assert_true(pkt >= copy + ETH_HDR && pkt + n <= copy + len);
        if (off)
            *off = (size_t)(pkt - copy);
        if (pkt_len)
            *pkt_len = n;
    }
    free(copy);
    return up;
}

/* The next frame the client of side s got, copied to f; its length or 0. */
static size_t client_gets(enum gw_side s, uint8_t *f)
{
    gw_link_flush(s);
    size_t len;
    const void *m = dj_chan_rx_peek(&client_rx[s], &len);
    if (!m)
        return 0;
    memcpy(f, m, len);
    dj_chan_rx_release(&client_rx[s]);
    dj_chan_rx_publish(&client_rx[s]);
    return len;
}

/* The neighbor's ARP (oper 1 a request, 2 a reply) about our address,
 * sent to dst on the inner side: taken there, not handed up, and the
 * neighbor's MAC learned. */
static void neighbor_arp_learned(const uint8_t *dst, uint16_t oper)
{
    uint8_t f[MIN_FRAME];
    size_t n = arp(f, dst, client_mac, oper, NEIGHBOR, OWN_ADDR);
    assert_false(receive(GW_INNER, f, n, NULL, NULL));
    assert_true(gws.side[GW_INNER].neighbor_known);
}

static void arp_request_for_us_answered_and_neighbor_learned(void **state)
{
    (void)state;
    uint8_t r[SLOT_SIZE];
    neighbor_arp_learned(bcast, 1);
    assert_memory_equal(gws.side[GW_INNER].neighbor_mac, client_mac, 6);
    assert_int_equal(client_gets(GW_INNER, r), MIN_FRAME);
    assert_memory_equal(r, client_mac, 6);
    assert_memory_equal(r + 6, own_mac, 6);
    assert_int_equal(r[12] << 8 | r[13], 0x0806);
    assert_int_equal(r[ETH_HDR + 7], 2); /* reply */
    assert_memory_equal(r + ETH_HDR + 8, own_mac, 6);
    assert_int_equal(get32(r + ETH_HDR + 14), OWN_ADDR);
    assert_memory_equal(r + ETH_HDR + 18, client_mac, 6);
    assert_int_equal(get32(r + ETH_HDR + 24), NEIGHBOR);
    assert_int_equal(gws.side[GW_INNER].arp_replies, 1);
    assert_int_equal(all_drops(), 0);
    assert_true(doorbells > 0);
    assert_int_equal(client_gets(GW_OUTER, r), 0); /* nothing on the other side */
}

static void arp_reply_from_neighbor_learned(void **state)
{
    (void)state;
    uint8_t r[SLOT_SIZE];
    neighbor_arp_learned(own_mac, 2);
    assert_int_equal(all_drops(), 0);
    assert_int_equal(client_gets(GW_INNER, r), 0); /* no answer to a reply */
}

static void arp_not_learned_from_others(void **state)
{
    (void)state;
    uint8_t f[MIN_FRAME], r[SLOT_SIZE];
    /* A stranger asking for us: answered, but it is not the neighbor. */
    size_t n = arp(f, bcast, other_mac, 1, STRANGER, OWN_ADDR);
    receive(GW_INNER, f, n, NULL, NULL);
    assert_false(gws.side[GW_INNER].neighbor_known);
    assert_int_equal(client_gets(GW_INNER, r), MIN_FRAME);
    /* The neighbor asking for someone else: not for us, not learned. */
    n = arp(f, bcast, client_mac, 1, NEIGHBOR, STRANGER);
    receive(GW_INNER, f, n, NULL, NULL);
    assert_false(gws.side[GW_INNER].neighbor_known);
    assert_int_equal(drops(ESP_DROP_LINK_NOT_OURS), 1);
    /* A multicast sender MAC: neither learned nor answered. */
    uint8_t mcast[6] = {0x01, 0, 0x5e, 0, 0, 1};
    n = arp(f, bcast, mcast, 1, NEIGHBOR, OWN_ADDR);
    receive(GW_INNER, f, n, NULL, NULL);
    assert_false(gws.side[GW_INNER].neighbor_known);
    assert_int_equal(drops(ESP_DROP_LINK_NOT_OURS), 2);
    /* ARP unicast to another MAC: not ours, whatever it says. */
    n = arp(f, other_mac, client_mac, 1, NEIGHBOR, OWN_ADDR);
    receive(GW_INNER, f, n, NULL, NULL);
    assert_false(gws.side[GW_INNER].neighbor_known);
    assert_int_equal(drops(ESP_DROP_LINK_NOT_OURS), 3);
    /* A reply from the neighbor for another address. */
    n = arp(f, own_mac, client_mac, 2, NEIGHBOR, STRANGER);
    receive(GW_INNER, f, n, NULL, NULL);
    assert_false(gws.side[GW_INNER].neighbor_known);
    assert_int_equal(drops(ESP_DROP_LINK_NOT_OURS), 4);
    assert_int_equal(client_gets(GW_INNER, r), 0);
}

static void malformed_arp_dropped(void **state)
{
    (void)state;
    uint8_t f[MIN_FRAME], r[SLOT_SIZE];
    size_t n = arp(f, bcast, client_mac, 1, NEIGHBOR, OWN_ADDR);
    receive(GW_INNER, f, ETH_HDR + 27, NULL, NULL); /* truncated */
    f[ETH_HDR + 1] = 2;                             /* hardware type 2 */
    receive(GW_INNER, f, n, NULL, NULL);
    arp(f, bcast, client_mac, 1, NEIGHBOR, OWN_ADDR);
    f[ETH_HDR + 3] = 0xdd; /* protocol IPv6 */
    receive(GW_INNER, f, n, NULL, NULL);
    arp(f, bcast, client_mac, 1, NEIGHBOR, OWN_ADDR);
    f[ETH_HDR + 4] = 8; /* hardware address length */
    receive(GW_INNER, f, n, NULL, NULL);
    arp(f, bcast, client_mac, 1, NEIGHBOR, OWN_ADDR);
    f[ETH_HDR + 5] = 16; /* protocol address length */
    receive(GW_INNER, f, n, NULL, NULL);
    assert_int_equal(drops(ESP_DROP_LINK_NOT_OURS), 5);
    assert_false(gws.side[GW_INNER].neighbor_known);
    assert_int_equal(client_gets(GW_INNER, r), 0);
}

static size_t ipv4(uint8_t *f, const uint8_t *dst, uint16_t total, size_t frame_len)
{
    memset(f, 0, frame_len);
    eth(f, dst, client_mac, 0x0800);
    f[ETH_HDR] = 0x45;
    put16(f + ETH_HDR + 2, total);
    return frame_len;
}

static void ip_to_us_handed_up_trimmed(void **state)
{
    (void)state;
    uint8_t f[1600];
    size_t off, len;
    /* A 28-byte packet in a padded 60-byte frame: 28 bytes up. */
    assert_true(receive(GW_INNER, f, ipv4(f, own_mac, 28, MIN_FRAME), &off, &len));
    assert_int_equal(off, ETH_HDR);
    assert_int_equal(len, 28);
    assert_true(receive(GW_OUTER, f, ipv4(f, own_mac, 1500, 1514), &off, &len));
    assert_int_equal(len, 1500);
    /* A length beyond the frame: everything there is (the policy counts it). */
    assert_true(receive(GW_INNER, f, ipv4(f, own_mac, 1500, 100), &off, &len));
    assert_int_equal(len, 100 - ETH_HDR);
    /* IPv6 on the inner side, trimmed to 40 + payload length. */
    memset(f, 0, 200);
    eth(f, own_mac, client_mac, 0x86dd);
    f[ETH_HDR] = 0x60;
    put16(f + ETH_HDR + 4, 8);
    assert_true(receive(GW_INNER, f, 200, &off, &len));
    assert_int_equal(len, 48);
    assert_int_equal(all_drops(), 0);
    assert_int_equal(gws.side[GW_INNER].stats[DJ_NIC_STAT_TX_FRAMES], 3);
    assert_int_equal(gws.side[GW_INNER].stats[DJ_NIC_STAT_TX_BYTES], MIN_FRAME + 100 + 200);
}

static void other_frames_dropped_under_their_reason(void **state)
{
    (void)state;
    uint8_t f[200] = {0};
    assert_false(receive(GW_INNER, f, 13, NULL, NULL)); /* runt */
    assert_false(receive(GW_INNER, f, 0, NULL, NULL));
    assert_int_equal(drops(ESP_DROP_LINK_NOT_IP), 2);
    assert_false(receive(GW_INNER, f, ipv4(f, other_mac, 28, MIN_FRAME), NULL, NULL));
    assert_false(receive(GW_INNER, f, ipv4(f, bcast, 28, MIN_FRAME), NULL, NULL));
    assert_int_equal(drops(ESP_DROP_LINK_NOT_OURS), 2);
    eth(f, own_mac, client_mac, 0x86dd); /* IPv6 from the outer side: ESP is IPv4 there */
    f[ETH_HDR] = 0x60;
    assert_false(receive(GW_OUTER, f, 100, NULL, NULL));
    eth(f, own_mac, client_mac, 0x88cc); /* LLDP */
    assert_false(receive(GW_INNER, f, MIN_FRAME, NULL, NULL));
    eth(f, own_mac, client_mac, 0x8100); /* a VLAN tag */
    assert_false(receive(GW_OUTER, f, MIN_FRAME, NULL, NULL));
    assert_int_equal(drops(ESP_DROP_LINK_NOT_IP), 5);
}

static void send_waits_for_the_neighbor(void **state)
{
    (void)state;
    uint8_t f[SLOT_SIZE], r[SLOT_SIZE];
    memset(f, 0xcc, sizeof(f));
    f[ETH_HDR] = 0x45;
    gw_link_send_ip(GW_OUTER, f, 20);
    assert_int_equal(drops(ESP_DROP_LINK_NO_NEIGHBOR), 1);
    /* One ARP request per dropped packet, broadcast, for the neighbor. */
    assert_int_equal(client_gets(GW_OUTER, r), MIN_FRAME);
    assert_memory_equal(r, bcast, 6);
    assert_int_equal(r[ETH_HDR + 7], 1);
    assert_int_equal(get32(r + ETH_HDR + 14), OWN_ADDR + 0x100);
    assert_int_equal(get32(r + ETH_HDR + 24), NEIGHBOR + 0x100);
    assert_int_equal(client_gets(GW_OUTER, r), 0);
    assert_int_equal(gws.side[GW_OUTER].arp_requests, 1);
    /* The neighbor answers; now a short packet goes out padded with zeros. */
    size_t n = arp(r, own_mac, client_mac, 2, NEIGHBOR + 0x100, OWN_ADDR + 0x100);
    receive(GW_OUTER, r, n, NULL, NULL);
    assert_true(gws.side[GW_OUTER].neighbor_known);
    memset(f, 0xcc, sizeof(f));
    f[ETH_HDR] = 0x45;
    gw_link_send_ip(GW_OUTER, f, 20);
    assert_int_equal(client_gets(GW_OUTER, r), MIN_FRAME);
    assert_memory_equal(r, client_mac, 6);
    assert_memory_equal(r + 6, own_mac, 6);
    assert_int_equal(r[12] << 8 | r[13], 0x0800);
    for (size_t i = ETH_HDR + 20; i < MIN_FRAME; i++)
        assert_int_equal(r[i], 0);
    /* An IPv6 packet gets its ethertype; a full-size one its length. */
    f[ETH_HDR] = 0x60;
    gw_link_send_ip(GW_OUTER, f, 1500);
    assert_int_equal(client_gets(GW_OUTER, r), 1514);
    assert_int_equal(r[12] << 8 | r[13], 0x86dd);
    assert_int_equal(gws.side[GW_OUTER].stats[DJ_NIC_STAT_RX_FRAMES], 3);
    assert_int_equal(drops(ESP_DROP_LINK_NO_NEIGHBOR), 1);
}

static void send_counts_full_ring_and_missing_client(void **state)
{
    (void)state;
    uint8_t f[SLOT_SIZE];
    memset(f, 0, sizeof(f));
    f[ETH_HDR] = 0x45;
    struct gw_link *l = &gws.side[GW_INNER];
    memcpy(l->neighbor_mac, client_mac, 6);
    l->neighbor_known = true;
    for (int i = 0; i < SLOTS + 3; i++)
        gw_link_send_ip(GW_INNER, f, 100);
    assert_int_equal(drops(ESP_DROP_LINK_RING_FULL), 3);
    assert_int_equal(l->stats[DJ_NIC_STAT_RX_DROPPED], 3);
    assert_int_equal(l->stats[DJ_NIC_STAT_RX_FRAMES], SLOTS);
    gws.side[GW_OUTER].attached = false;
    gw_link_send_ip(GW_OUTER, f, 100);
    assert_int_equal(drops(ESP_DROP_LINK_NO_CLIENT), 1);
    gw_link_flush(GW_OUTER); /* nothing to do, no doorbell */
    /* An unknown neighbor on a side without a client: no ARP either. */
    gws.side[GW_OUTER].neighbor_known = false;
    gw_link_send_ip(GW_OUTER, f, 100);
    assert_int_equal(drops(ESP_DROP_LINK_NO_CLIENT), 2);
    assert_int_equal(gws.side[GW_OUTER].arp_requests, 0);
}

/* ---- Fuzz ------------------------------------------------------------------ */

static uint64_t rng = 0x5851f42d4c957f2du;

static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Random frames, half of them shaped like ARP or IP to us with random
 * fields, on both sides; the rings drained now and then. Whatever comes
 * up must lie inside the frame; whatever goes out must be a whole frame
 * from our MAC; every frame is either handed up, answered or counted. */
static void fuzz_hostile_frames(void **state)
{
    (void)state;
    static uint8_t f[SLOT_SIZE], r[SLOT_SIZE];
    unsigned up = 0;
    for (int i = 0; i < 40000; i++) {
        enum gw_side s = (enum gw_side)(rnd() % GW_SIDES);
        size_t n = rnd() % 200;
        if (rnd() % 8 == 0)
            n = rnd() % sizeof(f);
        for (size_t k = 0; k < n; k++)
            f[k] = (uint8_t)rnd();
        if (n >= ETH_HDR && (i & 1)) {
            const uint8_t *dst = rnd() % 2 ? own_mac : bcast;
            static const uint16_t types[] = {0x0800, 0x0806, 0x86dd};
            memcpy(f, dst, 6);
            put16(f + 12, types[rnd() % 3]);
            if (n >= ETH_HDR + 28 && f[13] == 0x06 && rnd() % 2) {
                put16(f + ETH_HDR, 1);
                put16(f + ETH_HDR + 2, 0x0800);
                f[ETH_HDR + 4] = 6, f[ETH_HDR + 5] = 4;
                put32(f + ETH_HDR + 24, gws.side[s].own_addr);
                if (rnd() % 2)
                    put32(f + ETH_HDR + 14, gws.side[s].neighbor);
            }
            if (n >= ETH_HDR + 1 && f[13] == 0x00)
                f[ETH_HDR] = (uint8_t)(0x40 | (f[ETH_HDR] & 0x0f));
        }
        uint64_t before = all_drops() + gws.side[s].arp_replies;
        size_t len = 0;
        if (receive(s, f, n, NULL, &len)) {
            up++;
            assert_true(len <= n - ETH_HDR);
        } else {
            /* Dropped and counted, or an ARP for us: answered or learned. */
            bool arp_for_us = n >= ETH_HDR + 28 && f[12] == 0x08 && f[13] == 0x06;
            if (!arp_for_us)
                assert_true(all_drops() + gws.side[s].arp_replies > before);
        }
        if (rnd() % 4 == 0) { /* the loop sends something back */
            memset(r, 0, sizeof(r));
            r[ETH_HDR] = rnd() % 2 ? 0x45 : 0x60;
            gw_link_send_ip((enum gw_side)(rnd() % GW_SIDES), r, 20 + rnd() % 1480);
        }
        if (rnd() % 16 == 0) {
            for (int side = 0; side < GW_SIDES; side++) {
                size_t got;
                while ((got = client_gets((enum gw_side)side, r)) != 0) {
                    assert_true(got >= MIN_FRAME && got <= 1514);
                    assert_memory_equal(r + 6, own_mac, 6);
                }
            }
        }
    }
    print_message("%u of 40000 hostile frames handed up, %lu dropped\n", up, (unsigned long)all_drops());
    assert_true(up > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(arp_request_for_us_answered_and_neighbor_learned, setup, teardown),
        cmocka_unit_test_setup_teardown(arp_reply_from_neighbor_learned, setup, teardown),
        cmocka_unit_test_setup_teardown(arp_not_learned_from_others, setup, teardown),
        cmocka_unit_test_setup_teardown(malformed_arp_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(ip_to_us_handed_up_trimmed, setup, teardown),
        cmocka_unit_test_setup_teardown(other_frames_dropped_under_their_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(send_waits_for_the_neighbor, setup, teardown),
        cmocka_unit_test_setup_teardown(send_counts_full_ring_and_missing_client, setup, teardown),
        cmocka_unit_test_setup_teardown(fuzz_hostile_frames, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
