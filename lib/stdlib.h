/* SPDX-License-Identifier: BSD-2-Clause */
/* Memory allocation of the user runtime: first fit over regions handed to
 * dj_heap_init (a static array today, pager-provided memory later). */
#pragma once
#include <stddef.h>

/* Adds [base, base + size) to the heap; may be called again to grow it.
 * Regions too small to hold one block are ignored. */
void dj_heap_init(void *base, size_t size);
/* Free bytes, block headers included (for tests and statistics). */
size_t dj_heap_free_bytes(void);

void *dj_malloc(size_t n);
void dj_free(void *p);
void *dj_calloc(size_t count, size_t size);
void *dj_realloc(void *p, size_t n);

/* The C names (aliases of the above; not built for host tests, where the
 * host C library owns them). */
void *malloc(size_t n);
void free(void *p);
void *calloc(size_t count, size_t size);
void *realloc(void *p, size_t n);

/* Called on a free of something malloc did not hand out (or a double
 * free); the runtime's version reports and stops the program. */
__attribute__((noreturn)) void dj_heap_error(const char *what, void *p);
