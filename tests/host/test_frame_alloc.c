// host-test-sources: kernel/frame_alloc.c common/format.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The frame allocator over a fake sparse physical memory: a table of host
 * pages keyed by physical address, created on first touch. The map
 * callback fails the test when the allocator touches anything that is not
 * managed RAM (reserved ranges, holes, page 0). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/frame_alloc.h"

#define GiB (1ull << 30)
#define MiB (1ull << 20)
#define KiB (1ull << 10)

/* ---- fake physical memory ---------------------------------------------- */

#define PAGES_MAX 16384 /* hash slots (power of two) */
static struct {
    uint64_t phys;
    void *page;
} pages[PAGES_MAX];
static unsigned pages_used;
static const struct mem_region *ram;
static unsigned ram_count;
static const struct mem_region *rsv;
static unsigned rsv_count;
static unsigned bad_touches;
static uint64_t first_bad_touch;

static bool in_regions(const struct mem_region *r, unsigned n, uint64_t pa, uint32_t type)
{
    for (unsigned i = 0; i < n; i++)
        if ((type == 0 || r[i].type == type) && pa >= r[i].base && pa - r[i].base < r[i].len)
            return true;
    return false;
}

/* A frame the allocator may hand out or touch: in usable RAM, not reserved, not page 0. */
static bool legal_frame(uint64_t pa)
{
    if (pa < FRAME_SIZE || (pa & (FRAME_SIZE - 1)))
        return false;
    if (!in_regions(ram, ram_count, pa, MEM_USABLE) || !in_regions(ram, ram_count, pa + FRAME_SIZE - 1, MEM_USABLE))
        return false;
    for (unsigned i = 0; i < rsv_count; i++)
        if (pa < rsv[i].base + rsv[i].len && rsv[i].base < pa + FRAME_SIZE)
            return false;
    return true;
}

static void *fake_map(uint64_t pa)
{
    if (!legal_frame(pa)) {
        if (!bad_touches++)
            first_bad_touch = pa;
    }
    uint64_t key = pa & ~(FRAME_SIZE - 1);
    unsigned h = (unsigned)((key >> 12) * 2654435761u) & (PAGES_MAX - 1);
    while (pages[h].page && pages[h].phys != key)
        h = (h + 1) & (PAGES_MAX - 1);
    if (!pages[h].page) {
        assert_true(pages_used < PAGES_MAX * 3 / 4);
        pages[h].phys = key;
        pages[h].page = malloc(FRAME_SIZE);
        assert_non_null(pages[h].page);
        memset(pages[h].page, 0xa5, FRAME_SIZE); /* dirty, like real RAM */
        pages_used++;
    }
    return (char *)pages[h].page + (pa & (FRAME_SIZE - 1));
}

static char warnings[16][200];
static unsigned warn_count;

static void fake_warn(const char *msg)
{
    if (warn_count < 16)
        snprintf(warnings[warn_count], sizeof(warnings[0]), "%s", msg);
    warn_count++;
}

static bool warned(const char *needle)
{
    for (unsigned i = 0; i < warn_count && i < 16; i++)
        if (strstr(warnings[i], needle))
            return true;
    return false;
}

static void setup_memory(const struct mem_region *m, unsigned n, const struct mem_region *r, unsigned nr)
{
    ram = m;
    ram_count = n;
    rsv = r;
    rsv_count = nr;
    warn_count = 0;
    bad_touches = 0;
    frame_alloc_init(m, n, r, nr, fake_map, fake_warn);
}

static int teardown(void **state)
{
    (void)state;
    for (unsigned i = 0; i < PAGES_MAX; i++) {
        free(pages[i].page);
        pages[i].page = NULL;
    }
    pages_used = 0;
    return 0;
}

static void assert_no_bad_touch(void)
{
    if (bad_touches)
        fail_msg("allocator touched %u illegal frames, first %#llx", bad_touches,
                 (unsigned long long)first_bad_touch);
}

/* A PC-like map: low memory, a hole, 15 MiB, a reserved window, 4 MiB above 4 GiB. */
static const struct mem_region pc_map[] = {
    {0x0, 0x9f000, MEM_USABLE},
    {0x9f000, 0x61000, MEM_RESERVED},
    {0x100000, 0xf00000, MEM_USABLE},
    {0xfec00000, 0x1400000, MEM_RESERVED},
    {4 * GiB, 4 * MiB, MEM_USABLE},
};
/* Kernel image, a sub-page boot information block, a module with an unaligned end. */
static const struct mem_region pc_reserved[] = {
    {0x200000, 0x80000, MEM_RESERVED},
    {0x10000, 0x100, MEM_RESERVED},
    {0x300000, 0x1234, MEM_RESERVED},
    {0x5000, 0, MEM_RESERVED}, /* empty: excludes nothing */
};
/* Frames: 0x9f - 1 (page 0) - 1 (mbi) + 0xf00 - 0x80 - 2 (module) + 0x400. */
#define PC_TOTAL (0x9full - 1 - 1 + 0xf00 - 0x80 - 2 + 0x400)

static void setup_pc(void)
{
    setup_memory(pc_map, 5, pc_reserved, 4);
}

/* ---- tests --------------------------------------------------------------- */

static void counts_match_the_map(void **state)
{
    (void)state;
    setup_pc();
    assert_int_equal(frame_total_count(), PC_TOTAL);
    assert_int_equal(frame_free_count(), PC_TOTAL);
    assert_int_equal(frame_highest_end(), 4 * GiB + 4 * MiB);
    assert_int_equal(warn_count, 0);
    assert_int_equal(pages_used, 0); /* init touches no memory */
    uint64_t a = frame_alloc(), b = frame_alloc();
    assert_int_equal(frame_free_count(), PC_TOTAL - 2);
    frame_free(a);
    frame_free(b);
    assert_int_equal(frame_free_count(), PC_TOTAL);
    assert_int_equal(frame_total_count(), PC_TOTAL);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void exhaustion_hands_out_each_legal_frame_once(void **state)
{
    (void)state;
    setup_pc();
    uint64_t *got = calloc(PC_TOTAL + 1, sizeof(*got));
    assert_non_null(got);
    size_t n = 0;
    for (uint64_t pa; (pa = frame_alloc()) != 0;) {
        assert_true(n < PC_TOTAL);
        if (!legal_frame(pa))
            fail_msg("frame %#llx is reserved, a hole or unaligned", (unsigned long long)pa);
        got[n++] = pa;
    }
    assert_int_equal(n, PC_TOTAL);
    assert_true(got[0] >= 4 * GiB); /* high memory first */
    qsort(got, n, sizeof(*got), cmp_u64);
    for (size_t i = 1; i < n; i++)
        if (got[i] == got[i - 1])
            fail_msg("frame %#llx handed out twice", (unsigned long long)got[i]);
    assert_int_equal(frame_free_count(), 0);
    assert_int_equal(frame_alloc(), 0);
    assert_int_equal(frame_alloc_below(4 * GiB), 0);
    assert_int_equal(frame_alloc_contig(1, FRAME_SIZE), 0);
    assert_no_bad_touch();
    free(got);
}

static bool frame_is_zero(uint64_t pa)
{
    const uint8_t *p = fake_map(pa);
    for (size_t i = 0; i < FRAME_SIZE; i++)
        if (p[i])
            return false;
    return true;
}

static void frames_are_zeroed(void **state)
{
    (void)state;
    setup_pc();
    uint64_t a = frame_alloc();
    assert_true(frame_is_zero(a));
    uint64_t c = frame_alloc_contig(3, FRAME_SIZE);
    for (int i = 0; i < 3; i++)
        assert_true(frame_is_zero(c + i * FRAME_SIZE));
    uint64_t l = frame_alloc_below(MiB);
    assert_true(frame_is_zero(l));
    /* Dirty two frames and free them: x goes to the free list (y, below it, is
     * still allocated), then y rejoins its range. Both come back zeroed. */
    uint64_t x = frame_alloc(), y = frame_alloc();
    assert_int_equal(x, y + FRAME_SIZE);
    memset(fake_map(x), 0x5a, FRAME_SIZE);
    memset(fake_map(y), 0x5a, FRAME_SIZE);
    frame_free(x);
    frame_free(y);
    assert_int_equal(frame_alloc(), x);
    assert_true(frame_is_zero(x));
    assert_int_equal(frame_alloc(), y);
    assert_true(frame_is_zero(y));
    assert_no_bad_touch();
}

static void below_limit_finds_low_frames(void **state)
{
    (void)state;
    setup_pc();
    uint64_t a = frame_alloc_below(MiB);
    assert_true(a >= FRAME_SIZE && a + FRAME_SIZE <= MiB);
    assert_true(legal_frame(a));
    assert_int_equal(a, 0x9e000); /* the highest frame under 1 MiB */
    uint64_t b = frame_alloc_below(4 * GiB);
    assert_true(b + FRAME_SIZE <= 4 * GiB && legal_frame(b));
    assert_int_equal(b, 0xfff000);
    uint64_t c = frame_alloc_below(0x100800); /* unaligned limit */
    assert_true(c + FRAME_SIZE <= 0x100800 && legal_frame(c));
    assert_int_equal(frame_alloc_below(FRAME_SIZE), 0); /* page 0 is never handed out */
    assert_int_equal(frame_alloc_below(0), 0);
    /* Drain everything under 64 KiB: 0x1000..0xffff minus the mbi page. */
    unsigned n = 0;
    for (uint64_t pa; (pa = frame_alloc_below(64 * KiB)) != 0; n++)
        assert_true(pa >= FRAME_SIZE && pa < 64 * KiB && pa != 0x10000);
    assert_int_equal(n, 15);
    assert_no_bad_touch();
}

static void below_limit_uses_the_free_list_only_when_it_fits(void **state)
{
    (void)state;
    setup_pc();
    uint64_t hi1 = frame_alloc(), hi2 = frame_alloc(), hi3 = frame_alloc();
    assert_true(hi3 >= 4 * GiB && hi2 == hi3 + FRAME_SIZE && hi1 == hi2 + FRAME_SIZE);
    uint64_t lo = frame_alloc_below(4 * GiB), lo2 = frame_alloc_below(4 * GiB);
    assert_int_equal(lo, 0xfff000);
    assert_int_equal(lo2, 0xffe000);
    /* Neither is next to a free range: both go to the list, hi2 first in line. */
    frame_free(lo);
    frame_free(hi2);
    assert_int_equal(frame_free_count(), PC_TOTAL - 3);
    assert_int_equal(frame_alloc_below(4 * GiB), lo);       /* found behind hi2 */
    assert_int_equal(frame_alloc_below(4 * GiB), 0xffd000); /* hi2 does not fit */
    assert_int_equal(frame_alloc(), hi2);
    assert_int_equal(frame_free_count(), PC_TOTAL - 6);
    assert_int_equal(warn_count, 0);
    assert_no_bad_touch();
}

static void contig_is_aligned_and_clean(void **state)
{
    (void)state;
    setup_pc();
    uint64_t before = frame_free_count();
    uint64_t a = frame_alloc_contig(16, 64 * KiB);
    assert_true(a && a % (64 * KiB) == 0);
    for (int i = 0; i < 16; i++)
        assert_true(legal_frame(a + i * FRAME_SIZE));
    assert_int_equal(frame_free_count(), before - 16);
    uint64_t b = frame_alloc_contig(512, 2 * MiB); /* 2 MiB aligned, 2 MiB long */
    assert_true(b && b % (2 * MiB) == 0);
    for (int i = 0; i < 512; i++)
        assert_true(legal_frame(b + i * FRAME_SIZE));
    assert_true(b + 2 * MiB <= a || b >= a + 16 * FRAME_SIZE);
    uint64_t c = frame_alloc_contig(256, MiB);
    assert_true(c % MiB == 0);
    for (int i = 0; i < 256; i++)
        assert_true(legal_frame(c + i * FRAME_SIZE));
    assert_int_equal(frame_alloc_contig(0, FRAME_SIZE), 0);
    assert_int_equal(frame_alloc_contig(1, 3 * FRAME_SIZE), 0);
    assert_true(warned("not a power of two"));
    assert_int_equal(frame_alloc_contig(1ull << 40, FRAME_SIZE), 0); /* more than exists */
    assert_int_equal(frame_alloc_contig(SIZE_MAX, FRAME_SIZE), 0);  /* size overflows */
    for (int i = 0; i < 16; i++)
        frame_free(a + i * FRAME_SIZE);
    assert_int_equal(frame_free_count(), before - 512 - 256);
    assert_no_bad_touch();
}

static void freeing_restores_contiguous_ranges(void **state)
{
    (void)state;
    setup_pc();
    /* Take most of the 4 MiB above 4 GiB frame by frame, give it back bottom up:
     * each freed frame extends the remaining range. */
    uint64_t f[1000];
    for (int i = 0; i < 1000; i++)
        f[i] = frame_alloc();
    assert_int_equal(f[999], 4 * GiB + 24 * FRAME_SIZE);
    for (int i = 999; i >= 0; i--)
        frame_free(f[i]);
    assert_int_equal(frame_free_count(), PC_TOTAL);
    assert_int_equal(frame_alloc_contig(1024, 4 * MiB), 4 * GiB);
    assert_no_bad_touch();
}

/* A contiguous run freed at once rejoins the free ranges whole, so the same
 * aligned run can be had again; bad or double frees of runs are refused. */
static void contig_free_restores_the_run(void **state)
{
    (void)state;
    setup_pc();
    uint64_t before = frame_free_count();
    uint64_t a = frame_alloc_contig(512, 2 * MiB), b = frame_alloc_contig(512, 2 * MiB);
    assert_true(a && b && a != b);
    frame_free_contig(a, 512);
    assert_int_equal(frame_free_count(), before - 512);
    assert_int_equal(frame_alloc_contig(512, 2 * MiB), a); /* the run came back whole */
    frame_free_contig(a, 512);
    frame_free_contig(a, 512);
    assert_true(warned("double free of frames"));
    uint64_t f = frame_alloc();
    frame_free(f); /* on the free list, or back in a range */
    frame_free_contig(f & ~(2 * MiB - 1), 512);
    assert_true(warned("double free of frames") || warned("not managed"));
    frame_free_contig(b + 1, 512);
    frame_free_contig(1ull << 50, 512);
    assert_true(warned("not managed frames"));
    frame_free_contig(b, 512);
    assert_int_equal(frame_free_count(), before);
    assert_no_bad_touch();
}

static void free_list_is_lifo_and_counted(void **state)
{
    (void)state;
    setup_pc();
    uint64_t f[8];
    for (int i = 0; i < 8; i++)
        f[i] = frame_alloc();
    /* Free f[1], f[3], f[5] (between allocated frames: the list) and f[7] (the
     * lowest: it rejoins the range). */
    for (int i = 1; i < 8; i += 2)
        frame_free(f[i]);
    assert_int_equal(frame_free_count(), PC_TOTAL - 4);
    assert_int_equal(frame_alloc(), f[5]);
    assert_int_equal(frame_alloc(), f[3]);
    assert_int_equal(frame_alloc(), f[1]);
    assert_int_equal(frame_alloc(), f[7]);
    assert_int_equal(frame_free_count(), PC_TOTAL - 8);
    assert_no_bad_touch();
}

static void bad_frees_are_reported_not_obeyed(void **state)
{
    (void)state;
    setup_pc();
    uint64_t a = frame_alloc(), b = frame_alloc(), c = frame_alloc();
    assert_int_equal(b, c + FRAME_SIZE);
    uint64_t count = frame_free_count();
    frame_free(a + 8);
    assert_true(warned("unaligned"));
    frame_free(0x200000); /* kernel image */
    frame_free(0x10000);  /* boot information */
    frame_free(0x9f000);  /* reserved hole */
    frame_free(8 * GiB);  /* no RAM */
    frame_free(0);
    assert_int_equal(warn_count, 6);
    assert_true(warned("not a managed frame"));
    assert_int_equal(frame_free_count(), count);
    /* A never-allocated frame (still in a free range). */
    frame_free(0x400000);
    assert_true(warned("double free"));
    assert_int_equal(frame_free_count(), count);
    /* Freed twice after it rejoined its range. */
    warn_count = 0;
    frame_free(c);
    assert_int_equal(warn_count, 0);
    frame_free(c);
    assert_int_equal(warn_count, 1);
    /* Freed twice while on the free list (b is still allocated). */
    frame_free(a);
    assert_int_equal(warn_count, 1);
    frame_free(a);
    assert_int_equal(warn_count, 2);
    assert_true(warned("double free"));
    assert_int_equal(frame_free_count(), count + 2);
    assert_int_equal(frame_alloc(), a);
    assert_int_equal(frame_alloc(), c);
    assert_no_bad_touch();
}

static void memory_above_4gib_is_used_and_reachable(void **state)
{
    (void)state;
    static const struct mem_region map[] = {
        {0x100000, 0x100000, MEM_USABLE},
        {0x100000000ull, 0x10000, MEM_USABLE},
        {0x2000000000ull, 0x2000, MEM_USABLE}, /* 128 GiB */
    };
    setup_memory(map, 3, NULL, 0);
    assert_int_equal(frame_total_count(), 256 + 16 + 2);
    assert_int_equal(frame_highest_end(), 0x2000002000ull);
    uint64_t a = frame_alloc();
    assert_int_equal(a, 0x2000001000ull);
    uint64_t *p = fake_map(a);
    p[0] = 0x1122334455667788ull;
    p[511] = a;
    assert_int_equal(((uint64_t *)fake_map(a))[0], 0x1122334455667788ull);
    assert_int_equal(((uint64_t *)fake_map(a))[511], a);
    uint64_t b = frame_alloc(), c = frame_alloc();
    assert_int_equal(b, 0x2000000000ull);
    assert_true(c >= 4 * GiB && c < 4 * GiB + 0x10000);
    uint64_t low = frame_alloc_below(4 * GiB);
    assert_true(low >= 0x100000 && low < 0x200000);
    assert_no_bad_touch();
}

static void only_low_memory(void **state)
{
    (void)state;
    static const struct mem_region map[] = {
        {0x1000, 0x9e000, MEM_USABLE},
        {0x100000, 0x700000, MEM_USABLE},
        {0xfffc0000, 0x40000, MEM_RESERVED},
    };
    setup_memory(map, 3, NULL, 0);
    assert_int_equal(frame_highest_end(), 0x800000);
    assert_true(frame_alloc() < 4 * GiB);
    assert_int_equal(frame_total_count(), 0x9e + 0x700);
}

static void unsanitized_input_is_handled(void **state)
{
    (void)state;
    /* Unsorted, overlapping, unaligned and wrapping usable regions; overlapping reserved ones. */
    static const struct mem_region map[] = {
        {0x300000, 0x100000, MEM_USABLE},
        {0x100800, 0x100000, MEM_USABLE}, /* unaligned: [0x101000, 0x200000) */
        {0x380000, 0x100000, MEM_USABLE}, /* overlaps the first */
        {0xfffffffffffff000ull, 0x10000, MEM_USABLE}, /* wraps past 2^64 */
        {0x0, 0x800, MEM_USABLE},                     /* less than a page */
    };
    static const struct mem_region res[] = {
        {0x340000, 0x20000, MEM_RESERVED},
        {0x350000, 0x20000, MEM_RESERVED},
        {0x1fffff, 0x10, MEM_RESERVED},
        {0xffffffffffff0000ull, 0x100000, MEM_RESERVED}, /* wraps too */
    };
    setup_memory(map, 5, res, 4);
    /* [0x101000,0x1ff000) + [0x300000,0x340000) + [0x370000,0x480000) */
    assert_int_equal(frame_total_count(), 0xfe + 0x40 + 0x110);
    assert_int_equal(frame_highest_end(), 0x480000);
    uint64_t n = 0;
    for (uint64_t pa; (pa = frame_alloc()) != 0; n++)
        assert_false((pa >= 0x340000 && pa < 0x370000) || pa == 0x1ff000 || pa < 0x101000);
    assert_int_equal(n, frame_total_count());
}

static void range_table_overflow_is_reported(void **state)
{
    (void)state;
    /* Ranges of 5 frames, 32 KiB apart. */
    static struct mem_region map[FRAME_ALLOC_MAX_RANGES + 44];
    unsigned n = FRAME_ALLOC_MAX_RANGES + 44;
    for (unsigned i = 0; i < n; i++)
        map[i] = (struct mem_region){MiB + i * 8 * FRAME_SIZE, 5 * FRAME_SIZE, MEM_USABLE};
    setup_memory(map, n, NULL, 0);
    assert_true(warned("range table full"));
    assert_int_equal(frame_total_count(), 5 * FRAME_ALLOC_MAX_RANGES);
    assert_int_equal(frame_highest_end(), MiB + (FRAME_ALLOC_MAX_RANGES - 1) * 8 * FRAME_SIZE + 5 * FRAME_SIZE);
    /* With the table full, allocations that would split a range take its bottom instead. */
    assert_int_equal(frame_alloc_below(MiB + 3 * FRAME_SIZE), MiB);
    uint64_t top = MiB + (FRAME_ALLOC_MAX_RANGES - 1) * 8 * FRAME_SIZE;
    assert_int_equal(frame_alloc_contig(2, 2 * FRAME_SIZE), top);
    assert_int_equal(frame_free_count(), 5 * FRAME_ALLOC_MAX_RANGES - 3);
    assert_no_bad_touch();
}

/* No usable memory at all: nothing to hand out, and the highest end is 0. */
static void no_usable_memory(void **state)
{
    (void)state;
    static const struct mem_region map[] = {
        {0x0, 0x100000, MEM_RESERVED},
    };
    setup_memory(map, 1, NULL, 0);
    assert_int_equal(frame_highest_end(), 0);
    assert_int_equal(frame_total_count(), 0);
    assert_int_equal(frame_alloc(), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(counts_match_the_map, teardown),
        cmocka_unit_test_teardown(exhaustion_hands_out_each_legal_frame_once, teardown),
        cmocka_unit_test_teardown(frames_are_zeroed, teardown),
        cmocka_unit_test_teardown(below_limit_finds_low_frames, teardown),
        cmocka_unit_test_teardown(below_limit_uses_the_free_list_only_when_it_fits, teardown),
        cmocka_unit_test_teardown(contig_is_aligned_and_clean, teardown),
        cmocka_unit_test_teardown(freeing_restores_contiguous_ranges, teardown),
        cmocka_unit_test_teardown(contig_free_restores_the_run, teardown),
        cmocka_unit_test_teardown(free_list_is_lifo_and_counted, teardown),
        cmocka_unit_test_teardown(bad_frees_are_reported_not_obeyed, teardown),
        cmocka_unit_test_teardown(memory_above_4gib_is_used_and_reachable, teardown),
        cmocka_unit_test_teardown(only_low_memory, teardown),
        cmocka_unit_test_teardown(no_usable_memory, teardown),
        cmocka_unit_test_teardown(unsanitized_input_is_handled, teardown),
        cmocka_unit_test_teardown(range_table_overflow_is_reported, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
