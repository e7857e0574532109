// host-test-sources: lib/malloc.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The user runtime's first-fit allocator (lib/malloc.c) over a test
 * buffer: alignment, splitting, merging of freed neighbours, exhaustion,
 * overflow, realloc/calloc, and detection of bad and double frees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "lib/stdlib.h"

#define HEAP_SIZE 65536
#define HEADER 16

static _Alignas(16) unsigned char heap[HEAP_SIZE];
static jmp_buf on_heap_error;
static const char *heap_error_what;

/* The runtime's version stops the program; here it returns to the test. */
void dj_heap_error(const char *what, void *p)
{
    (void)p;
    heap_error_what = what;
    longjmp(on_heap_error, 1);
}

/* Each test gets a fresh heap: what is left of the old one is allocated
 * (so the free list is empty and the old blocks are forgotten), then the
 * buffer is handed over again. */
static int fresh_heap(void **state)
{
    (void)state;
    while (dj_malloc(1))
        ;
    assert_int_equal(dj_heap_free_bytes(), 0);
    memset(heap, 0, sizeof(heap));
    dj_heap_init(heap, sizeof(heap));
    heap_error_what = NULL;
    return 0;
}

static void allocations_are_aligned_and_disjoint(void **state)
{
    (void)state;
    unsigned char *a = dj_malloc(1), *b = dj_malloc(100), *c = dj_malloc(17);
    assert_non_null(a);
    assert_non_null(b);
    assert_non_null(c);
    assert_int_equal((uintptr_t)a % 16, 0);
    assert_int_equal((uintptr_t)b % 16, 0);
    assert_int_equal((uintptr_t)c % 16, 0);
    assert_true(a + 1 <= b || b + 100 <= a);
    assert_true(b + 100 <= c || c + 17 <= b);
    memset(a, 1, 1);
    memset(b, 2, 100);
    memset(c, 3, 17);
    assert_int_equal(a[0], 1);
    assert_int_equal(b[99], 2);
}

static void free_merges_neighbours(void **state)
{
    (void)state;
    size_t all = dj_heap_free_bytes();
    void *a = dj_malloc(1000), *b = dj_malloc(1000), *c = dj_malloc(1000);
    assert_true(dj_heap_free_bytes() < all);
    dj_free(a);
    dj_free(c);
    dj_free(b); /* joins a and c: the heap is one block again */
    assert_int_equal(dj_heap_free_bytes(), all);
    void *big = dj_malloc(all - HEADER);
    assert_non_null(big);
    dj_free(big);
}

static void exhaustion_returns_null(void **state)
{
    (void)state;
    assert_null(dj_malloc(HEAP_SIZE));
    assert_null(dj_malloc(SIZE_MAX));
    assert_null(dj_malloc(SIZE_MAX - 8));
    void *p = dj_malloc(HEAP_SIZE / 2);
    assert_non_null(p);
    assert_null(dj_malloc(HEAP_SIZE / 2));
    dj_free(p);
    assert_non_null(dj_malloc(HEAP_SIZE / 2));
}

static void first_fit_reuses_a_freed_hole(void **state)
{
    (void)state;
    void *a = dj_malloc(256);
    void *b = dj_malloc(256);
    assert_non_null(b);
    dj_free(a);
    assert_ptr_equal(dj_malloc(200), a);
}

static void zero_size_gives_a_unique_pointer(void **state)
{
    (void)state;
    void *a = dj_malloc(0), *b = dj_malloc(0);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    dj_free(a);
    dj_free(b);
    dj_free(NULL);
}

static void calloc_zeroes_and_checks_overflow(void **state)
{
    (void)state;
    unsigned char *p = dj_malloc(512);
    memset(p, 0xff, 512);
    dj_free(p);
    unsigned char *q = dj_calloc(64, 8);
    assert_non_null(q);
    for (int i = 0; i < 512; i++)
        assert_int_equal(q[i], 0);
    assert_null(dj_calloc(SIZE_MAX / 2, 3));
}

static void realloc_keeps_contents(void **state)
{
    (void)state;
    unsigned char *p = dj_realloc(NULL, 32);
    assert_non_null(p);
    for (int i = 0; i < 32; i++)
        p[i] = (unsigned char)i;
    assert_ptr_equal(dj_realloc(p, 16), p); /* shrinking stays in place */
    unsigned char *q = dj_realloc(p, 4000);
    assert_non_null(q);
    for (int i = 0; i < 32; i++)
        assert_int_equal(q[i], i);
    assert_null(dj_realloc(q, 0));
}

static void double_free_is_detected(void **state)
{
    (void)state;
    void *p = dj_malloc(64);
    dj_free(p);
    if (setjmp(on_heap_error) == 0) {
        dj_free(p);
        fail_msg("double free not detected");
    }
    assert_non_null(heap_error_what);
}

static void double_free_after_merge_is_detected(void **state)
{
    (void)state;
    void *a = dj_malloc(64), *b = dj_malloc(64);
    assert_non_null(a);
    dj_free(a);
    dj_free(b); /* b's header now lies inside a's free block */
    if (setjmp(on_heap_error) == 0) {
        dj_free(b);
        fail_msg("double free of a merged block not detected");
    }
    assert_non_null(heap_error_what);
}

static void foreign_pointer_is_detected(void **state)
{
    (void)state;
    unsigned char *p = dj_malloc(64);
    if (setjmp(on_heap_error) == 0) {
        dj_free(p + 16); /* inside a block, not its start */
        fail_msg("free of an interior pointer not detected");
    }
    heap_error_what = NULL;
    if (setjmp(on_heap_error) == 0) {
        dj_free(p + 1); /* misaligned */
        fail_msg("free of a misaligned pointer not detected");
    }
    assert_non_null(heap_error_what);
}

static void tiny_region_is_ignored(void **state)
{
    (void)state;
    static _Alignas(16) unsigned char tiny[24];
    size_t before = dj_heap_free_bytes();
    dj_heap_init(tiny + 1, sizeof(tiny) - 1);
    assert_int_equal(dj_heap_free_bytes(), before);
    dj_heap_init(tiny, SIZE_MAX); /* wraps around: ignored */
    assert_int_equal(dj_heap_free_bytes(), before);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(allocations_are_aligned_and_disjoint, fresh_heap),
        cmocka_unit_test_setup(free_merges_neighbours, fresh_heap),
        cmocka_unit_test_setup(exhaustion_returns_null, fresh_heap),
        cmocka_unit_test_setup(first_fit_reuses_a_freed_hole, fresh_heap),
        cmocka_unit_test_setup(zero_size_gives_a_unique_pointer, fresh_heap),
        cmocka_unit_test_setup(calloc_zeroes_and_checks_overflow, fresh_heap),
        cmocka_unit_test_setup(realloc_keeps_contents, fresh_heap),
        cmocka_unit_test_setup(double_free_is_detected, fresh_heap),
        cmocka_unit_test_setup(double_free_after_merge_is_detected, fresh_heap),
        cmocka_unit_test_setup(foreign_pointer_is_detected, fresh_heap),
        cmocka_unit_test_setup(tiny_region_is_ignored, fresh_heap),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
