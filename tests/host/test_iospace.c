// host-test-sources: kernel/iospace.c kernel/radix.c kernel/mdb.c kernel/quota.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "kernel/iospace.h"
#include "test_pages.h"

#define COM1_PORT 0x3f8
#define COM1_ORDER 3 /* eight registers */
#define PORTS_PER_TABLE 512

static struct mdb_node io(uint64_t port, unsigned order)
{
    struct mdb_node n;
    mdb_node_init(&n, NULL, DJ_CRD_IO, port, order, DJ_IO_ACCESS, port);
    return n;
}

static void ports_insert_lookup_remove(void **state)
{
    (void)state;
    struct test_pages tp;
    struct iospace is;
    test_pages_init(&tp, 10);
    iospace_init(&is, &tp.src);
    struct mdb_node com1 = io(COM1_PORT, COM1_ORDER);
    assert_int_equal(iospace_insert(&is, COM1_PORT, COM1_ORDER, &com1), DJ_OK);
    for (uint64_t p = COM1_PORT; p < COM1_PORT + 8; p++)
        assert_ptr_equal(iospace_lookup(&is, p), &com1);
    assert_null(iospace_lookup(&is, COM1_PORT - 1));
    assert_null(iospace_lookup(&is, COM1_PORT + 8));
    assert_int_equal(tp.live, 2); /* root and one table of 512 ports */
    struct mdb_node reg = io(COM1_PORT + 5, 0);
    assert_int_equal(iospace_insert(&is, COM1_PORT + 5, 0, &reg), DJ_E_BUSY);
    assert_int_equal(iospace_remove(&is, COM1_PORT, 0), DJ_E_BAD_CAP);
    assert_int_equal(iospace_remove(&is, COM1_PORT, COM1_ORDER), DJ_OK);
    assert_null(iospace_lookup(&is, COM1_PORT));
    assert_int_equal(tp.live, 0);
    iospace_destroy(&is);
}

static void port_range_limits(void **state)
{
    (void)state;
    struct test_pages tp;
    struct iospace is;
    test_pages_init(&tp, 10);
    iospace_init(&is, &tp.src);
    struct mdb_node n = io(IOSPACE_PORTS, 0);
    assert_int_equal(iospace_insert(&is, IOSPACE_PORTS, 0, &n), DJ_E_BAD_PARAM);
    n = io(0, IOSPACE_MAX_ORDER + 1);
    assert_int_equal(iospace_insert(&is, 0, IOSPACE_MAX_ORDER + 1, &n), DJ_E_BAD_PARAM);
    n = io(0x60, 0);
    n.kind = DJ_CRD_MEM;
    assert_int_equal(iospace_insert(&is, 0x60, 0, &n), DJ_E_BAD_PARAM);
    assert_null(iospace_lookup(&is, IOSPACE_PORTS));
    /* All 65,536 ports as one node: 128 root entries, no bottom tables. */
    struct mdb_node all = io(0, IOSPACE_MAX_ORDER);
    assert_int_equal(iospace_insert(&is, 0, IOSPACE_MAX_ORDER, &all), DJ_OK);
    assert_int_equal(tp.live, 1);
    assert_ptr_equal(iospace_lookup(&is, 0), &all);
    assert_ptr_equal(iospace_lookup(&is, IOSPACE_PORTS - 1), &all);
    assert_null(iospace_lookup(&is, IOSPACE_PORTS)); /* no aliasing past the end */
    n = io(0xcf8, 2);
    assert_int_equal(iospace_insert(&is, 0xcf8, 2, &n), DJ_E_BUSY);
    iospace_destroy(&is); /* frees tables with a node still in place */
    assert_int_equal(tp.live, 0);
    assert_int_equal(tp.quota.used_pages, 0);
}

static void count_node(struct mdb_node *node, void *ctx)
{
    (void)node;
    (*(unsigned *)ctx)++;
}

static void port_iteration_and_quota(void **state)
{
    (void)state;
    struct test_pages tp;
    struct iospace is;
    test_pages_init(&tp, 2);
    iospace_init(&is, &tp.src);
    struct mdb_node a = io(0x20, 1), b = io(0xa0, 1), c = io(PORTS_PER_TABLE * 3, 0);
    assert_int_equal(iospace_insert(&is, 0x20, 1, &a), DJ_OK);
    assert_int_equal(iospace_insert(&is, 0xa0, 1, &b), DJ_OK);
    assert_int_equal(iospace_insert(&is, c.base, 0, &c), DJ_E_QUOTA); /* needs a third page */
    assert_int_equal(tp.live, 2);
    unsigned seen = 0;
    iospace_for_each(&is, 0, IOSPACE_PORTS, count_node, &seen);
    assert_int_equal(seen, 2);
    seen = 0;
    iospace_for_each(&is, 0x21, 0x80, count_node, &seen); /* 0x21..0xa0 */
    assert_int_equal(seen, 2);
    seen = 0;
    iospace_for_each(&is, 0x22, 0x7e, count_node, &seen); /* 0x22..0x9f: neither */
    assert_int_equal(seen, 0);
    iospace_destroy(&is);
    assert_int_equal(tp.live, 0);
}

static void next_finds_grants_in_port_order(void **state)
{
    (void)state;
    struct test_pages tp;
    struct iospace is;
    test_pages_init(&tp, 10);
    iospace_init(&is, &tp.src);
    struct mdb_node com1 = io(COM1_PORT, COM1_ORDER), last = io(IOSPACE_PORTS - 1, 0);
    assert_null(iospace_next(&is, 0));
    assert_int_equal(iospace_insert(&is, COM1_PORT, COM1_ORDER, &com1), DJ_OK);
    assert_int_equal(iospace_insert(&is, IOSPACE_PORTS - 1, 0, &last), DJ_OK);
    assert_ptr_equal(iospace_next(&is, 0), &com1);
    assert_ptr_equal(iospace_next(&is, COM1_PORT + 7), &com1);
    assert_ptr_equal(iospace_next(&is, COM1_PORT + 8), &last);
    assert_null(iospace_next(&is, IOSPACE_PORTS));
    assert_int_equal(iospace_remove(&is, COM1_PORT, COM1_ORDER), DJ_OK);
    assert_int_equal(iospace_remove(&is, IOSPACE_PORTS - 1, 0), DJ_OK);
    assert_null(iospace_next(&is, 0));
    assert_int_equal(tp.live, 0);
    iospace_destroy(&is);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ports_insert_lookup_remove),
        cmocka_unit_test(port_range_limits),
        cmocka_unit_test(port_iteration_and_quota),
        cmocka_unit_test(next_finds_grants_in_port_order),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
