/* SPDX-License-Identifier: GPL-2.0-only */
/* The mapping database: one derivation tree per original resource.
 *
 * Every capability a PD holds - a range of memory pages, a range of I/O
 * ports, an object capability - has a node here. Delegating it creates a
 * child node in the receiver's space; revoking a node removes everything
 * derived from it, in all spaces. Rights only shrink from parent to child,
 * and a child's source range lies inside its parent's.
 *
 * Nodes are allocated and freed by the caller; nothing here allocates. Every
 * walk is iterative (parent pointers, no recursion, no auxiliary stack), so
 * a chain of any depth is handled in constant kernel stack. The caller
 * serializes all changes to a tree (one lock for the database is enough). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

/* Widest range one node can describe (2^MDB_MAX_ORDER items). The CRD order
 * field has 5 bits. */
#define MDB_MAX_ORDER 31

struct mdb_node {
    struct mdb_node *parent;       /* derived from; NULL for an original */
    struct mdb_node *first_child;  /* newest child first */
    struct mdb_node *next_sibling;
    struct mdb_node *prev_sibling;
    void *space;          /* the container in the holder PD (memspace, iospace, capspace) */
    uint64_t base;        /* first page number, port or selector in that space */
    uint64_t source_base; /* what it refers to: physical page number, port, or object pointer */
    uint8_t kind;         /* enum dj_crd_kind: DJ_CRD_MEM, DJ_CRD_IO or DJ_CRD_OBJ */
    uint8_t rights;       /* DJ_MEM_*, DJ_IO_* or object rights */
    uint8_t order;        /* the node covers 2^order pages, ports or selectors */
    uint8_t attr;         /* memory: MDB_ATTR_* (cache mode, device memory); copied to children */
    bool owned;           /* memory original whose frames its holder's quota paid for: removing
                             the node frees all 2^order of them (after the TLB shootdown); never
                             copied */
    bool dma_visible;     /* owned, and its physical address was looked up (DMA): when its
                             holder dies a device may still write there, so it is never freed */
};

/* Memory node attributes: the cache mode (DJ_CACHE_*) in the low bits, and
 * whether the frames are device memory rather than RAM (never freed). */
#define MDB_ATTR_CACHE_MASK 0x3
#define MDB_ATTR_DEVICE 0x4

/* Called for each node a revoke removes (already unlinked: the callback may
 * free it) or a rights reduction changes (still linked: must not unlink). */
typedef void (*mdb_visit_fn)(struct mdb_node *node, void *ctx);

/* Fill a node that is not (yet) in any tree. */
void mdb_node_init(struct mdb_node *node, void *space, enum dj_crd_kind kind,
                   uint64_t base, unsigned order, unsigned rights, uint64_t source_base);

/* Link `child` (initialized, unlinked) below `parent`. DJ_E_BAD_PARAM, and
 * nothing linked, if the kinds differ, the child has a right the parent
 * lacks, its source range is not inside the parent's, or it is linked. */
enum dj_status mdb_derive(struct mdb_node *parent, struct mdb_node *child);

/* Link memory node `child` (initialized, unlinked) below the object
 * capability node `cap` it was mapped with (DJ_SYS_MMIO_MAP: device memory
 * below the device-memory capability), so that revoking the capability
 * removes the mapping. Kinds differ, so neither rights nor ranges are
 * compared. DJ_E_BAD_PARAM, nothing linked, unless cap is an object node
 * and child an unlinked memory node. */
enum dj_status mdb_derive_mapping(struct mdb_node *cap, struct mdb_node *child);

/* Remove every descendant of `node`, and `node` itself if include_self, calling
 * `removed` for each once it is unlinked, children before their parents.
 * Returns the number of nodes removed. */
size_t mdb_revoke(struct mdb_node *node, bool include_self, mdb_visit_fn removed, void *ctx);

/* The same, but stop after at most `budget` removals, so that a long revoke
 * can be split across preemption points: call again with the same node to
 * continue (the walk keeps no state between calls). Returns true when the
 * revoke is complete; *count (if not NULL) is increased by the removals. */
bool mdb_revoke_bounded(struct mdb_node *node, bool include_self, size_t budget,
                        mdb_visit_fn removed, void *ctx, size_t *count);

/* Partial revocation: clear the rights in `revoke_mask` from `node` and from
 * every descendant, calling `changed` for each node whose rights changed
 * (parents before children) so the holder can downgrade page tables.
 * Subtrees whose root has none of the rights are skipped (a child cannot
 * have a right its parent lacks). Returns the number of nodes changed. A
 * node left with no rights stays in the tree: revoke it to remove it. */
size_t mdb_reduce_rights(struct mdb_node *node, unsigned revoke_mask,
                         mdb_visit_fn changed, void *ctx);

/* Call `fn` for each direct child of `node` (fn must not unlink it). */
void mdb_for_each_child(struct mdb_node *node, mdb_visit_fn fn, void *ctx);

/* Pre-order successor of `cur` within the subtree rooted at `root`, or NULL
 * when the walk is done. Start with cur = root. */
struct mdb_node *mdb_subtree_next(const struct mdb_node *root, struct mdb_node *cur);

static inline bool mdb_is_linked(const struct mdb_node *node)
{
    return node->parent || node->first_child;
}
