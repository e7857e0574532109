/* SPDX-License-Identifier: GPL-2.0-only */
/* The messages of the channel test: message n has a length and contents
 * derived from n alone, so the receiver can check each one completely:
 *   [0] n, [1] checksum of bytes 16..len-1, then the payload.
 * Lengths vary from the header alone to a full slot. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#define STREAM_HEADER 16

/* The length of message n in slots of max payload bytes. */
size_t stream_len(uint64_t n, size_t max);
/* Writes message n (len bytes) at p. */
void stream_fill(void *p, uint64_t n, size_t len);
/* Checks that p holds message n of len bytes in slots of max payload
 * bytes; NULL if it does, else what is wrong. *sum gets its checksum. */
const char *stream_check(const void *p, uint64_t n, size_t len, size_t max, uint64_t *sum);
