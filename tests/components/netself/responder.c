/* SPDX-License-Identifier: GPL-2.0-only */
/* The network self-test's answering logic (responder.h). */
#include "responder.h"
#include <string.h>
#include "inet_checksum.h"
#include "wire.h"

#define IPV4_FIRST_OCTET(ip) ((ip) >> 24)
#define IPV4_THIS_NETWORK 0     /* 0.0.0.0/8 */
#define IPV4_LOOPBACK 127       /* 127.0.0.0/8 */
#define IPV4_FIRST_MULTICAST 224 /* 224.0.0.0/4, then 240.0.0.0/4 reserved and the broadcast */
#define UDP_MAX_PAYLOAD (NETSELF_FRAME_MAX - ETH_HEADER_LEN - IP_MIN_HEADER_LEN - UDP_HEADER_LEN)

static const uint8_t broadcast_mac[ETH_ADDR_LEN] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* A checked IPv4 packet inside a frame. */
struct ipv4 {
    const uint8_t *header;
    size_t header_len, total_len;
    uint32_t src;
    const uint8_t *payload; /* total_len - header_len bytes */
    size_t payload_len;
};

static enum netself_action ignore(struct netself_counts *c, enum netself_ignore why)
{
    c->ignored[why]++;
    return NETSELF_IGNORE;
}

static bool mac_equal(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, ETH_ADDR_LEN) == 0;
}

static bool ip_source_usable(uint32_t src, uint32_t self)
{
    uint32_t first = IPV4_FIRST_OCTET(src);
    return first != IPV4_THIS_NETWORK && first != IPV4_LOOPBACK && first < IPV4_FIRST_MULTICAST && src != self;
}

/* Writes an Ethernet header; returns the offset of the payload. */
static size_t eth_header(uint8_t *out, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
    memcpy(out + ETH_OFF_DST, dst, ETH_ADDR_LEN);
    memcpy(out + ETH_OFF_SRC, src, ETH_ADDR_LEN);
    wire_put16(out + ETH_OFF_TYPE, type);
    return ETH_HEADER_LEN;
}

/* Zero-pads a frame to the Ethernet minimum; returns its final length. */
static size_t pad_frame(uint8_t *frame, size_t len)
{
    if (len >= ETH_MIN_FRAME)
        return len;
    memset(frame + len, 0, ETH_MIN_FRAME - len);
    return ETH_MIN_FRAME;
}

/* An options-free IPv4 header with its checksum. */
static void ip_header(uint8_t *h, uint8_t tos, size_t total_len, uint16_t id, uint8_t protocol, uint32_t src,
                      uint32_t dst)
{
    h[IP_OFF_VERSION_IHL] = IP_VERSION << 4 | IP_MIN_IHL;
    h[IP_OFF_TOS] = tos;
    wire_put16(h + IP_OFF_TOTAL_LEN, (uint16_t)total_len);
    wire_put16(h + IP_OFF_ID, id);
    wire_put16(h + IP_OFF_FLAGS_FRAG, 0);
    h[IP_OFF_TTL] = IP_DEFAULT_TTL;
    h[IP_OFF_PROTOCOL] = protocol;
    wire_put16(h + IP_OFF_CHECKSUM, 0);
    wire_put32(h + IP_OFF_SRC, src);
    wire_put32(h + IP_OFF_DST, dst);
    wire_put16(h + IP_OFF_CHECKSUM, inet_checksum(h, IP_MIN_HEADER_LEN));
}

/* ---- ARP ------------------------------------------------------------------ */

static enum netself_action arp_answer(const struct netself_addr *self, struct netself_counts *c,
                                      const uint8_t *frame, size_t len, uint8_t *out, size_t *out_len)
{
    const uint8_t *arp = frame + ETH_HEADER_LEN;
    if (len - ETH_HEADER_LEN < ARP_LEN)
        return ignore(c, NETSELF_IGN_ARP_MALFORMED);
    if (wire_get16(arp + ARP_OFF_HTYPE) != ARP_HTYPE_ETHERNET || wire_get16(arp + ARP_OFF_PTYPE) != ETH_TYPE_IPV4 ||
        arp[ARP_OFF_HLEN] != ETH_ADDR_LEN || arp[ARP_OFF_PLEN] != IPV4_ADDR_LEN)
        return ignore(c, NETSELF_IGN_ARP_MALFORMED);
    if (wire_get16(arp + ARP_OFF_OPER) != ARP_OPER_REQUEST)
        return ignore(c, NETSELF_IGN_ARP_NOT_REQUEST);
    if (wire_get32(arp + ARP_OFF_TPA) != self->ip)
        return ignore(c, NETSELF_IGN_ARP_OTHER_IP);
    if (arp[ARP_OFF_SHA] & ETH_GROUP_BIT)
        return ignore(c, NETSELF_IGN_GROUP_SOURCE);

    uint8_t *r = out + eth_header(out, frame + ETH_OFF_SRC, self->mac, ETH_TYPE_ARP);
    wire_put16(r + ARP_OFF_HTYPE, ARP_HTYPE_ETHERNET);
    wire_put16(r + ARP_OFF_PTYPE, ETH_TYPE_IPV4);
    r[ARP_OFF_HLEN] = ETH_ADDR_LEN;
    r[ARP_OFF_PLEN] = IPV4_ADDR_LEN;
    wire_put16(r + ARP_OFF_OPER, ARP_OPER_REPLY);
    memcpy(r + ARP_OFF_SHA, self->mac, ETH_ADDR_LEN);
    wire_put32(r + ARP_OFF_SPA, self->ip);
    memcpy(r + ARP_OFF_THA, arp + ARP_OFF_SHA, ETH_ADDR_LEN);
    memcpy(r + ARP_OFF_TPA, arp + ARP_OFF_SPA, IPV4_ADDR_LEN);
    *out_len = pad_frame(out, ETH_HEADER_LEN + ARP_LEN);
    c->arp_replies++;
    return NETSELF_REPLY;
}

/* ---- IPv4 ----------------------------------------------------------------- */

/* Checks the IPv4 packet in a frame addressed to self; NETSELF_IGN_COUNT
 * when it passes, else the reason it does not. */
static enum netself_ignore ipv4_check(const struct netself_addr *self, const uint8_t *frame, size_t len,
                                      struct ipv4 *p)
{
    const uint8_t *h = frame + ETH_HEADER_LEN;
    size_t avail = len - ETH_HEADER_LEN;
    if (avail < IP_MIN_HEADER_LEN)
        return NETSELF_IGN_IP_TRUNCATED;
    if (h[IP_OFF_VERSION_IHL] >> 4 != IP_VERSION)
        return NETSELF_IGN_IP_VERSION;
    size_t header_len = (size_t)(h[IP_OFF_VERSION_IHL] & 0xf) * IP_IHL_UNIT;
    size_t total_len = wire_get16(h + IP_OFF_TOTAL_LEN);
    if (header_len < IP_MIN_HEADER_LEN)
        return NETSELF_IGN_IP_IHL;
    if (total_len > avail)
        return NETSELF_IGN_IP_LENGTH;
    if (header_len > total_len)
        return NETSELF_IGN_IP_IHL;
    if (inet_checksum(h, header_len) != 0)
        return NETSELF_IGN_IP_CHECKSUM;
    if (wire_get16(h + IP_OFF_FLAGS_FRAG) & (IP_FLAG_MORE_FRAGMENTS | IP_FRAG_OFFSET_MASK))
        return NETSELF_IGN_IP_FRAGMENT;
    if (wire_get32(h + IP_OFF_DST) != self->ip)
        return NETSELF_IGN_IP_OTHER_DST;
    uint32_t src = wire_get32(h + IP_OFF_SRC);
    if (!ip_source_usable(src, self->ip))
        return NETSELF_IGN_IP_BAD_SOURCE;
    *p = (struct ipv4){h, header_len, total_len, src, h + header_len, total_len - header_len};
    return NETSELF_IGN_COUNT;
}

static enum netself_action icmp_answer(const struct netself_addr *self, struct netself_counts *c,
                                       const uint8_t *frame, const struct ipv4 *p, uint8_t *out, size_t *out_len)
{
    const uint8_t *icmp = p->payload;
    if (p->payload_len < ICMP_HEADER_LEN)
        return ignore(c, NETSELF_IGN_ICMP_TRUNCATED);
    if (inet_checksum(icmp, p->payload_len) != 0)
        return ignore(c, NETSELF_IGN_ICMP_CHECKSUM);
    if (icmp[ICMP_OFF_TYPE] != ICMP_TYPE_ECHO_REQUEST || icmp[ICMP_OFF_CODE] != 0)
        return ignore(c, NETSELF_IGN_ICMP_TYPE);

    /* The reply drops the request's IP options, so it is never longer. */
    size_t ip_len = IP_MIN_HEADER_LEN + p->payload_len;
    uint8_t *ip = out + eth_header(out, frame + ETH_OFF_SRC, self->mac, ETH_TYPE_IPV4);
    ip_header(ip, p->header[IP_OFF_TOS], ip_len, wire_get16(p->header + IP_OFF_ID), IP_PROTO_ICMP, self->ip,
              p->src);
    uint8_t *reply = ip + IP_MIN_HEADER_LEN;
    memcpy(reply, icmp, p->payload_len);
    reply[ICMP_OFF_TYPE] = ICMP_TYPE_ECHO_REPLY;
    wire_put16(reply + ICMP_OFF_CHECKSUM, 0);
    wire_put16(reply + ICMP_OFF_CHECKSUM, inet_checksum(reply, p->payload_len));
    *out_len = pad_frame(out, ETH_HEADER_LEN + ip_len);
    c->echo_replies++;
    return NETSELF_REPLY;
}

/* ---- UDP ------------------------------------------------------------------ */

/* The UDP checksum covers a pseudo-header: addresses, protocol, length. */
static uint16_t udp_checksum(uint32_t src, uint32_t dst, const uint8_t *udp, size_t len)
{
    uint8_t pseudo[12];
    wire_put32(pseudo, src);
    wire_put32(pseudo + 4, dst);
    pseudo[8] = 0;
    pseudo[9] = IP_PROTO_UDP;
    wire_put16(pseudo + 10, (uint16_t)len);
    return inet_fold(inet_sum(inet_sum(0, pseudo, sizeof(pseudo)), udp, len));
}

static enum netself_ignore udp_check(const struct netself_addr *self, const struct ipv4 *p)
{
    const uint8_t *udp = p->payload;
    if (p->payload_len < UDP_HEADER_LEN)
        return NETSELF_IGN_UDP_MALFORMED;
    size_t udp_len = wire_get16(udp + UDP_OFF_LEN);
    if (udp_len < UDP_HEADER_LEN || udp_len > p->payload_len)
        return NETSELF_IGN_UDP_MALFORMED;
    /* A zero checksum field means the sender did not compute one. */
    if (wire_get16(udp + UDP_OFF_CHECKSUM) != 0 && udp_checksum(p->src, self->ip, udp, udp_len) != 0)
        return NETSELF_IGN_UDP_CHECKSUM;
    if (wire_get16(udp + UDP_OFF_DST_PORT) != NETSELF_STATS_PORT)
        return NETSELF_IGN_UDP_PORT;
    return NETSELF_IGN_COUNT;
}

static enum netself_action ipv4_answer(const struct netself_addr *self, struct netself_counts *c,
                                       const uint8_t *frame, size_t len, uint8_t *out, size_t *out_len)
{
    struct ipv4 p;
    enum netself_ignore why = ipv4_check(self, frame, len, &p);
    if (why != NETSELF_IGN_COUNT)
        return ignore(c, why);
    switch (p.header[IP_OFF_PROTOCOL]) {
    case IP_PROTO_ICMP:
        return icmp_answer(self, c, frame, &p, out, out_len);
    case IP_PROTO_UDP:
        why = udp_check(self, &p);
        if (why != NETSELF_IGN_COUNT)
            return ignore(c, why);
        c->stats_requests++;
        return NETSELF_STATS;
    default:
        return ignore(c, NETSELF_IGN_IP_PROTOCOL);
    }
}

/* ---- Entry points --------------------------------------------------------- */

enum netself_action netself_handle(const struct netself_addr *self, struct netself_counts *c, const uint8_t *frame,
                                   size_t len, uint8_t *out, size_t cap, size_t *out_len)
{
    c->rx_frames++;
    c->rx_bytes += len;
    if (len < ETH_HEADER_LEN)
        return ignore(c, NETSELF_IGN_RUNT);
    if (len > NETSELF_FRAME_MAX)
        return ignore(c, NETSELF_IGN_OVERSIZE);
    if (cap < NETSELF_REPLY_MAX)
        return ignore(c, NETSELF_IGN_NO_ROOM);
    if (frame[ETH_OFF_SRC] & ETH_GROUP_BIT)
        return ignore(c, NETSELF_IGN_GROUP_SOURCE);
    uint16_t type = wire_get16(frame + ETH_OFF_TYPE);
    bool to_us = mac_equal(frame + ETH_OFF_DST, self->mac);
    bool broadcast = mac_equal(frame + ETH_OFF_DST, broadcast_mac);
    if (!to_us && !(broadcast && type == ETH_TYPE_ARP))
        return ignore(c, NETSELF_IGN_OTHER_MAC);
    if (type == ETH_TYPE_ARP)
        return arp_answer(self, c, frame, len, out, out_len);
    if (type == ETH_TYPE_IPV4)
        return ipv4_answer(self, c, frame, len, out, out_len);
    return ignore(c, NETSELF_IGN_ETHERTYPE);
}

size_t netself_udp_reply(const struct netself_addr *self, const uint8_t *request, size_t request_len,
                         const char *text, size_t text_len, uint8_t *out, size_t cap)
{
    struct ipv4 p;
    if (request_len < ETH_HEADER_LEN || request_len > NETSELF_FRAME_MAX || cap < NETSELF_REPLY_MAX ||
        wire_get16(request + ETH_OFF_TYPE) != ETH_TYPE_IPV4 || ipv4_check(self, request, request_len, &p) !=
        NETSELF_IGN_COUNT || p.header[IP_OFF_PROTOCOL] != IP_PROTO_UDP || udp_check(self, &p) != NETSELF_IGN_COUNT)
        return 0;
    if (text_len > UDP_MAX_PAYLOAD)
        text_len = UDP_MAX_PAYLOAD;
    size_t udp_len = UDP_HEADER_LEN + text_len, ip_len = IP_MIN_HEADER_LEN + udp_len;
    uint8_t *ip = out + eth_header(out, request + ETH_OFF_SRC, self->mac, ETH_TYPE_IPV4);
    ip_header(ip, 0, ip_len, 0, IP_PROTO_UDP, self->ip, p.src);
    uint8_t *udp = ip + IP_MIN_HEADER_LEN;
    wire_put16(udp + UDP_OFF_SRC_PORT, NETSELF_STATS_PORT);
    wire_put16(udp + UDP_OFF_DST_PORT, wire_get16(p.payload + UDP_OFF_SRC_PORT));
    wire_put16(udp + UDP_OFF_LEN, (uint16_t)udp_len);
    wire_put16(udp + UDP_OFF_CHECKSUM, 0);
    memcpy(udp + UDP_HEADER_LEN, text, text_len);
    uint16_t sum = udp_checksum(self->ip, p.src, udp, udp_len);
    /* A computed 0 is sent as all ones: 0 would mean "no checksum". */
    wire_put16(udp + UDP_OFF_CHECKSUM, sum ? sum : 0xffff);
    return pad_frame(out, ETH_HEADER_LEN + ip_len);
}

static const char *const ignore_names[NETSELF_IGN_COUNT] = {
    [NETSELF_IGN_RUNT] = "runt",
    [NETSELF_IGN_OVERSIZE] = "oversize",
    [NETSELF_IGN_OTHER_MAC] = "other_mac",
    [NETSELF_IGN_GROUP_SOURCE] = "group_source",
    [NETSELF_IGN_ETHERTYPE] = "ethertype",
    [NETSELF_IGN_ARP_MALFORMED] = "arp_malformed",
    [NETSELF_IGN_ARP_NOT_REQUEST] = "arp_not_request",
    [NETSELF_IGN_ARP_OTHER_IP] = "arp_other_ip",
    [NETSELF_IGN_IP_TRUNCATED] = "ip_truncated",
    [NETSELF_IGN_IP_VERSION] = "ip_version",
    [NETSELF_IGN_IP_IHL] = "ip_ihl",
    [NETSELF_IGN_IP_LENGTH] = "ip_length",
    [NETSELF_IGN_IP_CHECKSUM] = "ip_checksum",
    [NETSELF_IGN_IP_FRAGMENT] = "ip_fragment",
    [NETSELF_IGN_IP_OTHER_DST] = "ip_other_dst",
    [NETSELF_IGN_IP_BAD_SOURCE] = "ip_bad_source",
    [NETSELF_IGN_IP_PROTOCOL] = "ip_protocol",
    [NETSELF_IGN_ICMP_TRUNCATED] = "icmp_truncated",
    [NETSELF_IGN_ICMP_CHECKSUM] = "icmp_checksum",
    [NETSELF_IGN_ICMP_TYPE] = "icmp_type",
    [NETSELF_IGN_UDP_MALFORMED] = "udp_malformed",
    [NETSELF_IGN_UDP_CHECKSUM] = "udp_checksum",
    [NETSELF_IGN_UDP_PORT] = "udp_port",
    [NETSELF_IGN_NO_ROOM] = "no_room",
};

const char *netself_ignore_name(enum netself_ignore why)
{
    return (unsigned)why < NETSELF_IGN_COUNT ? ignore_names[why] : "unknown";
}
