// host-test-sources: tests/components/netself/responder.c tests/components/netself/inet_checksum.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The network self-test's answering logic: ARP, ICMP echo and the UDP
 * stats request answered exactly; hostile frames (truncated headers, bad
 * lengths, options, bad checksums, fragments, foreign addresses, random
 * mutations) ignored with the right reason and without reading or writing
 * outside the buffers (every buffer is allocated at its exact size, so
 * ASan sees any overrun). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/components/netself/responder.h"
#include "tests/components/netself/wire.h"

#define OUR_IP 0x0a000102u  /* 10.0.1.2 */
#define PEER_IP 0x0a000101u /* 10.0.1.1 */
#define PEER_PORT 40000
#define ECHO_ID 0x1234
#define ECHO_SEQ 7
#define MAX_ECHO_PAYLOAD (NETSELF_FRAME_MAX - ETH_HEADER_LEN - IP_MIN_HEADER_LEN - ICMP_HEADER_LEN)
#define IP_MAX_IHL 15
#define FUZZ_ROUNDS 200000
#define FUZZ_SEED 0x6e657473u

static const uint8_t our_mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t peer_mac[6] = {0x02, 0x00, 0x00, 0x00, 0x00, 0x01};
static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const struct netself_addr self = {{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, OUR_IP};

/* ---- A reference checksum, written independently of the code under test. */
static uint16_t ref_checksum(const uint8_t *p, size_t n)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += (i & 1) ? p[i] : (uint64_t)p[i] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

static uint16_t ref_udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
    uint8_t *buf = calloc(1, 12 + len);
    wire_put32(buf, src);
    wire_put32(buf + 4, dst);
    buf[9] = IP_PROTO_UDP;
    wire_put16(buf + 10, (uint16_t)len);
    memcpy(buf + 12, udp, len);
    uint16_t s = ref_checksum(buf, 12 + len);
    free(buf);
    return s;
}

/* ---- Frame builders ----------------------------------------------------- */

struct frame {
    uint8_t *b;
    size_t len;
};

static struct frame frame_alloc(size_t len)
{
    struct frame f = {calloc(1, len ? len : 1), len};
    assert_non_null(f.b);
    return f;
}

/* A copy of exactly len bytes (shorter: truncated; longer: zero tail). */
static struct frame frame_resize(struct frame f, size_t len)
{
    struct frame g = frame_alloc(len);
    memcpy(g.b, f.b, len < f.len ? len : f.len);
    free(f.b);
    return g;
}

static void eth(uint8_t *b, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(b + ETH_OFF_DST, dst, 6);
    memcpy(b + ETH_OFF_SRC, src, 6);
    wire_put16(b + ETH_OFF_TYPE, type);
}

static struct frame arp_frame(const uint8_t *dst_mac, uint16_t oper, uint32_t target_ip)
{
    struct frame f = frame_alloc(ETH_HEADER_LEN + ARP_LEN);
    eth(f.b, dst_mac, peer_mac, ETH_TYPE_ARP);
    uint8_t *a = f.b + ETH_HEADER_LEN;
    wire_put16(a + ARP_OFF_HTYPE, ARP_HTYPE_ETHERNET);
    wire_put16(a + ARP_OFF_PTYPE, ETH_TYPE_IPV4);
    a[ARP_OFF_HLEN] = 6;
    a[ARP_OFF_PLEN] = 4;
    wire_put16(a + ARP_OFF_OPER, oper);
    memcpy(a + ARP_OFF_SHA, peer_mac, 6);
    wire_put32(a + ARP_OFF_SPA, PEER_IP);
    wire_put32(a + ARP_OFF_TPA, target_ip);
    return f;
}

static uint8_t *ip_of(struct frame f)
{
    return f.b + ETH_HEADER_LEN;
}

static size_t ihl_bytes(struct frame f)
{
    return (size_t)(ip_of(f)[IP_OFF_VERSION_IHL] & 0xf) * 4;
}

static uint8_t *l4_of(struct frame f)
{
    return ip_of(f) + ihl_bytes(f);
}

static void fix_ip_checksum(struct frame f)
{
    uint8_t *ip = ip_of(f);
    wire_put16(ip + IP_OFF_CHECKSUM, 0);
    wire_put16(ip + IP_OFF_CHECKSUM, ref_checksum(ip, ihl_bytes(f)));
}

/* An IPv4 frame to us with option_words words of (NOP) options and an
 * l4_len-byte upper-layer area, checksummed; the caller fills the area. */
static struct frame ipv4_frame(uint8_t proto, size_t l4_len, unsigned option_words)
{
    size_t hl = IP_MIN_HEADER_LEN + option_words * 4;
    struct frame f = frame_alloc(ETH_HEADER_LEN + hl + l4_len);
    eth(f.b, our_mac, peer_mac, ETH_TYPE_IPV4);
    uint8_t *ip = ip_of(f);
    ip[IP_OFF_VERSION_IHL] = (uint8_t)(4 << 4 | (hl / 4));
    wire_put16(ip + IP_OFF_TOTAL_LEN, (uint16_t)(hl + l4_len));
    wire_put16(ip + IP_OFF_ID, 0xbeef);
    wire_put16(ip + IP_OFF_FLAGS_FRAG, IP_FLAG_DONT_FRAGMENT);
    ip[IP_OFF_TTL] = 64;
    ip[IP_OFF_PROTOCOL] = proto;
    wire_put32(ip + IP_OFF_SRC, PEER_IP);
    wire_put32(ip + IP_OFF_DST, OUR_IP);
    memset(ip + IP_MIN_HEADER_LEN, 1 /* NOP option */, hl - IP_MIN_HEADER_LEN);
    fix_ip_checksum(f);
    return f;
}

static void fix_icmp_checksum(struct frame f)
{
    uint8_t *icmp = l4_of(f);
    size_t n = wire_get16(ip_of(f) + IP_OFF_TOTAL_LEN) - ihl_bytes(f);
    wire_put16(icmp + ICMP_OFF_CHECKSUM, 0);
    wire_put16(icmp + ICMP_OFF_CHECKSUM, ref_checksum(icmp, n));
}

static struct frame echo_frame(size_t payload, unsigned option_words)
{
    struct frame f = ipv4_frame(IP_PROTO_ICMP, ICMP_HEADER_LEN + payload, option_words);
    uint8_t *icmp = l4_of(f);
    icmp[ICMP_OFF_TYPE] = ICMP_TYPE_ECHO_REQUEST;
    wire_put16(icmp + 4, ECHO_ID);
    wire_put16(icmp + 6, ECHO_SEQ);
    for (size_t i = 0; i < payload; i++)
        icmp[ICMP_HEADER_LEN + i] = (uint8_t)(i * 7 + 3);
    fix_icmp_checksum(f);
    return f;
}

static void fix_udp_checksum(struct frame f)
{
    uint8_t *udp = l4_of(f);
    size_t n = wire_get16(udp + UDP_OFF_LEN);
    wire_put16(udp + UDP_OFF_CHECKSUM, 0);
    uint16_t s = ref_udp_checksum(PEER_IP, OUR_IP, udp, n);
    wire_put16(udp + UDP_OFF_CHECKSUM, s ? s : 0xffff);
}

static struct frame udp_frame(uint16_t dst_port, const char *text)
{
    size_t n = strlen(text);
    struct frame f = ipv4_frame(IP_PROTO_UDP, UDP_HEADER_LEN + n, 0);
    uint8_t *udp = l4_of(f);
    wire_put16(udp + UDP_OFF_SRC_PORT, PEER_PORT);
    wire_put16(udp + UDP_OFF_DST_PORT, dst_port);
    wire_put16(udp + UDP_OFF_LEN, (uint16_t)(UDP_HEADER_LEN + n));
    memcpy(udp + UDP_HEADER_LEN, text, n);
    fix_udp_checksum(f);
    return f;
}

/* ---- Running the responder ---------------------------------------------- */

struct result {
    enum netself_action action;
    uint8_t *out; /* NETSELF_REPLY_MAX bytes */
    size_t len;
};

static struct result handle(struct netself_counts *c, struct frame f)
{
    struct result r = {NETSELF_IGNORE, malloc(NETSELF_REPLY_MAX), 0};
    assert_non_null(r.out);
    r.action = netself_handle(&self, c, f.b, f.len, r.out, NETSELF_REPLY_MAX, &r.len);
    return r;
}

/* Hands f to a fresh responder and expects it ignored for why; frees f. */
static void expect_ignored(struct frame f, enum netself_ignore why)
{
    struct netself_counts c = {0};
    struct result r = handle(&c, f);
    if (r.action != NETSELF_IGNORE || c.ignored[why] != 1)
        fail_msg("expected ignored for %s, got action %d (ign count %lu)", netself_ignore_name(why), r.action,
                 (unsigned long)c.ignored[why]);
    assert_int_equal(c.rx_frames, 1);
    assert_int_equal(c.arp_replies + c.echo_replies + c.stats_requests, 0);
    free(r.out);
    free(f.b);
}

/* Checks an echo reply to request f in detail. */
static void check_echo_reply(struct frame req, const struct result *r)
{
    assert_int_equal(r->action, NETSELF_REPLY);
    size_t icmp_len = wire_get16(ip_of(req) + IP_OFF_TOTAL_LEN) - ihl_bytes(req);
    size_t want = ETH_HEADER_LEN + IP_MIN_HEADER_LEN + icmp_len;
    assert_int_equal(r->len, want < ETH_MIN_FRAME ? ETH_MIN_FRAME : want);
    const uint8_t *o = r->out, *ip = o + ETH_HEADER_LEN, *icmp = ip + IP_MIN_HEADER_LEN;
    assert_memory_equal(o + ETH_OFF_DST, peer_mac, 6);
    assert_memory_equal(o + ETH_OFF_SRC, our_mac, 6);
    assert_int_equal(wire_get16(o + ETH_OFF_TYPE), ETH_TYPE_IPV4);
    assert_int_equal(ip[IP_OFF_VERSION_IHL], 0x45);
    assert_int_equal(wire_get16(ip + IP_OFF_TOTAL_LEN), IP_MIN_HEADER_LEN + icmp_len);
    assert_int_equal(ref_checksum(ip, IP_MIN_HEADER_LEN), 0);
    assert_int_equal(ip[IP_OFF_PROTOCOL], IP_PROTO_ICMP);
    assert_true(ip[IP_OFF_TTL] > 0);
    assert_int_equal(wire_get16(ip + IP_OFF_FLAGS_FRAG) & (IP_FLAG_MORE_FRAGMENTS | IP_FRAG_OFFSET_MASK), 0);
    assert_int_equal(wire_get32(ip + IP_OFF_SRC), OUR_IP);
    assert_int_equal(wire_get32(ip + IP_OFF_DST), PEER_IP);
    assert_int_equal(icmp[ICMP_OFF_TYPE], ICMP_TYPE_ECHO_REPLY);
    assert_int_equal(icmp[ICMP_OFF_CODE], 0);
    assert_int_equal(ref_checksum(icmp, icmp_len), 0);
    /* identifier, sequence and data come back unchanged */
    assert_memory_equal(icmp + 4, l4_of(req) + 4, icmp_len - 4);
    for (size_t i = want; i < r->len; i++)
        assert_int_equal(o[i], 0);
}

/* ---- ARP ------------------------------------------------------------------ */

static void arp_request_for_us_answered(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    struct frame f = arp_frame(bcast_mac, ARP_OPER_REQUEST, OUR_IP);
    struct result r = handle(&c, f);
    assert_int_equal(r.action, NETSELF_REPLY);
    assert_int_equal(r.len, ETH_MIN_FRAME);
    assert_memory_equal(r.out + ETH_OFF_DST, peer_mac, 6);
    assert_memory_equal(r.out + ETH_OFF_SRC, our_mac, 6);
    assert_int_equal(wire_get16(r.out + ETH_OFF_TYPE), ETH_TYPE_ARP);
    const uint8_t *a = r.out + ETH_HEADER_LEN;
    assert_int_equal(wire_get16(a + ARP_OFF_HTYPE), ARP_HTYPE_ETHERNET);
    assert_int_equal(wire_get16(a + ARP_OFF_PTYPE), ETH_TYPE_IPV4);
    assert_int_equal(a[ARP_OFF_HLEN], 6);
    assert_int_equal(a[ARP_OFF_PLEN], 4);
    assert_int_equal(wire_get16(a + ARP_OFF_OPER), ARP_OPER_REPLY);
    assert_memory_equal(a + ARP_OFF_SHA, our_mac, 6);
    assert_int_equal(wire_get32(a + ARP_OFF_SPA), OUR_IP);
    assert_memory_equal(a + ARP_OFF_THA, peer_mac, 6);
    assert_int_equal(wire_get32(a + ARP_OFF_TPA), PEER_IP);
    for (size_t i = ETH_HEADER_LEN + ARP_LEN; i < ETH_MIN_FRAME; i++)
        assert_int_equal(r.out[i], 0);
    assert_int_equal(c.rx_frames, 1);
    assert_int_equal(c.arp_replies, 1);
    free(r.out);
    free(f.b);
}

static void arp_unicast_request_and_padding_answered(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    /* Unicast to us, with the 18 bytes of Ethernet padding a wire adds. */
    struct frame f = frame_resize(arp_frame(our_mac, ARP_OPER_REQUEST, OUR_IP), ETH_MIN_FRAME);
    struct result r = handle(&c, f);
    assert_int_equal(r.action, NETSELF_REPLY);
    assert_int_equal(c.arp_replies, 1);
    free(r.out);
    free(f.b);
}

static void arp_others_ignored(void **state)
{
    (void)state;
    expect_ignored(arp_frame(bcast_mac, ARP_OPER_REQUEST, PEER_IP + 7), NETSELF_IGN_ARP_OTHER_IP);
    expect_ignored(arp_frame(bcast_mac, ARP_OPER_REPLY, OUR_IP), NETSELF_IGN_ARP_NOT_REQUEST);
    expect_ignored(arp_frame(peer_mac, ARP_OPER_REQUEST, OUR_IP), NETSELF_IGN_OTHER_MAC);
    struct frame f = arp_frame(bcast_mac, ARP_OPER_REQUEST, OUR_IP);
    f.b[ETH_HEADER_LEN + ARP_OFF_HLEN] = 8;
    expect_ignored(f, NETSELF_IGN_ARP_MALFORMED);
    f = arp_frame(bcast_mac, ARP_OPER_REQUEST, OUR_IP);
    wire_put16(f.b + ETH_HEADER_LEN + ARP_OFF_PTYPE, 0x86dd);
    expect_ignored(f, NETSELF_IGN_ARP_MALFORMED);
    f = arp_frame(bcast_mac, ARP_OPER_REQUEST, OUR_IP);
    wire_put16(f.b + ETH_HEADER_LEN + ARP_OFF_HTYPE, 6);
    expect_ignored(f, NETSELF_IGN_ARP_MALFORMED);
    f = arp_frame(bcast_mac, ARP_OPER_REQUEST, OUR_IP);
    f.b[ETH_HEADER_LEN + ARP_OFF_SHA] = 0x01; /* a group address asks */
    expect_ignored(f, NETSELF_IGN_GROUP_SOURCE);
    /* every truncation of the ARP body */
    for (size_t n = ETH_HEADER_LEN; n < ETH_HEADER_LEN + ARP_LEN; n++)
        expect_ignored(frame_resize(arp_frame(bcast_mac, ARP_OPER_REQUEST, OUR_IP), n), NETSELF_IGN_ARP_MALFORMED);
}

/* ---- ICMP echo -------------------------------------------------------------- */

static void echo_answered_for_every_size(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    unsigned n = 0;
    for (size_t payload = 0; payload <= MAX_ECHO_PAYLOAD; payload++, n++) {
        struct frame f = echo_frame(payload, 0);
        struct result r = handle(&c, f);
        check_echo_reply(f, &r);
        free(r.out);
        free(f.b);
    }
    assert_int_equal(c.echo_replies, n);
    assert_int_equal(c.rx_frames, n);
    /* one byte over the largest frame */
    expect_ignored(echo_frame(MAX_ECHO_PAYLOAD + 1, 0), NETSELF_IGN_OVERSIZE);
}

static void echo_with_options_answered_without_them(void **state)
{
    (void)state;
    for (unsigned words = 1; words <= IP_MAX_IHL - IP_MIN_IHL; words++) {
        struct netself_counts c = {0};
        struct frame f = echo_frame(100, words);
        struct result r = handle(&c, f);
        check_echo_reply(f, &r);
        free(r.out);
        free(f.b);
    }
}

static void echo_padding_after_total_length_not_echoed(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    struct frame f = echo_frame(4, 0);
    size_t real = f.len;
    f = frame_resize(f, ETH_MIN_FRAME);
    memset(f.b + real, 0xee, ETH_MIN_FRAME - real);
    struct result r = handle(&c, f);
    check_echo_reply(f, &r);
    free(r.out);
    free(f.b);
}

static void echo_tos_and_id_kept(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    struct frame f = echo_frame(32, 0);
    ip_of(f)[IP_OFF_TOS] = 0x10;
    fix_ip_checksum(f);
    struct result r = handle(&c, f);
    check_echo_reply(f, &r);
    assert_int_equal(r.out[ETH_HEADER_LEN + IP_OFF_TOS], 0x10);
    assert_int_equal(wire_get16(r.out + ETH_HEADER_LEN + IP_OFF_ID), 0xbeef);
    free(r.out);
    free(f.b);
}

/* ---- IPv4 header checks ---------------------------------------------------- */

static void ip_bad_headers_ignored(void **state)
{
    (void)state;
    struct frame f = echo_frame(56, 0);
    ip_of(f)[IP_OFF_CHECKSUM] ^= 1;
    expect_ignored(f, NETSELF_IGN_IP_CHECKSUM);

    f = echo_frame(56, 0);
    ip_of(f)[IP_OFF_VERSION_IHL] = 0x65;
    fix_ip_checksum(f);
    expect_ignored(f, NETSELF_IGN_IP_VERSION);

    for (uint8_t ihl = 0; ihl < IP_MIN_IHL; ihl++) {
        f = echo_frame(56, 0);
        ip_of(f)[IP_OFF_VERSION_IHL] = (uint8_t)(0x40 | ihl);
        expect_ignored(f, NETSELF_IGN_IP_IHL);
    }

    /* header longer than the total length */
    f = echo_frame(0, 0);
    ip_of(f)[IP_OFF_VERSION_IHL] = 0x4f; /* 60 bytes of header in a 28-byte packet */
    f = frame_resize(f, ETH_HEADER_LEN + 60);
    expect_ignored(f, NETSELF_IGN_IP_IHL);

    /* total length past the frame, and below a header */
    f = echo_frame(56, 0);
    wire_put16(ip_of(f) + IP_OFF_TOTAL_LEN, (uint16_t)(f.len - ETH_HEADER_LEN + 1));
    fix_ip_checksum(f);
    expect_ignored(f, NETSELF_IGN_IP_LENGTH);
    f = echo_frame(56, 0);
    wire_put16(ip_of(f) + IP_OFF_TOTAL_LEN, 0xffff);
    fix_ip_checksum(f);
    expect_ignored(f, NETSELF_IGN_IP_LENGTH);
    f = echo_frame(56, 0);
    wire_put16(ip_of(f) + IP_OFF_TOTAL_LEN, 19);
    fix_ip_checksum(f);
    expect_ignored(f, NETSELF_IGN_IP_IHL);

    /* every truncation of the IPv4 header */
    for (size_t n = ETH_HEADER_LEN; n < ETH_HEADER_LEN + IP_MIN_HEADER_LEN; n++)
        expect_ignored(frame_resize(echo_frame(56, 0), n), NETSELF_IGN_IP_TRUNCATED);
    /* the frame cut inside the ICMP part: total length now too large */
    expect_ignored(frame_resize(echo_frame(56, 0), ETH_HEADER_LEN + 30), NETSELF_IGN_IP_LENGTH);
}

static void ip_fragments_ignored(void **state)
{
    (void)state;
    static const uint16_t frags[] = {IP_FLAG_MORE_FRAGMENTS, 1, 185, IP_FLAG_MORE_FRAGMENTS | 3, IP_FRAG_OFFSET_MASK};
    for (size_t i = 0; i < sizeof(frags) / sizeof(frags[0]); i++) {
        struct frame f = echo_frame(56, 0);
        wire_put16(ip_of(f) + IP_OFF_FLAGS_FRAG, frags[i]);
        fix_ip_checksum(f);
        expect_ignored(f, NETSELF_IGN_IP_FRAGMENT);
    }
}

static void ip_addresses_checked(void **state)
{
    (void)state;
    static const uint32_t bad_sources[] = {0, 0x7f000001, 0xe0000001, 0xffffffff, 0xf0000001, OUR_IP};
    static const uint32_t other_dsts[] = {0xffffffff, 0x0a0001ff, 0x0a000103, 0xe0000001, 0};
    for (size_t i = 0; i < sizeof(bad_sources) / sizeof(bad_sources[0]); i++) {
        struct frame f = echo_frame(8, 0);
        wire_put32(ip_of(f) + IP_OFF_SRC, bad_sources[i]);
        fix_ip_checksum(f);
        expect_ignored(f, NETSELF_IGN_IP_BAD_SOURCE);
    }
    for (size_t i = 0; i < sizeof(other_dsts) / sizeof(other_dsts[0]); i++) {
        struct frame f = echo_frame(8, 0);
        wire_put32(ip_of(f) + IP_OFF_DST, other_dsts[i]);
        fix_ip_checksum(f);
        expect_ignored(f, NETSELF_IGN_IP_OTHER_DST);
    }
}

static void ethernet_checks(void **state)
{
    (void)state;
    for (size_t n = 0; n < ETH_HEADER_LEN; n++)
        expect_ignored(frame_resize(echo_frame(8, 0), n), NETSELF_IGN_RUNT);
    struct frame f = echo_frame(8, 0);
    memcpy(f.b + ETH_OFF_DST, bcast_mac, 6); /* IPv4 broadcast frames are not for us */
    expect_ignored(f, NETSELF_IGN_OTHER_MAC);
    f = echo_frame(8, 0);
    f.b[ETH_OFF_DST + 5] ^= 1;
    expect_ignored(f, NETSELF_IGN_OTHER_MAC);
    f = echo_frame(8, 0);
    f.b[ETH_OFF_SRC] |= 1;
    expect_ignored(f, NETSELF_IGN_GROUP_SOURCE);
    f = echo_frame(8, 0);
    wire_put16(f.b + ETH_OFF_TYPE, 0x86dd);
    expect_ignored(f, NETSELF_IGN_ETHERTYPE);
    f = echo_frame(8, 0);
    wire_put16(f.b + ETH_OFF_TYPE, 0x8100); /* a VLAN tag */
    expect_ignored(f, NETSELF_IGN_ETHERTYPE);
    expect_ignored(frame_alloc(NETSELF_FRAME_MAX + 1), NETSELF_IGN_OVERSIZE);
}

static void icmp_checks(void **state)
{
    (void)state;
    struct frame f = echo_frame(56, 0);
    l4_of(f)[ICMP_HEADER_LEN + 3] ^= 0x40;
    expect_ignored(f, NETSELF_IGN_ICMP_CHECKSUM);
    f = echo_frame(56, 0);
    l4_of(f)[ICMP_OFF_TYPE] = ICMP_TYPE_ECHO_REPLY; /* never answer an answer */
    fix_icmp_checksum(f);
    expect_ignored(f, NETSELF_IGN_ICMP_TYPE);
    f = echo_frame(56, 0);
    l4_of(f)[ICMP_OFF_CODE] = 1;
    fix_icmp_checksum(f);
    expect_ignored(f, NETSELF_IGN_ICMP_TYPE);
    f = echo_frame(56, 0);
    l4_of(f)[ICMP_OFF_TYPE] = 13; /* timestamp */
    fix_icmp_checksum(f);
    expect_ignored(f, NETSELF_IGN_ICMP_TYPE);
    for (size_t n = 0; n < ICMP_HEADER_LEN; n++) {
        f = ipv4_frame(IP_PROTO_ICMP, n, 0);
        expect_ignored(f, NETSELF_IGN_ICMP_TRUNCATED);
    }
    f = ipv4_frame(6 /* TCP */, 20, 0);
    expect_ignored(f, NETSELF_IGN_IP_PROTOCOL);
}

/* ---- UDP stats requests ------------------------------------------------------ */

static void udp_stats_request_answered(void **state)
{
    (void)state;
    static const char text[] = "rx=1 echo=0";
    struct netself_counts c = {0};
    struct frame f = udp_frame(NETSELF_STATS_PORT, "stats");
    struct result r = handle(&c, f);
    assert_int_equal(r.action, NETSELF_STATS);
    assert_int_equal(c.stats_requests, 1);
    size_t len = netself_udp_reply(&self, f.b, f.len, text, strlen(text), r.out, NETSELF_REPLY_MAX);
    size_t udp_len = UDP_HEADER_LEN + strlen(text);
    assert_int_equal(len, ETH_MIN_FRAME > ETH_HEADER_LEN + IP_MIN_HEADER_LEN + udp_len
                              ? ETH_MIN_FRAME
                              : ETH_HEADER_LEN + IP_MIN_HEADER_LEN + udp_len);
    const uint8_t *ip = r.out + ETH_HEADER_LEN, *udp = ip + IP_MIN_HEADER_LEN;
    assert_memory_equal(r.out + ETH_OFF_DST, peer_mac, 6);
    assert_int_equal(ref_checksum(ip, IP_MIN_HEADER_LEN), 0);
    assert_int_equal(wire_get16(ip + IP_OFF_TOTAL_LEN), IP_MIN_HEADER_LEN + udp_len);
    assert_int_equal(wire_get32(ip + IP_OFF_DST), PEER_IP);
    assert_int_equal(wire_get16(udp + UDP_OFF_SRC_PORT), NETSELF_STATS_PORT);
    assert_int_equal(wire_get16(udp + UDP_OFF_DST_PORT), PEER_PORT);
    assert_int_equal(wire_get16(udp + UDP_OFF_LEN), udp_len);
    assert_int_equal(ref_udp_checksum(OUR_IP, PEER_IP, udp, udp_len), 0);
    assert_memory_equal(udp + UDP_HEADER_LEN, text, strlen(text));
    free(r.out);
    free(f.b);
}

static void udp_reply_text_cut_to_one_frame(void **state)
{
    (void)state;
    size_t big = 4000;
    char *text = malloc(big);
    memset(text, 'x', big);
    struct frame f = udp_frame(NETSELF_STATS_PORT, "");
    uint8_t *out = malloc(NETSELF_REPLY_MAX);
    size_t len = netself_udp_reply(&self, f.b, f.len, text, big, out, NETSELF_REPLY_MAX);
    assert_int_equal(len, NETSELF_FRAME_MAX);
    assert_int_equal(ref_udp_checksum(OUR_IP, PEER_IP, out + ETH_HEADER_LEN + IP_MIN_HEADER_LEN,
                                      NETSELF_FRAME_MAX - ETH_HEADER_LEN - IP_MIN_HEADER_LEN),
                     0);
    /* no reply to anything but a valid stats request */
    struct frame e = echo_frame(8, 0);
    assert_int_equal(netself_udp_reply(&self, e.b, e.len, "x", 1, out, NETSELF_REPLY_MAX), 0);
    struct frame p = udp_frame(53, "q");
    assert_int_equal(netself_udp_reply(&self, p.b, p.len, "x", 1, out, NETSELF_REPLY_MAX), 0);
    assert_int_equal(netself_udp_reply(&self, f.b, 10, "x", 1, out, NETSELF_REPLY_MAX), 0);
    assert_int_equal(netself_udp_reply(&self, f.b, f.len, "x", 1, out, NETSELF_REPLY_MAX - 1), 0);
    free(out);
    free(text);
    free(f.b);
    free(e.b);
    free(p.b);
}

static void udp_checks(void **state)
{
    (void)state;
    expect_ignored(udp_frame(53, "query"), NETSELF_IGN_UDP_PORT);
    struct frame f = udp_frame(NETSELF_STATS_PORT, "stats");
    l4_of(f)[UDP_HEADER_LEN] ^= 1;
    expect_ignored(f, NETSELF_IGN_UDP_CHECKSUM);
    f = udp_frame(NETSELF_STATS_PORT, "stats");
    wire_put16(l4_of(f) + UDP_OFF_LEN, UDP_HEADER_LEN + 6); /* one past the packet (checked before the sum) */
    expect_ignored(f, NETSELF_IGN_UDP_MALFORMED);
    f = udp_frame(NETSELF_STATS_PORT, "stats");
    wire_put16(l4_of(f) + UDP_OFF_LEN, 7);
    expect_ignored(f, NETSELF_IGN_UDP_MALFORMED);
    expect_ignored(ipv4_frame(IP_PROTO_UDP, 7, 0), NETSELF_IGN_UDP_MALFORMED);

    /* no checksum (0) is allowed */
    struct netself_counts c = {0};
    f = udp_frame(NETSELF_STATS_PORT, "stats");
    wire_put16(l4_of(f) + UDP_OFF_CHECKSUM, 0);
    struct result r = handle(&c, f);
    assert_int_equal(r.action, NETSELF_STATS);
    free(r.out);
    free(f.b);
}

static void small_reply_buffer_refused(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    struct frame f = echo_frame(8, 0);
    uint8_t *out = malloc(NETSELF_REPLY_MAX - 1);
    size_t len = 0;
    assert_int_equal(netself_handle(&self, &c, f.b, f.len, out, NETSELF_REPLY_MAX - 1, &len), NETSELF_IGNORE);
    assert_int_equal(c.ignored[NETSELF_IGN_NO_ROOM], 1);
    free(out);
    free(f.b);
}

/* ---- Fuzz: mutated valid frames and random bytes ------------------------------ */

static uint32_t rng_state = FUZZ_SEED;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static struct frame fuzz_seed_frame(void)
{
    switch (rng() % 5) {
    case 0:
        return arp_frame(rng() & 1 ? bcast_mac : our_mac, ARP_OPER_REQUEST, OUR_IP);
    case 1:
        return echo_frame(rng() % (MAX_ECHO_PAYLOAD + 1), 0);
    case 2:
        return echo_frame(rng() % 200, 1 + rng() % 10);
    case 3:
        return udp_frame(NETSELF_STATS_PORT, "stats");
    default: {
        struct frame f = frame_alloc(rng() % (NETSELF_FRAME_MAX + 2));
        for (size_t i = 0; i < f.len; i++)
            f.b[i] = (uint8_t)rng();
        return f;
    }
    }
}

static void fuzz_mutate(struct frame *f)
{
    unsigned flips = rng() % 4;
    for (unsigned i = 0; i < flips && f->len; i++)
        f->b[rng() % f->len] ^= (uint8_t)(1u << (rng() % 8));
    if (rng() % 4 == 0 && f->len)
        *f = frame_resize(*f, rng() % (f->len + 1));
    else if (rng() % 8 == 0)
        *f = frame_resize(*f, f->len + rng() % 64);
}

/* Whatever comes back is a well-formed reply of a sane length. */
static void fuzz_check_reply(const struct result *r)
{
    assert_true(r->len >= ETH_MIN_FRAME && r->len <= NETSELF_FRAME_MAX);
    assert_memory_equal(r->out + ETH_OFF_SRC, our_mac, 6);
    assert_false(r->out[ETH_OFF_DST] & 1);
    if (wire_get16(r->out + ETH_OFF_TYPE) == ETH_TYPE_IPV4) {
        const uint8_t *ip = r->out + ETH_HEADER_LEN;
        size_t total = wire_get16(ip + IP_OFF_TOTAL_LEN);
        assert_true(total + ETH_HEADER_LEN <= r->len);
        assert_int_equal(ref_checksum(ip, IP_MIN_HEADER_LEN), 0);
        if (ip[IP_OFF_PROTOCOL] == IP_PROTO_UDP)
            assert_int_equal(ref_udp_checksum(wire_get32(ip + IP_OFF_SRC), wire_get32(ip + IP_OFF_DST),
                                              ip + IP_MIN_HEADER_LEN, total - IP_MIN_HEADER_LEN),
                             0);
        else
            assert_int_equal(ref_checksum(ip + IP_MIN_HEADER_LEN, total - IP_MIN_HEADER_LEN), 0);
    } else {
        assert_int_equal(wire_get16(r->out + ETH_OFF_TYPE), ETH_TYPE_ARP);
    }
}

static void fuzz_hostile_frames(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    uint64_t stats_seen = 0;
    for (unsigned round = 0; round < FUZZ_ROUNDS; round++) {
        struct frame f = fuzz_seed_frame();
        fuzz_mutate(&f);
        struct result r = handle(&c, f);
        if (r.action == NETSELF_REPLY)
            fuzz_check_reply(&r);
        if (r.action == NETSELF_STATS) {
            stats_seen++;
            r.len = netself_udp_reply(&self, f.b, f.len, "text", 4, r.out, NETSELF_REPLY_MAX);
            assert_true(r.len > 0);
            fuzz_check_reply(&r);
        }
        free(r.out);
        free(f.b);
    }
    /* every frame counted exactly once */
    uint64_t ignored = 0;
    for (unsigned i = 0; i < NETSELF_IGN_COUNT; i++)
        ignored += c.ignored[i];
    assert_int_equal(c.rx_frames, FUZZ_ROUNDS);
    assert_int_equal(c.arp_replies + c.echo_replies + c.stats_requests + ignored, FUZZ_ROUNDS);
    assert_int_equal(c.stats_requests, stats_seen);
    /* the mutations let some frames through and stop others */
    assert_true(c.echo_replies > 0 && c.arp_replies > 0 && stats_seen > 0 && ignored > 0);
}

static void ignore_names_complete(void **state)
{
    (void)state;
    for (unsigned i = 0; i < NETSELF_IGN_COUNT; i++) {
        const char *n = netself_ignore_name((enum netself_ignore)i);
        assert_non_null(n);
        assert_true(strlen(n) > 0);
        assert_string_not_equal(n, "unknown");
    }
    assert_string_equal(netself_ignore_name(NETSELF_IGN_COUNT), "unknown");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(arp_request_for_us_answered),
        cmocka_unit_test(arp_unicast_request_and_padding_answered),
        cmocka_unit_test(arp_others_ignored),
        cmocka_unit_test(echo_answered_for_every_size),
        cmocka_unit_test(echo_with_options_answered_without_them),
        cmocka_unit_test(echo_padding_after_total_length_not_echoed),
        cmocka_unit_test(echo_tos_and_id_kept),
        cmocka_unit_test(ip_bad_headers_ignored),
        cmocka_unit_test(ip_fragments_ignored),
        cmocka_unit_test(ip_addresses_checked),
        cmocka_unit_test(ethernet_checks),
        cmocka_unit_test(icmp_checks),
        cmocka_unit_test(udp_stats_request_answered),
        cmocka_unit_test(udp_reply_text_cut_to_one_frame),
        cmocka_unit_test(udp_checks),
        cmocka_unit_test(small_reply_buffer_refused),
        cmocka_unit_test(fuzz_hostile_frames),
        cmocka_unit_test(ignore_names_complete),
    };
    return cmocka_run_group_tests_name("netself", tests, NULL, NULL);
}
