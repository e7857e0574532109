/* SPDX-License-Identifier: GPL-2.0-only */
/* Delegating memory.
 *
 * An item names a naturally aligned power-of-two range of source pages.
 * Source nodes are naturally aligned power-of-two ranges too, so each one
 * meeting the item either contains it or lies inside it: the receiver gets
 * one child node per source node met, covering the part of the item that
 * node maps (all of it when one node holds the whole item). A child's
 * virtual range must be naturally aligned in the receiver's memspace; at a
 * destination not aligned to the item's order, a part is split into the
 * largest aligned pieces (at most two per order). Each child is mapped
 * with the largest page size its physical and virtual alignment allow
 * (pd.c), so a 2 MiB or 1 GiB child costs one node and one entry.
 *
 * Work is bounded by the nodes met: an item meeting more than
 * MEM_ITEM_MAX_NODES nodes in its source range, or as many in its
 * destination range, is refused before anything changes. Holes are skipped
 * a table entry's span at a time, never looking past the item
 * (memspace_next_before): a one-page item costs a few loads. */
#include "kernel/mem_delegate.h"
#include "common/align.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "kernel/assert.h"

#define USER_PAGES (USER_TOP >> PAGE_SHIFT)

struct mem_item {
    struct pd *src, *dst;
    uint64_t first, end;   /* source pages [first, end) */
    uint64_t to, to_end;   /* destination pages [to, to_end) */
    unsigned rights;       /* the item's rights mask */
    bool busy;             /* some destination page held something else */
};

/* How many nodes of ms meet [first, end), counting up to limit + 1. */
static uint64_t nodes_meeting(const struct memspace *ms, uint64_t first, uint64_t end, uint64_t limit)
{
    uint64_t count = 0;
    for (uint64_t key = first; key < end && count <= limit; count++) {
        struct mdb_node *n = memspace_next_before(ms, key, end);
        if (!n)
            break;
        key = n->base + (1ull << n->order);
    }
    return count;
}

/* The frame a node maps at virtual page vpage. */
static uint64_t frame_at(const struct mdb_node *n, uint64_t vpage)
{
    return n->source_base + (vpage - n->base);
}

/* dst already has node e at page d. The same frames from the same parent
 * is a repeated delegation (a pager answering a write fault, say): e may
 * gain rights the parent has, if it lies inside the item (rights never
 * spread beyond what was named). Anything else stays and is reported. */
static void delegate_onto(struct mem_item *it, struct mdb_node *e, struct mdb_node *p, uint64_t d,
                          uint64_t frame, unsigned rights)
{
    if (e == p)
        return; /* pages delegated onto themselves */
    if (e->parent != p || frame_at(e, d) != frame) {
        it->busy = true;
        return;
    }
    if ((e->rights | rights) == e->rights)
        return;
    if (e->base < it->to || e->base + (1ull << e->order) > it->to_end) {
        it->busy = true;
        return;
    }
    e->rights = (uint8_t)(e->rights | rights);
    pd_mem_protect(it->dst, e); /* more rights: stale TLB entries only cause a spurious fault */
}

static int make_child(struct pd *dst, struct mdb_node *p, uint64_t d, unsigned order, uint64_t frame,
                      unsigned rights)
{
    struct mdb_node *n = pd_node_alloc(dst);
    if (!n)
        return DJ_E_QUOTA;
    mdb_node_init(n, &dst->mem, DJ_CRD_MEM, d, order, rights, frame);
    n->attr = p->attr; /* device memory stays device memory, with its cache mode */
    int st = pd_mem_attach(dst, n);
    if (st == DJ_OK && mdb_derive(p, n) != DJ_OK) {
        ASSERT_UNREACHABLE("a memory node whose rights and frames come from its parent does not derive from it");
        pd_mem_detach(dst, n);
        st = DJ_E_BAD_PARAM;
    }
    if (st != DJ_OK)
        pd_node_free(dst, n);
    return st;
}

/* Destination pages [d, d_end) get p's frames from `frame` on: one piece,
 * either what an existing node there covers or the largest free aligned
 * range. *done = the pages dealt with. */
static int delegate_piece(struct mem_item *it, struct mdb_node *p, uint64_t d, uint64_t d_end, uint64_t frame,
                          unsigned rights, uint64_t *done)
{
    struct mdb_node *e = memspace_next_before(&it->dst->mem, d, d_end);
    if (e && e->base <= d) {
        uint64_t e_end = e->base + (1ull << e->order);
        delegate_onto(it, e, p, d, frame, rights);
        *done = (e_end < d_end ? e_end : d_end) - d;
        return DJ_OK;
    }
    uint64_t limit = e ? e->base : d_end;
    unsigned order = aligned_order(d, limit, MEMSPACE_MAX_ORDER);
    *done = 1ull << order;
    return make_child(it->dst, p, d, order, frame, rights);
}

/* Source pages [lo, hi), all mapped by p. */
static int delegate_from(struct mem_item *it, struct mdb_node *p, uint64_t lo, uint64_t hi)
{
    unsigned rights = p->rights & it->rights;
    if (!(rights & DJ_MEM_R))
        return DJ_OK; /* x86 cannot map a page without read access */
    uint64_t d = it->to + (lo - it->first), d_end = d + (hi - lo), frame = frame_at(p, lo);
    while (d < d_end) {
        uint64_t done;
        int st = delegate_piece(it, p, d, d_end, frame, rights, &done);
        if (st != DJ_OK)
            return st;
        d += done;
        frame += done;
    }
    return DJ_OK;
}

int delegate_memory(struct pd *src, struct pd *dst, uint64_t crd, uint64_t to_page)
{
    unsigned order = DJ_CRD_ORDER(crd);
    if (order > MEMSPACE_MAX_ORDER)
        return DJ_E_BAD_PARAM;
    uint64_t base = DJ_CRD_BASE(crd), count = 1ull << order;
    if (base >= USER_PAGES || count > USER_PAGES - base || to_page >= USER_PAGES || count > USER_PAGES - to_page)
        return DJ_E_BAD_ADDR;
    struct mem_item it = {src, dst, base, base + count, to_page, to_page + count, DJ_CRD_RIGHTS(crd), false};
    /* A node covers at least a page: only items of more pages than the
     * bound can meet too many. */
    if (count > MEM_ITEM_MAX_NODES &&
        (nodes_meeting(&src->mem, it.first, it.end, MEM_ITEM_MAX_NODES) > MEM_ITEM_MAX_NODES ||
         nodes_meeting(&dst->mem, it.to, it.to_end, MEM_ITEM_MAX_NODES) > MEM_ITEM_MAX_NODES))
        return DJ_E_BAD_PARAM;
    for (uint64_t key = it.first; key < it.end;) {
        struct mdb_node *p = memspace_next_before(&src->mem, key, it.end);
        if (!p)
            break;
        uint64_t p_end = p->base + (1ull << p->order), lo = p->base > key ? p->base : key;
        uint64_t hi = p_end < it.end ? p_end : it.end;
        int st = delegate_from(&it, p, lo, hi);
        if (st != DJ_OK)
            return st;
        key = hi;
    }
    return it.busy ? DJ_E_BUSY : DJ_OK;
}
