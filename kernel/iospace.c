/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-PD I/O port delegation records: see iospace.h. */
#include "kernel/iospace.h"

_Static_assert(IOSPACE_PORT_BITS <= IOSPACE_LEVELS * RADIX_BITS, "levels cover the port space");
_Static_assert(IOSPACE_MAX_ORDER / RADIX_BITS < IOSPACE_LEVELS, "the largest order has a level");

void iospace_init(struct iospace *is, const struct page_source *pages)
{
    radix_init(&is->map, IOSPACE_LEVELS, IOSPACE_PORT_BITS, IOSPACE_MAX_ORDER, pages);
}

void iospace_destroy(struct iospace *is)
{
    radix_destroy(&is->map);
}

enum dj_status iospace_insert(struct iospace *is, uint64_t port, unsigned order,
                              struct mdb_node *node)
{
    if (node->kind != DJ_CRD_IO || node->base != port || node->order != order)
        return DJ_E_BAD_PARAM;
    return radix_insert(&is->map, node);
}

struct mdb_node *iospace_lookup(const struct iospace *is, uint64_t port)
{
    return radix_lookup(&is->map, port);
}

enum dj_status iospace_remove(struct iospace *is, uint64_t port, unsigned order)
{
    return radix_remove(&is->map, port, order);
}

void iospace_for_each(struct iospace *is, uint64_t first, uint64_t count,
                      void (*fn)(struct mdb_node *node, void *ctx), void *ctx)
{
    radix_for_each(&is->map, first, count, fn, ctx);
}

struct mdb_node *iospace_next(const struct iospace *s, uint64_t port)
{
    return radix_next(&s->map, port);
}
