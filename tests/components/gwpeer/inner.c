/* SPDX-License-Identifier: GPL-2.0-only */
/* The inner side's test client: the LAN's router. It learns the gateway's
 * MAC by ARP, waits for the peer's first authentic packet (the outer
 * client is ready then), sends hostile frames (plaintext to an address no
 * policy covers, a broadcast, a non-IP frame, an oversized frame, a bad IP
 * header) and then LAN_PACKETS genuine ones, and receives until the peer's
 * last packet: everything that arrives must be the peer's authentic
 * traffic. It ends the run (DJ_DEBUG_OP_TEST_DONE). */
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"

#include "gwpeer.h"

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_EXPERIMENTAL 0x88b5
#define IPV4_HEADER 20
#define UDP_PAYLOAD_OFF (ETH_HEADER + IPV4_HEADER + 8)
#define OVERSIZED_FRAME 1800
#define WAIT_STEP_MS 100
#define HELLO_WAIT_MS 30000
#define DONE_WAIT_MS 30000
#define STATUS_GRACE_MS 1500

static uint8_t gw_mac[MAC_BYTES];
static uint8_t frame[FRAME_CAP], rx[FRAME_CAP];

enum kind { K_OTHER, K_ARP, K_HELLO, K_PEER, K_DONE };

/* What arrived: only the peer's authentic UDP is expected. */
static enum kind classify(const struct link *l, const uint8_t *f, size_t len, unsigned *index)
{
    if (len >= ETH_HEADER && get16(f + 12) == 0x0806)
        return K_ARP;
    if (len < UDP_PAYLOAD_OFF || get16(f + 12) != ETH_TYPE_IPV4 || memcmp(f, l->mac, MAC_BYTES) != 0 ||
        get32(f + ETH_HEADER + 12) != REMOTE_HOST || get32(f + ETH_HEADER + 16) != LAN_HOST)
        return K_OTHER;
    const uint8_t *p = f + UDP_PAYLOAD_OFF;
    size_t n = len - UDP_PAYLOAD_OFF;
    if (n >= strlen(MARK_HELLO) && memcmp(p, MARK_HELLO, strlen(MARK_HELLO)) == 0)
        return K_HELLO;
    if (n >= strlen(MARK_DONE) && memcmp(p, MARK_DONE, strlen(MARK_DONE)) == 0)
        return K_DONE;
    size_t m = strlen(MARK_PEER);
    if (n >= m + 2 && memcmp(p, MARK_PEER, m) == 0) {
        *index = (unsigned)(p[m] - '0') * 10 + (unsigned)(p[m + 1] - '0');
        return K_PEER;
    }
    return K_OTHER;
}

static void send_udp(struct link *l, const uint8_t *dst_mac, uint32_t dst, const char *text)
{
    size_t n = build_udp(frame + ETH_HEADER, LAN_HOST, dst, text, strlen(text));
    link_send(l, frame, eth_wrap(frame, dst_mac, l->mac, ETH_TYPE_IPV4, n));
}

/* Frames no policy lets out; the outer client checks none of it leaves. */
static void send_hostile(struct link *l)
{
    static const uint8_t bcast[MAC_BYTES] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    send_udp(l, gw_mac, UNROUTED_HOST, MARK_SECRET "-no-policy");
    send_udp(l, bcast, REMOTE_HOST, MARK_SECRET "-broadcast");
    memset(frame + ETH_HEADER, 'S', 100);
    memcpy(frame + ETH_HEADER, MARK_SECRET, strlen(MARK_SECRET));
    link_send(l, frame, eth_wrap(frame, gw_mac, l->mac, ETH_TYPE_EXPERIMENTAL, 100));
    size_t n = build_udp(frame + ETH_HEADER, LAN_HOST, REMOTE_HOST, MARK_SECRET "-oversized", 10);
    (void)n;
    memset(frame + ETH_HEADER + IPV4_HEADER + 8 + 10, 'S', OVERSIZED_FRAME - ETH_HEADER - IPV4_HEADER - 18);
    put16(frame + ETH_HEADER + 2, OVERSIZED_FRAME - ETH_HEADER);
    ip_fix_checksum(frame + ETH_HEADER);
    eth_wrap(frame, gw_mac, l->mac, ETH_TYPE_IPV4, 0);
    link_send(l, frame, OVERSIZED_FRAME);
    n = build_udp(frame + ETH_HEADER, LAN_HOST, REMOTE_HOST, MARK_SECRET "-bad-checksum", 23);
    frame[ETH_HEADER + 10] ^= 0x55;
    link_send(l, frame, eth_wrap(frame, gw_mac, l->mac, ETH_TYPE_IPV4, n));
}

int inner_main(struct link *l)
{
    check(link_learn_gateway(l, LAN_ROUTER_ADDR, GW_INNER_ADDR, gw_mac), "gw_inner_arp",
          "the gateway did not answer ARP for its inner address");
    unsigned waited = 0, peer_seen = 0, unexpected = 0, index = 0, hellos = 0;
    bool done = false, order_ok = true;
    while (!hellos && waited < HELLO_WAIT_MS) {
        size_t len = link_receive(l, rx, sizeof(rx), WAIT_STEP_MS);
        waited += WAIT_STEP_MS;
        if (!len)
            continue;
        enum kind k = classify(l, rx, len, &index);
        hellos += k == K_HELLO;
        unexpected += k != K_HELLO && k != K_ARP;
    }
    check(hellos > 0, "gw_inner_hello", "no authentic packet from the peer came through");
    send_hostile(l);
    for (unsigned i = 0; i < LAN_PACKETS; i++) {
        char text[32];
        snprintf(text, sizeof(text), MARK_LAN "%02u", i);
        send_udp(l, gw_mac, REMOTE_HOST, text);
    }
    for (waited = 0; !done && waited < DONE_WAIT_MS;) {
        size_t len = link_receive(l, rx, sizeof(rx), WAIT_STEP_MS);
        if (!len) {
            waited += WAIT_STEP_MS;
            continue;
        }
        switch (classify(l, rx, len, &index)) {
        case K_PEER:
            order_ok &= index == peer_seen;
            peer_seen++;
            break;
        case K_DONE: done = true; break;
        case K_HELLO:
        case K_ARP: break;
        default:
            unexpected++;
            printf("gwin: unexpected frame of %u bytes\n", (unsigned)len);
        }
    }
    char why[96];
    snprintf(why, sizeof(why), "%u of %u, in order %s, done %s", peer_seen, PEER_PACKETS, order_ok ? "yes" : "no",
             done ? "yes" : "no");
    check(done && peer_seen == PEER_PACKETS && order_ok, "gw_inner_peer_packets", why);
    snprintf(why, sizeof(why), "%u frames that are not the peer's authentic traffic", unexpected);
    check(unexpected == 0, "gw_inner_only_authentic", why);
    pause_ms(STATUS_GRACE_MS); /* one more status line of the gateway */
    return 0;
}
