/* SPDX-License-Identifier: GPL-2.0-only */
/* Physical frame allocator. Knows every usable range of RAM, above and
 * below 4 GiB, minus the ranges reserved at boot (kernel image, modules,
 * boot information). Metadata is O(number of ranges), not O(RAM): free
 * single frames are kept on a list threaded through the frames themselves. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/boot_info.h"

#define FRAME_SIZE 4096ull
#define FRAME_ALLOC_MAX_RANGES 256

/* Maps a physical frame for the allocator's own use (the free list). */
typedef void *(*frame_map_fn)(uint64_t phys);

/* Initialize from a sanitized memory map; reserved[] are excluded. */
void frame_alloc_init(const struct mem_region *mem, unsigned mem_count,
                      const struct mem_region *reserved, unsigned reserved_count,
                      frame_map_fn map, boot_warn_fn warn);
/* One zeroed frame anywhere; 0 when memory is exhausted. */
uint64_t frame_alloc(void);
/* One frame whose end is <= limit (e.g. 1 MiB for AP trampolines, 4 GiB). */
uint64_t frame_alloc_below(uint64_t limit);
/* n physically contiguous frames aligned to align bytes (power of two). */
uint64_t frame_alloc_contig(size_t n, uint64_t align);
void frame_free(uint64_t phys);
/* Free n contiguous frames from frame_alloc_contig at once: they rejoin the
 * free ranges as one run, so contiguous memory comes back. */
void frame_free_contig(uint64_t phys, size_t n);
uint64_t frame_free_count(void);   /* frames currently available */
uint64_t frame_total_count(void);  /* frames managed in all */
uint64_t frame_highest_end(void);  /* end of the highest managed frame */
