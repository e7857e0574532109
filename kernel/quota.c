/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel-memory quotas: see quota.h. */
#include "kernel/quota.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "kernel/assert.h"

static void init_items(struct quota *q)
{
    q->items.next = q->items.prev = &q->items;
}

void quota_init_root(struct quota *q, uint64_t pages)
{
    q->limit_pages = pages;
    q->used_pages = 0;
    q->parent = NULL;
    q->owner = NULL;
    init_items(q);
}

bool quota_init_child(struct quota *child, struct quota *parent, uint64_t pages)
{
    if (!quota_charge(parent, pages))
        return false;
    child->limit_pages = pages;
    child->used_pages = 0;
    child->parent = parent;
    child->owner = NULL;
    init_items(child);
    return true;
}

void quota_link(struct quota *q, struct quota_item *it)
{
    it->prev = q->items.prev;
    it->next = &q->items;
    q->items.prev->next = it;
    q->items.prev = it;
}

void quota_unlink(struct quota_item *it)
{
    it->prev->next = it->next;
    it->next->prev = it->prev;
    it->next = it->prev = NULL;
}

struct quota_item *quota_first(const struct quota *q)
{
    return q->items.next == &q->items ? NULL : q->items.next;
}

struct quota_item *quota_next(const struct quota *q, const struct quota_item *it)
{
    return it->next == &q->items ? NULL : it->next;
}

void quota_destroy_child(struct quota *child)
{
    uint64_t used = __atomic_load_n(&child->used_pages, __ATOMIC_RELAXED);
    ASSERT(used <= child->limit_pages);
    /* Clamp anyway, so that a corrupted count never credits the parent with
     * pages it never had. */
    uint64_t unused = used < child->limit_pages ? child->limit_pages - used : 0;
    if (child->parent)
        quota_release(child->parent, unused);
    child->limit_pages = used;
}

/* A compare-and-swap loop: the check and the update must be one step, or
 * two CPUs could both see the last free page and both take it. */
bool quota_charge(struct quota *q, uint64_t n)
{
    uint64_t used = __atomic_load_n(&q->used_pages, __ATOMIC_RELAXED);
    do {
        if (n > q->limit_pages - used)
            return false;
    } while (!__atomic_compare_exchange_n(&q->used_pages, &used, used + n, false,
                                          __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return true;
}

void quota_release(struct quota *q, uint64_t n)
{
    __atomic_fetch_sub(&q->used_pages, n, __ATOMIC_RELAXED);
}

uint64_t quota_available(const struct quota *q)
{
    return q->limit_pages - __atomic_load_n(&q->used_pages, __ATOMIC_RELAXED);
}

void *page_source_alloc(const struct page_source *ps)
{
    if (!quota_charge(ps->quota, 1))
        return NULL;
    void *page = ps->alloc_page(ps->ctx);
    if (!page) {
        quota_release(ps->quota, 1);
        return NULL;
    }
    memset(page, 0, PAGE_SIZE);
    return page;
}

void page_source_free(const struct page_source *ps, void *page)
{
    ps->free_page(ps->ctx, page);
    quota_release(ps->quota, 1);
}
