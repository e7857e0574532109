/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-PD memory delegation records: see memspace.h. */
#include "kernel/memspace.h"

_Static_assert(MEMSPACE_VPAGE_BITS <= MEMSPACE_LEVELS * RADIX_BITS, "levels cover the address space");
_Static_assert(MEMSPACE_MAX_ORDER / RADIX_BITS < MEMSPACE_LEVELS, "the largest order has a level");

void memspace_init(struct memspace *ms, const struct page_source *pages)
{
    radix_init(&ms->map, MEMSPACE_LEVELS, MEMSPACE_VPAGE_BITS, MEMSPACE_MAX_ORDER, pages);
}

void memspace_destroy(struct memspace *ms)
{
    radix_destroy(&ms->map);
}

enum dj_status memspace_insert(struct memspace *ms, uint64_t vpage, unsigned order,
                               struct mdb_node *node)
{
    if (node->kind != DJ_CRD_MEM || node->base != vpage || node->order != order)
        return DJ_E_BAD_PARAM;
    return radix_insert(&ms->map, node);
}

struct mdb_node *memspace_lookup(const struct memspace *ms, uint64_t vpage)
{
    return radix_lookup(&ms->map, vpage);
}

enum dj_status memspace_remove(struct memspace *ms, uint64_t vpage, unsigned order)
{
    return radix_remove(&ms->map, vpage, order);
}

void memspace_for_each(struct memspace *ms, uint64_t first, uint64_t count,
                       void (*fn)(struct mdb_node *node, void *ctx), void *ctx)
{
    radix_for_each(&ms->map, first, count, fn, ctx);
}

struct mdb_node *memspace_next(const struct memspace *s, uint64_t vpage)
{
    return radix_next(&s->map, vpage);
}

struct mdb_node *memspace_next_before(const struct memspace *s, uint64_t vpage, uint64_t end)
{
    return radix_next_before(&s->map, vpage, end);
}
