// host-test-sources: servers/pci/pci_filter.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* What a driver may write into its function's configuration space: the
 * header's identity, BARs, ROM and pointers never; the command register
 * only in its four driver bits; capabilities and device registers yes;
 * extended configuration space never. Bad shapes refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "lib/pci.h"
#include "servers/pci/pci_filter.h"

static void test_filter_access_shapes(void **state)
{
    (void)state;
    assert_true(pci_access_ok(0, 4, 256));
    assert_true(pci_access_ok(0xfc, 4, 256));
    assert_true(pci_access_ok(0xff, 1, 256));
    assert_true(pci_access_ok(0xffc, 4, 4096));
    assert_false(pci_access_ok(0x100, 1, 256));
    assert_false(pci_access_ok(0xfe, 4, 256));
    assert_false(pci_access_ok(0x1000, 4, 4096));
    assert_false(pci_access_ok(2, 4, 256));
    assert_false(pci_access_ok(1, 2, 256));
    assert_false(pci_access_ok(0, 3, 256));
    assert_false(pci_access_ok(0, 0, 256));
    assert_false(pci_access_ok(0, 8, 256));
    assert_false(pci_access_ok(0xffffffffu, 1, 256));
    assert_false(pci_access_ok(0xfffffffcu, 4, 4096));
}

static enum dj_status w(unsigned off, unsigned width, uint32_t value, uint32_t current, uint32_t *out)
{
    return pci_filter_write(off, width, value, current, out);
}

static void test_filter_protected_header(void **state)
{
    (void)state;
    uint32_t out;
    /* Every byte of the header a driver must not write, at every width. */
    static const unsigned denied[] = {0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x0e, 0x0f, 0x10, 0x14, 0x18,
                                      0x1c, 0x20, 0x24, 0x27, 0x28, 0x2c, 0x2e, 0x30, 0x33, 0x34, 0x35, 0x38, 0x3d,
                                      0x3e, 0x3f};
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++) {
        unsigned off = denied[i];
        assert_int_equal(w(off, 1, 0, 0, &out), DJ_E_BAD_PARAM);
        assert_int_equal(w(off & ~1u, 2, 0, 0, &out), DJ_E_BAD_PARAM);
        assert_int_equal(w(off & ~3u, 4, 0, 0, &out), DJ_E_BAD_PARAM);
    }
}

static void test_filter_passed_registers(void **state)
{
    (void)state;
    uint32_t out = 0;
    assert_int_equal(w(0x06, 2, 0xf900, 0x0010, &out), DJ_OK); /* status: write-1-to-clear, passed as is */
    assert_int_equal(out, 0xf900);
    assert_int_equal(w(0x0c, 2, 0x4010, 0, &out), DJ_OK); /* cache line size and latency timer */
    assert_int_equal(out, 0x4010);
    assert_int_equal(w(0x3c, 1, 0x0b, 0, &out), DJ_OK); /* interrupt line */
    assert_int_equal(out, 0x0b);
    assert_int_equal(w(0x40, 4, 0xdeadbeef, 0, &out), DJ_OK);
    assert_int_equal(out, 0xdeadbeef);
    assert_int_equal(w(0xa2, 2, 0x8000, 0x0007, &out), DJ_OK); /* MSI-X enable in a capability */
    assert_int_equal(out, 0x8000);
    assert_int_equal(w(0xff, 1, 0x12, 0, &out), DJ_OK);
}

static void test_filter_command(void **state)
{
    (void)state;
    uint32_t out = 0;
    /* Driver bits change; SERR#, parity, memory-write-invalidate and the
     * rest keep what they were. */
    assert_int_equal(w(0x04, 2, 0xffff, 0x0000, &out), DJ_OK);
    assert_int_equal(out, DJ_PCI_CMD_IO | DJ_PCI_CMD_MEMORY | DJ_PCI_CMD_BUS_MASTER | DJ_PCI_CMD_INTX_DISABLE);
    assert_int_equal(w(0x04, 2, 0x0000, 0x0140, &out), DJ_OK);
    assert_int_equal(out, 0x0140);
    assert_int_equal(w(0x04, 2, 0x0006, 0x0103, &out), DJ_OK);
    assert_int_equal(out, 0x0106);
    assert_int_equal(w(0x04, 1, 0xff, 0x00, &out), DJ_OK);
    assert_int_equal(out, 0x07);
    assert_int_equal(w(0x05, 1, 0xff, 0x01, &out), DJ_OK);
    assert_int_equal(out, 0x05);
    /* Command and status together: status bytes pass unchanged. */
    assert_int_equal(w(0x04, 4, 0x80000404, 0x00100140, &out), DJ_OK);
    assert_int_equal(out, 0x80000544);
}

static void test_filter_shapes_and_values(void **state)
{
    (void)state;
    uint32_t out;
    assert_int_equal(w(0x3c, 1, 0x100, 0, &out), DJ_E_BAD_PARAM);
    assert_int_equal(w(0x40, 2, 0x10000, 0, &out), DJ_E_BAD_PARAM);
    assert_int_equal(w(0x40, 3, 0, 0, &out), DJ_E_BAD_PARAM);
    assert_int_equal(w(0x40, 0, 0, 0, &out), DJ_E_BAD_PARAM);
    assert_int_equal(w(0x40, 8, 0, 0, &out), DJ_E_BAD_PARAM);
}

static void test_filter_extended_space_read_only(void **state)
{
    (void)state;
    uint32_t out;
    assert_int_equal(w(0x100, 4, 0, 0, &out), DJ_E_BAD_PARAM);
    assert_int_equal(w(0x160, 2, 1, 0, &out), DJ_E_BAD_PARAM); /* an SR-IOV control word, say */
    assert_int_equal(w(0xffc, 4, 0, 0, &out), DJ_E_BAD_PARAM);
    assert_int_equal(w(0xfc, 4, 0, 0, &out), DJ_OK);
}

/* Random writes: what passes never changes a protected byte, and the
 * command register's other bits always keep their value. */
static void test_filter_random(void **state)
{
    (void)state;
    srand(99);
    for (int round = 0; round < 200000; round++) {
        unsigned width = 1u << (rand() % 3), off = (unsigned)(rand() % 0x140) & ~(width - 1);
        uint32_t value = (uint32_t)rand() ^ (uint32_t)rand() << 16, current = (uint32_t)rand() ^ (uint32_t)rand() << 16;
        if (width < 4)
            value &= (1u << (8 * width)) - 1, current &= (1u << (8 * width)) - 1;
        uint32_t out = 0;
        if (w(off, width, value, current, &out) != DJ_OK)
            continue;
        assert_true(off + width <= 0x100);
        for (unsigned k = 0; k < width; k++) {
            unsigned byte = off + k;
            uint8_t o = (uint8_t)(out >> (8 * k)), v = (uint8_t)(value >> (8 * k)), c = (uint8_t)(current >> (8 * k));
            assert_true(byte >= 0x40 || byte == 0x04 || byte == 0x05 || byte == 0x06 || byte == 0x07 ||
                        byte == 0x0c || byte == 0x0d || byte == 0x3c);
            if (byte == 0x04)
                assert_int_equal(o, (c & ~7u) | (v & 7u));
            else if (byte == 0x05)
                assert_int_equal(o, (c & ~4u) | (v & 4u));
            else
                assert_int_equal(o, v);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_access_shapes),
        cmocka_unit_test(test_filter_protected_header),
        cmocka_unit_test(test_filter_passed_registers),
        cmocka_unit_test(test_filter_command),
        cmocka_unit_test(test_filter_shapes_and_values),
        cmocka_unit_test(test_filter_extended_space_read_only),
        cmocka_unit_test(test_filter_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
