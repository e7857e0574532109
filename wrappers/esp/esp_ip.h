/* SPDX-License-Identifier: GPL-2.0-only */
/* IPv4/IPv6 header helpers shared by encapsulation and decapsulation. */
#ifndef ESP_IP_H
#define ESP_IP_H

#include <stddef.h>
#include <stdint.h>

#define IPV4_HDR_MIN 20
#define IPV6_HDR_BYTES 40
#define IPV4_FLAG_DF 0x4000
#define IPV4_FLAG_MF 0x2000
#define IPV4_FRAG_OFFSET_MASK 0x1fff

static inline uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* RFC 1071 one's-complement sum folded and inverted. */
uint16_t esp_ip_checksum(const uint8_t *p, size_t len);

#endif
