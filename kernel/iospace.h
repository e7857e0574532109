/* SPDX-License-Identifier: GPL-2.0-only */
/* A PD's record of the I/O ports delegated to it: which mdb node covers
 * each port, for revoke. (The TSS I/O permission bitmap is what the CPU
 * checks; this records where each grant came from.)
 *
 * Ports 0..65535; a node covers the naturally aligned range [node->base,
 * node->base + 2^node->order), order 0..16. Built on radix.h with two
 * levels: a root table (128 entries used, one per 512 ports) and bottom
 * tables of 512 ports, allocated on demand from a page_source charged to
 * the PD's quota: at most 1 + 128 pages, two loads per lookup. */
#pragma once
#include <stdint.h>
#include <donjon/abi.h>
#include "kernel/mdb.h"
#include "kernel/radix.h"

#define IOSPACE_PORT_BITS 16
#define IOSPACE_PORTS (1u << IOSPACE_PORT_BITS)
#define IOSPACE_LEVELS 2
#define IOSPACE_MAX_ORDER IOSPACE_PORT_BITS

struct iospace {
    struct radix_map map;
};

void iospace_init(struct iospace *is, const struct page_source *pages);
void iospace_destroy(struct iospace *is);
/* As memspace_insert, for ports (node->kind DJ_CRD_IO). */
enum dj_status iospace_insert(struct iospace *is, uint64_t port, unsigned order,
                              struct mdb_node *node);
struct mdb_node *iospace_lookup(const struct iospace *is, uint64_t port);
enum dj_status iospace_remove(struct iospace *is, uint64_t port, unsigned order);
/* The node covering port, or the first one above it; NULL when none. */
struct mdb_node *iospace_next(const struct iospace *s, uint64_t port);
void iospace_for_each(struct iospace *is, uint64_t first, uint64_t count,
                      void (*fn)(struct mdb_node *node, void *ctx), void *ctx);
