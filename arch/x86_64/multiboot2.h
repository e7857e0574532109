/* SPDX-License-Identifier: GPL-2.0-only */
/* Multiboot2 boot information parser (host-testable: pure logic). */
#pragma once
#include "kernel/boot_info.h"

#define MB2_BOOTLOADER_MAGIC 0x36d76289u

/* Parse the boot information at mbi (which the caller can read for
 * avail_len bytes). Returns 0, or -1 when the structure is unusable (bad
 * total size, no memory map at all); problems are reported through warn. */
int mb2_parse(const void *mbi, size_t avail_len, uint64_t mbi_phys, struct boot_info *out, boot_warn_fn warn);

/* Sort, merge and de-overlap a memory map in place (the more restrictive
 * type wins where regions overlap); usable regions are trimmed to whole
 * pages. Returns the new count. */
unsigned memmap_sanitize(struct mem_region *mem, unsigned count, unsigned capacity);
