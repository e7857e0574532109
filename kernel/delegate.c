/* SPDX-License-Identifier: GPL-2.0-only */
/* Delegation (typed items and DJ_SYS_DELEGATE) and revocation.
 *
 * Every capability a PD holds has a node in the mapping database
 * (kernel/mdb.h): object capabilities in its capspace, memory pages in its
 * memspace, I/O ports in its iospace. Delegating creates a child node in
 * the receiver with the sender's rights masked by the item's, so rights
 * only shrink along a derivation; revoking removes (or downgrades) every
 * node derived from the named ones, in all PDs, and then shoots down stale
 * TLB entries and I/O bitmaps on all CPUs before the revoking call returns.
 *
 * Memory is recorded and mapped eagerly, in naturally aligned power-of-two
 * nodes mapped with pages as large as their alignment allows
 * (mem_delegate.c): a page fault never consults the database, and revoking
 * any page of a delegated node revokes all of it. I/O ports are recorded
 * in naturally aligned power-of-two ranges (a driver given all 65,536
 * ports costs one node) and keep their numbers: the item's hotspot is
 * ignored for them.
 *
 * Removing an object capability's original means no capability to the
 * object is left: for a PD, its destruction starts (pd_reclaim.h). An
 * allocated original (DJ_SYS_MEM_ALLOC) takes its frames along, freed
 * after the shootdown (revoke.h).
 *
 * One lock (pd_mdb_lock) serializes all of it; the shootdown runs after
 * the lock is dropped. docs/abi.md states the semantics for user code. */
#include "kernel/ipc.h"
#include "common/align.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "kernel/mdb.h"
#include "kernel/mem_delegate.h"
#include "arch/x86_64/paging.h"
#include "kernel/pd_reclaim.h"
#include "kernel/revoke.h"
#include "kernel/syscalls.h"
#include "kernel/tlb.h"
#include "kernel/assert.h"
#include "kernel/irq.h"

#define OBJ_ITEM_MAX_ORDER 8   /* 256 capabilities per item */
#define USER_PAGES (USER_TOP >> PAGE_SHIFT)

/* What the database walks below report back. */
struct change {
    bool sync; /* mappings or I/O bitmaps changed: shoot down after unlocking */
};

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

/* ---- Object capabilities -------------------------------------------------- */

static int delegate_one_cap(struct pd *src, struct pd *dst, uint64_t from, uint64_t to, unsigned rights)
{
    struct capspace_slot *s = capspace_lookup(&src->caps, from, DJ_OBJ_NONE, 0);
    if (!s)
        return DJ_OK; /* holes in a range are skipped, as in a page range */
    struct kobj *o = s->obj;
    struct mdb_node *n = pd_node_alloc(dst);
    if (!n)
        return DJ_E_QUOTA;
    enum dj_status st = capspace_insert(&dst->caps, to, o, s->type, s->rights & rights);
    if (st != DJ_OK) {
        pd_node_free(dst, n);
        return st;
    }
    struct capspace_slot *d = capspace_lookup(&dst->caps, to, DJ_OBJ_NONE, 0);
    mdb_node_init(n, &dst->caps, DJ_CRD_OBJ, to, 0, d->rights, (uint64_t)o);
    if (s->node && mdb_derive(s->node, n) != DJ_OK)
        ASSERT_UNREACHABLE("a copy of a capability with its rights or fewer does not derive from it");
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

/* ---- I/O ports ------------------------------------------------------------- */

static int delegate_port_chunk(struct pd *dst, struct mdb_node *p, uint64_t port, unsigned order)
{
    struct mdb_node *n = pd_node_alloc(dst);
    if (!n)
        return DJ_E_QUOTA;
    mdb_node_init(n, &dst->io, DJ_CRD_IO, port, order, DJ_IO_ACCESS, port);
    int st = pd_io_attach(dst, n);
    if (st == DJ_OK && mdb_derive(p, n) != DJ_OK) {
        ASSERT_UNREACHABLE("a port range inside its parent's does not derive from it");
        pd_io_detach(dst, n);
        st = DJ_E_BAD_PARAM;
    }
    if (st != DJ_OK)
        pd_node_free(dst, n);
    return st;
}

/* Delegate [port, port + 2^order) of p; where dst already holds some of
 * those ports, try smaller pieces down to single ports. Returns the order
 * of the piece dealt with in *done. */
static int delegate_ports_at(struct pd *dst, struct mdb_node *p, uint64_t port, unsigned order,
                             unsigned *done, bool *busy)
{
    for (;;) {
        int st = delegate_port_chunk(dst, p, port, order);
        if (st != DJ_E_BUSY || order == 0) {
            *done = order;
            if (st == DJ_E_BUSY) {
                struct mdb_node *e = iospace_lookup(&dst->io, port);
                *busy = *busy || (e != p && e->parent != p); /* not a repeat from the same parent */
                st = DJ_OK;
            }
            return st;
        }
        order--;
    }
}

static int delegate_ports(struct pd *src, struct pd *dst, uint64_t crd, struct change *ch)
{
    unsigned order = DJ_CRD_ORDER(crd);
    uint64_t base = DJ_CRD_BASE(crd);
    if (order > IOSPACE_MAX_ORDER || base >= IOSPACE_PORTS || (base & ((1ull << order) - 1)))
        return DJ_E_BAD_PARAM;
    if (!(DJ_CRD_RIGHTS(crd) & DJ_IO_ACCESS))
        return DJ_OK; /* nothing to give */
    uint64_t end = base + (1ull << order);
    bool busy = false;
    for (uint64_t port = base; port < end;) { /* every step advances: at most 2^16 */
        struct mdb_node *p = iospace_lookup(&src->io, port);
        if (!p) {
            port++;
            continue;
        }
        uint64_t p_end = p->base + (1ull << p->order);
        unsigned done, order = aligned_order(port, p_end < end ? p_end : end, IOSPACE_MAX_ORDER);
        int st = delegate_ports_at(dst, p, port, order, &done, &busy);
        if (st != DJ_OK)
            return st;
        ch->sync = true;
        port += 1ull << done;
    }
    return busy ? DJ_E_BUSY : DJ_OK;
}

/* ---- Items ------------------------------------------------------------------- */

static int delegate_item(struct pd *src, struct pd *dst, const struct dj_typed_item *it, uint64_t window,
                         struct change *ch)
{
    uint64_t crd = it->crd;
    unsigned kind = DJ_CRD_KIND(crd);
    /* Ports keep their numbers: their hotspot is ignored. */
    uint64_t to = kind == DJ_CRD_IO ? DJ_CRD_BASE(crd) : it->hotspot;
    if (!in_window(window, kind, to, DJ_CRD_ORDER(crd)))
        return DJ_E_BAD_PARAM;
    switch (kind) {
    case DJ_CRD_OBJ: return delegate_caps(src, dst, crd, to);
    case DJ_CRD_MEM: return delegate_memory(src, dst, crd, to);
    default: return delegate_ports(src, dst, crd, ch);
    }
}

bool delegate_items_fit(const struct dj_typed_item *items, unsigned n, uint64_t window)
{
    for (unsigned i = 0; i < n; i++) {
        uint64_t crd = items[i].crd;
        unsigned kind = DJ_CRD_KIND(crd);
        uint64_t to = kind == DJ_CRD_IO ? DJ_CRD_BASE(crd) : items[i].hotspot;
        if (kind != DJ_CRD_NULL && !in_window(window, kind, to, DJ_CRD_ORDER(crd)))
            return false;
    }
    return true;
}

int delegate_items(struct pd *src, struct pd *dst, const struct dj_typed_item *items, unsigned n, uint64_t window)
{
    struct change ch = {false};
    int st = DJ_OK;
    if (dst->obj.dead)
        return DJ_E_ABORTED; /* a PD being destroyed takes nothing new */
    uint64_t flags = pd_mdb_lock();
    for (unsigned i = 0; i < n && st == DJ_OK; i++)
        if (DJ_CRD_KIND(items[i].crd) != DJ_CRD_NULL)
            st = delegate_item(src, dst, &items[i], window, &ch);
    pd_mdb_unlock(flags);
    if (ch.sync)
        tlb_shootdown(); /* new ports take effect at once on every CPU */
    return st;
}

/* ---- Revocation ------------------------------------------------------------- */

struct revoke_op {
    uint64_t lo, hi;  /* the revoked range in the caller's space */
    unsigned mask;    /* rights to take away */
    bool remove;      /* remove the nodes (else only clear `mask`) */
    bool self;        /* the caller's own nodes too */
    struct revoke_batch batch;
};

/* An object capability is gone. Its original going means no capability
 * to the object is left: for a PD, that is its end. */
static void cap_removed(struct mdb_node *n, struct kobj *o)
{
    if (o->type == DJ_OBJ_IRQ)
        irq_cap_removed((struct irq_line *)o, n);
    if (o->original == n) {
        o->original = 0;
        if (o->type == DJ_OBJ_PD)
            pd_doom((struct pd *)o);
    }
    kobj_put(o);
}

/* A node a revoke removes, already unlinked from its tree (ctx: the
 * revoke_batch). An owned frame waits in the batch for the shootdown. */
static void removed(struct mdb_node *n, void *ctx)
{
    struct revoke_batch *b = ctx;
    struct pd *holder = pd_of_node(n);
    switch (n->kind) {
    case DJ_CRD_MEM:
        pd_mem_detach(holder, n);
        b->sync = true;
        if (n->owned && n->dma_visible && holder->obj.dead)
            break; /* its device may still write there: the frame stays allocated, charged */
        if (n->owned) {
            n->parent = b->frames;
            b->frames = n;
            return;
        }
        break;
    case DJ_CRD_IO:
        pd_io_detach(holder, n);
        b->sync = true;
        break;
    default: {
        struct capspace_slot old;
        if (capspace_remove(&holder->caps, n->base, &old) == DJ_OK && old.obj)
            cap_removed(n, old.obj);
    }
    }
    pd_node_free(holder, n);
}

/* A memory node whose rights a partial revoke reduced. */
static void reduced(struct mdb_node *n, void *ctx)
{
    struct revoke_batch *b = ctx;
    pd_mem_protect(pd_of_node(n), n);
    b->sync = true;
}

/* Remove n and its subtree, or clear the rights from them. */
static void revoke_subtree(struct mdb_node *n, struct revoke_op *op)
{
    if (op->remove)
        mdb_revoke(n, true, removed, &op->batch);
    else
        mdb_reduce_rights(n, op->mask, reduced, &op->batch);
}

bool revoke_subtree_bounded(struct mdb_node *n, bool self, size_t *budget, struct revoke_batch *b)
{
    size_t done = 0;
    bool complete = mdb_revoke_bounded(n, self, *budget, removed, b, &done);
    *budget -= done;
    return complete;
}

void revoke_batch_finish(struct revoke_batch *b)
{
    if (b->sync)
        tlb_shootdown(); /* no CPU may still use what was revoked */
    b->sync = false;
    if (!b->frames)
        return;
    uint64_t flags = pd_mdb_lock();
    while (b->frames) {
        struct mdb_node *n = b->frames;
        struct pd *holder = pd_of_node(n);
        b->frames = n->parent;
        pd_free_owned_frames(holder, n->source_base << PAGE_SHIFT, n->order);
        pd_node_free(holder, n);
    }
    pd_mdb_unlock(flags);
}

/* The caller's node n covers some of the range. Every child whose source
 * range meets the covered part loses it whole, with everything derived from
 * it (a child reaching beyond the range cannot be split: revoking any of
 * its pages or ports revokes all of it). n itself only with `self`, and
 * only when it lies inside the range. */
static void revoke_node(struct mdb_node *n, struct revoke_op *op)
{
    uint64_t n_end = n->base + (1ull << n->order);
    uint64_t lo = n->base > op->lo ? n->base : op->lo, hi = n_end < op->hi ? n_end : op->hi;
    uint64_t src_lo = n->source_base + (lo - n->base), src_hi = n->source_base + (hi - n->base);
    struct mdb_node *next;
    for (struct mdb_node *c = n->first_child; c; c = next) {
        next = c->next_sibling; /* c's subtree may go, its siblings stay */
        if (c->source_base < src_hi && c->source_base + (1ull << c->order) > src_lo)
            revoke_subtree(c, op);
    }
    if (op->self && lo == n->base && hi == n_end)
        revoke_subtree(n, op);
}

/* The first node meeting [key, end) (memory holes are skipped a table
 * entry's span at a time); NULL when none. */
static struct mdb_node *next_in(struct pd *pd, unsigned kind, uint64_t key, uint64_t end)
{
    if (kind == DJ_CRD_MEM)
        return memspace_next_before(&pd->mem, key, end);
    struct mdb_node *n = iospace_next(&pd->io, key);
    return n && n->base < end ? n : 0;
}

/* Decode a MEM or IO revoke CRD: the rights field names the rights to take
 * away; taking the read right (memory) or the access right (ports) removes
 * the mappings. */
static int revoke_op_init(struct revoke_op *op, uint64_t crd, bool self)
{
    unsigned kind = DJ_CRD_KIND(crd), order = DJ_CRD_ORDER(crd), rights = DJ_CRD_RIGHTS(crd);
    uint64_t base = DJ_CRD_BASE(crd);
    bool mem = kind == DJ_CRD_MEM;
    unsigned all = mem ? DJ_MEM_ALL | DJ_MEM_DMA : DJ_IO_ACCESS;
    uint64_t space = mem ? USER_PAGES : IOSPACE_PORTS;
    if (order > (mem ? MEMSPACE_MAX_ORDER : IOSPACE_MAX_ORDER) || !rights || (rights & ~all))
        return DJ_E_BAD_PARAM;
    if (base >= space || (1ull << order) > space - base)
        return mem ? DJ_E_BAD_ADDR : DJ_E_BAD_PARAM;
    *op = (struct revoke_op){
        .lo = base, .hi = base + (1ull << order), .mask = rights,
        .remove = (rights & (mem ? DJ_MEM_R : DJ_IO_ACCESS)) != 0, .self = self,
    };
    return DJ_OK;
}

static int revoke_space(struct pd *pd, uint64_t crd, bool self)
{
    struct revoke_op op;
    int st = revoke_op_init(&op, crd, self);
    if (st != DJ_OK)
        return st;
    unsigned kind = DJ_CRD_KIND(crd);
    uint64_t flags = pd_mdb_lock();
    for (uint64_t key = op.lo; key < op.hi;) { /* one step per node the range meets */
        struct mdb_node *n = next_in(pd, kind, key, op.hi);
        if (!n)
            break;
        key = n->base + (1ull << n->order); /* before n may be freed */
        revoke_node(n, &op);
    }
    pd_mdb_unlock(flags);
    revoke_batch_finish(&op.batch); /* before returning: no CPU may still use what was revoked */
    return DJ_OK;
}

static int revoke_caps(struct pd *pd, uint64_t crd, bool self)
{
    unsigned order = DJ_CRD_ORDER(crd);
    if (order > OBJ_ITEM_MAX_ORDER)
        return DJ_E_BAD_PARAM;
    struct revoke_op op = {.remove = true};
    uint64_t flags = pd_mdb_lock();
    for (uint64_t i = 0; i < (1ull << order); i++) {
        uint64_t sel = DJ_CRD_BASE(crd) + i;
        struct capspace_slot *s = capspace_lookup(&pd->caps, sel, DJ_OBJ_NONE, 0);
        if (!s)
            continue;
        if (s->node) {
            mdb_revoke(s->node, self, removed, &op.batch);
        } else if (self) {
            struct capspace_slot old;
            if (capspace_remove(&pd->caps, sel, &old) == DJ_OK && old.obj)
                kobj_put(old.obj);
        }
    }
    pd_mdb_unlock(flags);
    revoke_batch_finish(&op.batch);
    return DJ_OK;
}

int revoke_range(struct pd *pd, uint64_t crd, bool self)
{
    switch (DJ_CRD_KIND(crd)) {
    case DJ_CRD_OBJ: return revoke_caps(pd, crd, self);
    case DJ_CRD_MEM:
    case DJ_CRD_IO: return revoke_space(pd, crd, self);
    default: return DJ_E_BAD_PARAM;
    }
}
