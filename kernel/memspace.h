/* SPDX-License-Identifier: GPL-2.0-only */
/* A PD's record of the memory delegated to it: which mdb node covers each
 * user virtual page. Page tables say what the hardware may access; this
 * says where each mapping came from, so revoke can find and undo it.
 *
 * Virtual page numbers are below 2^MEMSPACE_VPAGE_BITS (48-bit addresses).
 * A node covers the naturally aligned range [node->base, node->base +
 * 2^node->order), order 0..MEMSPACE_MAX_ORDER (4 KiB .. 512 GiB). Built on
 * radix.h: four levels of 512 entries like the page tables, a node stored at
 * the level of its size, so any lookup is at most four loads. Tables come
 * from a page_source charged to the PD's quota. The caller serializes. */
#pragma once
#include <stdint.h>
#include <donjon/abi.h>
#include "kernel/mdb.h"
#include "kernel/radix.h"

#define MEMSPACE_VPAGE_BITS 36 /* 48-bit virtual addresses, 4 KiB pages */
#define MEMSPACE_LEVELS 4
#define MEMSPACE_MAX_ORDER 27  /* one top-level entry: 512 GiB */

struct memspace {
    struct radix_map map;
};

void memspace_init(struct memspace *ms, const struct page_source *pages);
/* Free the tables (nodes are the caller's: revoke them first). */
void memspace_destroy(struct memspace *ms);

/* Record that node covers [vpage, vpage + 2^order). node->kind must be
 * DJ_CRD_MEM and node->base/order must equal vpage/order. DJ_E_BAD_PARAM:
 * misaligned, out of range or inconsistent; DJ_E_BUSY: some page of the
 * range is already covered; DJ_E_QUOTA: no table page (nothing changed). */
enum dj_status memspace_insert(struct memspace *ms, uint64_t vpage, unsigned order,
                               struct mdb_node *node);
/* The node covering vpage, or NULL. */
struct mdb_node *memspace_lookup(const struct memspace *ms, uint64_t vpage);
/* Forget the node that covers exactly [vpage, vpage + 2^order).
 * DJ_E_BAD_PARAM: bad range; DJ_E_BAD_CAP: no node with that base and order. */
enum dj_status memspace_remove(struct memspace *ms, uint64_t vpage, unsigned order);
/* The node covering vpage, or the first one above it; NULL when none. */
struct mdb_node *memspace_next(const struct memspace *s, uint64_t vpage);
/* The first node meeting [vpage, end), or NULL; never looks past end. */
struct mdb_node *memspace_next_before(const struct memspace *s, uint64_t vpage, uint64_t end);
/* Call fn once per node covering any page in [first, first + count), in
 * address order. fn may memspace_remove that node. */
void memspace_for_each(struct memspace *ms, uint64_t first, uint64_t count,
                       void (*fn)(struct mdb_node *node, void *ctx), void *ctx);
