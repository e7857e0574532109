/* SPDX-License-Identifier: GPL-2.0-only */
/* Protection domain: an address space, a capability space, an I/O port
 * space and a kernel memory quota.
 *
 * Every user page a PD can access is recorded in its memspace by a mapping
 * database node (kernel/mdb.h), and every I/O port in its iospace: either
 * an original (pd_map, pd_grant_io: a derivation-tree root) or a node
 * derived from another PD's by delegation (kernel/delegate.c). The page
 * tables and the I/O permission bitmap only mirror those records. */
#pragma once
#include "kernel/capspace.h"
#include "kernel/iospace.h"
#include "kernel/kobj.h"
#include "kernel/memspace.h"
#include "kernel/quota.h"

struct node_page;

/* Where a PD's destruction stands (pd_reclaim.c). */
struct pd_reclaim {
    struct pd *next;          /* in the queue of dying PDs */
    uint8_t phase;            /* enum in pd_reclaim.c */
    bool queued;
    bool done;                /* all freed, the quota given back */
    bool parent_waits;        /* counted in parent_pd->dying_children */
    uint64_t cursor;          /* selector, page or port the phase continues at */
    struct quota_item *item;  /* object the phase continues at */
};

struct pd {
    struct kobj obj;
    uint64_t *root; /* page-table root (kernel half shared) */
    uint64_t cr3;
    struct quota quota;       /* what objects created for this PD may use */
    struct page_source pages; /* page tables and capability tables, charged to quota */
    struct capspace caps;
    struct memspace mem;      /* mdb node of every mapped user page */
    struct iospace io;        /* mdb node of every I/O port it may use */
    uint8_t *io_bits[2];      /* I/O permission bitmap (1 = denied), NULL until a port is granted */
    uint64_t io_gen;          /* changes with every bitmap change (globally unique; 0 = no bitmap) */
    struct node_page *node_pages; /* slab pages of mdb nodes with a free node */
    struct pd *parent_pd;     /* whose quota this PD's quota and object came from; NULL: the root PD */
    uint8_t max_prio;         /* highest priority of an SC in it or created by it (its creator's choice) */
    uint32_t live_ecs;        /* its ECs not (yet) dead */
    uint32_t dying_children;  /* PDs charged to its quota whose destruction has not finished */
    struct pd_reclaim reclaim;
    bool vm;                  /* a VM PD: root holds guest-physical tables (vm_space.c) */
    uint8_t *vm_iopm;         /* VM PD: its guest's I/O permission map (1 = exit) */
};

/* A new PD whose quota of quota_pages is taken from `from`, with maximum
 * priority max_prio; NULL when `from` cannot cover it (the PD object
 * itself is charged to `from`). vm: a VM PD (vm_space.c). */
struct pd *pd_create(struct quota *from, uint64_t quota_pages, uint8_t max_prio, bool vm);

/* ---- VM PDs (vm_space.c) ---- */
/* Give a new VM PD its empty guest-physical root and its I/O permission
 * map (every port exits), charged to its quota; 0 or DJ_E_QUOTA. */
int vm_space_init(struct pd *pd);
/* Free the permission map (the tables go with the PD's others). */
void vm_space_destroy(struct pd *pd);

/* Give pd the page at pa as an original (an mdb root it may delegate and
 * revoke) at va with DJ_MEM_* rights, and map it. 0, or DJ_E_BAD_PARAM
 * (misaligned, not user, no read right), DJ_E_BUSY (va already holds a
 * page) or DJ_E_QUOTA. */
int pd_map(struct pd *pd, uint64_t va, uint64_t pa, unsigned rights);
/* 2^order pages from pa as one original with MDB_ATTR_* attributes (cache
 * mode, device memory); va aligned to the order. */
int pd_map_attr(struct pd *pd, uint64_t va, uint64_t pa, unsigned order, unsigned rights, unsigned attr);
/* The same, but the node derives from the object capability node `cap`
 * it was mapped with (mdb_derive_mapping) instead of being an original:
 * revoking that capability removes the mapping. */
int pd_map_below(struct pd *pd, struct mdb_node *cap, uint64_t va, uint64_t pa, unsigned order, unsigned rights,
                 unsigned attr);
/* Map a fresh zeroed page, charged to pd's quota, at va as an owned
 * original: the page goes back to the quota when the original is removed
 * (DJ_SYS_MEM_ALLOC). Errors as pd_map. */
int pd_map_fresh(struct pd *pd, uint64_t va, unsigned rights);
/* Give pd the 2^order frames at pa, already charged to its quota, as one
 * owned original at va (both aligned to 2^order pages): removing it frees
 * them. Errors as pd_map; on error the frames are still the caller's. */
int pd_map_owned(struct pd *pd, uint64_t va, uint64_t pa, unsigned order, unsigned rights);
/* 2^order fresh zeroed frames, physically contiguous and aligned (up to
 * the largest page size), charged to pd's quota and mapped at va as one
 * owned original. PD_NO_CONTIG when no such run of frames is free (nothing
 * charged: the caller may fall back to single pages); errors as pd_map. */
#define PD_NO_CONTIG 1
int pd_alloc_owned(struct pd *pd, uint64_t va, unsigned order, unsigned rights);
/* Free the 2^order frames at pa of an owned original held by pd and give
 * them back to its quota (the caller has shot down stale TLB entries). */
void pd_free_owned_frames(struct pd *pd, uint64_t pa, unsigned order);
/* n's physical address is handed out (for DMA): mark the owned original
 * it derives from, if any, never to be freed when its holder dies. The
 * caller holds the mdb lock. */
void pd_mark_dma_visible(struct mdb_node *n);
/* Give pd the ports [base, base + 2^order) as an original (mdb root). */
int pd_grant_io(struct pd *pd, uint64_t base, unsigned order);
/* Physical address and rights of the page at va, or false when unmapped. */
bool pd_lookup(struct pd *pd, uint64_t va, uint64_t *pa, unsigned *rights);
/* Make pd's address space and I/O bitmap current on this CPU. */
void pd_activate(struct pd *pd);
/* The PD object's last reference is gone (kobj.c). A PD that was never
 * destroyed (its create call failed to install it) still has its first
 * page table and its quota to give back. */
void pd_release(struct pd *pd);

/* ---- For kernel/delegate.c (callers hold the mdb lock) ------------------ */

/* One lock serializes every change to the mapping database, memspaces,
 * iospaces and user page tables. Never held while waiting for other CPUs. */
uint64_t pd_mdb_lock(void);
void pd_mdb_unlock(uint64_t flags);

/* mdb nodes charged to pd's quota (64 bytes each, from slab pages). */
struct mdb_node *pd_node_alloc(struct pd *pd);
/* Free a node from pd_node_alloc. */
void pd_node_free(struct pd *pd, struct mdb_node *n);
/* The PD whose memspace, iospace or capspace holds node n. */
struct pd *pd_of_node(const struct mdb_node *n);

/* Record a DJ_CRD_MEM node (base = first virtual page) in pd's memspace
 * and map its pages with its rights; on failure nothing is left behind. */
int pd_mem_attach(struct pd *pd, struct mdb_node *n);
/* Forget and unmap it (the caller flushes TLBs afterwards). */
void pd_mem_detach(struct pd *pd, struct mdb_node *n);
/* Rewrite its page-table entries after its rights changed. */
void pd_mem_protect(struct pd *pd, struct mdb_node *n);
/* Record a DJ_CRD_IO node in pd's iospace and allow its ports. */
int pd_io_attach(struct pd *pd, struct mdb_node *n);
/* Forget it and deny its ports. */
void pd_io_detach(struct pd *pd, struct mdb_node *n);
