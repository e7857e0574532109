/* SPDX-License-Identifier: GPL-2.0-only */
/* The Internet checksum (inet_checksum.h). */
#include "inet_checksum.h"

/* Folding carries back in every so often keeps the sum far from 32-bit
 * overflow for any length: each step adds at most 0xffff. */
#define FOLD_EVERY_WORDS 0x8000

static uint32_t fold_carries(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return sum;
}

uint32_t inet_sum(uint32_t sum, const uint8_t *data, size_t len)
{
    size_t words = 0;
    for (; len >= 2; data += 2, len -= 2) {
        sum += (uint32_t)(data[0] << 8 | data[1]);
        if (++words == FOLD_EVERY_WORDS) {
            sum = fold_carries(sum);
            words = 0;
        }
    }
    if (len)
        sum += (uint32_t)data[0] << 8;
    return fold_carries(sum);
}

uint16_t inet_fold(uint32_t sum)
{
    return (uint16_t)~fold_carries(sum);
}
