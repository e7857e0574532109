/* SPDX-License-Identifier: BSD-2-Clause */
/* The runtime's share-out of a component's free selectors and free
 * addresses (lib/startinfo.h: DJ_CHILD_FIRST_FREE.., [DJ_CHILD_FREE_VA,
 * DJ_CHILD_FREE_END)). dj_serve_forever takes what it needs from here; a
 * program that uses these never collides with it. A program that picks
 * fixed selectors or addresses in those ranges must not use them. */
#pragma once
#include <stdint.h>

/* A fresh capability selector (never reused); 0 when the range is used up. */
uint64_t dj_alloc_sel(void);
/* A fresh page-aligned range of pages addresses, nothing mapped there,
 * followed by an unmapped page; 0 when the region is used up. */
uint64_t dj_alloc_va(uint64_t pages);
/* pages fresh zeroed read-write pages (from this PD's quota) with an
 * unmapped guard page below them, so running off their start (a stack
 * overflow) faults instead of writing over something else; NULL when the
 * quota or the region is used up. */
void *dj_alloc_guarded(uint64_t pages);
