/* SPDX-License-Identifier: GPL-2.0-only */
/* Memory for the virtualization smoke tests' tiny guests, shared by the
 * VMX (EPT) and SVM (NPT) tests: the frames, and a 4-level nested page
 * table that maps a few guest pages in the first 2 MiB of guest memory. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* Zeroed frames; false (and none kept) when memory runs out. */
bool guest_frames_alloc(uint64_t *frames, unsigned n);
void guest_frames_free(uint64_t *frames, unsigned n);
/* A page source's alloc and free (struct page_source) straight from the
 * frame allocator, for a test's stand-in VM PD. */
void *guest_page_alloc(void *ctx);
void guest_page_free(void *ctx, void *page);

/* Links PML4 -> PDPT -> PD -> PT (frames, entry 0 each) with table_flags. */
void guest_nested_tables(uint64_t pml4, uint64_t pdpt, uint64_t pd, uint64_t pt, uint64_t table_flags);
/* Maps guest-physical page gpa (below 2 MiB) to frame in the table pt. */
void guest_nested_map(uint64_t pt, uint64_t gpa, uint64_t frame, uint64_t leaf_flags);
