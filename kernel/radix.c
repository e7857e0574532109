/* SPDX-License-Identifier: GPL-2.0-only */
/* Sparse power-of-two range map: see radix.h. */
#include "kernel/radix.h"
#include "arch/x86_64/layout.h"

#define NODE_TAG ((uintptr_t)1)

_Static_assert(RADIX_ENTRIES * sizeof(uintptr_t) == PAGE_SIZE, "a table is one page");

void radix_init(struct radix_map *m, unsigned levels, unsigned key_bits, unsigned max_order,
                const struct page_source *pages)
{
    m->root = NULL;
    m->levels = levels;
    m->key_bits = key_bits;
    m->max_order = max_order;
    m->pages = pages;
}

static unsigned index_at(uint64_t key, unsigned level)
{
    return (unsigned)(key >> (level * RADIX_BITS)) & (RADIX_ENTRIES - 1);
}

/* Keys one entry at `level` covers. */
static uint64_t entry_span(unsigned level)
{
    return 1ull << (level * RADIX_BITS);
}

static bool is_node(uintptr_t e) { return e & NODE_TAG; }
static uintptr_t *as_table(uintptr_t e) { return (uintptr_t *)e; }
static struct mdb_node *as_node(uintptr_t e) { return (struct mdb_node *)(e & ~NODE_TAG); }

_Static_assert(_Alignof(struct mdb_node) > NODE_TAG, "node pointers have bit 0 free for the tag");

/* Tables form a tree at most RADIX_MAX_LEVELS deep: bounded recursion. */
static void free_table(struct radix_map *m, uintptr_t *t, unsigned level)
{
    for (unsigned i = 0; level > 0 && i < RADIX_ENTRIES; i++)
        if (t[i] && !is_node(t[i]))
            free_table(m, as_table(t[i]), level - 1);
    page_source_free(m->pages, t);
}

void radix_destroy(struct radix_map *m)
{
    if (m->root)
        free_table(m, m->root, m->levels - 1);
    m->root = NULL;
}

bool radix_range_ok(const struct radix_map *m, uint64_t key, unsigned order)
{
    if (order > m->max_order || order > m->key_bits)
        return false;
    /* Aligned and starting inside the key space means ending inside it too. */
    return (key & ((1ull << order) - 1)) == 0 && key < (1ull << m->key_bits);
}

static bool table_empty(const uintptr_t *t)
{
    for (unsigned i = 0; i < RADIX_ENTRIES; i++)
        if (t[i])
            return false;
    return true;
}

/* Free the empty tables on the path to key, bottom up; path[level] is the
 * table at that level (NULL below where the walk stopped). */
static void prune(struct radix_map *m, uint64_t key, uintptr_t *path[RADIX_MAX_LEVELS])
{
    for (unsigned level = 0; level < m->levels; level++) {
        uintptr_t *t = path[level];
        if (!t)
            continue;
        if (!table_empty(t))
            return;
        page_source_free(m->pages, t);
        if (level + 1 < m->levels)
            path[level + 1][index_at(key, level + 1)] = 0;
        else
            m->root = NULL;
    }
}

/* Walk (allocating tables) from the root down to the table at `target`,
 * recording the path. DJ_E_BUSY if a node above target covers key. */
static enum dj_status walk_alloc(struct radix_map *m, uint64_t key, unsigned target,
                                 uintptr_t *path[RADIX_MAX_LEVELS])
{
    if (!m->root && !(m->root = page_source_alloc(m->pages)))
        return DJ_E_QUOTA;
    uintptr_t *t = m->root;
    for (unsigned level = m->levels - 1; level > target; level--) {
        path[level] = t;
        uintptr_t *e = &t[index_at(key, level)];
        if (is_node(*e))
            return DJ_E_BUSY;
        if (!*e) {
            uintptr_t *next = page_source_alloc(m->pages);
            if (!next)
                return DJ_E_QUOTA;
            *e = (uintptr_t)next;
        }
        t = as_table(*e);
    }
    path[target] = t;
    return DJ_OK;
}

enum dj_status radix_insert(struct radix_map *m, struct mdb_node *node)
{
    uint64_t key = node->base;
    unsigned order = node->order;
    if (!radix_range_ok(m, key, order))
        return DJ_E_BAD_PARAM;
    unsigned target = order / RADIX_BITS;
    uintptr_t *path[RADIX_MAX_LEVELS] = { 0 };
    enum dj_status st = walk_alloc(m, key, target, path);
    uintptr_t *t = path[target];
    unsigned first = index_at(key, target), n = 1u << (order % RADIX_BITS);
    for (unsigned i = 0; st == DJ_OK && i < n; i++)
        if (t[first + i])
            st = DJ_E_BUSY; /* a node, or a table holding smaller ones */
    if (st != DJ_OK) {
        prune(m, key, path); /* drop tables this call allocated */
        return st;
    }
    for (unsigned i = 0; i < n; i++)
        t[first + i] = (uintptr_t)node | NODE_TAG;
    return DJ_OK;
}

struct mdb_node *radix_lookup(const struct radix_map *m, uint64_t key)
{
    if (key >= (1ull << m->key_bits))
        return NULL;
    uintptr_t *t = m->root;
    for (unsigned level = m->levels; t && level-- > 0;) {
        uintptr_t e = t[index_at(key, level)];
        if (is_node(e))
            return as_node(e);
        t = level > 0 ? as_table(e) : NULL;
    }
    return NULL;
}

enum dj_status radix_remove(struct radix_map *m, uint64_t key, unsigned order)
{
    if (!radix_range_ok(m, key, order))
        return DJ_E_BAD_PARAM;
    struct mdb_node *node = radix_lookup(m, key);
    if (!node || node->base != key || node->order != order)
        return DJ_E_BAD_CAP;
    /* The node exists, so every table down to its level does. */
    unsigned target = order / RADIX_BITS;
    uintptr_t *path[RADIX_MAX_LEVELS] = { 0 };
    uintptr_t *t = m->root;
    for (unsigned level = m->levels - 1; level > target; level--) {
        path[level] = t;
        t = as_table(t[index_at(key, level)]);
    }
    path[target] = t;
    unsigned first = index_at(key, target), n = 1u << (order % RADIX_BITS);
    for (unsigned i = 0; i < n; i++)
        t[first + i] = 0;
    prune(m, key, path);
    return DJ_OK;
}

/* Visit the entry covering key; returns the first key after what it covered
 * (after the whole run of entries for a node, after an empty entry's span). */
static uint64_t visit_at(struct radix_map *m, uint64_t key,
                         void (*fn)(struct mdb_node *node, void *ctx), void *ctx)
{
    uintptr_t *t = m->root;
    for (unsigned level = m->levels - 1;; level--) {
        unsigned i = index_at(key, level);
        uint64_t span = entry_span(level), start = key & ~(span - 1);
        uintptr_t e = t[i];
        if (!e)
            return start + span;
        if (is_node(e)) {
            unsigned run = 1; /* a node's entries are adjacent, in one table */
            while (i + run < RADIX_ENTRIES && t[i + run] == e)
                run++;
            fn(as_node(e), ctx); /* may remove the node and free t */
            return start + run * span;
        }
        t = as_table(e); /* level > 0: bottom-level entries are never tables */
    }
}

void radix_for_each(struct radix_map *m, uint64_t first, uint64_t count,
                    void (*fn)(struct mdb_node *node, void *ctx), void *ctx)
{
    uint64_t limit = 1ull << m->key_bits;
    if (first >= limit)
        return;
    uint64_t end = count > limit - first ? limit : first + count;
    for (uint64_t key = first; key < end && m->root;)
        key = visit_at(m, key, fn, ctx);
}

/* The entry covering key: its node, or NULL with *after set to the first
 * key past the empty entry's span. */
static struct mdb_node *node_or_gap(const struct radix_map *m, uint64_t key, uint64_t *after)
{
    const uintptr_t *t = m->root;
    for (unsigned level = m->levels - 1;; level--) {
        uintptr_t e = t[index_at(key, level)];
        if (is_node(e))
            return as_node(e);
        if (!e) {
            uint64_t span = entry_span(level);
            *after = (key & ~(span - 1)) + span;
            return NULL;
        }
        t = as_table(e); /* level > 0: bottom-level entries are never tables */
    }
}

struct mdb_node *radix_next(const struct radix_map *m, uint64_t key)
{
    return radix_next_before(m, key, UINT64_MAX);
}

struct mdb_node *radix_next_before(const struct radix_map *m, uint64_t key, uint64_t end)
{
    uint64_t limit = 1ull << m->key_bits;
    if (end < limit)
        limit = end;
    while (key < limit && m->root) {
        struct mdb_node *n = node_or_gap(m, key, &key);
        if (n)
            return n;
    }
    return NULL;
}
