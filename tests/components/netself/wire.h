/* SPDX-License-Identifier: GPL-2.0-only */
/* Wire formats netself reads and writes: Ethernet II, ARP for IPv4 over
 * Ethernet (RFC 826), IPv4 (RFC 791), ICMP echo (RFC 792) and UDP
 * (RFC 768). Offsets are from the start of each header; every multi-byte
 * field is big-endian on the wire, so it is read and written byte by byte
 * (frames are not aligned and the host is little-endian). */
#pragma once
#include <stdint.h>

/* Ethernet II */
#define ETH_ADDR_LEN 6
#define ETH_OFF_DST 0
#define ETH_OFF_SRC 6
#define ETH_OFF_TYPE 12
#define ETH_HEADER_LEN 14
#define ETH_MIN_FRAME 60        /* without the frame check sequence: shorter frames get padded */
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_GROUP_BIT 0x01      /* first address byte: multicast or broadcast */

/* ARP for IPv4 over Ethernet */
#define ARP_OFF_HTYPE 0
#define ARP_OFF_PTYPE 2
#define ARP_OFF_HLEN 4
#define ARP_OFF_PLEN 5
#define ARP_OFF_OPER 6
#define ARP_OFF_SHA 8
#define ARP_OFF_SPA 14
#define ARP_OFF_THA 18
#define ARP_OFF_TPA 24
#define ARP_LEN 28
#define ARP_HTYPE_ETHERNET 1
#define ARP_OPER_REQUEST 1
#define ARP_OPER_REPLY 2
#define IPV4_ADDR_LEN 4

/* IPv4 */
#define IP_OFF_VERSION_IHL 0    /* version in the high nibble, header length in words in the low */
#define IP_OFF_TOS 1
#define IP_OFF_TOTAL_LEN 2
#define IP_OFF_ID 4
#define IP_OFF_FLAGS_FRAG 6     /* 3 flag bits, 13 bits of fragment offset */
#define IP_OFF_TTL 8
#define IP_OFF_PROTOCOL 9
#define IP_OFF_CHECKSUM 10
#define IP_OFF_SRC 12
#define IP_OFF_DST 16
#define IP_MIN_HEADER_LEN 20
#define IP_VERSION 4
#define IP_MIN_IHL 5            /* in 32-bit words */
#define IP_IHL_UNIT 4
#define IP_FLAG_MORE_FRAGMENTS 0x2000
#define IP_FRAG_OFFSET_MASK 0x1fff
#define IP_FLAG_DONT_FRAGMENT 0x4000
#define IP_DEFAULT_TTL 64
#define IP_PROTO_ICMP 1
#define IP_PROTO_UDP 17

/* ICMP echo */
#define ICMP_OFF_TYPE 0
#define ICMP_OFF_CODE 1
#define ICMP_OFF_CHECKSUM 2
#define ICMP_HEADER_LEN 8       /* type, code, checksum, identifier, sequence */
#define ICMP_TYPE_ECHO_REPLY 0
#define ICMP_TYPE_ECHO_REQUEST 8

/* UDP */
#define UDP_OFF_SRC_PORT 0
#define UDP_OFF_DST_PORT 2
#define UDP_OFF_LEN 4
#define UDP_OFF_CHECKSUM 6
#define UDP_HEADER_LEN 8

static inline uint16_t wire_get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wire_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline uint32_t wire_get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void wire_put32(uint8_t *p, uint32_t v)
{
    wire_put16(p, (uint16_t)(v >> 16));
    wire_put16(p + 2, (uint16_t)v);
}
