// host-test-sources: servers/pci/pci_scan.c servers/pci/pci_bar.c servers/pci/pci_caps.c servers/pci/pci_select.c servers/pci/pci_claims.c servers/pci/pci_reset.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI server's enumeration, device selection, ownership and resets
 * over fake configuration spaces: a normal topology, bridges that loop or
 * point nowhere, too many functions, lying BARs and capability lists,
 * random bytes; selectors and claims as init sends them (and as a broken
 * init could); FLR and quiescing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>
#include "test_pci_fake.h"
#include "servers/pci/pci_claims.h"
#include "servers/pci/pci_reset.h"
#include "servers/pci/pci_select.h"

static struct fake_pci pci;
static struct pci_cfg cfg;
static struct pci_scan scan;
static unsigned warnings;
static char last_warning[PCI_WARN_MAX];

static void on_warn(void *ctx, const char *line)
{
    (void)ctx;
    assert_true(strlen(line) > 0 && strlen(line) < PCI_WARN_MAX);
    snprintf(last_warning, sizeof(last_warning), "%s", line);
    warnings++;
}

static const struct pci_report report = {on_warn, NULL};

static void fresh(void)
{
    memset(&pci, 0, sizeof(pci));
    cfg = fake_cfg(&pci, PCI_CFG_SIZE_ECAM);
    warnings = 0;
    last_warning[0] = '\0';
}

static void run_scan(void)
{
    pci_scan(&cfg, &scan, &report);
}

static struct fake_func *bridge(unsigned bus, unsigned dev, unsigned secondary)
{
    struct fake_func *b = fake_add(&pci, bus, dev, 0, 0x1b36, 0x000c, PCI_HEADER_BRIDGE);
    b->bytes[PCI_REG_SECONDARY_BUS] = (uint8_t)secondary;
    return b;
}

static const struct pci_func *by_bdf(uint16_t bdf)
{
    for (unsigned i = 0; i < scan.count; i++)
        if (scan.func[i].bdf == bdf)
            return &scan.func[i];
    return NULL;
}

/* A q35-like machine with a bridge chain and a multi-function device. */
static struct fake_func *nic;

static void build_machine(void)
{
    fresh();
    fake_add(&pci, 0, 0, 0, 0x8086, 0x29c0, PCI_HEADER_NORMAL);
    nic = fake_add(&pci, 0, 2, 0, 0x8086, 0x10d3, PCI_HEADER_NORMAL);
    fake_bar(nic, 0, 0, 0xfeb80000, 0x20000);
    fake_bar(nic, 2, PCI_BAR_SPACE_IO, 0xc060, 0x20);
    fake_bar(nic, 4, 0xc, 0x800000000ull, 0x4000);
    fake_put(nic, PCI_REG_COMMAND, 2, 0x0007);
    fake_cap(nic, 0x40, PCI_CAP_ID_PM, 0x50);
    fake_cap(nic, 0x50, DJ_PCI_CAP_MSI, 0x70);
    fake_cap(nic, 0x70, DJ_PCI_CAP_MSIX, 0xe0);
    fake_cap(nic, 0xe0, PCI_CAP_ID_PCIE, 0);
    fake_put(nic, 0xe0 + PCIE_DEVCAP, 4, PCIE_DEVCAP_FLR);
    bridge(0, 3, 1);
    fake_add(&pci, 1, 0, 0, 0x1af4, 0x1041, PCI_HEADER_NORMAL);
    bridge(1, 1, 2);
    fake_add(&pci, 2, 0, 0, 0x1af4, 0x1041, PCI_HEADER_NORMAL);
    fake_add(&pci, 0, 0x1f, 0, 0x8086, 0x2918, PCI_HEADER_NORMAL | PCI_HEADER_MULTI_FUNCTION);
    fake_add(&pci, 0, 0x1f, 2, 0x8086, 0x2922, PCI_HEADER_NORMAL);
    fake_add(&pci, 0, 0x1f, 3, 0x8086, 0x2930, PCI_HEADER_NORMAL);
}

static void test_scan_topology(void **state)
{
    (void)state;
    build_machine();
    uint32_t bar0 = fake_get(nic, PCI_REG_BAR0, 4), bar4 = fake_get(nic, PCI_REG_BAR0 + 16, 4);
    run_scan();
    assert_int_equal(warnings, 0);
    assert_int_equal(scan.count, 9);
    assert_int_equal(scan.buses, 3);
    for (unsigned i = 1; i < scan.count; i++)
        assert_true(scan.func[i - 1].bdf < scan.func[i].bdf); /* address order */
    const struct pci_func *f = by_bdf(PCI_BDF(0, 2, 0));
    assert_non_null(f);
    assert_int_equal(f->vendor, 0x8086);
    assert_int_equal(f->device, 0x10d3);
    assert_int_equal(f->bar[0].base, 0xfeb80000);
    assert_int_equal(f->bar[0].size, 0x20000);
    assert_int_equal(f->bar[1].size, 0);
    assert_int_equal(f->bar[2].flags, DJ_PCI_BAR_IO);
    assert_int_equal(f->bar[2].base, 0xc060);
    assert_int_equal(f->bar[4].base, 0x800000000ull);
    assert_int_equal(f->bar[4].flags, DJ_PCI_BAR_64 | DJ_PCI_BAR_PREFETCH);
    assert_int_equal(f->bar[5].size, 0);
    assert_int_equal(f->cap_msi, 0x50);
    assert_int_equal(f->cap_msix, 0x70);
    assert_int_equal(f->cap_pcie, 0xe0);
    assert_int_equal(f->cap_pm, 0x40);
    assert_true(f->flr);
    assert_false(f->caps_bad);
    /* Sizing left the BARs and the command register as they were. */
    assert_int_equal(fake_get(nic, PCI_REG_BAR0, 4), bar0);
    assert_int_equal(fake_get(nic, PCI_REG_BAR0 + 16, 4), bar4);
    assert_int_equal(fake_get(nic, PCI_REG_COMMAND, 2), 0x0007);
    assert_non_null(by_bdf(PCI_BDF(2, 0, 0)));
    assert_non_null(by_bdf(PCI_BDF(0, 0x1f, 3)));
    assert_int_equal(by_bdf(PCI_BDF(0, 3, 0))->header_type, PCI_HEADER_BRIDGE);
}

/* Bridges pointing back at their own bus, at bus 0, at a bus another
 * bridge leads to, or at nothing: every bus walked once. */
static void test_scan_bridge_loops(void **state)
{
    (void)state;
    fresh();
    fake_add(&pci, 0, 0, 0, 0x8086, 0x29c0, PCI_HEADER_NORMAL);
    bridge(0, 1, 1);
    bridge(0, 2, 1);
    bridge(0, 4, 0); /* no secondary bus: reported */
    bridge(1, 0, 1);
    bridge(1, 1, 0x20);
    fake_add(&pci, 0x20, 0, 0, 0x1af4, 0x1041, PCI_HEADER_NORMAL);
    bridge(0x20, 1, 1);
    bridge(0x20, 2, 0x20);
    run_scan();
    assert_int_equal(scan.buses, 3);
    assert_int_equal(scan.count, 9);
    assert_int_equal(warnings, 1);
    assert_non_null(strstr(last_warning, "00:04.0"));
    assert_non_null(strstr(last_warning, "secondary"));
    for (unsigned i = 0; i < scan.count; i++)
        for (unsigned j = 0; j < i; j++)
            assert_int_not_equal(scan.func[i].bdf, scan.func[j].bdf);
}

static void test_scan_functions(void **state)
{
    (void)state;
    fresh();
    /* Function 0 absent: the device is absent, whatever function 1 says. */
    fake_add(&pci, 0, 5, 1, 0x1234, 0x0001, PCI_HEADER_NORMAL);
    /* Not multi-function: function 1 is not looked at. */
    fake_add(&pci, 0, 6, 0, 0x1234, 0x0002, PCI_HEADER_NORMAL);
    fake_add(&pci, 0, 6, 1, 0x1234, 0x0003, PCI_HEADER_NORMAL);
    /* Vendor 0 reads as absent too. */
    fake_add(&pci, 0, 7, 0, 0x0000, 0x0004, PCI_HEADER_NORMAL);
    run_scan();
    assert_int_equal(scan.count, 1);
    assert_int_equal(scan.func[0].device, 0x0002);
}

static void test_scan_too_many(void **state)
{
    (void)state;
    fresh();
    for (unsigned dev = 0; dev < 10; dev++)
        for (unsigned fn = 0; fn < 8; fn++)
            fake_add(&pci, 0, dev, fn, 0x1234, (uint16_t)(dev << 3 | fn),
                     (uint8_t)(PCI_HEADER_NORMAL | (fn == 0 ? PCI_HEADER_MULTI_FUNCTION : 0)));
    run_scan();
    assert_int_equal(scan.count, PCI_MAX_FUNCS);
    assert_int_equal(scan.left_out, 80 - PCI_MAX_FUNCS);
}

static void test_scan_lying_function(void **state)
{
    (void)state;
    fresh();
    struct fake_func *f = fake_add(&pci, 0, 1, 0, 0x1234, 0x5678, PCI_HEADER_NORMAL);
    fake_bar(f, 0, 0, 0xfe000000, 0x1000);
    fake_wmask(f, PCI_REG_BAR0, 4, 0xff0f0000);  /* size bits with a hole */
    fake_bar(f, 5, 0xc, 0xfd000000, 0x1000);     /* a 64-bit BAR in the last slot */
    fake_cap(f, 0x40, DJ_PCI_CAP_MSI, 0x48);
    fake_cap(f, 0x48, DJ_PCI_CAP_MSIX, 0x40);    /* a loop */
    run_scan();
    assert_int_equal(scan.count, 1);
    const struct pci_func *s = &scan.func[0];
    assert_int_equal(s->bar[0].size, 0);
    assert_int_equal(s->bar[5].size, 0);
    assert_true(s->caps_bad);
    assert_int_equal(s->cap_msi, 0x40); /* what came before the loop still counts */
    assert_int_equal(warnings, 3);
}

/* Random configuration spaces behind random bridges: never a crash, a
 * read outside a function or a function listed twice. */
static void test_scan_random(void **state)
{
    (void)state;
    srand(1234);
    for (int round = 0; round < 300; round++) {
        fresh();
        unsigned n = 1 + (unsigned)(rand() % 20);
        for (unsigned i = 0; i < n; i++) {
            unsigned bus = (unsigned)(i == 0 ? 0 : rand() % 4), dev = (unsigned)(rand() % 32),
                     fn = (unsigned)(rand() % 8);
            if (fake_find(&pci, PCI_BDF(bus, dev, fn)))
                continue;
            struct fake_func *f = fake_add(&pci, bus, dev, fn, (uint16_t)rand(), (uint16_t)rand(), 0);
            for (unsigned b = 0; b < PCI_CFG_SIZE_LEGACY; b++) {
                f->bytes[b] = (uint8_t)rand();
                f->wmask[b] = (uint8_t)rand();
            }
            f->bytes[PCI_REG_SECONDARY_BUS] = (uint8_t)(rand() % 5);
        }
        run_scan();
        assert_true(scan.count <= PCI_MAX_FUNCS && scan.buses <= PCI_BUSES);
        for (unsigned i = 0; i < scan.count; i++) {
            for (unsigned j = 0; j < i; j++)
                assert_int_not_equal(scan.func[i].bdf, scan.func[j].bdf);
            for (unsigned b = 0; b < DJ_PCI_BARS; b++) {
                const struct dj_pci_bar *bar = &scan.func[i].bar[b];
                assert_true(bar->size == 0 || (bar->base & (bar->size - 1)) == 0);
            }
        }
    }
}

static void test_select(void **state)
{
    (void)state;
    build_machine();
    run_scan();
    assert_int_equal(scan.func[pci_select(&scan, DJ_PCI_SEL_ID(0x8086, 0x10d3, 0))].bdf, PCI_BDF(0, 2, 0));
    assert_int_equal(scan.func[pci_select(&scan, DJ_PCI_SEL_ID(0x1af4, 0x1041, 0))].bdf, PCI_BDF(1, 0, 0));
    assert_int_equal(scan.func[pci_select(&scan, DJ_PCI_SEL_ID(0x1af4, 0x1041, 1))].bdf, PCI_BDF(2, 0, 0));
    assert_int_equal(pci_select(&scan, DJ_PCI_SEL_ID(0x1af4, 0x1041, 2)), -1);
    assert_int_equal(pci_select(&scan, DJ_PCI_SEL_ID(0x1af4, 0x1000, 0)), -1);
    assert_int_equal(scan.func[pci_select(&scan, DJ_PCI_SEL_BDF(0, 0, 0x1f, 2))].device, 0x2922);
    assert_int_equal(pci_select(&scan, DJ_PCI_SEL_BDF(0, 0, 0x1f, 4)), -1);
    assert_int_equal(pci_select(&scan, DJ_PCI_SEL_BDF(1, 0, 2, 0)), -1);      /* another segment */
    assert_int_equal(pci_select(&scan, DJ_PCI_SEL_BDF(0, 0, 2, 0) | 1ull << 40), -1); /* stray bits */
    assert_int_equal(pci_select(&scan, 0), -1);
    assert_int_equal(pci_select(&scan, 3ull << 60 | PCI_BDF(0, 2, 0)), -1);
    assert_int_equal(pci_select(&scan, ~0ull), -1);
    char text[40];
    pci_select_text(DJ_PCI_SEL_ID(0x8086, 0x10d3, 1), text, sizeof(text));
    assert_string_equal(text, "8086:10d3#1");
    pci_select_text(DJ_PCI_SEL_BDF(0, 0x12, 0x1f, 7), text, sizeof(text));
    assert_string_equal(text, "12:1f.7");
    pci_select_text(~0ull, text, sizeof(text));
    assert_string_equal(text, "selector 0xffffffffffffffff");
}

/* A selector list as init sends it: the alternatives, then 0. */
static uint64_t e1000e_sel(void)
{
    return DJ_PCI_SEL_ID(0x8086, 0x10d3, 0);
}

#define SELS(...) ((const uint64_t[PCI_SEL_ALTS]){__VA_ARGS__})

/* The test machine scanned, no claims but the e1000e's for badge (as init
 * sends pci=8086:10d3), which must be given: the NIC's index. */
static int nic_claimed(struct pci_claims *c, uint64_t badge, struct pci_claim_outcome *out)
{
    build_machine();
    run_scan();
    pci_claims_init(c);
    int nic_index = pci_select(&scan, e1000e_sel());
    assert_int_equal(pci_claim(c, &scan, badge, SELS(e1000e_sel()), out), PCI_CLAIM_GIVEN);
    assert_int_equal(out->dev, nic_index);
    return nic_index;
}

static void test_claims(void **state)
{
    (void)state;
    struct pci_claims c;
    struct pci_claim_outcome out;
    uint64_t e1000e = e1000e_sel(), virtio = DJ_PCI_SEL_BDF(0, 1, 0, 0);
    int nic_index = nic_claimed(&c, 3, &out);
    assert_int_equal(out.alt, 0);
    assert_int_equal(out.released, PCI_NO_DEVICE);
    assert_int_equal(pci_device_of(&c, 3), nic_index);
    /* The same device for another badge, by another selector: refused. */
    assert_int_equal(pci_claim(&c, &scan, 4, SELS(DJ_PCI_SEL_BDF(0, 0, 2, 0)), &out), PCI_CLAIM_TAKEN);
    assert_int_equal(out.holder, 3);
    assert_int_equal(out.dev, nic_index);
    assert_int_equal(pci_device_of(&c, 4), PCI_NO_DEVICE);
    /* Announced again (a restart): released, then given again. */
    assert_int_equal(pci_claim(&c, &scan, 3, SELS(e1000e), &out), PCI_CLAIM_GIVEN);
    assert_int_equal(out.released, nic_index);
    assert_int_equal(out.dev, nic_index);
    /* Another device: the old one is free for others. */
    assert_int_equal(pci_claim(&c, &scan, 3, SELS(virtio), &out), PCI_CLAIM_GIVEN);
    assert_int_equal(out.released, nic_index);
    assert_int_equal(pci_claim(&c, &scan, 4, SELS(e1000e), &out), PCI_CLAIM_GIVEN);
    /* No device, no match, a bridge, bad badges. */
    assert_int_equal(pci_claim(&c, &scan, 4, SELS(0), &out), PCI_CLAIM_NONE);
    assert_int_equal(out.released, nic_index);
    assert_int_equal(out.dev, PCI_NO_DEVICE);
    assert_int_equal(pci_device_of(&c, 4), PCI_NO_DEVICE);
    assert_int_equal(pci_claim(&c, &scan, 5, SELS(DJ_PCI_SEL_ID(0xabcd, 1, 0)), &out), PCI_CLAIM_NO_MATCH);
    assert_int_equal(pci_claim(&c, &scan, 5, SELS(DJ_PCI_SEL_BDF(0, 0, 3, 0)), &out), PCI_CLAIM_NOT_ENDPOINT);
    assert_int_equal(pci_device_of(&c, 5), PCI_NO_DEVICE);
    assert_int_equal(pci_claim(&c, &scan, 0, SELS(e1000e), &out), PCI_CLAIM_BAD_BADGE);
    assert_int_equal(pci_claim(&c, &scan, PCI_MAX_CLIENTS + 1, SELS(e1000e), &out), PCI_CLAIM_BAD_BADGE);
    assert_int_equal(pci_claim(&c, &scan, ~0ull, SELS(e1000e), &out), PCI_CLAIM_BAD_BADGE);
    assert_int_equal(pci_device_of(&c, 0), PCI_NO_DEVICE);
    assert_int_equal(pci_device_of(&c, ~0ull), PCI_NO_DEVICE);
}

/* pci=1af4:1041|1af4:1000 and friends: the first alternative, in the
 * order written, naming a present function no other badge owns. */
static void test_claims_alternatives(void **state)
{
    (void)state;
    build_machine(); /* two 1af4:1041 (01:00.0, 02:00.0), no 1af4:1000 */
    fake_add(&pci, 0, 4, 0, 0x1af4, 0x1000, PCI_HEADER_NORMAL);
    run_scan();
    struct pci_claims c;
    pci_claims_init(&c);
    struct pci_claim_outcome out;
    uint64_t modern = DJ_PCI_SEL_ID(0x1af4, 0x1041, 0), modern1 = DJ_PCI_SEL_ID(0x1af4, 0x1041, 1),
             transitional = DJ_PCI_SEL_ID(0x1af4, 0x1000, 0), absent = DJ_PCI_SEL_ID(0x1af4, 0x1042, 0);
    int m0 = pci_select(&scan, modern), m1 = pci_select(&scan, modern1), t = pci_select(&scan, transitional);
    assert_true(m0 >= 0 && m1 >= 0 && t >= 0);
    /* The first that matches wins, even when a later one is free too. */
    assert_int_equal(pci_claim(&c, &scan, 1, SELS(modern, transitional), &out), PCI_CLAIM_GIVEN);
    assert_int_equal(out.dev, m0);
    assert_int_equal(out.alt, 0);
    /* One that matches nothing is passed over. */
    assert_int_equal(pci_claim(&c, &scan, 2, SELS(absent, transitional, modern1), &out), PCI_CLAIM_GIVEN);
    assert_int_equal(out.dev, t);
    assert_int_equal(out.alt, 1);
    /* One another badge owns is passed over; #K counts every function of
     * the id, owned or not: modern#0 stays 01:00.0, modern#1 is 02:00.0. */
    assert_int_equal(pci_claim(&c, &scan, 3, SELS(modern, transitional, modern1), &out), PCI_CLAIM_GIVEN);
    assert_int_equal(out.dev, m1);
    assert_int_equal(out.alt, 2);
    /* All taken: refused, naming the first alternative's owner; nothing given. */
    assert_int_equal(pci_claim(&c, &scan, 4, SELS(absent, transitional, modern), &out), PCI_CLAIM_TAKEN);
    assert_int_equal(out.dev, t);
    assert_int_equal(out.alt, 1);
    assert_int_equal(out.holder, 2);
    assert_int_equal(pci_device_of(&c, 4), PCI_NO_DEVICE);
    /* Nothing matches at all: accepted without a device. */
    assert_int_equal(pci_claim(&c, &scan, 4, SELS(absent, DJ_PCI_SEL_BDF(0, 9, 0, 0)), &out), PCI_CLAIM_NO_MATCH);
    assert_int_equal(out.dev, PCI_NO_DEVICE);
    assert_int_equal(out.alt, -1);
    /* A restart: the badge's own device is released first, so its first
     * alternative is free again for it. */
    assert_int_equal(pci_claim(&c, &scan, 1, SELS(modern, transitional), &out), PCI_CLAIM_GIVEN);
    assert_int_equal(out.released, m0);
    assert_int_equal(out.dev, m0);
    /* Two alternatives naming one function (by id and by address). */
    assert_int_equal(pci_claim(&c, &scan, 1, SELS(DJ_PCI_SEL_BDF(0, 1, 0, 0), modern), &out), PCI_CLAIM_GIVEN);
    assert_int_equal(out.dev, m0);
    assert_int_equal(out.alt, 0);
    /* The first free match is a bridge: refused, not passed over. */
    assert_int_equal(pci_claim(&c, &scan, 5, SELS(absent, DJ_PCI_SEL_BDF(0, 0, 3, 0), transitional), &out),
                     PCI_CLAIM_NOT_ENDPOINT);
    assert_int_equal(out.alt, 1);
    assert_int_equal(pci_device_of(&c, 5), PCI_NO_DEVICE);
    /* Malformed selectors among the alternatives match nothing. */
    uint64_t stray_bits = DJ_PCI_SEL_BDF(0, 0, 2, 0) | 1ull << 40;
    assert_int_equal(pci_claim(&c, &scan, 5, SELS(~0ull, 3ull << 60, stray_bits, e1000e_sel()), &out),
                     PCI_CLAIM_GIVEN);
    assert_int_equal(out.alt, 3);
}

/* Lists init never sends (a broken or hostile init): refused as a whole,
 * and the badge keeps what it had. */
static void test_claims_bad_lists(void **state)
{
    (void)state;
    struct pci_claims c;
    struct pci_claim_outcome out;
    uint64_t modern = DJ_PCI_SEL_ID(0x1af4, 0x1041, 0);
    int nic_index = nic_claimed(&c, 7, &out);
    static const uint64_t bad[][PCI_SEL_ALTS] = {
        {0, DJ_PCI_SEL_ID(0x8086, 0x10d3, 0)},          /* a hole first */
        {DJ_PCI_SEL_ID(0x1af4, 0x1041, 0), 0, DJ_PCI_SEL_ID(0x1af4, 0x1041, 1)}, /* a hole */
        {DJ_PCI_SEL_ID(0x1af4, 0x1041, 0), 0, 0, ~0ull}, /* garbage after the end */
        {DJ_PCI_SEL_ID(0x1af4, 0x1041, 0), DJ_PCI_SEL_ID(0x1af4, 0x1041, 0)}, /* twice */
        {1, 2, 3, 1},                                   /* twice, malformed */
        {~0ull, ~0ull, ~0ull, ~0ull},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(pci_select_list_ok(bad[i]));
        assert_int_equal(pci_claim(&c, &scan, 7, bad[i], &out), PCI_CLAIM_BAD_LIST);
        assert_int_equal(out.released, PCI_NO_DEVICE);
        assert_int_equal(out.dev, PCI_NO_DEVICE);
        assert_int_equal(pci_device_of(&c, 7), nic_index);
        assert_int_equal(pci_claim(&c, &scan, 8, bad[i], &out), PCI_CLAIM_BAD_LIST);
        assert_int_equal(pci_device_of(&c, 8), PCI_NO_DEVICE);
    }
    /* Well-formed: all 0, one, four distinct (malformed selectors too). */
    assert_true(pci_select_list_ok(SELS(0)));
    assert_true(pci_select_list_ok(SELS(modern)));
    assert_true(pci_select_list_ok(SELS(1, 2, 3, 4)));
    assert_int_equal(pci_select_list_count(SELS(1, 2, 3, 4)), 4);
    assert_int_equal(pci_select_list_count(SELS(modern)), 1);
    assert_int_equal(pci_select_list_count(SELS(0)), 0);
    /* Random lists: never a crash; a badge ends with a device only when
     * the list was well-formed, and never with another badge's. */
    srand(99);
    for (int round = 0; round < 20000; round++) {
        static const uint64_t pool[] = {0, DJ_PCI_SEL_ID(0x8086, 0x10d3, 0), DJ_PCI_SEL_ID(0x1af4, 0x1041, 0),
                                        DJ_PCI_SEL_ID(0x1af4, 0x1041, 1), DJ_PCI_SEL_BDF(0, 0, 3, 0),
                                        DJ_PCI_SEL_BDF(0, 1, 0, 0), ~0ull, 3ull << 60};
        uint64_t sels[PCI_SEL_ALTS];
        for (unsigned a = 0; a < PCI_SEL_ALTS; a++)
            sels[a] = rand() % 3 ? pool[rand() % (sizeof(pool) / sizeof(pool[0]))]
                                 : (uint64_t)rand() << 32 | (uint64_t)rand();
        uint64_t badge = (uint64_t)(rand() % (PCI_MAX_CLIENTS + 3));
        int before = pci_device_of(&c, badge);
        enum pci_claim_result r = pci_claim(&c, &scan, badge, sels, &out);
        if (r == PCI_CLAIM_BAD_LIST || r == PCI_CLAIM_BAD_BADGE)
            assert_int_equal(pci_device_of(&c, badge), before);
        else if (r == PCI_CLAIM_GIVEN)
            assert_true(out.alt >= 0 && pci_select(&scan, sels[out.alt]) == out.dev);
        else
            assert_int_equal(pci_device_of(&c, badge), PCI_NO_DEVICE);
        for (unsigned i = 0; i < scan.count; i++)
            assert_true(c.owner_of[i] == 0 || c.dev_of[c.owner_of[i]] == (int)i);
        for (unsigned b = 1; b <= PCI_MAX_CLIENTS; b++)
            assert_true(c.dev_of[b] == PCI_NO_DEVICE || c.owner_of[c.dev_of[b]] == b);
    }
}

static void test_select_list_text(void **state)
{
    (void)state;
    char text[PCI_SEL_LIST_TEXT_MAX];
    pci_select_list_text(SELS(DJ_PCI_SEL_ID(0x1af4, 0x1041, 0), DJ_PCI_SEL_ID(0x1af4, 0x1000, 0)), text,
                         sizeof(text));
    assert_string_equal(text, "1af4:1041#0|1af4:1000#0");
    pci_select_list_text(SELS(0), text, sizeof(text));
    assert_string_equal(text, "");
    pci_select_list_text(SELS(~0ull, ~0ull - 1, ~0ull - 2, ~0ull - 3), text, sizeof(text));
    assert_string_equal(text, "selector 0xffffffffffffffff|selector 0xfffffffffffffffe|"
                              "selector 0xfffffffffffffffd|selector 0xfffffffffffffffc");
    char small[8];
    pci_select_list_text(SELS(DJ_PCI_SEL_ID(0x1af4, 0x1041, 0), DJ_PCI_SEL_ID(0x1af4, 0x1000, 0)), small,
                         sizeof(small));
    assert_string_equal(small, "1af4:10");
}

static void test_bar_pages_shared(void **state)
{
    (void)state;
    fresh();
    struct fake_func *a = fake_add(&pci, 0, 1, 0, 0x1234, 1, PCI_HEADER_NORMAL);
    struct fake_func *b = fake_add(&pci, 0, 2, 0, 0x1234, 2, PCI_HEADER_NORMAL);
    struct fake_func *c = fake_add(&pci, 0, 3, 0, 0x1234, 3, PCI_HEADER_NORMAL);
    fake_bar(a, 0, 0, 0xfeb00000, 0x100);
    fake_bar(a, 1, 0, 0xfeb00100, 0x100); /* its own two BARs share a page: fine */
    fake_bar(b, 0, 0, 0xfeb00800, 0x100); /* another function's BAR in that page */
    fake_bar(c, 0, 0, 0xfeb01000, 0x1000);
    fake_bar(c, 1, PCI_BAR_SPACE_IO, 0xfeb0, 0x10); /* ports never share pages */
    run_scan();
    unsigned other = 99;
    assert_true(pci_bar_page_shared(&scan, 0, 0, &other));
    assert_int_equal(other, 1);
    assert_true(pci_bar_page_shared(&scan, 1, 0, &other));
    assert_false(pci_bar_page_shared(&scan, 2, 0, &other));
    struct pci_bar_pages p = pci_bar_pages(&scan.func[0].bar[1]);
    assert_int_equal(p.first_phys, 0xfeb00000);
    assert_int_equal(p.count, 1);
    assert_int_equal(p.offset, 0x100);
    p = pci_bar_pages(&(struct dj_pci_bar){0xfe000ff0, 0x20, 0});
    assert_int_equal(p.count, 2);
}

static unsigned waited_ms, waits;

static void fake_wait(void *ctx, unsigned ms)
{
    (void)ctx;
    waited_ms += ms;
    waits++;
}

static const struct pci_delay delay = {fake_wait, NULL};

static void test_reset_flr(void **state)
{
    (void)state;
    build_machine();
    fake_put(nic, PCI_REG_CACHE_LINE, 1, 0x10);
    fake_put(nic, PCI_REG_INT_LINE, 1, 0x0b);
    fake_put(nic, PCI_REG_COMMAND, 2, DJ_PCI_CMD_MEMORY | DJ_PCI_CMD_BUS_MASTER | DJ_PCI_CMD_INTX_DISABLE);
    fake_wmask(nic, PCI_REG_ROM, 4, 0xfffff801);
    fake_put(nic, PCI_REG_ROM, 4, 0xfe000001);
    fake_set_reset_values(nic, true);
    nic->absent_after_flr = 3;
    uint32_t bars[6], rom = fake_get(nic, PCI_REG_ROM, 4);
    for (unsigned i = 0; i < 6; i++)
        bars[i] = fake_get(nic, PCI_REG_BAR0 + 4 * i, 4);
    run_scan();
    const struct pci_func *f = by_bdf(nic->bdf);
    waited_ms = waits = 0;
    assert_int_equal(pci_reset(&cfg, f, &delay), PCI_RESET_FLR);
    assert_int_equal(nic->flr_count, 1);
    assert_true(waited_ms >= 100);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(fake_get(nic, PCI_REG_BAR0 + 4 * i, 4), bars[i]);
    assert_int_equal(fake_get(nic, PCI_REG_ROM, 4), rom);
    assert_int_equal(fake_get(nic, PCI_REG_CACHE_LINE, 1), 0x10);
    assert_int_equal(fake_get(nic, PCI_REG_INT_LINE, 1), 0x0b);
    assert_int_equal(fake_get(nic, PCI_REG_COMMAND, 2),
                     DJ_PCI_CMD_IO | DJ_PCI_CMD_MEMORY | DJ_PCI_CMD_INTX_DISABLE); /* decoding, no bus master */
}

static void test_reset_flr_no_answer(void **state)
{
    (void)state;
    build_machine();
    fake_set_reset_values(nic, true);
    nic->absent_after_flr = 1000000;
    run_scan();
    waited_ms = waits = 0;
    assert_int_equal(pci_reset(&cfg, by_bdf(nic->bdf), &delay), PCI_RESET_NO_ANSWER);
    assert_true(waits < 200); /* it gives up */
}

static void test_reset_without_flr_and_quiesce(void **state)
{
    (void)state;
    build_machine();
    fake_put(nic, 0xe0 + PCIE_DEVCAP, 4, 0); /* no FLR */
    run_scan();
    const struct pci_func *f = by_bdf(nic->bdf);
    assert_false(f->flr);
    fake_put(nic, PCI_REG_COMMAND, 2, DJ_PCI_CMD_BUS_MASTER);
    fake_put(nic, 0x50 + PCI_MSI_CONTROL, 2, 0x0081);
    fake_put(nic, 0x70 + PCI_MSIX_CONTROL, 2, 0xc003);
    assert_int_equal(pci_reset(&cfg, f, &delay), PCI_RESET_QUIESCED);
    assert_int_equal(nic->flr_count, 0);
    assert_int_equal(fake_get(nic, PCI_REG_COMMAND, 2), DJ_PCI_CMD_IO | DJ_PCI_CMD_MEMORY);
    assert_int_equal(fake_get(nic, 0x50 + PCI_MSI_CONTROL, 2), 0x0080);
    assert_int_equal(fake_get(nic, 0x70 + PCI_MSIX_CONTROL, 2), 0x4003);
    /* Quiescing: DMA and interrupts off, decoding as it was. */
    fake_put(nic, PCI_REG_COMMAND, 2, DJ_PCI_CMD_BUS_MASTER | DJ_PCI_CMD_MEMORY);
    fake_put(nic, 0x70 + PCI_MSIX_CONTROL, 2, 0x8003);
    pci_quiesce(&cfg, f);
    assert_int_equal(fake_get(nic, PCI_REG_COMMAND, 2), DJ_PCI_CMD_MEMORY | DJ_PCI_CMD_INTX_DISABLE);
    assert_int_equal(fake_get(nic, 0x70 + PCI_MSIX_CONTROL, 2), 0x0003);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan_topology),
        cmocka_unit_test(test_scan_bridge_loops),
        cmocka_unit_test(test_scan_functions),
        cmocka_unit_test(test_scan_too_many),
        cmocka_unit_test(test_scan_lying_function),
        cmocka_unit_test(test_scan_random),
        cmocka_unit_test(test_select),
        cmocka_unit_test(test_claims),
        cmocka_unit_test(test_claims_alternatives),
        cmocka_unit_test(test_claims_bad_lists),
        cmocka_unit_test(test_select_list_text),
        cmocka_unit_test(test_bar_pages_shared),
        cmocka_unit_test(test_reset_flr),
        cmocka_unit_test(test_reset_flr_no_answer),
        cmocka_unit_test(test_reset_without_flr_and_quiesce),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
