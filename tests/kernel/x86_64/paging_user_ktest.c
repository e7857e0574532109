/* SPDX-License-Identifier: GPL-2.0-only */
/* User mappings with leaves of every size, on a scratch address space that
 * is never loaded: entries are only written and read back. */
#include "kernel/frame_alloc.h"
#include "tests/kernel/ktest.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"

#define SIZE_2M (2ull << 20)
#define SIZE_1G (1ull << 30)
#define SCRATCH_VA (64ull << 30)     /* 1 GiB aligned, in the user half */
#define SCRATCH_PA (64ull << 30)        /* never accessed: any 1 GiB aligned address will do */
#define RW_FLAGS (PTE_WRITE | PTE_NX)

static uint64_t scratch_alloc(void *ctx)
{
    (void)ctx;
    return frame_alloc(); /* zeroed */
}

static void scratch_free(uint64_t pa, void *ctx)
{
    (void)ctx;
    frame_free(pa);
}

static int map(uint64_t *root, uint64_t va, uint64_t pa, uint64_t len, unsigned level, uint64_t flags)
{
    return paging_map_user_range(root, va, pa, len, level, flags, scratch_alloc, 0);
}

/* Does va translate to pa through a leaf of the given size? */
static bool maps(uint64_t *root, uint64_t va, uint64_t pa, bool large)
{
    uint64_t got, entry;
    return paging_translate_in(root, va, &got, &entry) && got == pa && !!(entry & PTE_LARGE) == large;
}

KTEST(paging_user_2m_leaf_map_protect_unmap)
{
    uint64_t *root = paging_new_root(scratch_alloc, 0);
    KTEST_REQUIRE(root, "no root");
    KTEST_REQUIRE(map(root, SCRATCH_VA, SCRATCH_PA, 2 * SIZE_2M, PAGING_LEAF_2M, PTE_NX) == 0, "map failed");
    KTEST_REQUIRE(maps(root, SCRATCH_VA + 0x1234, SCRATCH_PA + 0x1000, true), "first 2 MiB leaf wrong");
    KTEST_REQUIRE(maps(root, SCRATCH_VA + SIZE_2M + 0x1ff000, SCRATCH_PA + SIZE_2M + 0x1ff000, true),
                  "second 2 MiB leaf wrong");
    uint64_t pa, entry;
    KTEST_REQUIRE(paging_translate_in(root, SCRATCH_VA, &pa, &entry) && !(entry & PTE_WRITE), "writable too soon");
    KTEST_REQUIRE(map(root, SCRATCH_VA, SCRATCH_PA, 2 * SIZE_2M, PAGING_LEAF_2M, RW_FLAGS) == 0, "rewrite failed");
    KTEST_REQUIRE(paging_translate_in(root, SCRATCH_VA + SIZE_2M, &pa, &entry) && (entry & PTE_WRITE),
                  "the rewrite did not add write access");
    paging_unmap_user_range(root, SCRATCH_VA, 2 * SIZE_2M);
    KTEST_REQUIRE(!paging_translate_in(root, SCRATCH_VA, &pa, &entry) &&
                      !paging_translate_in(root, SCRATCH_VA + SIZE_2M, &pa, &entry),
                  "still mapped after the unmap");
    KTEST_REQUIRE(map(root, SCRATCH_VA + PAGE_SIZE, SCRATCH_PA, SIZE_2M, PAGING_LEAF_2M, 0) < 0 &&
                      map(root, SCRATCH_VA, SCRATCH_PA + PAGE_SIZE, SIZE_2M, PAGING_LEAF_2M, 0) < 0,
                  "a misaligned 2 MiB leaf was accepted");
    paging_free_root(root, scratch_free, 0);
    return KTEST_PASS;
}

KTEST(paging_user_1g_leaf)
{
    KTEST_SKIP_IF(paging_user_leaf_max() < PAGING_LEAF_1G, "no 1 GiB pages on this CPU (pdpe1gb)");
    uint64_t *root = paging_new_root(scratch_alloc, 0);
    KTEST_REQUIRE(root, "no root");
    KTEST_REQUIRE(map(root, SCRATCH_VA, SCRATCH_PA, SIZE_1G, PAGING_LEAF_1G, RW_FLAGS) == 0, "map failed");
    KTEST_REQUIRE(maps(root, SCRATCH_VA + 0x12345678, SCRATCH_PA + 0x12345000, true), "1 GiB leaf wrong");
    paging_unmap_user_range(root, SCRATCH_VA, SIZE_1G);
    uint64_t pa, entry;
    KTEST_REQUIRE(!paging_translate_in(root, SCRATCH_VA + 0x12345678, &pa, &entry), "still mapped");
    paging_free_root(root, scratch_free, 0);
    return KTEST_PASS;
}

/* Where a page table is left from earlier 4 KiB mappings, a 2 MiB range
 * is mapped with 4 KiB leaves under it, and unmapped whole. */
KTEST(paging_user_large_range_over_old_table)
{
    uint64_t *root = paging_new_root(scratch_alloc, 0);
    KTEST_REQUIRE(root, "no root");
    KTEST_REQUIRE(map(root, SCRATCH_VA + PAGE_SIZE, SCRATCH_PA, PAGE_SIZE, PAGING_LEAF_4K, 0) == 0, "4 KiB map failed");
    paging_unmap_user_range(root, SCRATCH_VA + PAGE_SIZE, PAGE_SIZE);
    KTEST_REQUIRE(map(root, SCRATCH_VA, SCRATCH_PA, SIZE_2M, PAGING_LEAF_2M, 0) == 0, "2 MiB map failed");
    for (uint64_t off = 0; off < SIZE_2M; off += 0x7f000)
        KTEST_REQUIRE(maps(root, SCRATCH_VA + off, SCRATCH_PA + off, false), "page at +%#llx wrong",
                      (unsigned long long)off);
    paging_unmap_user_range(root, SCRATCH_VA, SIZE_2M);
    uint64_t pa, entry;
    for (uint64_t off = 0; off < SIZE_2M; off += 0x7f000)
        KTEST_REQUIRE(!paging_translate_in(root, SCRATCH_VA + off, &pa, &entry), "page at +%#llx still mapped",
                      (unsigned long long)off);
    paging_free_root(root, scratch_free, 0);
    return KTEST_PASS;
}
