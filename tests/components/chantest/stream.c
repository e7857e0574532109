/* SPDX-License-Identifier: GPL-2.0-only */
/* Message contents of the channel test (stream.h). -ffreestanding turns
 * off the builtins, so fixed-size copies ask for __builtin_memcpy: it
 * becomes plain loads and stores. */
#include "stream.h"

#define MIX_MULTIPLIER 0x9e3779b97f4a7c15ull
#define SUM_MULTIPLIER 0x100000001b3ull
#define FULL_SLOT_PERIOD 1024 /* message 1024k fills its slot, 1024k + 1 is a bare header */
#define LARGE_ONE_IN 8        /* otherwise one in 8 is large (up to a slot), the rest small */
#define SMALL_SPREAD 113

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= MIX_MULTIPLIER;
    x ^= x >> 29;
    return x;
}

size_t stream_len(uint64_t n, size_t max)
{
    uint64_t h = mix(n);
    if (n % FULL_SLOT_PERIOD == 0)
        return max;
    if (n % FULL_SLOT_PERIOD == 1)
        return STREAM_HEADER;
    if (h % LARGE_ONE_IN == 0)
        return STREAM_HEADER + (size_t)(h >> 8) % (max - STREAM_HEADER + 1);
    return STREAM_HEADER + (size_t)(h >> 8) % SMALL_SPREAD;
}

/* Payload word i of message n. */
static uint64_t payload_word(uint64_t n, size_t i)
{
    return mix(n) + i * MIX_MULTIPLIER;
}

static uint64_t sum_step(uint64_t sum, uint64_t w)
{
    return (sum ^ w) * SUM_MULTIPLIER;
}

/* The checksum over bytes [STREAM_HEADER, len) at p: 8 bytes at a time,
 * the tail zero-padded. */
static uint64_t checksum(const uint8_t *p, size_t len)
{
    uint64_t sum = len;
    size_t i = STREAM_HEADER;
    for (; i + sizeof(uint64_t) <= len; i += sizeof(uint64_t)) {
        uint64_t w;
        __builtin_memcpy(&w, p + i, sizeof(w));
        sum = sum_step(sum, w);
    }
    if (i < len) {
        uint64_t w = 0;
        __builtin_memcpy(&w, p + i, len - i);
        sum = sum_step(sum, w);
    }
    return sum;
}

void stream_fill(void *p, uint64_t n, size_t len)
{
    uint8_t *b = p;
    size_t words = (len - STREAM_HEADER) / sizeof(uint64_t);
    for (size_t i = 0; i < words; i++) {
        uint64_t w = payload_word(n, i);
        __builtin_memcpy(b + STREAM_HEADER + i * sizeof(w), &w, sizeof(w));
    }
    uint64_t last = payload_word(n, words);
    __builtin_memcpy(b + STREAM_HEADER + words * sizeof(last), &last, (len - STREAM_HEADER) % sizeof(last));
    uint64_t header[2] = {n, checksum(b, len)};
    __builtin_memcpy(b, header, sizeof(header));
}

const char *stream_check(const void *p, uint64_t n, size_t len, size_t max, uint64_t *sum)
{
    const uint8_t *b = p;
    uint64_t header[2];
    if (len != stream_len(n, max))
        return "wrong length";
    __builtin_memcpy(header, b, sizeof(header));
    if (header[0] != n)
        return "wrong sequence number";
    *sum = checksum(b, len);
    if (header[1] != *sum)
        return "wrong checksum";
    return NULL;
}
