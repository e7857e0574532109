/* SPDX-License-Identifier: GPL-2.0-only */
/* Building and reading the test's frames: Ethernet, ARP, IPv4, UDP. */
#include <string.h>

#include "gwpeer.h"

#define IPV4_HEADER 20
#define UDP_HEADER 8
#define IP_PROTO_UDP 17
#define TTL 64
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ARP_LEN 28
#define ETH_MIN_FRAME 60

uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

uint32_t get32(const uint8_t *p)
{
    return (uint32_t)get16(p) << 16 | get16(p + 2);
}

void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

void ip_fix_checksum(uint8_t *ip)
{
    put16(ip + 10, 0);
    uint32_t sum = 0;
    for (unsigned i = 0; i < IPV4_HEADER; i += 2)
        sum += get16(ip + i);
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    put16(ip + 10, (uint16_t)~sum);
}

size_t build_udp(uint8_t *ip, uint32_t src, uint32_t dst, const char *payload, size_t payload_len)
{
    size_t total = IPV4_HEADER + UDP_HEADER + payload_len;
    memset(ip, 0, IPV4_HEADER + UDP_HEADER);
    ip[0] = 0x45;
    put16(ip + 2, (uint16_t)total);
    ip[8] = TTL;
    ip[9] = IP_PROTO_UDP;
    put32(ip + 12, src);
    put32(ip + 16, dst);
    ip_fix_checksum(ip);
    uint8_t *udp = ip + IPV4_HEADER;
    put16(udp, TEST_PORT);
    put16(udp + 2, TEST_PORT);
    put16(udp + 4, (uint16_t)(UDP_HEADER + payload_len));
    memcpy(udp + UDP_HEADER, payload, payload_len); /* checksum 0: none (IPv4) */
    return total;
}

size_t eth_wrap(uint8_t *frame, const uint8_t dst[MAC_BYTES], const uint8_t src[MAC_BYTES], uint16_t type,
                size_t payload_len)
{
    memcpy(frame, dst, MAC_BYTES);
    memcpy(frame + MAC_BYTES, src, MAC_BYTES);
    put16(frame + 12, type);
    size_t len = ETH_HEADER + payload_len;
    if (len < ETH_MIN_FRAME) {
        memset(frame + len, 0, ETH_MIN_FRAME - len);
        len = ETH_MIN_FRAME;
    }
    return len;
}

size_t arp_request(uint8_t *frame, const uint8_t mac[MAC_BYTES], uint32_t sender, uint32_t target)
{
    static const uint8_t bcast[MAC_BYTES] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t *a = frame + ETH_HEADER;
    memset(a, 0, ARP_LEN);
    put16(a, 1);
    put16(a + 2, ETH_TYPE_IPV4);
    a[4] = MAC_BYTES;
    a[5] = 4;
    put16(a + 6, 1);
    memcpy(a + 8, mac, MAC_BYTES);
    put32(a + 14, sender);
    put32(a + 24, target);
    return eth_wrap(frame, bcast, mac, ETH_TYPE_ARP, ARP_LEN);
}

bool arp_reply_from(const uint8_t *frame, size_t len, uint32_t from, uint8_t mac[MAC_BYTES])
{
    const uint8_t *a = frame + ETH_HEADER;
    if (len < ETH_HEADER + ARP_LEN || get16(frame + 12) != ETH_TYPE_ARP || get16(a + 6) != 2 ||
        get32(a + 14) != from)
        return false;
    memcpy(mac, a + 8, MAC_BYTES);
    return true;
}

bool contains(const uint8_t *p, size_t len, const char *needle)
{
    size_t n = strlen(needle);
    for (size_t i = 0; i + n <= len; i++)
        if (memcmp(p + i, needle, n) == 0)
            return true;
    return false;
}
