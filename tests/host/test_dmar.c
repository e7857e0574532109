// host-test-sources: arch/x86_64/dmar.c common/format.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The DMAR parser against good and hostile tables: truncated and
 * overlong structures and scopes, zero lengths (no endless loop),
 * addresses beyond the host address width, overlapping units, too many
 * of everything, and random corruption of a good table (ASan watches
 * every read). A refused table must leave valid false with a warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arch/x86_64/dmar.h"

#define TABLE_MAX 4096
#define HDR 36
#define QEMU_UNIT_BASE 0xfed90000ull

static uint8_t tab[TABLE_MAX];
static size_t cur;
static unsigned warnings;
static char all_warnings[4096];

static void count_warning(const char *msg)
{
    warnings++;
    size_t used = strlen(all_warnings);
    snprintf(all_warnings + used, sizeof(all_warnings) - used, "%s\n", msg);
}

static int setup(void **state)
{
    (void)state;
    memset(tab, 0, sizeof(tab));
    warnings = 0;
    all_warnings[0] = '\0';
    return 0;
}

static void w16(size_t at, uint16_t v) { memcpy(tab + at, &v, 2); }
static void w64(size_t at, uint64_t v) { memcpy(tab + at, &v, 8); }

/* Header (the checksum is acpi.c's business), width bits, flags. */
static void begin(unsigned addr_bits, uint8_t flags)
{
    memcpy(tab, "DMAR", 4);
    tab[HDR] = (uint8_t)(addr_bits - 1);
    tab[HDR + 1] = flags;
    cur = 48;
}

/* A structure: returns its offset; end_struct() fixes its length. */
static size_t struct_begin(uint16_t type, size_t fixed_len)
{
    size_t at = cur;
    memset(tab + at, 0, fixed_len);
    w16(at, type);
    cur += fixed_len;
    return at;
}
static void end_struct(size_t at) { w16(at + 2, (uint16_t)(cur - at)); }

static size_t drhd(uint64_t base, uint16_t segment, bool all)
{
    size_t at = struct_begin(0, 16);
    tab[at + 4] = all ? 1 : 0;
    w16(at + 6, segment);
    w64(at + 8, base);
    return at;
}

static size_t rmrr(uint64_t base, uint64_t limit)
{
    size_t at = struct_begin(1, 24);
    w64(at + 8, base);
    w64(at + 16, limit);
    return at;
}

/* A scope with hops (dev, fn) pairs. */
static void scope(uint8_t type, uint8_t enum_id, uint8_t bus, const uint8_t *hops, unsigned nhops)
{
    tab[cur] = type;
    tab[cur + 1] = (uint8_t)(6 + 2 * nhops);
    tab[cur + 4] = enum_id;
    tab[cur + 5] = bus;
    memcpy(tab + cur + 6, hops, 2 * nhops);
    cur += 6 + 2 * nhops;
}

static bool parse(struct dmar_info *info)
{
    return dmar_parse(tab, cur, info, count_warning);
}

static void refused(const char *what)
{
    struct dmar_info info;
    assert_false(parse(&info));
    assert_false(info.valid);
    assert_true(warnings > 0);
    if (what && !strstr(all_warnings, what)) {
        fprintf(stderr, "warnings were: %s", all_warnings);
        fail_msg("no warning about '%s'", what);
    }
}

/* What QEMU's intel-iommu gives q35: one unit for everything, the IOAPIC
 * in its scope, interrupt remapping supported. */
static void qemu_like_table(void **state)
{
    (void)state;
    begin(39, 1);
    size_t u = drhd(QEMU_UNIT_BASE, 0, true);
    uint8_t ioapic_hop[] = {0x1f, 0x00};
    scope(DMAR_SCOPE_IOAPIC, 0, 0xf0, ioapic_hop, 1);
    end_struct(u);
    struct dmar_info info;
    assert_true(parse(&info));
    assert_int_equal(warnings, 0);
    assert_int_equal(info.addr_bits, 39);
    assert_true(info.intr_remap);
    assert_false(info.x2apic_opt_out);
    assert_int_equal(info.unit_count, 1);
    assert_int_equal(info.units[0].reg_base, QEMU_UNIT_BASE);
    assert_true(info.units[0].include_all);
    assert_int_equal(info.units[0].scope_count, 1);
    const struct dmar_scope *s = &info.scopes[info.units[0].scope_first];
    assert_int_equal(s->type, DMAR_SCOPE_IOAPIC);
    assert_int_equal(s->start_bus, 0xf0);
    assert_int_equal(dmar_scope_rid(s), 0xf0f8);
}

static void units_scopes_and_rmrrs(void **state)
{
    (void)state;
    begin(46, 2);
    size_t u = drhd(0xfed91000, 0, false);
    uint8_t nic[] = {2, 0};
    uint8_t behind_bridge[] = {0x1c, 0, 0, 0};
    scope(DMAR_SCOPE_ENDPOINT, 0, 0, nic, 1);
    scope(DMAR_SCOPE_BRIDGE, 0, 0, behind_bridge, 2);
    end_struct(u);
    u = drhd(0xfed90000, 0, true);
    end_struct(u);
    size_t r = rmrr(0xe0000, 0xfffff);
    uint8_t usb[] = {0x1d, 7};
    scope(DMAR_SCOPE_ENDPOINT, 0, 0, usb, 1);
    end_struct(r);
    size_t atsr = struct_begin(2, 8); /* skipped */
    end_struct(atsr);
    struct dmar_info info;
    assert_true(parse(&info));
    assert_int_equal(info.addr_bits, 46);
    assert_false(info.intr_remap);
    assert_true(info.x2apic_opt_out);
    assert_int_equal(info.unit_count, 2);
    assert_int_equal(info.units[0].scope_count, 2);
    assert_int_equal(dmar_scope_rid(&info.scopes[0]), 0x0010);
    assert_int_equal(info.scopes[1].path_len, 2);
    assert_int_equal(dmar_scope_rid(&info.scopes[1]), -1);
    assert_int_equal(info.units[1].scope_count, 0);
    assert_int_equal(info.rmrr_count, 1);
    assert_int_equal(info.rmrrs[0].base, 0xe0000);
    assert_int_equal(info.rmrrs[0].end, 0x100000);
    assert_int_equal(info.rmrrs[0].scope_count, 1);
    assert_int_equal(dmar_scope_rid(&info.scopes[info.rmrrs[0].scope_first]), 0x00ef);
}

static void truncated_header(void **state)
{
    (void)state;
    begin(39, 0);
    cur = 40;
    refused("truncated");
    assert_false(dmar_parse(NULL, 0, &(struct dmar_info){0}, count_warning));
}

static void implausible_widths(void **state)
{
    (void)state;
    unsigned widths[] = {1, 31, 53, 256};
    for (unsigned i = 0; i < 4; i++) {
        setup(NULL);
        begin(widths[i], 0);
        end_struct(drhd(QEMU_UNIT_BASE, 0, true));
        refused("address width");
    }
}

static void no_units(void **state)
{
    (void)state;
    begin(39, 0);
    end_struct(rmrr(0xe0000, 0xfffff));
    refused("no remapping unit");
}

/* Lengths 0..3 would loop or read a partial header; a length past the
 * end would read beyond the table. */
static void bad_structure_lengths(void **state)
{
    (void)state;
    uint16_t lens[] = {0, 1, 3, 200};
    for (unsigned i = 0; i < 4; i++) {
        setup(NULL);
        begin(39, 0);
        end_struct(drhd(QEMU_UNIT_BASE, 0, true));
        size_t at = struct_begin(2, 8);
        w16(at + 2, lens[i]);
        refused("length");
    }
    setup(NULL);
    begin(39, 0);
    end_struct(drhd(QEMU_UNIT_BASE, 0, true));
    cur += 3; /* stray bytes */
    refused("stray");
}

static void bad_units(void **state)
{
    (void)state;
    struct { uint64_t base; size_t len; const char *why; } cases[] = {
        {QEMU_UNIT_BASE, 12, "truncated"},
        {0, 16, "register base"},
        {QEMU_UNIT_BASE + 8, 16, "register base"},
        {1ull << 39, 16, "register base"},
    };
    for (unsigned i = 0; i < 4; i++) {
        setup(NULL);
        begin(39, 0);
        size_t at = drhd(cases[i].base, 0, true);
        cur = at + cases[i].len;
        end_struct(at);
        refused(cases[i].why);
    }
    /* The register window (2^15 pages) must end within the width too. */
    setup(NULL);
    begin(39, 0);
    size_t at = drhd((1ull << 39) - 4096, 0, true);
    tab[at + 5] = 15;
    end_struct(at);
    refused("register base");
}

static void overlapping_units(void **state)
{
    (void)state;
    begin(39, 0);
    end_struct(drhd(QEMU_UNIT_BASE, 0, false));
    end_struct(drhd(QEMU_UNIT_BASE, 0, true));
    refused("overlap");
    setup(NULL);
    begin(39, 0);
    size_t at = drhd(QEMU_UNIT_BASE, 0, false);
    tab[at + 5] = 2; /* four pages */
    end_struct(at);
    end_struct(drhd(QEMU_UNIT_BASE + 3 * 4096, 0, true));
    refused("overlap");
    setup(NULL);
    begin(39, 0);
    end_struct(drhd(QEMU_UNIT_BASE, 0, true));
    end_struct(drhd(QEMU_UNIT_BASE + 4096, 0, true));
    refused("every device");
    /* Include-all units of different segments are fine. */
    setup(NULL);
    begin(39, 0);
    end_struct(drhd(QEMU_UNIT_BASE, 0, true));
    end_struct(drhd(QEMU_UNIT_BASE + 4096, 1, true));
    struct dmar_info info;
    assert_true(parse(&info));
}

static void bad_scopes(void **state)
{
    (void)state;
    uint8_t good[] = {2, 0};
    /* A scope longer than its structure. */
    begin(39, 0);
    size_t at = drhd(QEMU_UNIT_BASE, 0, true);
    scope(DMAR_SCOPE_ENDPOINT, 0, 0, good, 1);
    end_struct(at);
    tab[at + 16 + 1] = 10;
    refused("device scope");
    /* Without hops, odd, zero. */
    uint8_t lens[] = {6, 9, 0, 1};
    for (unsigned i = 0; i < 4; i++) {
        setup(NULL);
        begin(39, 0);
        at = drhd(QEMU_UNIT_BASE, 0, true);
        scope(DMAR_SCOPE_ENDPOINT, 0, 0, good, 1);
        tab[at + 16 + 1] = lens[i];
        end_struct(at);
        refused("device scope");
    }
    /* Too many hops, device 32, function 8. */
    setup(NULL);
    begin(39, 0);
    at = drhd(QEMU_UNIT_BASE, 0, true);
    uint8_t long_path[2 * (DMAR_MAX_PATH + 1)] = {0};
    scope(DMAR_SCOPE_BRIDGE, 0, 0, long_path, DMAR_MAX_PATH + 1);
    end_struct(at);
    refused("hops");
    uint8_t bad_hops[][2] = {{32, 0}, {0, 8}};
    for (unsigned i = 0; i < 2; i++) {
        setup(NULL);
        begin(39, 0);
        at = drhd(QEMU_UNIT_BASE, 0, true);
        scope(DMAR_SCOPE_ENDPOINT, 0, 0, bad_hops[i], 1);
        end_struct(at);
        refused("names device");
    }
    /* Unknown scope types are skipped, not refused. */
    setup(NULL);
    begin(39, 0);
    at = drhd(QEMU_UNIT_BASE, 0, true);
    scope(9, 0, 0, good, 1);
    scope(DMAR_SCOPE_IOAPIC, 2, 0, good, 1);
    end_struct(at);
    struct dmar_info info;
    assert_true(parse(&info));
    assert_int_equal(info.units[0].scope_count, 1);
    assert_int_equal(info.scopes[0].enum_id, 2);
}

static void bad_rmrrs(void **state)
{
    (void)state;
    struct { uint64_t base, limit; } cases[] = {
        {0xe0100, 0xfffff}, {0xe0000, 0xffffe}, {0xf0000, 0xdffff}, {0xe0000, (1ull << 39) + 0xfff},
        {0, UINT64_MAX},
    };
    for (unsigned i = 0; i < 5; i++) {
        setup(NULL);
        begin(39, 0);
        end_struct(drhd(QEMU_UNIT_BASE, 0, true));
        end_struct(rmrr(cases[i].base, cases[i].limit));
        refused("reserved region");
    }
    setup(NULL);
    begin(39, 0);
    end_struct(drhd(QEMU_UNIT_BASE, 0, true));
    size_t at = rmrr(0xe0000, 0xfffff);
    cur = at + 20;
    end_struct(at);
    refused("truncated");
}

static void too_many(void **state)
{
    (void)state;
    begin(39, 0);
    for (unsigned i = 0; i <= DMAR_MAX_UNITS; i++)
        end_struct(drhd(QEMU_UNIT_BASE + i * 4096ull, 0, false));
    refused("remapping units");
    setup(NULL);
    begin(39, 0);
    size_t at = drhd(QEMU_UNIT_BASE, 0, true);
    uint8_t hop[] = {1, 0};
    for (unsigned i = 0; i <= DMAR_MAX_SCOPES; i++)
        scope(DMAR_SCOPE_ENDPOINT, 0, 0, hop, 1);
    end_struct(at);
    refused("device scopes");
    setup(NULL);
    begin(39, 0);
    end_struct(drhd(QEMU_UNIT_BASE, 0, true));
    for (unsigned i = 0; i <= DMAR_MAX_RMRRS; i++)
        end_struct(rmrr(0xe0000, 0xfffff));
    refused("reserved regions");
}

/* Random bytes over a good table: whatever the parser says, it stays in
 * the table (ASan) and its results stay within their arrays. */
static void random_corruption(void **state)
{
    (void)state;
    srand(11);
    for (unsigned round = 0; round < 20000; round++) {
        setup(NULL);
        begin(39, 1);
        size_t at = drhd(QEMU_UNIT_BASE, 0, false);
        uint8_t hops[] = {2, 0, 3, 1};
        scope(DMAR_SCOPE_ENDPOINT, 0, 0, hops, 1);
        scope(DMAR_SCOPE_BRIDGE, 0, 0, hops, 2);
        end_struct(at);
        at = rmrr(0xe0000, 0xfffff);
        scope(DMAR_SCOPE_ENDPOINT, 0, 0, hops, 1);
        end_struct(at);
        size_t len = cur;
        unsigned flips = 1 + (unsigned)rand() % 4;
        for (unsigned f = 0; f < flips; f++)
            tab[HDR + (size_t)rand() % (len - HDR)] = (uint8_t)rand();
        cur = len - (size_t)(rand() % 3 == 0 ? rand() % 16 : 0);
        /* The parser sees exactly cur bytes: a copy on the heap lets ASan
         * catch any read past them. */
        uint8_t *copy = malloc(cur);
        assert_non_null(copy);
        memcpy(copy, tab, cur);
        struct dmar_info info;
        bool ok = dmar_parse(copy, cur, &info, NULL);
        free(copy);
        assert_int_equal(ok, info.valid);
        assert_true(info.unit_count <= DMAR_MAX_UNITS && info.rmrr_count <= DMAR_MAX_RMRRS &&
                    info.scope_count <= DMAR_MAX_SCOPES);
        for (unsigned i = 0; i < info.unit_count; i++)
            assert_true(info.units[i].scope_first + info.units[i].scope_count <= info.scope_count);
        for (unsigned i = 0; i < info.scope_count; i++)
            assert_true(info.scopes[i].path_len >= 1 && info.scopes[i].path_len <= DMAR_MAX_PATH);
        if (ok)
            assert_true(info.unit_count >= 1 && info.addr_bits >= DMAR_MIN_ADDR_BITS);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(qemu_like_table, setup),
        cmocka_unit_test_setup(units_scopes_and_rmrrs, setup),
        cmocka_unit_test_setup(truncated_header, setup),
        cmocka_unit_test_setup(implausible_widths, setup),
        cmocka_unit_test_setup(no_units, setup),
        cmocka_unit_test_setup(bad_structure_lengths, setup),
        cmocka_unit_test_setup(bad_units, setup),
        cmocka_unit_test_setup(overlapping_units, setup),
        cmocka_unit_test_setup(bad_scopes, setup),
        cmocka_unit_test_setup(bad_rmrrs, setup),
        cmocka_unit_test_setup(too_many, setup),
        cmocka_unit_test_setup(random_corruption, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
