/* SPDX-License-Identifier: GPL-2.0-only */
/* A sparse map from keys (page numbers, port numbers) to the mdb nodes
 * that cover them, each node a naturally aligned power-of-two range
 * [node->base, node->base + 2^node->order). The shared engine under
 * memspace and iospace.
 *
 * Page-table shaped: `levels` levels of RADIX_BITS-bit indices, tables of
 * one page from a page_source. A node of order o is stored, like a large
 * page, at level o / RADIX_BITS in 2^(o % RADIX_BITS) consecutive entries,
 * so an insert writes at most 2^(RADIX_BITS-1) entries and a lookup is at most
 * `levels` loads, whatever the order. Tables are allocated on insert and
 * freed as soon as they become empty, so the quota gets its pages back.
 *
 * An entry is 0 (empty), a table pointer, or a node pointer with bit 0 set
 * (nodes are 8-byte aligned).
 * The caller serializes all calls on one map. */
#pragma once
#include <stdint.h>
#include <donjon/abi.h>
#include "kernel/mdb.h"
#include "kernel/quota.h"

#define RADIX_BITS 9                   /* 512 eight-byte entries per page */
#define RADIX_ENTRIES (1u << RADIX_BITS)
#define RADIX_MAX_LEVELS 4

struct radix_map {
    uintptr_t *root;      /* top table, NULL while the map is empty */
    unsigned levels;      /* 1..RADIX_MAX_LEVELS */
    unsigned key_bits;    /* keys are below 2^key_bits */
    unsigned max_order;   /* largest order a node may have */
    const struct page_source *pages;
};

void radix_init(struct radix_map *m, unsigned levels, unsigned key_bits, unsigned max_order,
                const struct page_source *pages);
/* Free every table (nodes are the caller's). */
void radix_destroy(struct radix_map *m);

/* Is [key, key + 2^order) a naturally aligned range inside the key space? */
bool radix_range_ok(const struct radix_map *m, uint64_t key, unsigned order);

/* Map node's range [node->base, node->base + 2^node->order) to node.
 * DJ_E_BAD_PARAM: bad range; DJ_E_BUSY: some key in it is mapped;
 * DJ_E_QUOTA: no table page (then no table is left allocated). */
enum dj_status radix_insert(struct radix_map *m, struct mdb_node *node);
/* The node covering key, or NULL. */
struct mdb_node *radix_lookup(const struct radix_map *m, uint64_t key);
/* Unmap the node whose range is exactly [key, key + 2^order); frees tables
 * left empty. DJ_E_BAD_PARAM: bad range; DJ_E_BAD_CAP: no such node. */
enum dj_status radix_remove(struct radix_map *m, uint64_t key, unsigned order);

/* The node covering key, or else the first node above it; NULL when there
 * is none. Skips empty entries a whole span at a time, so walking a map
 * with it (from each node's end on) costs about what its tables hold. */
struct mdb_node *radix_next(const struct radix_map *m, uint64_t key);
/* The same, but only a node that covers a key in [key, end): NULL when
 * there is none, found without looking past end (so a small query in a
 * sparse map costs a few loads). */
struct mdb_node *radix_next_before(const struct radix_map *m, uint64_t key, uint64_t end);

/* Call fn once for each node that covers a key in [first, first + count),
 * in key order. fn may radix_remove that node (nothing else). */
void radix_for_each(struct radix_map *m, uint64_t first, uint64_t count,
                    void (*fn)(struct mdb_node *node, void *ctx), void *ctx);
