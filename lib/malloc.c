/* SPDX-License-Identifier: BSD-2-Clause */
/* First-fit allocator. Every block starts with a header; free blocks form
 * a list sorted by address, so a freed block merges with free neighbours
 * and the heap does not fragment into ever smaller pieces. */
#include <stdint.h>
#include "stdlib.h"
#include "string.h"

#define HEAP_ALIGN 16 /* payloads suit any C object (and SSE, later) */

struct block {
    size_t size;        /* whole block, header included; a multiple of HEAP_ALIGN */
    struct block *next; /* free: next free block by address; in use: BLOCK_IN_USE */
};

#define HEADER sizeof(struct block)
#define MIN_BLOCK (HEADER + HEAP_ALIGN)
/* A marker no free-list pointer can equal (it is not 16-byte aligned). */
#define BLOCK_IN_USE ((struct block *)(uintptr_t)0xa110c8edull)

_Static_assert(sizeof(struct block) % HEAP_ALIGN == 0, "payloads must stay aligned");

static struct block *free_list;

static uintptr_t align_up(uintptr_t v)
{
    return (v + HEAP_ALIGN - 1) & ~(uintptr_t)(HEAP_ALIGN - 1);
}

static char *block_end(struct block *b)
{
    return (char *)b + b->size;
}

/* Puts b into the address-sorted free list, merging with the blocks
 * that touch it on either side. */
static void insert_free(struct block *b)
{
    struct block *prev = NULL, *next = free_list;
    while (next && next < b) {
        prev = next;
        next = next->next;
    }
    b->next = next;
    if (next && block_end(b) == (char *)next) {
        b->size += next->size;
        b->next = next->next;
    }
    if (prev && block_end(prev) == (char *)b) {
        prev->size += b->size;
        prev->next = b->next;
    } else if (prev) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

void dj_heap_init(void *base, size_t size)
{
    uintptr_t lo = align_up((uintptr_t)base);
    uintptr_t hi = ((uintptr_t)base + size) & ~(uintptr_t)(HEAP_ALIGN - 1);
    if ((uintptr_t)base + size < (uintptr_t)base || hi <= lo || hi - lo < MIN_BLOCK)
        return;
    struct block *b = (struct block *)lo;
    b->size = hi - lo;
    insert_free(b);
}

size_t dj_heap_free_bytes(void)
{
    size_t n = 0;
    for (struct block *b = free_list; b; b = b->next)
        n += b->size;
    return n;
}

/* Takes need bytes from the front of free block b (whose predecessor in
 * the list is prev); the rest stays free if it can hold a block. */
static void *take(struct block *prev, struct block *b, size_t need)
{
    struct block *rest = b->next;
    if (b->size - need >= MIN_BLOCK) {
        rest = (struct block *)((char *)b + need);
        rest->size = b->size - need;
        rest->next = b->next;
        b->size = need;
    }
    if (prev)
        prev->next = rest;
    else
        free_list = rest;
    b->next = BLOCK_IN_USE;
    return (char *)b + HEADER;
}

void *dj_malloc(size_t n)
{
    if (n > SIZE_MAX - HEADER - HEAP_ALIGN)
        return NULL;
    size_t need = align_up(n ? n : 1) + HEADER;
    for (struct block *prev = NULL, *b = free_list; b; prev = b, b = b->next) {
        if (b->size >= need)
            return take(prev, b, need);
    }
    return NULL;
}

static struct block *header_of(void *p)
{
    struct block *b = (struct block *)((char *)p - HEADER);
    if ((uintptr_t)p % HEAP_ALIGN || b->next != BLOCK_IN_USE)
        dj_heap_error("free of a pointer malloc did not return, or a double free", p);
    return b;
}

void dj_free(void *p)
{
    if (!p)
        return;
    struct block *b = header_of(p);
    b->next = NULL; /* a merged header must not look allocated any more */
    insert_free(b);
}

void *dj_calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return NULL;
    void *p = dj_malloc(count * size);
    if (p)
        memset(p, 0, count * size);
    return p;
}

void *dj_realloc(void *p, size_t n)
{
    if (!p)
        return dj_malloc(n);
    if (n == 0) {
        dj_free(p);
        return NULL;
    }
    size_t have = header_of(p)->size - HEADER;
    if (n <= have)
        return p;
    void *q = dj_malloc(n);
    if (q) {
        memcpy(q, p, have);
        dj_free(p);
    }
    return q;
}

#ifndef HOST_TEST
void *malloc(size_t n) __attribute__((alias("dj_malloc")));
void free(void *p) __attribute__((alias("dj_free")));
void *calloc(size_t count, size_t size) __attribute__((alias("dj_calloc")));
void *realloc(void *p, size_t n) __attribute__((alias("dj_realloc")));
#endif
