/* SPDX-License-Identifier: GPL-2.0-only */
/* The mapping database (derivation trees): see mdb.h. */
#include "kernel/mdb.h"

void mdb_node_init(struct mdb_node *node, void *space, enum dj_crd_kind kind,
                   uint64_t base, unsigned order, unsigned rights, uint64_t source_base)
{
    node->parent = node->first_child = node->next_sibling = node->prev_sibling = NULL;
    node->space = space;
    node->base = base;
    node->source_base = source_base;
    node->kind = (uint8_t)kind;
    node->rights = (uint8_t)rights;
    node->order = (uint8_t)order;
    node->attr = 0;
    node->owned = false;
    node->dma_visible = false;
}

/* Is the child's source range [base, base + 2^order) inside the parent's?
 * Orders are at most MDB_MAX_ORDER, so the sizes do not overflow. */
static bool source_within(const struct mdb_node *parent, const struct mdb_node *child)
{
    if (child->order > parent->order || parent->order > MDB_MAX_ORDER)
        return false;
    if (child->source_base < parent->source_base)
        return false;
    uint64_t offset = child->source_base - parent->source_base;
    return offset <= (1ull << parent->order) - (1ull << child->order);
}

static bool is_detached(const struct mdb_node *n)
{
    return !n->parent && !n->first_child && !n->next_sibling && !n->prev_sibling;
}

static void link_child(struct mdb_node *parent, struct mdb_node *child)
{
    child->parent = parent;
    child->next_sibling = parent->first_child;
    if (parent->first_child)
        parent->first_child->prev_sibling = child;
    parent->first_child = child;
}

enum dj_status mdb_derive(struct mdb_node *parent, struct mdb_node *child)
{
    if (child == parent || !is_detached(child) || child->kind != parent->kind)
        return DJ_E_BAD_PARAM;
    if (child->rights & ~parent->rights)
        return DJ_E_BAD_PARAM;
    if (!source_within(parent, child))
        return DJ_E_BAD_PARAM;
    link_child(parent, child);
    return DJ_OK;
}

enum dj_status mdb_derive_mapping(struct mdb_node *cap, struct mdb_node *child)
{
    if (cap->kind != DJ_CRD_OBJ || child->kind != DJ_CRD_MEM || !is_detached(child))
        return DJ_E_BAD_PARAM;
    link_child(cap, child);
    return DJ_OK;
}

/* Take a node out of its parent's child list; its own children stay. */
static void unlink_node(struct mdb_node *n)
{
    if (n->prev_sibling)
        n->prev_sibling->next_sibling = n->next_sibling;
    else if (n->parent)
        n->parent->first_child = n->next_sibling;
    if (n->next_sibling)
        n->next_sibling->prev_sibling = n->prev_sibling;
    n->parent = n->next_sibling = n->prev_sibling = NULL;
}

/* Post-order removal without a stack: go down first children to a leaf,
 * remove that leaf, step back to its parent, repeat. Each edge is walked
 * down once and up once, so the whole revoke is linear in the subtree. */
bool mdb_revoke_bounded(struct mdb_node *node, bool include_self, size_t budget,
                        mdb_visit_fn removed, void *ctx, size_t *count)
{
    size_t done = 0;
    bool complete = false;
    struct mdb_node *cur = node;
    for (;;) {
        while (cur->first_child)
            cur = cur->first_child;
        bool last = cur == node; /* only the root of the revoke is left */
        if (last && !include_self) {
            complete = true;
            break;
        }
        if (done == budget)
            break;
        struct mdb_node *up = cur->parent;
        unlink_node(cur);
        removed(cur, ctx); /* may free cur: not touched again */
        done++;
        if (last) {
            complete = true;
            break;
        }
        cur = up;
    }
    if (count)
        *count += done;
    return complete;
}

size_t mdb_revoke(struct mdb_node *node, bool include_self, mdb_visit_fn removed, void *ctx)
{
    size_t count = 0;
    mdb_revoke_bounded(node, include_self, SIZE_MAX, removed, ctx, &count);
    return count;
}

/* The next node in pre-order after `cur`'s whole subtree, within root. */
static struct mdb_node *skip_subtree(const struct mdb_node *root, struct mdb_node *cur)
{
    while (cur != root) {
        if (cur->next_sibling)
            return cur->next_sibling;
        cur = cur->parent;
    }
    return NULL;
}

struct mdb_node *mdb_subtree_next(const struct mdb_node *root, struct mdb_node *cur)
{
    return cur->first_child ? cur->first_child : skip_subtree(root, cur);
}

size_t mdb_reduce_rights(struct mdb_node *node, unsigned revoke_mask,
                         mdb_visit_fn changed, void *ctx)
{
    size_t count = 0;
    struct mdb_node *cur = node;
    while (cur) {
        if (!(cur->rights & revoke_mask)) {
            cur = skip_subtree(node, cur); /* descendants lack the rights too */
            continue;
        }
        cur->rights = (uint8_t)(cur->rights & ~revoke_mask);
        changed(cur, ctx);
        count++;
        cur = mdb_subtree_next(node, cur);
    }
    return count;
}

void mdb_for_each_child(struct mdb_node *node, mdb_visit_fn fn, void *ctx)
{
    for (struct mdb_node *c = node->first_child; c; c = c->next_sibling)
        fn(c, ctx);
}
