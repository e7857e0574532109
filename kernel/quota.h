/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel-memory quotas, counted in pages.
 *
 * Every page the kernel allocates on behalf of a PD is charged to a quota
 * its creator donated out of its own, so a PD can exhaust only what it was
 * given. Quotas form a tree: a child's limit was charged to its parent when
 * the child was created and goes back when it is destroyed.
 *
 * used_pages is updated with atomic read-modify-write operations, so
 * several CPUs may charge the same quota without a lock; limit_pages and
 * parent are fixed after initialization. No global state.
 *
 * Besides a count, a quota keeps a list of the kernel objects charged to
 * it (kobj.h embeds a quota_item), so that destroying a PD finds every
 * object its quota paid for. The list is changed under the big kernel
 * lock (or before any other CPU runs). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* A link in a quota's circular list of charged objects. */
struct quota_item {
    struct quota_item *next, *prev;
};

struct quota {
    uint64_t limit_pages; /* pages this quota may hand out in all */
    uint64_t used_pages;  /* pages charged now (objects and child donations) */
    struct quota *parent; /* whom the limit came from; NULL for the root */
    void *owner;          /* the PD this quota belongs to; NULL for the root quota */
    struct quota_item items; /* list head: the objects charged here */
};

/* The root quota (all kernel memory there is to hand out). */
void quota_init_root(struct quota *q, uint64_t pages);
/* Move `pages` from parent to child; false (child untouched) if the parent
 * does not have that many pages free. */
bool quota_init_child(struct quota *child, struct quota *parent, uint64_t pages);
/* Give the child's unused pages back to its parent. Pages the child still
 * has charged (objects not yet freed, grandchildren not yet destroyed) stay
 * charged to the parent for good: destroy a PD's objects first. */
void quota_destroy_child(struct quota *child);

/* Put an item on q's list of charged objects / take it off (it must be on one). */
void quota_link(struct quota *q, struct quota_item *it);
void quota_unlink(struct quota_item *it);
/* The first item on q's list, and the one after it; NULL at the end. */
struct quota_item *quota_first(const struct quota *q);
struct quota_item *quota_next(const struct quota *q, const struct quota_item *it);

/* Charge n pages; false (nothing charged) if fewer than n are free. */
bool quota_charge(struct quota *q, uint64_t n);
/* Return n pages charged earlier. */
void quota_release(struct quota *q, uint64_t n);
/* Pages still free to charge. */
uint64_t quota_available(const struct quota *q);

/* A source of kernel pages charged to a quota: how the capability, memory
 * and I/O spaces get their tables. alloc_page returns one 4 KiB page (or
 * NULL); free_page takes it back. ctx is passed through untouched. */
struct page_source {
    void *(*alloc_page)(void *ctx);
    void (*free_page)(void *ctx, void *page);
    void *ctx;
    struct quota *quota;
};

/* One zeroed page, charged to ps->quota; NULL if the quota or the
 * allocator is exhausted (then nothing is charged). */
void *page_source_alloc(const struct page_source *ps);
/* Free a page from page_source_alloc and release its charge. */
void page_source_free(const struct page_source *ps, void *page);
