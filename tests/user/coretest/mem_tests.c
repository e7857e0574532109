/* SPDX-License-Identifier: GPL-2.0-only */
/* Memory from quota (DJ_SYS_MEM_ALLOC): a PD turns kernel-memory quota it
 * was given into pages of its own. */
#include <stdbool.h>
#include "stdio.h"
#include "lib/syscall.h"
#include "utest.h"

#define ALLOC_ORDER 4 /* 16 pages */
#define ALLOC_PAGES (1u << ALLOC_ORDER)
#define KERNEL_HALF 0xffff800000000000ull

UTEST(mem_alloc_maps_zeroed_pages)
{
    uint64_t va = utest_va(ALLOC_PAGES);
    UTEST_REQUIRE(dj_mem_alloc(va, ALLOC_ORDER, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "allocation failed");
    volatile uint64_t *p = (volatile uint64_t *)va;
    for (unsigned i = 0; i < ALLOC_PAGES * UTEST_PAGE / 8; i++)
        UTEST_REQUIRE(p[i] == 0, "word %u not zero", i);
    for (unsigned i = 0; i < ALLOC_PAGES; i++)
        p[i * UTEST_PAGE / 8] = i + 1;
    for (unsigned i = 0; i < ALLOC_PAGES; i++)
        UTEST_REQUIRE(p[i * UTEST_PAGE / 8] == i + 1, "page %u lost its contents", i);
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_R) == DJ_E_BUSY, "a mapped page was allocated again");
    return true;
}

UTEST(mem_alloc_bad_arguments_refused)
{
    uint64_t va = utest_va(1);
    UTEST_REQUIRE(dj_mem_alloc(va, 19, DJ_MEM_R) == DJ_E_BAD_PARAM, "order 19 accepted");
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_W) == DJ_E_BAD_PARAM, "memory without read accepted");
    UTEST_REQUIRE(dj_mem_alloc(va, 0, 0x10) == DJ_E_BAD_PARAM, "unknown rights accepted");
    UTEST_REQUIRE(dj_mem_alloc(va + 8, 0, DJ_MEM_R) == DJ_E_BAD_ADDR, "unaligned address accepted");
    UTEST_REQUIRE(dj_mem_alloc(KERNEL_HALF, 0, DJ_MEM_R) == DJ_E_BAD_ADDR, "kernel-half address accepted");
    UTEST_REQUIRE(dj_mem_alloc(0x7ffffffff000ull, 1, DJ_MEM_R) == DJ_E_BAD_ADDR, "range past the user half");
    return true;
}

/* The pages are originals: delegating one to a child and revoking it
 * works as for the root's boot memory. */
UTEST(mem_alloc_pages_can_be_delegated)
{
    uint64_t va = utest_va(1), child = utest_selector();
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "allocation failed");
    UTEST_REQUIRE(dj_create_pd(child, DJ_SEL_SELF_PD, 64) == DJ_OK, "child PD");
    UTEST_REQUIRE(dj_delegate(child, DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_R), va / UTEST_PAGE) == DJ_OK,
                  "delegation failed");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_R), false) == DJ_OK, "revoke failed");
    *(volatile uint64_t *)va = 42; /* the original stays with us */
    UTEST_REQUIRE(*(volatile uint64_t *)va == 42, "own page lost");
    return true;
}
