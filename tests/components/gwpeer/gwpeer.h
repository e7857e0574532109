/* SPDX-License-Identifier: GPL-2.0-only */
/* The gateway test's two clients of the ESP gateway component
 * (docs/gateway.md, "Tests"): arg=inner plays the LAN side's router,
 * arg=outer the remote peer gateway, which links the same ESP library
 * and holds the peer's view of the SAs (the gateway's configuration,
 * data= module, read with each direction reversed). */
#ifndef GWPEER_H
#define GWPEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/channel.h"
#include "lib/nic_proto.h"

#include "wrappers/esp/component/gw_proto.h"

#define ETH_HEADER 14
#define MAC_BYTES 6
#define FRAME_CAP 2040 /* a slot's payload: more than a NIC frame, for the oversized test */

/* Test addresses (tests/gateway/gw-test.xfrm). */
#define ADDR(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (uint32_t)(d))
#define GW_OUTER_ADDR ADDR(192, 0, 2, 1)
#define PEER_ADDR ADDR(192, 0, 2, 2)
#define GW_INNER_ADDR ADDR(10, 1, 255, 1)
#define LAN_ROUTER_ADDR ADDR(10, 1, 255, 2)
#define LAN_HOST ADDR(10, 1, 0, 2)
#define REMOTE_HOST ADDR(10, 2, 0, 2)
#define UNROUTED_HOST ADDR(10, 3, 0, 1)
#define FOREIGN_HOST ADDR(10, 9, 0, 1)
#define TEST_PORT 4500

#define LAN_PACKETS 20   /* inner -> outer, each "LAN-PLAIN-k" */
#define PEER_PACKETS 20  /* outer -> inner, each "PEER-AUTH-k" */
#define MARK_LAN "LAN-PLAIN-"
#define MARK_SECRET "LAN-SECRET"
#define MARK_PEER "PEER-AUTH-"
#define MARK_HELLO "PEER-HELLO"
#define MARK_DONE "PEER-DONE"
#define MARK_HOSTILE "HOSTILE"

/* link.c: the connection to the gateway (the "esp" portal). */
struct link {
    uint64_t pt;
    uint8_t mac[MAC_BYTES]; /* ours: what INFO gave */
    struct dj_chan chan;
};
bool link_open(struct link *l);
bool link_send(struct link *l, const uint8_t *frame, size_t len);
/* Waits at most timeout_ms for a frame; its length, or 0. */
size_t link_receive(struct link *l, uint8_t *buf, size_t cap, unsigned timeout_ms);
bool link_gw_stats(struct link *l, uint64_t words[DJ_GW_STATS_WORDS]);
/* Asks by ARP, from our address `ours`, for the gateway's MAC at `gateway`
 * until it answers (a bounded number of tries); false if it never does. */
bool link_learn_gateway(struct link *l, uint32_t ours, uint32_t gateway, uint8_t gw_mac[MAC_BYTES]);
void pause_ms(unsigned ms);

/* frames.c */
size_t build_udp(uint8_t *ip, uint32_t src, uint32_t dst, const char *payload, size_t payload_len);
void ip_fix_checksum(uint8_t *ip);
size_t eth_wrap(uint8_t *frame, const uint8_t dst[MAC_BYTES], const uint8_t src[MAC_BYTES], uint16_t type,
                size_t payload_len);
size_t arp_request(uint8_t *frame, const uint8_t mac[MAC_BYTES], uint32_t sender, uint32_t target);
/* The sender MAC of an ARP reply from `from` to us, or false. */
bool arp_reply_from(const uint8_t *frame, size_t len, uint32_t from, uint8_t mac[MAC_BYTES]);
bool contains(const uint8_t *p, size_t len, const char *needle);
uint16_t get16(const uint8_t *p);
uint32_t get32(const uint8_t *p);
void put16(uint8_t *p, uint16_t v);
void put32(uint8_t *p, uint32_t v);

/* report.c: PASS/FAIL lines and the totals. */
void check(bool ok, const char *name, const char *why);
extern unsigned passed, failed;

int inner_main(struct link *l);
int outer_main(struct link *l);

#endif
