/* SPDX-License-Identifier: GPL-2.0-only */
/* A page allocator for host tests of the kernel's page_source users:
 * counts live pages, can be told to fail, and poisons pages so callers
 * that forget to zero are caught. */
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "kernel/quota.h"

struct test_pages {
    long live;       /* pages handed out and not freed */
    long allocs;     /* alloc_page calls that succeeded */
    long fail_after; /* fail once this many more allocs succeeded; -1: never */
    struct quota quota;
    struct page_source src;
};

static void *test_alloc_page(void *ctx)
{
    struct test_pages *tp = ctx;
    if (tp->fail_after == 0)
        return NULL;
    if (tp->fail_after > 0)
        tp->fail_after--;
    void *p = aligned_alloc(4096, 4096);
    if (p) {
        memset(p, 0xa5, 4096);
        tp->live++;
        tp->allocs++;
    }
    return p;
}

static void test_free_page(void *ctx, void *page)
{
    struct test_pages *tp = ctx;
    tp->live--;
    free(page);
}

/* A page source with a quota of `limit` pages. */
static inline void test_pages_init(struct test_pages *tp, uint64_t limit)
{
    tp->live = tp->allocs = 0;
    tp->fail_after = -1;
    quota_init_root(&tp->quota, limit);
    tp->src = (struct page_source){ test_alloc_page, test_free_page, tp, &tp->quota };
}
