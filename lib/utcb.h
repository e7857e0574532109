/* SPDX-License-Identifier: BSD-2-Clause */
/* Access to the UTCB (the per-EC message page, struct dj_utcb in abi.h).
 *
 * User-program entry state (the contract with the kernel):
 *   - the initial EC of a PD starts at the ELF entry point with RSP on a
 *     valid stack, RDI = its UTCB address, RSI = its CPU number;
 *   - crt0 stores them in dj_utcb_self and dj_boot_cpu.
 * dj_utcb() is the initial EC's UTCB only: portal handlers get their own
 * UTCB as an argument (lib/server.h). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

extern struct dj_utcb *dj_utcb_self;
extern uint32_t dj_boot_cpu;
extern int32_t dj_exit_status; /* what main returned (for a debugger) */

static inline struct dj_utcb *dj_utcb(void)
{
    return dj_utcb_self;
}

/* A message's n typed items are an array that ends with the word array
 * (abi.h: "typed items from the end down"): item 0 at
 * words[DJ_UTCB_WORDS - 2 * n], item n - 1 in the last two words. */
#define DJ_UTCB_MAX_TYPED DJ_MTD_MAX_TYPED
_Static_assert(sizeof(struct dj_typed_item) == 2 * sizeof(uint64_t), "a typed item is two words");

static inline struct dj_typed_item *dj_utcb_typed(struct dj_utcb *u, unsigned n)
{
    return (struct dj_typed_item *)&u->words[DJ_UTCB_WORDS - 2 * n];
}

/* Copies n words into the message and returns the MTD that sends them
 * (no typed items); more than DJ_UTCB_WORDS copies nothing and returns
 * DJ_MTD_BAD, which the kernel refuses (DJ_E_OVERFLOW). */
static inline uint64_t dj_utcb_set_words(struct dj_utcb *u, const uint64_t *w, size_t n)
{
    if (n > DJ_UTCB_WORDS)
        return DJ_MTD_BAD;
    for (size_t i = 0; i < n; i++)
        u->words[i] = w[i];
    return DJ_MTD(n, 0);
}
