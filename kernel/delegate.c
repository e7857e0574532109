/* Delegation (typed items and DJ_SYS_DELEGATE) and revocation.
 * Object capabilities are recorded in the mapping database, so revoke
 * removes every capability derived from one, across all PDs. Memory is
 * delegated page by page into the receiver's page tables; its derivation
 * records (and so memory revocation) are not implemented yet. */
#include "ipc.h"
#include "kstring.h"
#include "layout.h"
#include "mdb.h"
#include "paging.h"
#include "syscalls.h"

#define OBJ_ITEM_MAX_ORDER 8  /* 256 capabilities per item */
#define MEM_ITEM_MAX_ORDER 10 /* 4 MiB per item */

/* mdb nodes for object capabilities: one page per node is wasteful but
 * keeps every node charged to the receiving PD's quota. */
static struct mdb_node *node_alloc(struct pd *pd)
{
    return page_source_alloc(&pd->pages);
}

static void node_free(struct pd *pd, struct mdb_node *n)
{
    page_source_free(&pd->pages, n);
}

/* The receiver's window must contain the whole target range. */
static bool in_window(uint64_t window, unsigned kind, uint64_t base, unsigned order)
{
    if (DJ_CRD_KIND(window) != kind)
        return false;
    uint64_t wbase = DJ_CRD_BASE(window), worder = DJ_CRD_ORDER(window);
    /* The largest order a CRD can state stands for the whole space. */
    uint64_t wend = worder == DJ_CRD_ORDER_ALL ? ~0ull : wbase + (1ull << worder);
    return base >= wbase && base + (1ull << order) <= wend && base + (1ull << order) > base;
}

static int delegate_one_cap(struct pd *src, struct pd *dst, uint64_t from, uint64_t to, unsigned rights)
{
    struct capspace_slot *s = capspace_lookup(&src->caps, from, DJ_OBJ_NONE, 0);
    if (!s)
        return DJ_OK; /* holes in a range are skipped, as in a page range */
    struct kobj *o = s->obj;
    struct mdb_node *n = node_alloc(dst);
    if (!n)
        return DJ_E_QUOTA;
    enum dj_status st = capspace_insert(&dst->caps, to, o, s->type, s->rights & rights);
    if (st != DJ_OK) {
        node_free(dst, n);
        return st;
    }
    struct capspace_slot *d = capspace_lookup(&dst->caps, to, DJ_OBJ_NONE, 0);
    mdb_node_init(n, &dst->caps, DJ_CRD_OBJ, to, 0, d->rights, (uint64_t)o);
    if (s->node)
        mdb_derive(s->node, n);
    d->node = n;
    kobj_get(o);
    return DJ_OK;
}

static int delegate_caps(struct pd *src, struct pd *dst, uint64_t crd, uint64_t to)
{
    unsigned order = DJ_CRD_ORDER(crd);
    if (order > OBJ_ITEM_MAX_ORDER)
        return DJ_E_BAD_PARAM;
    for (uint64_t i = 0; i < (1ull << order); i++) {
        int st = delegate_one_cap(src, dst, DJ_CRD_BASE(crd) + i, to + i, DJ_CRD_RIGHTS(crd));
        if (st != DJ_OK)
            return st;
    }
    return DJ_OK;
}

static int delegate_memory(struct pd *src, struct pd *dst, uint64_t crd, uint64_t to_page)
{
    unsigned order = DJ_CRD_ORDER(crd);
    if (order > MEM_ITEM_MAX_ORDER)
        return DJ_E_BAD_PARAM;
    for (uint64_t i = 0; i < (1ull << order); i++) {
        uint64_t pa;
        unsigned have;
        if (!pd_lookup(src, (DJ_CRD_BASE(crd) + i) << PAGE_SHIFT, &pa, &have))
            continue;
        unsigned rights = have & DJ_CRD_RIGHTS(crd);
        if (!(rights & DJ_MEM_R))
            continue;
        int st = pd_map(dst, (to_page + i) << PAGE_SHIFT, pa, rights);
        if (st != DJ_OK)
            return st;
    }
    return DJ_OK;
}

int delegate_items(struct pd *src, struct pd *dst, const struct dj_typed_item *items, unsigned n, uint64_t window)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t crd = items[i].crd, to = items[i].hotspot;
        unsigned kind = DJ_CRD_KIND(crd);
        if (kind == DJ_CRD_NULL)
            continue;
        if (!in_window(window, kind, to, DJ_CRD_ORDER(crd)))
            return DJ_E_BAD_PARAM;
        int st = kind == DJ_CRD_OBJ ? delegate_caps(src, dst, crd, to)
               : kind == DJ_CRD_MEM ? delegate_memory(src, dst, crd, to)
                                    : DJ_E_BAD_PARAM; /* I/O ports: not yet */
        if (st != DJ_OK)
            return st;
    }
    return DJ_OK;
}

/* Removing one derived capability: its slot, its node, its reference. */
static void remove_cap(struct mdb_node *n, void *ctx)
{
    (void)ctx;
    struct capspace *cs = n->space;
    struct capspace_slot old;
    if (capspace_remove(cs, n->base, &old) == DJ_OK && old.obj)
        kobj_put(old.obj);
    page_source_free(cs->pages, n);
}

int revoke_range(struct pd *pd, uint64_t crd, bool self)
{
    if (DJ_CRD_KIND(crd) != DJ_CRD_OBJ)
        return DJ_E_BAD_PARAM; /* memory and port revocation: not yet */
    unsigned order = DJ_CRD_ORDER(crd);
    if (order > OBJ_ITEM_MAX_ORDER)
        return DJ_E_BAD_PARAM;
    for (uint64_t i = 0; i < (1ull << order); i++) {
        uint64_t sel = DJ_CRD_BASE(crd) + i;
        struct capspace_slot *s = capspace_lookup(&pd->caps, sel, DJ_OBJ_NONE, 0);
        if (!s)
            continue;
        if (s->node)
            mdb_revoke(s->node, self, remove_cap, 0);
        else if (self) {
            struct capspace_slot old;
            if (capspace_remove(&pd->caps, sel, &old) == DJ_OK && old.obj)
                kobj_put(old.obj);
        }
    }
    return DJ_OK;
}
