// host-test-sources: servers/pci/pci_bar.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* BAR decoding from the original value and the sizing probe: every kind
 * of BAR, and garbage probes (non-contiguous size bits, changed type
 * bits, misaligned bases, ranges past the end) refused, never guessed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/pci/pci_bar.h"

static struct dj_pci_bar bar;
static const char *why;

static enum pci_bar_kind dec(uint32_t orig, uint32_t probe)
{
    return pci_bar_decode(orig, probe, true, 0, 0, &bar, &why);
}

static enum pci_bar_kind dec64(uint32_t orig, uint32_t probe, uint32_t orig_hi, uint32_t probe_hi, bool has_hi)
{
    return pci_bar_decode(orig, probe, has_hi, orig_hi, probe_hi, &bar, &why);
}

static void expect_bad(enum pci_bar_kind k, const char *needle)
{
    assert_int_equal(k, PCI_BAR_BAD);
    if (!strstr(why, needle))
        fail_msg("reason '%s' does not mention '%s'", why, needle);
    assert_int_equal(bar.size, 0);
    assert_int_equal(bar.base, 0);
}

static void test_bar_none(void **state)
{
    (void)state;
    assert_int_equal(dec(0, 0), PCI_BAR_NONE);
    assert_int_equal(bar.size, 0);
    assert_int_equal(dec(0xfebc0000, 0), PCI_BAR_NONE); /* stale value, no size bits */
}

static void test_bar_memory32(void **state)
{
    (void)state;
    assert_int_equal(dec(0xfebc0000, 0xfffe0000), PCI_BAR_MEM32);
    assert_int_equal(bar.base, 0xfebc0000);
    assert_int_equal(bar.size, 0x20000);
    assert_int_equal(bar.flags, 0);
    assert_int_equal(dec(0xfd000008, 0xff000008), PCI_BAR_MEM32);
    assert_int_equal(bar.size, 0x1000000);
    assert_int_equal(bar.flags, DJ_PCI_BAR_PREFETCH);
    assert_int_equal(dec(0x000d0002, 0xfffff002), PCI_BAR_MEM32); /* below 1 MiB, legacy */
    assert_int_equal(bar.size, 0x1000);
    assert_int_equal(dec(0xfebd6010, 0xfffffff0), PCI_BAR_MEM32); /* 16 bytes */
    assert_int_equal(bar.size, 16);
    assert_int_equal(bar.base, 0xfebd6010);
}

static void test_bar_memory64(void **state)
{
    (void)state;
    assert_true(pci_bar_is_64(0xfe00000c));
    assert_false(pci_bar_is_64(0xfe000008));
    assert_false(pci_bar_is_64(0xc001));
    assert_int_equal(dec64(0xfe00000c, 0xffffc00c, 0, 0xffffffff, true), PCI_BAR_MEM64);
    assert_int_equal(bar.base, 0xfe000000);
    assert_int_equal(bar.size, 0x4000);
    assert_int_equal(bar.flags, DJ_PCI_BAR_64 | DJ_PCI_BAR_PREFETCH);
    /* Above 4 GiB, 8 GiB large: the low half's probe has no size bits. */
    assert_int_equal(dec64(0x00000004, 0x00000004, 0x4, 0xfffffffe, true), PCI_BAR_MEM64);
    assert_int_equal(bar.base, 0x400000000ull);
    assert_int_equal(bar.size, 0x200000000ull);
}

static void test_bar_io(void **state)
{
    (void)state;
    assert_int_equal(dec(0xc041, 0xffffffe1), PCI_BAR_IO);
    assert_int_equal(bar.base, 0xc040);
    assert_int_equal(bar.size, 0x20);
    assert_int_equal(bar.flags, DJ_PCI_BAR_IO);
    assert_int_equal(dec(0xc041, 0x0000ffe1), PCI_BAR_IO); /* a 16-bit decoder */
    assert_int_equal(bar.size, 0x20);
    assert_int_equal(dec(0x3f9, 0xfffffffd), PCI_BAR_IO); /* 4 ports; bit 1 reserved, ignored */
    assert_int_equal(bar.size, 4);
    assert_int_equal(bar.base, 0x3f8);
}

static void test_bar_garbage_refused(void **state)
{
    (void)state;
    expect_bad(dec(0xfebc0000, 0xff0f0000), "not contiguous");
    expect_bad(dec(0xfebc0000, 0x7ffe0000), "not contiguous");
    expect_bad(dec(0xfebc0000, 0xfffe0008), "type bits");   /* prefetch appeared */
    expect_bad(dec(0xfebc0000, 0xfffe0001), "type bits");   /* became I/O */
    expect_bad(dec(0xfebc0006, 0xfffe0006), "reserved memory type");
    expect_bad(dec(0xfebc1000, 0xfffe0000), "not aligned");
    expect_bad(dec64(0xfe00000c, 0xffffc00c, 0, 0, false), "last slot");
    expect_bad(dec64(0xfe00000c, 0x0000000c, 0, 0, true), "without size bits");
    expect_bad(dec64(0xffffc00c, 0xffffc00c, 0xffffffff, 0xffffffff, true), "wraps around");
    expect_bad(dec64(0xfe00200c, 0xffffc00c, 0x1, 0xffffffff, true), "not aligned");
    expect_bad(dec64(0x0000000c, 0x0000000c, 0x0, 0x80000001, true), "not contiguous");
    expect_bad(dec(0xc041, 0xfffffff0), "changed the I/O space bit");
    expect_bad(dec(0xc041, 0x00000001), "without size bits");
    expect_bad(dec(0xc041, 0xffef00e1), "not contiguous");
    expect_bad(dec(0xc051, 0xffffffe1), "not aligned");
    expect_bad(dec(0x10001, 0xfffff001), "beyond port 0xffff");
}

/* Random BAR values and probes: whatever is accepted is a naturally
 * aligned power of two that fits its space. */
static void test_bar_random(void **state)
{
    (void)state;
    srand(4711);
    for (int round = 0; round < 200000; round++) {
        uint32_t orig = (uint32_t)rand() ^ (uint32_t)rand() << 16, probe = (uint32_t)rand() ^ (uint32_t)rand() << 16;
        uint32_t orig_hi = rand() % 4 ? 0 : (uint32_t)rand(), probe_hi = rand() % 2 ? 0xffffffff : (uint32_t)rand();
        if (rand() % 2)
            probe = (probe & ~0xfu) | (orig & 0xf);
        enum pci_bar_kind k = pci_bar_decode(orig, probe, rand() % 2, orig_hi, probe_hi, &bar, &why);
        if (k == PCI_BAR_NONE || k == PCI_BAR_BAD) {
            assert_int_equal(bar.size, 0);
            assert_true(k == PCI_BAR_NONE || strlen(why) > 0);
            continue;
        }
        assert_true(bar.size && !(bar.size & (bar.size - 1)));
        assert_int_equal(bar.base & (bar.size - 1), 0);
        assert_true(bar.base + bar.size > bar.base);
        if (k == PCI_BAR_IO)
            assert_true(bar.base + bar.size <= 0x10000 && bar.size >= 4);
        else
            assert_true(bar.size >= 16);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bar_none),
        cmocka_unit_test(test_bar_memory32),
        cmocka_unit_test(test_bar_memory64),
        cmocka_unit_test(test_bar_io),
        cmocka_unit_test(test_bar_garbage_refused),
        cmocka_unit_test(test_bar_random),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
