/* SPDX-License-Identifier: BSD-2-Clause */
/* Naturally aligned power-of-two ranges of pages, ports or selectors. */
#pragma once
#include <stdint.h>

#define ALIGN_ORDER_ANY 62 /* no bound of its own: the limit decides */

/* The largest order o <= max_order such that [base, base + 2^o) is
 * naturally aligned and ends at or before limit (base < limit). */
static inline unsigned aligned_order(uint64_t base, uint64_t limit, unsigned max_order)
{
    unsigned o = 0;
    while (o < max_order && (base & ((2ull << o) - 1)) == 0 && base + (2ull << o) <= limit)
        o++;
    return o;
}
