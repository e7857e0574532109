// host-test-sources: servers/pci/pci_caps.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI server's capability walk over lying configuration spaces:
 * loops of every length, pointers into the header, reserved pointer
 * bits, a list that fills all of configuration space, random bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "test_pci_fake.h"
#include "servers/pci/pci_caps.h"

static struct fake_pci pci;
static struct pci_cfg cfg;
static struct fake_func *fn;

static void fresh(void)
{
    memset(&pci, 0, sizeof(pci));
    cfg = fake_cfg(&pci, PCI_CFG_SIZE_LEGACY);
    fn = fake_add(&pci, 0, 1, 0, 0x8086, 0x10d3, PCI_HEADER_NORMAL);
}

struct seen {
    unsigned n;
    uint8_t id[64];
    unsigned offset[64];
};

static bool collect(void *ctx, uint8_t id, unsigned offset)
{
    struct seen *s = ctx;
    assert_true(offset >= PCI_HEADER_END && offset < PCI_CFG_SIZE_LEGACY && offset % 4 == 0);
    if (s->n < 64) {
        s->id[s->n] = id;
        s->offset[s->n] = offset;
    }
    s->n++;
    return false;
}

static void test_caps_well_formed(void **state)
{
    (void)state;
    fresh();
    fake_cap(fn, 0x40, PCI_CAP_ID_PM, 0x50);
    fake_cap(fn, 0x50, 0x05, 0xa0);
    fake_cap(fn, 0xa0, 0x11, 0xe0);
    fake_cap(fn, 0xe0, PCI_CAP_ID_PCIE, 0);
    struct seen s = {0};
    assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, collect, &s), PCI_CAPS_OK);
    assert_int_equal(s.n, 4);
    assert_int_equal(s.offset[2], 0xa0);
    assert_int_equal(s.id[3], PCI_CAP_ID_PCIE);
    assert_int_equal(pci_cap_find(&cfg, fn->bdf, PCI_HEADER_NORMAL, 0x11), 0xa0);
    assert_int_equal(pci_cap_find(&cfg, fn->bdf, PCI_HEADER_NORMAL, 0x09), 0);
}

static void test_caps_status_bit_off(void **state)
{
    (void)state;
    fresh();
    fake_cap(fn, 0x40, 0x05, 0);
    fn->bytes[PCI_REG_STATUS] &= (uint8_t)~PCI_STATUS_CAP_LIST;
    assert_int_equal(pci_cap_find(&cfg, fn->bdf, PCI_HEADER_NORMAL, 0x05), 0);
}

static void test_caps_reserved_pointer_bits_masked(void **state)
{
    (void)state;
    fresh();
    fake_cap(fn, 0x40, PCI_CAP_ID_PM, 0x53); /* 0x53: the low bits are reserved, 0x50 meant */
    fake_cap(fn, 0x50, 0x05, 0x02);         /* 0x02 masks to 0: the end */
    fn->bytes[PCI_REG_CAP_PTR] = 0x43;
    struct seen s = {0};
    assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, collect, &s), PCI_CAPS_OK);
    assert_int_equal(s.n, 2);
    assert_int_equal(s.offset[1], 0x50);
}

static void test_caps_loops(void **state)
{
    (void)state;
    /* A capability pointing at itself, and loops back to each earlier one. */
    for (unsigned back = 0; back < 4; back++) {
        fresh();
        static const unsigned at[] = {0x40, 0x60, 0x80, 0xfc};
        for (unsigned i = 0; i < 4; i++)
            fake_cap(fn, at[i], (uint8_t)(0x20 + i), i < 3 ? at[i + 1] : at[back]);
        struct seen s = {0};
        assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, collect, &s), PCI_CAPS_LOOP);
        assert_int_equal(s.n, 4);
    }
    fresh();
    fake_cap(fn, 0x40, 0x05, 0x40);
    assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, collect, &(struct seen){0}), PCI_CAPS_LOOP);
    assert_int_equal(pci_cap_find(&cfg, fn->bdf, PCI_HEADER_NORMAL, 0x11), 0);
}

static void test_caps_pointer_into_header(void **state)
{
    (void)state;
    static const uint8_t bad[] = {0x04, 0x10, 0x34, 0x3c};
    for (size_t i = 0; i < sizeof(bad); i++) {
        fresh();
        fake_cap(fn, 0x40, 0x05, bad[i]);
        struct seen s = {0};
        assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, collect, &s), PCI_CAPS_BAD_POINTER);
        assert_int_equal(s.n, 1);
        fresh();
        fn->bytes[PCI_REG_STATUS] |= PCI_STATUS_CAP_LIST;
        fn->bytes[PCI_REG_CAP_PTR] = bad[i];
        assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, collect, &(struct seen){0}),
                         PCI_CAPS_BAD_POINTER);
    }
}

/* Every dword from 0x40 to 0xfc a capability: 48 entries, the most that
 * fit, and a walk that still ends. */
static void test_caps_fill_all_space(void **state)
{
    (void)state;
    fresh();
    for (unsigned off = 0x40; off < 0x100; off += 4)
        fake_cap(fn, off, 0x09, off + 4 < 0x100 ? off + 4 : 0);
    struct seen s = {0};
    assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, collect, &s), PCI_CAPS_OK);
    assert_int_equal(s.n, 48);
    fn->bytes[0xfd] = 0x40; /* and the same as one long loop */
    assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, collect, &(struct seen){0}), PCI_CAPS_LOOP);
}

static void test_caps_cardbus_pointer(void **state)
{
    (void)state;
    fresh();
    fn->bytes[PCI_REG_STATUS] |= PCI_STATUS_CAP_LIST;
    fn->bytes[PCI_REG_CARDBUS_CAP_PTR] = 0x80;
    fn->bytes[0x80] = 0x05;
    assert_int_equal(pci_cap_find(&cfg, fn->bdf, PCI_HEADER_CARDBUS, 0x05), 0x80);
    assert_int_equal(pci_cap_find(&cfg, fn->bdf, PCI_HEADER_NORMAL, 0x05), 0);
}

static bool stop_at_second(void *ctx, uint8_t id, unsigned offset)
{
    (void)id;
    (void)offset;
    return ++*(unsigned *)ctx == 2;
}

static void test_caps_visitor_stops(void **state)
{
    (void)state;
    fresh();
    fake_cap(fn, 0x40, 1, 0x48);
    fake_cap(fn, 0x48, 2, 0x50);
    fake_cap(fn, 0x50, 3, 0);
    unsigned n = 0;
    assert_int_equal(pci_caps_walk(&cfg, fn->bdf, PCI_HEADER_NORMAL, stop_at_second, &n), PCI_CAPS_STOPPED);
    assert_int_equal(n, 2);
}

/* Random configuration bytes: every walk ends, visits each dword at most
 * once and never reads outside the 256 bytes. */
static void test_caps_random(void **state)
{
    (void)state;
    srand(77);
    for (int round = 0; round < 20000; round++) {
        fresh();
        for (unsigned i = 0; i < PCI_CFG_SIZE_LEGACY; i++)
            fn->bytes[i] = (uint8_t)rand();
        fn->bytes[PCI_REG_STATUS] |= PCI_STATUS_CAP_LIST;
        struct seen s = {0};
        pci.reads = 0;
        enum pci_caps_result r = pci_caps_walk(&cfg, fn->bdf, (unsigned)(rand() % 3), collect, &s);
        assert_true(r == PCI_CAPS_OK || r == PCI_CAPS_LOOP || r == PCI_CAPS_BAD_POINTER);
        assert_true(s.n <= 48);
        assert_true(pci.reads <= 2 + 2 * 48 + 2);
        for (unsigned i = 0; i < s.n && i < 64; i++)
            for (unsigned j = 0; j < i; j++)
                assert_int_not_equal(s.offset[i], s.offset[j]);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_caps_well_formed),
        cmocka_unit_test(test_caps_status_bit_off),
        cmocka_unit_test(test_caps_reserved_pointer_bits_masked),
        cmocka_unit_test(test_caps_loops),
        cmocka_unit_test(test_caps_pointer_into_header),
        cmocka_unit_test(test_caps_fill_all_space),
        cmocka_unit_test(test_caps_cardbus_pointer),
        cmocka_unit_test(test_caps_visitor_stops),
        cmocka_unit_test(test_caps_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
