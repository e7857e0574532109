/* SPDX-License-Identifier: GPL-2.0-only */
/* The Internet checksum (RFC 1071): the ones' complement of the ones'
 * complement sum of the data as big-endian 16-bit words, an odd last byte
 * padded with zero. Used by the IPv4 header, ICMP and UDP. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* Adds len bytes at data to a running sum (start with 0); sums of pieces
 * compose as long as every piece but the last has an even length. */
uint32_t inet_sum(uint32_t sum, const uint8_t *data, size_t len);
/* The checksum field value for a finished sum. Data whose checksum field
 * is already filled in gives 0 here when it is intact. */
uint16_t inet_fold(uint32_t sum);

static inline uint16_t inet_checksum(const uint8_t *data, size_t len)
{
    return inet_fold(inet_sum(0, data, len));
}
