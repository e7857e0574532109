/* SPDX-License-Identifier: GPL-2.0-only */
/* The network self-test's answering logic, free of system calls so the
 * host tests can feed it anything: one received Ethernet frame in, at
 * most one reply frame out, and a counter for what happened.
 *
 * It answers
 *   - ARP requests for its IPv4 address (from any sender, also probes);
 *   - ICMP echo requests to its address, any payload that fits the frame;
 *   - UDP datagrams to NETSELF_STATS_PORT: the caller answers those with
 *     its counters as text (netself_udp_reply), so a test can read them
 *     over the network.
 * Everything else is ignored and counted by the first reason found. A
 * frame is only trusted after its checks: the IPv4 header's version, IHL,
 * total length against the frame, header checksum, no fragment; the ICMP
 * and UDP checksums. Bytes after the IPv4 total length (Ethernet padding)
 * are not part of the packet. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETSELF_STATS_PORT 7007
#define NETSELF_FRAME_MAX 1514 /* DJ_NIC_FRAME_MAX: 1500 bytes of payload */
#define NETSELF_REPLY_MAX NETSELF_FRAME_MAX

struct netself_addr {
    uint8_t mac[6];
    uint32_t ip; /* host byte order: 10.0.1.2 is 0x0a000102 */
};

enum netself_ignore {
    NETSELF_IGN_RUNT,           /* shorter than an Ethernet header */
    NETSELF_IGN_OVERSIZE,       /* longer than NETSELF_FRAME_MAX */
    NETSELF_IGN_OTHER_MAC,      /* destination MAC neither ours nor (for ARP) broadcast */
    NETSELF_IGN_GROUP_SOURCE,   /* source MAC a group address: no one to answer */
    NETSELF_IGN_ETHERTYPE,      /* neither ARP nor IPv4 (IPv6, VLAN tags, ...) */
    NETSELF_IGN_ARP_MALFORMED,  /* truncated, or not IPv4 over Ethernet */
    NETSELF_IGN_ARP_NOT_REQUEST,
    NETSELF_IGN_ARP_OTHER_IP,   /* a request for another address */
    NETSELF_IGN_IP_TRUNCATED,   /* less than a minimal IPv4 header */
    NETSELF_IGN_IP_VERSION,
    NETSELF_IGN_IP_IHL,         /* header length below 20 bytes or past the packet */
    NETSELF_IGN_IP_LENGTH,      /* total length past the frame */
    NETSELF_IGN_IP_CHECKSUM,
    NETSELF_IGN_IP_FRAGMENT,    /* fragments are not reassembled */
    NETSELF_IGN_IP_OTHER_DST,   /* not our address (broadcasts included) */
    NETSELF_IGN_IP_BAD_SOURCE,  /* 0.0.0.0, loopback, multicast, broadcast */
    NETSELF_IGN_IP_PROTOCOL,    /* neither ICMP nor UDP */
    NETSELF_IGN_ICMP_TRUNCATED,
    NETSELF_IGN_ICMP_CHECKSUM,
    NETSELF_IGN_ICMP_TYPE,      /* not an echo request with code 0 */
    NETSELF_IGN_UDP_MALFORMED,  /* truncated, or its length disagrees with IPv4's */
    NETSELF_IGN_UDP_CHECKSUM,
    NETSELF_IGN_UDP_PORT,       /* not NETSELF_STATS_PORT */
    NETSELF_IGN_NO_ROOM,        /* the caller's reply buffer is below NETSELF_REPLY_MAX */
    NETSELF_IGN_COUNT
};

struct netself_counts {
    uint64_t rx_frames, rx_bytes;
    uint64_t arp_replies, echo_replies, stats_requests;
    uint64_t tx_frames, tx_full; /* replies sent, replies lost to a full ring (kept by the caller) */
    uint64_t ignored[NETSELF_IGN_COUNT];
};

enum netself_action {
    NETSELF_IGNORE, /* counted in ignored[] */
    NETSELF_REPLY,  /* the reply frame is in out */
    NETSELF_STATS,  /* a stats request: answer it with netself_udp_reply */
};

/* Handles one frame of len bytes (the caller's private copy: it is read
 * more than once). For NETSELF_REPLY, out (cap bytes, at least
 * NETSELF_REPLY_MAX) holds the reply and *out_len its length, padded to
 * the Ethernet minimum. Counts the frame and its outcome in *counts. */
enum netself_action netself_handle(const struct netself_addr *self, struct netself_counts *counts,
                                   const uint8_t *frame, size_t len, uint8_t *out, size_t cap, size_t *out_len);

/* The UDP reply to a request netself_handle classified NETSELF_STATS:
 * text (cut to fit one frame) from our stats port back to the sender.
 * Returns the frame length in out, 0 if request is not such a request. */
size_t netself_udp_reply(const struct netself_addr *self, const uint8_t *request, size_t request_len,
                         const char *text, size_t text_len, uint8_t *out, size_t cap);

/* Short names of the ignore reasons for counter lines ("ip_checksum"). */
const char *netself_ignore_name(enum netself_ignore why);
