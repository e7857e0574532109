// host-test-sources: kernel/memspace.c kernel/radix.c kernel/mdb.c kernel/quota.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "kernel/memspace.h"
#include "test_pages.h"

#define VPAGES (1ull << MEMSPACE_VPAGE_BITS)
#define PAGES_PER_PT 512 /* pages one bottom-level table covers */

struct fixture {
    struct test_pages tp;
    struct memspace ms;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    test_pages_init(&f->tp, 1000);
    memspace_init(&f->ms, &f->tp.src);
    *state = f;
    return 0;
}

/* Every test ends with all tables freed and the quota whole. */
static int teardown(void **state)
{
    struct fixture *f = *state;
    memspace_destroy(&f->ms);
    int leaked = f->tp.live != 0 || f->tp.quota.used_pages != 0;
    free(f);
    return leaked ? -1 : 0;
}

static struct mdb_node mem(uint64_t vpage, unsigned order)
{
    struct mdb_node n;
    mdb_node_init(&n, NULL, DJ_CRD_MEM, vpage, order, DJ_MEM_R, 0);
    return n;
}

static void insert_lookup_remove(void **state)
{
    struct fixture *f = *state;
    struct mdb_node n = mem(0x12345, 0);
    assert_null(memspace_lookup(&f->ms, 0x12345));
    assert_int_equal(memspace_insert(&f->ms, 0x12345, 0, &n), DJ_OK);
    assert_ptr_equal(memspace_lookup(&f->ms, 0x12345), &n);
    assert_null(memspace_lookup(&f->ms, 0x12344));
    assert_null(memspace_lookup(&f->ms, 0x12346));
    assert_int_equal(f->tp.live, 4); /* one table per level */
    assert_int_equal(memspace_remove(&f->ms, 0x12345, 0), DJ_OK);
    assert_null(memspace_lookup(&f->ms, 0x12345));
    assert_int_equal(f->tp.live, 0); /* empty tables go at once */
    assert_int_equal(memspace_remove(&f->ms, 0x12345, 0), DJ_E_BAD_CAP);
}

static void lookup_out_of_range(void **state)
{
    struct fixture *f = *state;
    struct mdb_node n = mem(0, MEMSPACE_MAX_ORDER);
    assert_int_equal(memspace_insert(&f->ms, 0, MEMSPACE_MAX_ORDER, &n), DJ_OK);
    assert_null(memspace_lookup(&f->ms, VPAGES));   /* would alias page 0 if unchecked */
    assert_null(memspace_lookup(&f->ms, UINT64_MAX));
    assert_ptr_equal(memspace_lookup(&f->ms, 0), &n);
    assert_int_equal(memspace_remove(&f->ms, 0, MEMSPACE_MAX_ORDER), DJ_OK);
}

static void overlapping_inserts_are_rejected(void **state)
{
    struct fixture *f = *state;
    struct mdb_node big = mem(0x400, 10), small = mem(0x5ff, 0), mid = mem(0x600, 9);
    struct mdb_node same = mem(0x400, 10), wider = mem(0, 11), tiny = mem(0x800, 0);
    assert_int_equal(memspace_insert(&f->ms, 0x400, 10, &big), DJ_OK);
    assert_int_equal(memspace_insert(&f->ms, 0x5ff, 0, &small), DJ_E_BUSY); /* inside */
    assert_int_equal(memspace_insert(&f->ms, 0x600, 9, &mid), DJ_E_BUSY);   /* upper half */
    assert_int_equal(memspace_insert(&f->ms, 0x400, 10, &same), DJ_E_BUSY); /* same range */
    assert_int_equal(memspace_insert(&f->ms, 0, 11, &wider), DJ_E_BUSY);    /* around it */
    assert_int_equal(memspace_insert(&f->ms, 0x800, 0, &tiny), DJ_OK);      /* just past */
    assert_ptr_equal(memspace_lookup(&f->ms, 0x5ff), &big);
    assert_ptr_equal(memspace_lookup(&f->ms, 0x7ff), &big);
    assert_ptr_equal(memspace_lookup(&f->ms, 0x800), &tiny);
    assert_null(memspace_lookup(&f->ms, 0x3ff));
    /* Small first, then a large range over it. */
    struct mdb_node s2 = mem(0x100003, 0), l2 = mem(0x100000, 18);
    assert_int_equal(memspace_insert(&f->ms, 0x100003, 0, &s2), DJ_OK);
    assert_int_equal(memspace_insert(&f->ms, 0x100000, 18, &l2), DJ_E_BUSY);
    assert_ptr_equal(memspace_lookup(&f->ms, 0x100003), &s2);
    assert_null(memspace_lookup(&f->ms, 0x100000));
    assert_int_equal(memspace_remove(&f->ms, 0x400, 10), DJ_OK);
    assert_int_equal(memspace_remove(&f->ms, 0x800, 0), DJ_OK);
    assert_int_equal(memspace_remove(&f->ms, 0x100003, 0), DJ_OK);
}

static void bad_ranges_and_nodes_are_rejected(void **state)
{
    struct fixture *f = *state;
    struct mdb_node n = mem(0x3, 1);
    assert_int_equal(memspace_insert(&f->ms, 0x3, 1, &n), DJ_E_BAD_PARAM); /* misaligned */
    n = mem(VPAGES, 0);
    assert_int_equal(memspace_insert(&f->ms, VPAGES, 0, &n), DJ_E_BAD_PARAM);
    n = mem(0, MEMSPACE_MAX_ORDER + 1);
    assert_int_equal(memspace_insert(&f->ms, 0, MEMSPACE_MAX_ORDER + 1, &n), DJ_E_BAD_PARAM);
    n = mem(0x10, 0);
    assert_int_equal(memspace_insert(&f->ms, 0x11, 0, &n), DJ_E_BAD_PARAM); /* base differs */
    assert_int_equal(memspace_insert(&f->ms, 0x10, 1, &n), DJ_E_BAD_PARAM); /* order differs */
    n.kind = DJ_CRD_IO;
    assert_int_equal(memspace_insert(&f->ms, 0x10, 0, &n), DJ_E_BAD_PARAM);
    assert_int_equal(memspace_remove(&f->ms, 0x3, 1), DJ_E_BAD_PARAM);
    assert_int_equal(f->tp.allocs, 0);
}

static void large_orders(void **state)
{
    struct fixture *f = *state;
    const unsigned orders[] = { 27, 26, 18, 17, 9, 8, 1 };
    struct mdb_node n[7];
    uint64_t base = 0;
    for (int i = 0; i < 7; i++) { /* consecutive aligned ranges, largest first */
        n[i] = mem(base, orders[i]);
        assert_int_equal(memspace_insert(&f->ms, base, orders[i], &n[i]), DJ_OK);
        base += 1ull << orders[i];
    }
    base = 0;
    for (int i = 0; i < 7; i++) {
        uint64_t size = 1ull << orders[i];
        assert_ptr_equal(memspace_lookup(&f->ms, base), &n[i]);
        assert_ptr_equal(memspace_lookup(&f->ms, base + size / 2), &n[i]);
        assert_ptr_equal(memspace_lookup(&f->ms, base + size - 1), &n[i]);
        base += size;
    }
    assert_null(memspace_lookup(&f->ms, base));
    for (int i = 0; i < 7; i++)
        assert_int_equal(memspace_remove(&f->ms, n[i].base, orders[i]), DJ_OK);
}

static void a_huge_range_costs_one_table(void **state)
{
    struct fixture *f = *state;
    struct mdb_node top = mem(3ull << 27, 27), gib = mem(1ull << 18, 18);
    assert_int_equal(memspace_insert(&f->ms, 3ull << 27, 27, &top), DJ_OK);
    assert_int_equal(f->tp.live, 1); /* stored in the root like a 512 GiB page */
    assert_int_equal(memspace_insert(&f->ms, 1ull << 18, 18, &gib), DJ_OK);
    assert_int_equal(f->tp.live, 2);
    assert_int_equal(memspace_remove(&f->ms, 3ull << 27, 27), DJ_OK);
    assert_int_equal(memspace_remove(&f->ms, 1ull << 18, 18), DJ_OK);
}

static void highest_page(void **state)
{
    struct fixture *f = *state;
    struct mdb_node last = mem(VPAGES - 1, 0), top = mem(VPAGES - (1ull << 27), 27);
    assert_int_equal(memspace_insert(&f->ms, VPAGES - 1, 0, &last), DJ_OK);
    assert_ptr_equal(memspace_lookup(&f->ms, VPAGES - 1), &last);
    assert_int_equal(memspace_insert(&f->ms, top.base, 27, &top), DJ_E_BUSY);
    assert_int_equal(memspace_remove(&f->ms, VPAGES - 1, 0), DJ_OK);
    assert_int_equal(memspace_insert(&f->ms, top.base, 27, &top), DJ_OK);
    assert_ptr_equal(memspace_lookup(&f->ms, VPAGES - 1), &top);
    assert_int_equal(memspace_remove(&f->ms, top.base, 27), DJ_OK);
}

static void remove_needs_the_exact_range(void **state)
{
    struct fixture *f = *state;
    struct mdb_node n = mem(0x2000, 12);
    assert_int_equal(memspace_insert(&f->ms, 0x2000, 12, &n), DJ_OK);
    assert_int_equal(memspace_remove(&f->ms, 0x2000, 11), DJ_E_BAD_CAP); /* part of it */
    assert_int_equal(memspace_remove(&f->ms, 0x2800, 11), DJ_E_BAD_CAP);
    assert_int_equal(memspace_remove(&f->ms, 0x2000, 13), DJ_E_BAD_CAP); /* more than it */
    assert_int_equal(memspace_remove(&f->ms, 0x2001, 0), DJ_E_BAD_CAP);
    assert_ptr_equal(memspace_lookup(&f->ms, 0x2fff), &n);
    assert_int_equal(memspace_remove(&f->ms, 0x2000, 12), DJ_OK);
    assert_null(memspace_lookup(&f->ms, 0x2fff));
}

static void tables_are_shared_and_freed(void **state)
{
    struct fixture *f = *state;
    struct mdb_node a = mem(0, 0), b = mem(1, 0), c = mem(PAGES_PER_PT, 0);
    assert_int_equal(memspace_insert(&f->ms, 0, 0, &a), DJ_OK);
    assert_int_equal(memspace_insert(&f->ms, 1, 0, &b), DJ_OK);
    assert_int_equal(f->tp.live, 4);
    assert_int_equal(memspace_insert(&f->ms, PAGES_PER_PT, 0, &c), DJ_OK);
    assert_int_equal(f->tp.live, 5); /* one more bottom table */
    assert_int_equal(memspace_remove(&f->ms, 0, 0), DJ_OK);
    assert_int_equal(f->tp.live, 5); /* b still uses the table */
    assert_int_equal(memspace_remove(&f->ms, 1, 0), DJ_OK);
    assert_int_equal(f->tp.live, 4);
    assert_ptr_equal(memspace_lookup(&f->ms, PAGES_PER_PT), &c);
    assert_int_equal(memspace_remove(&f->ms, PAGES_PER_PT, 0), DJ_OK);
    assert_int_equal(f->tp.live, 0);
}

static void quota_exhaustion_leaves_nothing(void **state)
{
    struct fixture *f = *state;
    struct mdb_node n = mem(0x77777, 0);
    for (long budget = 0; budget < 4; budget++) { /* fail at each of the four levels */
        f->tp.fail_after = budget;
        assert_int_equal(memspace_insert(&f->ms, 0x77777, 0, &n), DJ_E_QUOTA);
        assert_int_equal(f->tp.live, 0);
        assert_int_equal(f->tp.quota.used_pages, 0);
        assert_null(memspace_lookup(&f->ms, 0x77777));
    }
    f->tp.fail_after = -1;
    /* The same through the quota itself, with a table already present. */
    struct mdb_node first = mem(0, 0);
    assert_int_equal(memspace_insert(&f->ms, 0, 0, &first), DJ_OK);
    struct quota tight;
    quota_init_root(&tight, 5);
    assert_true(quota_charge(&tight, 4));
    struct page_source src = f->tp.src;
    src.quota = &tight;
    f->ms.map.pages = &src; /* charge the next tables to `tight` (1 page left) */
    assert_int_equal(memspace_insert(&f->ms, 0x77777, 0, &n), DJ_E_QUOTA);
    assert_int_equal(tight.used_pages, 4);
    f->ms.map.pages = &f->tp.src;
    assert_int_equal(f->tp.live, 4);
    assert_int_equal(memspace_remove(&f->ms, 0, 0), DJ_OK);
}

struct visits {
    struct mdb_node *seen[16];
    unsigned n;
    struct memspace *remove_from; /* revoke-style: remove each node seen */
};

static void visit(struct mdb_node *node, void *ctx)
{
    struct visits *v = ctx;
    assert_true(v->n < 16);
    v->seen[v->n++] = node;
    if (v->remove_from)
        assert_int_equal(memspace_remove(v->remove_from, node->base, node->order), DJ_OK);
}

static void for_each_visits_each_node_once(void **state)
{
    struct fixture *f = *state;
    struct mdb_node n[5] = { mem(0x10, 4), mem(0x200, 9), mem(0x400, 0), mem(1ull << 27, 27),
                             mem(VPAGES - 1, 0) };
    for (int i = 4; i >= 0; i--)
        assert_int_equal(memspace_insert(&f->ms, n[i].base, n[i].order, &n[i]), DJ_OK);
    struct visits v = { .n = 0 };
    memspace_for_each(&f->ms, 0, VPAGES, visit, &v);
    assert_int_equal(v.n, 5);
    for (int i = 0; i < 5; i++)
        assert_ptr_equal(v.seen[i], &n[i]);
    /* A window that starts and ends inside nodes still sees them, once. */
    v.n = 0;
    memspace_for_each(&f->ms, 0x18, 0x200 - 0x18 + 1, visit, &v);
    assert_int_equal(v.n, 2);
    assert_ptr_equal(v.seen[0], &n[0]);
    assert_ptr_equal(v.seen[1], &n[1]);
    v.n = 0;
    memspace_for_each(&f->ms, 0x401, (1ull << 27) - 0x401, visit, &v); /* a gap */
    assert_int_equal(v.n, 0);
    /* Removing during the walk (what revoke does) empties the space. */
    v = (struct visits){ .n = 0, .remove_from = &f->ms };
    memspace_for_each(&f->ms, 0, UINT64_MAX, visit, &v);
    assert_int_equal(v.n, 5);
    assert_int_equal(f->tp.live, 0);
}

/* memspace_next finds the node covering a page or the first one above,
 * across empty tables at every level, and nothing past the last. */
static void next_walks_nodes_in_order(void **state)
{
    struct fixture *f = *state;
    struct mdb_node small = mem(0x10, 0), big = mem(1ull << 27, 27), far = mem(VPAGES - 1, 0);
    assert_null(memspace_next(&f->ms, 0));
    assert_int_equal(memspace_insert(&f->ms, 0x10, 0, &small), DJ_OK);
    assert_int_equal(memspace_insert(&f->ms, 1ull << 27, 27, &big), DJ_OK);
    assert_int_equal(memspace_insert(&f->ms, VPAGES - 1, 0, &far), DJ_OK);
    assert_ptr_equal(memspace_next(&f->ms, 0), &small);
    assert_ptr_equal(memspace_next(&f->ms, 0x10), &small);
    assert_ptr_equal(memspace_next(&f->ms, 0x11), &big);
    assert_ptr_equal(memspace_next(&f->ms, (1ull << 27) + 12345), &big); /* inside: the covering node */
    assert_ptr_equal(memspace_next(&f->ms, 1ull << 28), &far);
    assert_null(memspace_next(&f->ms, VPAGES));
    /* Walking by each node's end visits every node once. */
    unsigned seen = 0;
    for (struct mdb_node *n = memspace_next(&f->ms, 0); n; n = memspace_next(&f->ms, n->base + (1ull << n->order)))
        seen++;
    assert_int_equal(seen, 3);
    assert_int_equal(memspace_remove(&f->ms, 1ull << 27, 27), DJ_OK);
    assert_ptr_equal(memspace_next(&f->ms, 0x11), &far);
    assert_int_equal(memspace_remove(&f->ms, 0x10, 0), DJ_OK);
    assert_int_equal(memspace_remove(&f->ms, VPAGES - 1, 0), DJ_OK);
    assert_null(memspace_next(&f->ms, 0));
}

/* memspace_next_before finds only nodes meeting [vpage, end). */
static void next_before_stops_at_the_end(void **state)
{
    struct fixture *f = *state;
    struct mdb_node small = mem(0x10, 0), big = mem(1ull << 27, 27);
    assert_int_equal(memspace_insert(&f->ms, 0x10, 0, &small), DJ_OK);
    assert_int_equal(memspace_insert(&f->ms, 1ull << 27, 27, &big), DJ_OK);
    assert_null(memspace_next_before(&f->ms, 0, 0x10));
    assert_ptr_equal(memspace_next_before(&f->ms, 0, 0x11), &small);
    assert_ptr_equal(memspace_next_before(&f->ms, 0x10, 0x11), &small);
    assert_null(memspace_next_before(&f->ms, 0x11, 1ull << 27));
    assert_ptr_equal(memspace_next_before(&f->ms, 0x11, (1ull << 27) + 1), &big);
    assert_ptr_equal(memspace_next_before(&f->ms, (1ull << 27) + 5, (1ull << 27) + 6), &big); /* inside */
    assert_null(memspace_next_before(&f->ms, 1ull << 28, UINT64_MAX));
    assert_null(memspace_next_before(&f->ms, 5, 5)); /* empty range */
    assert_int_equal(memspace_remove(&f->ms, 0x10, 0), DJ_OK);
    assert_int_equal(memspace_remove(&f->ms, 1ull << 27, 27), DJ_OK);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(insert_lookup_remove, setup, teardown),
        cmocka_unit_test_setup_teardown(lookup_out_of_range, setup, teardown),
        cmocka_unit_test_setup_teardown(overlapping_inserts_are_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_ranges_and_nodes_are_rejected, setup, teardown),
        cmocka_unit_test_setup_teardown(large_orders, setup, teardown),
        cmocka_unit_test_setup_teardown(a_huge_range_costs_one_table, setup, teardown),
        cmocka_unit_test_setup_teardown(highest_page, setup, teardown),
        cmocka_unit_test_setup_teardown(remove_needs_the_exact_range, setup, teardown),
        cmocka_unit_test_setup_teardown(tables_are_shared_and_freed, setup, teardown),
        cmocka_unit_test_setup_teardown(quota_exhaustion_leaves_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(for_each_visits_each_node_once, setup, teardown),
        cmocka_unit_test_setup_teardown(next_walks_nodes_in_order, setup, teardown),
        cmocka_unit_test_setup_teardown(next_before_stops_at_the_end, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
