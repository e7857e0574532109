/* SPDX-License-Identifier: GPL-2.0-only */
#include "kernel/pd.h"
#include "kernel/dma_space.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/frame_alloc.h"
#include "arch/x86_64/iobitmap.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/spinlock.h"
#include "arch/x86_64/virt.h"

/* mdb nodes come from slab pages: a header in the first slot, then
 * NODES_PER_PAGE nodes. A whole page per node would cost 64 times the
 * quota for the per-page records of memory delegation. */
#define NODE_SIZE 64
#define NODES_PER_PAGE (PAGE_SIZE / NODE_SIZE - 1)

struct node_page {
    struct node_page *next, *prev; /* in the PD's list of pages with a free node */
    void *free_list;               /* freed nodes, linked through their first word */
    uint32_t used;                 /* nodes handed out */
    uint32_t fresh;                /* nodes never handed out start at this index */
};

_Static_assert(sizeof(struct mdb_node) <= NODE_SIZE, "a node fits its slot");
_Static_assert(sizeof(struct node_page) <= NODE_SIZE, "the header fits the first slot");

static struct spinlock mdb_lock = SPINLOCK_INIT;

static void *pd_page_alloc(void *ctx)
{
    (void)ctx;
    uint64_t pa = frame_alloc();
    return pa ? phys_to_virt(pa) : 0;
}

static void pd_page_free(void *ctx, void *page)
{
    (void)ctx;
    frame_free(virt_to_phys(page));
}

/* Page-table frames for paging_map_user, charged through the page source. */
static uint64_t table_alloc(void *ctx)
{
    void *p = page_source_alloc(ctx);
    return p ? virt_to_phys(p) : 0;
}

struct pd *pd_create(struct quota *from, uint64_t quota_pages, uint8_t max_prio, bool vm)
{
    struct pd *pd = kobj_alloc(from, DJ_OBJ_PD);
    if (!pd)
        return 0;
    if (!quota_init_child(&pd->quota, from, quota_pages)) {
        kobj_put(&pd->obj);
        return 0;
    }
    pd->pages = (struct page_source){pd_page_alloc, pd_page_free, pd, &pd->quota};
    pd->vm = vm;
    pd->root = vm ? 0 : paging_new_root(table_alloc, &pd->pages);
    if (vm ? vm_space_init(pd) != DJ_OK : !pd->root) {
        kobj_put(&pd->obj); /* pd_release gives the quota back */
        return 0;
    }
    capspace_init(&pd->caps, &pd->pages);
    memspace_init(&pd->mem, &pd->pages);
    iospace_init(&pd->io, &pd->pages);
    pd->cr3 = vm ? paging_kernel_cr3() : virt_to_phys(pd->root); /* a vCPU's host side runs only the kernel */
    pd->quota.owner = pd;
    pd->parent_pd = from->owner;
    pd->max_prio = max_prio;
    return pd;
}

static void table_free(uint64_t pa, void *ctx)
{
    page_source_free(ctx, phys_to_virt(pa));
}

void pd_release(struct pd *pd)
{
    if (pd->reclaim.done || !pd->quota.parent)
        return; /* destroyed already, or pd_create failed before the quota */
    if (pd->root)
        paging_free_root(pd->root, table_free, &pd->pages);
    vm_space_destroy(pd);
    quota_destroy_child(&pd->quota);
}

uint64_t pd_mdb_lock(void)
{
    return spin_lock_irqsave(&mdb_lock);
}

void pd_mdb_unlock(uint64_t flags)
{
    spin_unlock_irqrestore(&mdb_lock, flags);
}

/* ---- mdb node slab --------------------------------------------------------- */

static void list_remove(struct pd *pd, struct node_page *p)
{
    if (p->prev)
        p->prev->next = p->next;
    else
        pd->node_pages = p->next;
    if (p->next)
        p->next->prev = p->prev;
    p->next = p->prev = 0;
}

static void list_add(struct pd *pd, struct node_page *p)
{
    p->prev = 0;
    p->next = pd->node_pages;
    if (p->next)
        p->next->prev = p;
    pd->node_pages = p;
}

struct mdb_node *pd_node_alloc(struct pd *pd)
{
    struct node_page *p = pd->node_pages;
    if (!p) {
        p = page_source_alloc(&pd->pages); /* zeroed */
        if (!p)
            return 0;
        list_add(pd, p);
    }
    void *n;
    if (p->free_list) {
        n = p->free_list;
        p->free_list = *(void **)n;
    } else {
        n = (char *)p + NODE_SIZE * (1 + p->fresh++);
    }
    if (++p->used == NODES_PER_PAGE)
        list_remove(pd, p);
    memset(n, 0, NODE_SIZE);
    return n;
}

void pd_node_free(struct pd *pd, struct mdb_node *n)
{
    struct node_page *p = (struct node_page *)((uintptr_t)n & ~(uintptr_t)(PAGE_SIZE - 1));
    if (p->used == NODES_PER_PAGE)
        list_add(pd, p);
    *(void **)n = p->free_list;
    p->free_list = n;
    if (--p->used == 0) {
        list_remove(pd, p);
        page_source_free(&pd->pages, p);
    }
}

struct pd *pd_of_node(const struct mdb_node *n)
{
    switch (n->kind) {
    case DJ_CRD_MEM: return (struct pd *)((char *)n->space - __builtin_offsetof(struct pd, mem));
    case DJ_CRD_IO: return (struct pd *)((char *)n->space - __builtin_offsetof(struct pd, io));
    default: return (struct pd *)((char *)n->space - __builtin_offsetof(struct pd, caps));
    }
}

/* ---- Memory ------------------------------------------------------------------ */

static uint64_t pte_flags_for(const struct pd *pd, unsigned rights, unsigned attr)
{
    if (pd->vm)
        return virt_gpt_leaf_flags(rights, attr & MDB_ATTR_CACHE_MASK) | PAGING_EXACT_FLAGS;
    return paging_user_pte_flags(rights, attr & MDB_ATTR_CACHE_MASK);
}

/* Pages one leaf entry at `level` maps, as an order. */
static unsigned leaf_order(unsigned level)
{
    return 9 * (level - 1);
}

/* The leaf level a node is mapped with: the largest page size no bigger
 * than the node to which its first frame is aligned. Its virtual start is
 * aligned to its own size (memspace.h), so the physical start decides. */
static unsigned leaf_level(const struct mdb_node *n)
{
    unsigned level = paging_user_leaf_max();
    while (level > PAGING_LEAF_4K &&
           (n->order < leaf_order(level) || (n->source_base & ((1ull << leaf_order(level)) - 1))))
        level--;
    return level;
}

static void unmap_node(struct pd *pd, const struct mdb_node *n)
{
    paging_unmap_user_range(pd->root, n->base << PAGE_SHIFT, PAGE_SIZE << n->order);
}

/* Page-table entries for the node's pages; on failure the ones written
 * are cleared again. */
static int map_node(struct pd *pd, const struct mdb_node *n)
{
    if (paging_map_user_range(pd->root, n->base << PAGE_SHIFT, n->source_base << PAGE_SHIFT, PAGE_SIZE << n->order,
                              leaf_level(n), pte_flags_for(pd, n->rights, n->attr), table_alloc, &pd->pages) < 0) {
        unmap_node(pd, n);
        return DJ_E_QUOTA;
    }
    return DJ_OK;
}

int pd_mem_attach(struct pd *pd, struct mdb_node *n)
{
    if (!(n->rights & DJ_MEM_R))
        return DJ_E_BAD_PARAM; /* x86 page tables cannot grant write or execute without read */
    enum dj_status st = memspace_insert(&pd->mem, n->base, n->order, n);
    if (st != DJ_OK)
        return st;
    int m = map_node(pd, n);
    if (m == DJ_OK && (m = dma_space_map(pd, n)) != DJ_OK) /* [vtd] the device view */
        unmap_node(pd, n);
    if (m != DJ_OK)
        memspace_remove(&pd->mem, n->base, n->order);
    return m;
}

void pd_mem_detach(struct pd *pd, struct mdb_node *n)
{
    memspace_remove(&pd->mem, n->base, n->order);
    unmap_node(pd, n);
    dma_space_unmap(pd, n); /* [vtd] the IOTLB is flushed with the TLBs */
}

void pd_mem_protect(struct pd *pd, struct mdb_node *n)
{
    if (!(n->rights & DJ_MEM_R) || map_node(pd, n) != DJ_OK)
        unmap_node(pd, n); /* rewriting a present entry needs no table page */
    dma_space_protect(pd, n); /* [vtd] */
}

int pd_map(struct pd *pd, uint64_t va, uint64_t pa, unsigned rights)
{
    return pd_map_attr(pd, va, pa, 0, rights, 0);
}

/* A new node of 2^order pages at va over the frames from pa: an original,
 * or derived from the capability node `cap`. */
static int map_recorded(struct pd *pd, struct mdb_node *cap, uint64_t va, uint64_t pa, unsigned order, unsigned rights,
                    unsigned attr, bool owned)
{
    if ((va | pa) & (PAGE_SIZE - 1) || va >= USER_TOP || !(rights & DJ_MEM_R) || (rights & ~(DJ_MEM_ALL | DJ_MEM_DMA)))
        return DJ_E_BAD_PARAM;
    uint64_t flags = pd_mdb_lock();
    struct mdb_node *n = pd_node_alloc(pd);
    int st = DJ_E_QUOTA;
    if (n) {
        mdb_node_init(n, &pd->mem, DJ_CRD_MEM, va >> PAGE_SHIFT, order, rights, pa >> PAGE_SHIFT);
        n->attr = (uint8_t)attr;
        n->owned = owned;
        st = pd_mem_attach(pd, n);
        if (st == DJ_OK && cap && mdb_derive_mapping(cap, n) != DJ_OK) {
            pd_mem_detach(pd, n); /* cannot happen: the callers pass a capability node */
            st = DJ_E_BAD_PARAM;
        }
        if (st != DJ_OK)
            pd_node_free(pd, n);
    }
    pd_mdb_unlock(flags);
    return st;
}

int pd_map_attr(struct pd *pd, uint64_t va, uint64_t pa, unsigned order, unsigned rights, unsigned attr)
{
    return map_recorded(pd, 0, va, pa, order, rights, attr, false);
}

int pd_map_below(struct pd *pd, struct mdb_node *cap, uint64_t va, uint64_t pa, unsigned order, unsigned rights,
                 unsigned attr)
{
    return map_recorded(pd, cap, va, pa, order, rights, attr, false);
}

int pd_map_fresh(struct pd *pd, uint64_t va, unsigned rights)
{
    void *page = page_source_alloc(&pd->pages);
    if (!page)
        return DJ_E_QUOTA;
    int st = pd_map(pd, va, virt_to_phys(page), rights);
    if (st != DJ_OK) {
        page_source_free(&pd->pages, page);
        return st;
    }
    uint64_t flags = pd_mdb_lock();
    memspace_lookup(&pd->mem, va >> PAGE_SHIFT)->owned = true;
    pd_mdb_unlock(flags);
    return DJ_OK;
}

int pd_map_owned(struct pd *pd, uint64_t va, uint64_t pa, unsigned order, unsigned rights)
{
    return map_recorded(pd, 0, va, pa, order, rights, 0, true);
}

/* Contiguous frames are aligned to the largest page size that fits in the
 * node, so that the node is mapped with pages of that size. */
static uint64_t contig_align(unsigned order)
{
    unsigned level = paging_user_leaf_max();
    while (level > PAGING_LEAF_4K && order < leaf_order(level))
        level--;
    return paging_leaf_size(level);
}

int pd_alloc_owned(struct pd *pd, uint64_t va, unsigned order, unsigned rights)
{
    uint64_t pages = 1ull << order;
    if (!quota_charge(&pd->quota, pages))
        return DJ_E_QUOTA;
    uint64_t pa = frame_alloc_contig(pages, contig_align(order));
    if (!pa) {
        quota_release(&pd->quota, pages);
        return PD_NO_CONTIG;
    }
    int st = pd_map_owned(pd, va, pa, order, rights);
    if (st != DJ_OK)
        pd_free_owned_frames(pd, pa, order);
    return st;
}

void pd_free_owned_frames(struct pd *pd, uint64_t pa, unsigned order)
{
    if (order == 0) {
        page_source_free(&pd->pages, phys_to_virt(pa));
        return;
    }
    frame_free_contig(pa, 1ull << order);
    quota_release(&pd->quota, 1ull << order);
}

void pd_mark_dma_visible(struct mdb_node *n)
{
    while (n->parent)
        n = n->parent;
    if (n->owned)
        n->dma_visible = true;
}

bool pd_lookup(struct pd *pd, uint64_t va, uint64_t *pa, unsigned *rights)
{
    uint64_t pte;
    if (!paging_translate_in(pd->root, va, pa, &pte))
        return false;
    *rights = paging_user_rights(pte);
    return true;
}

/* ---- I/O ports ------------------------------------------------------------- */

int pd_io_attach(struct pd *pd, struct mdb_node *n)
{
    if (!(n->rights & DJ_IO_ACCESS))
        return DJ_E_BAD_PARAM;
    /* The bitmap first: it is the part that can run out of quota. */
    int st = iobitmap_allow(pd, 0, 0);
    if (st == DJ_OK)
        st = iospace_insert(&pd->io, n->base, n->order, n);
    if (st == DJ_OK)
        iobitmap_allow(pd, n->base, 1ull << n->order);
    return st;
}

void pd_io_detach(struct pd *pd, struct mdb_node *n)
{
    iospace_remove(&pd->io, n->base, n->order);
    iobitmap_deny(pd, n->base, 1ull << n->order);
}

int pd_grant_io(struct pd *pd, uint64_t base, unsigned order)
{
    if (order > IOSPACE_MAX_ORDER || base >= IOSPACE_PORTS || (base & ((1ull << order) - 1)))
        return DJ_E_BAD_PARAM;
    uint64_t flags = pd_mdb_lock();
    struct mdb_node *n = pd_node_alloc(pd);
    int st = DJ_E_QUOTA;
    if (n) {
        mdb_node_init(n, &pd->io, DJ_CRD_IO, base, order, DJ_IO_ACCESS, base);
        st = pd_io_attach(pd, n);
        if (st != DJ_OK)
            pd_node_free(pd, n);
    }
    pd_mdb_unlock(flags);
    return st;
}

void pd_activate(struct pd *pd)
{
    if (read_cr3() != pd->cr3)
        write_cr3(pd->cr3);
    iobitmap_activate(pd);
}
