// host-test-sources: kernel/quota.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "kernel/quota.h"
#include "test_pages.h"

static void root_charge_and_release(void **state)
{
    (void)state;
    struct quota q;
    quota_init_root(&q, 10);
    assert_true(quota_charge(&q, 4));
    assert_true(quota_charge(&q, 6));
    assert_int_equal(quota_available(&q), 0);
    quota_release(&q, 3);
    assert_int_equal(q.used_pages, 7);
    assert_int_equal(quota_available(&q), 3);
}

static void exhaustion_charges_nothing(void **state)
{
    (void)state;
    struct quota q;
    quota_init_root(&q, 5);
    assert_true(quota_charge(&q, 3));
    assert_false(quota_charge(&q, 3));
    assert_int_equal(q.used_pages, 3);
    assert_false(quota_charge(&q, UINT64_MAX)); /* no wrap-around */
    assert_int_equal(q.used_pages, 3);
    assert_true(quota_charge(&q, 2));
    assert_false(quota_charge(&q, 1));
}

static void child_takes_pages_from_parent(void **state)
{
    (void)state;
    struct quota parent, child;
    quota_init_root(&parent, 100);
    assert_true(quota_init_child(&child, &parent, 40));
    assert_int_equal(quota_available(&parent), 60);
    assert_int_equal(quota_available(&child), 40);
    assert_ptr_equal(child.parent, &parent);
    assert_true(quota_charge(&child, 40));
    assert_false(quota_charge(&child, 1)); /* the parent's pages are not the child's */
    assert_int_equal(quota_available(&parent), 60);
}

static void child_fails_when_parent_short(void **state)
{
    (void)state;
    struct quota parent, child = { .limit_pages = 7, .used_pages = 7 };
    quota_init_root(&parent, 10);
    assert_true(quota_charge(&parent, 8));
    assert_false(quota_init_child(&child, &parent, 3));
    assert_int_equal(parent.used_pages, 8);
    assert_int_equal(child.limit_pages, 7); /* untouched */
    assert_true(quota_init_child(&child, &parent, 2));
    assert_int_equal(quota_available(&parent), 0);
}

static void destroy_child_returns_unused_pages(void **state)
{
    (void)state;
    struct quota parent, child;
    quota_init_root(&parent, 50);
    assert_true(quota_init_child(&child, &parent, 20));
    assert_true(quota_charge(&child, 5));
    quota_release(&child, 5);
    quota_destroy_child(&child);
    assert_int_equal(parent.used_pages, 0);
    assert_int_equal(quota_available(&parent), 50);
}

static void destroy_child_keeps_used_pages_charged(void **state)
{
    (void)state;
    struct quota parent, child;
    quota_init_root(&parent, 50);
    assert_true(quota_init_child(&child, &parent, 20));
    assert_true(quota_charge(&child, 6));
    quota_destroy_child(&child);
    assert_int_equal(parent.used_pages, 6); /* still in use: never credited twice */
    assert_int_equal(quota_available(&child), 0);
    assert_false(quota_charge(&child, 1));
}

static void nested_donations(void **state)
{
    (void)state;
    struct quota root, a, b;
    quota_init_root(&root, 64);
    assert_true(quota_init_child(&a, &root, 32));
    assert_true(quota_init_child(&b, &a, 16));
    assert_false(quota_init_child(&b, &a, 17));
    assert_int_equal(quota_available(&a), 16);
    assert_int_equal(quota_available(&root), 32);
    quota_destroy_child(&b);
    assert_int_equal(quota_available(&a), 32);
    quota_destroy_child(&a);
    assert_int_equal(quota_available(&root), 64);
}

static void page_source_charges_and_zeroes(void **state)
{
    (void)state;
    struct test_pages tp;
    test_pages_init(&tp, 2);
    unsigned char *p = page_source_alloc(&tp.src);
    assert_non_null(p);
    for (int i = 0; i < 4096; i++)
        assert_int_equal(p[i], 0); /* the test allocator poisons with 0xa5 */
    assert_int_equal(tp.quota.used_pages, 1);
    void *q = page_source_alloc(&tp.src);
    assert_non_null(q);
    assert_null(page_source_alloc(&tp.src)); /* quota exhausted */
    assert_int_equal(tp.allocs, 2);          /* the allocator was not asked */
    page_source_free(&tp.src, p);
    page_source_free(&tp.src, q);
    assert_int_equal(tp.quota.used_pages, 0);
    assert_int_equal(tp.live, 0);
}

static void allocator_failure_releases_charge(void **state)
{
    (void)state;
    struct test_pages tp;
    test_pages_init(&tp, 10);
    tp.fail_after = 0;
    assert_null(page_source_alloc(&tp.src));
    assert_int_equal(tp.quota.used_pages, 0);
    assert_int_equal(tp.live, 0);
}

/* The list of objects charged to a quota: in order, each once, and an
 * item taken off leaves its neighbours linked. */
static void charged_objects_list(void **state)
{
    (void)state;
    struct quota q, child;
    struct quota_item a, b, c;
    quota_init_root(&q, 10);
    assert_null(q.owner);
    assert_null(quota_first(&q));
    quota_link(&q, &a);
    quota_link(&q, &b);
    quota_link(&q, &c);
    assert_ptr_equal(quota_first(&q), &a);
    assert_ptr_equal(quota_next(&q, &a), &b);
    assert_ptr_equal(quota_next(&q, &b), &c);
    assert_null(quota_next(&q, &c));
    quota_unlink(&b);
    assert_ptr_equal(quota_next(&q, &a), &c);
    assert_null(b.next);
    quota_unlink(&a);
    quota_unlink(&c);
    assert_null(quota_first(&q));
    /* A child's list starts empty and is its own. */
    assert_true(quota_init_child(&child, &q, 4));
    quota_link(&child, &a);
    assert_null(quota_first(&q));
    assert_ptr_equal(quota_first(&child), &a);
    quota_unlink(&a);
    assert_null(quota_first(&child));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(root_charge_and_release),
        cmocka_unit_test(exhaustion_charges_nothing),
        cmocka_unit_test(child_takes_pages_from_parent),
        cmocka_unit_test(child_fails_when_parent_short),
        cmocka_unit_test(destroy_child_returns_unused_pages),
        cmocka_unit_test(destroy_child_keeps_used_pages_charged),
        cmocka_unit_test(nested_donations),
        cmocka_unit_test(page_source_charges_and_zeroes),
        cmocka_unit_test(allocator_failure_releases_charge),
        cmocka_unit_test(charged_objects_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
