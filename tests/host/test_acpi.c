// host-test-sources: arch/x86_64/acpi.c common/format.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The ACPI parser against crafted tables in a fake physical memory: good
 * tables, corrupt and truncated ones, odd MADT entries, \_S5 encodings, and
 * the RSDP scan of the BIOS areas. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arch/x86_64/acpi.h"

#define FAKE_MEM_SIZE (2u << 20)
#define RSDP_AT 0x1000
#define XSDT_AT 0x2000
#define RSDT_AT 0x3000
#define MADT_AT 0x4000
#define FADT_AT 0x8000
#define DSDT_AT 0x9000
#define MCFG_AT 0xa000
#define MADT2_AT 0xb000
#define DMAR_AT 0xc000
#define DMAR2_AT 0xd000
#define HDR 36
#define FADT_LEN 276

static uint8_t *mem;
static unsigned warnings;
static char last_warning[256];
static char all_warnings[4096];

static const void *fake_map(uint64_t phys, size_t len)
{
    if (phys >= FAKE_MEM_SIZE || len > FAKE_MEM_SIZE - phys)
        return NULL;
    return mem + phys;
}

static void count_warning(const char *msg)
{
    warnings++;
    snprintf(last_warning, sizeof(last_warning), "%s", msg);
    size_t used = strlen(all_warnings);
    snprintf(all_warnings + used, sizeof(all_warnings) - used, "%s\n", msg);
}

static int setup(void **state)
{
    (void)state;
    mem = calloc(1, FAKE_MEM_SIZE);
    warnings = 0;
    last_warning[0] = all_warnings[0] = '\0';
    return mem ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(mem);
    return 0;
}

static void w16(uint64_t at, uint16_t v) { memcpy(mem + at, &v, 2); }
static void w32(uint64_t at, uint32_t v) { memcpy(mem + at, &v, 4); }
static void w64(uint64_t at, uint64_t v) { memcpy(mem + at, &v, 8); }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    while (n--)
        s += *p++;
    return s;
}

/* Table header with the signature; finish() fixes length and checksum. */
static void begin(uint64_t at, const char *sig)
{
    memset(mem + at, 0, HDR);
    memcpy(mem + at, sig, 4);
    mem[at + 8] = 1;
    memcpy(mem + at + 10, "TESTOE", 6);
}

static void finish(uint64_t at, uint32_t len)
{
    w32(at + 4, len);
    mem[at + 9] = 0;
    mem[at + 9] = (uint8_t)-sum(mem + at, len);
}

static void make_rsdp(uint64_t at, uint8_t revision, uint32_t rsdt, uint64_t xsdt)
{
    memset(mem + at, 0, 36);
    memcpy(mem + at, "RSD PTR ", 8);
    memcpy(mem + at + 9, "BOCHS ", 6);
    mem[at + 15] = revision;
    w32(at + 16, rsdt);
    w32(at + 20, 36);
    w64(at + 24, xsdt);
    mem[at + 8] = (uint8_t)-sum(mem + at, 20);
    mem[at + 32] = (uint8_t)-sum(mem + at, 36);
}

static void make_root(uint64_t at, bool xsdt, const uint64_t *entries, unsigned n)
{
    begin(at, xsdt ? "XSDT" : "RSDT");
    unsigned width = xsdt ? 8 : 4;
    for (unsigned i = 0; i < n; i++) {
        if (xsdt)
            w64(at + HDR + i * width, entries[i]);
        else
            w32(at + HDR + i * width, (uint32_t)entries[i]);
    }
    finish(at, HDR + n * width);
}

/* MADT builder: header, then entries appended at a cursor. */
static uint64_t madt_at, madt_cur;
static void madt_begin(uint64_t at)
{
    begin(at, "APIC");
    w32(at + 36, 0xfee00000);
    w32(at + 40, 1); /* PCAT_COMPAT */
    madt_at = at;
    madt_cur = at + 44;
}
static void madt_lapic(uint8_t id, uint32_t flags)
{
    uint8_t e[8] = {0, 8, id, id};
    memcpy(e + 4, &flags, 4);
    memcpy(mem + madt_cur, e, 8);
    madt_cur += 8;
}
static void madt_x2apic(uint32_t id, uint32_t flags)
{
    uint8_t e[16] = {9, 16};
    memcpy(e + 4, &id, 4);
    memcpy(e + 8, &flags, 4);
    memcpy(mem + madt_cur, e, 16);
    madt_cur += 16;
}
static void madt_ioapic(uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    uint8_t e[12] = {1, 12, id, 0};
    memcpy(e + 4, &addr, 4);
    memcpy(e + 8, &gsi_base, 4);
    memcpy(mem + madt_cur, e, 12);
    madt_cur += 12;
}
static void madt_override(uint8_t irq, uint32_t gsi, uint16_t flags)
{
    uint8_t e[10] = {2, 10, 0, irq};
    memcpy(e + 4, &gsi, 4);
    memcpy(e + 8, &flags, 2);
    memcpy(mem + madt_cur, e, 10);
    madt_cur += 10;
}
static void madt_raw(const uint8_t *e, size_t n)
{
    memcpy(mem + madt_cur, e, n);
    madt_cur += n;
}
static void madt_finish(void) { finish(madt_at, (uint32_t)(madt_cur - madt_at)); }

/* A DSDT whose AML body is the given bytes. */
static void make_dsdt(uint64_t at, const uint8_t *aml, size_t n)
{
    begin(at, "DSDT");
    memcpy(mem + at + HDR, aml, n);
    finish(at, (uint32_t)(HDR + n));
}

static const uint8_t s5_bytes_5_5[] = {
    0x10, 0x05, '_', 'S', 'B', '_',                   /* a scope, as real DSDTs start */
    0x08, '\\', '_', 'S', '5', '_', 0x12, 0x08, 0x04, /* Name(\_S5, Package(4) { */
    0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00,               /*   5, 5, 0, 0 }) */
};

/* FADT with PM1a 0x604, PM timer 0x608 (32-bit), reset register 0xcf9/6,
 * and the DSDT at DSDT_AT. */
static void make_fadt(uint64_t at, uint64_t dsdt)
{
    begin(at, "FACP");
    mem[at + 8] = 6;
    memset(mem + at + HDR, 0, FADT_LEN - HDR);
    w32(at + 40, (uint32_t)dsdt);
    w32(at + 64, 0x604);
    w32(at + 76, 0x608);
    w32(at + 112, (1u << 8) | (1u << 10));
    mem[at + 116] = 1; /* reset register: I/O space */
    mem[at + 117] = 8;
    w64(at + 120, 0xcf9);
    mem[at + 128] = 0x06;
    finish(at, FADT_LEN);
}

static void make_mcfg(uint64_t at)
{
    begin(at, "MCFG");
    memset(mem + at + HDR, 0, 24);
    w64(at + 44, 0xb0000000);
    mem[at + 54] = 0;
    mem[at + 55] = 255;
    finish(at, 60);
}

/* The standard machine: RSDP v2 -> XSDT -> MADT (4 CPUs), FADT, MCFG. */
static void make_standard(void)
{
    madt_begin(MADT_AT);
    for (uint8_t i = 0; i < 4; i++)
        madt_lapic(i, 1);
    madt_ioapic(0, 0xfec00000, 0);
    madt_override(0, 2, 0);
    madt_override(9, 9, 0xd);
    madt_finish();
    make_dsdt(DSDT_AT, s5_bytes_5_5, sizeof(s5_bytes_5_5));
    make_fadt(FADT_AT, DSDT_AT);
    make_mcfg(MCFG_AT);
    uint64_t entries[] = {FADT_AT, MADT_AT, MCFG_AT};
    make_root(XSDT_AT, true, entries, 3);
    make_root(RSDT_AT, false, entries, 3);
    make_rsdp(RSDP_AT, 2, RSDT_AT, XSDT_AT);
}

static void parse(struct acpi_info *info)
{
    acpi_parse(mem + RSDP_AT, 36, fake_map, info, count_warning);
}

static void good_tables(void **state)
{
    (void)state;
    make_standard();
    struct acpi_info info;
    parse(&info);
    assert_true(info.present);
    assert_string_equal(info.oem_id, "BOCHS ");
    assert_int_equal(info.revision, 2);
    assert_true(info.have_madt);
    assert_int_equal(info.lapic_addr, 0xfee00000);
    assert_true(info.has_8259);
    assert_int_equal(info.cpu_count, 4);
    for (unsigned i = 0; i < 4; i++)
        assert_int_equal(info.cpu_apic_ids[i], i);
    assert_int_equal(info.cpus_ignored, 0);
    assert_int_equal(info.ioapic_count, 1);
    assert_int_equal(info.ioapics[0].addr, 0xfec00000);
    assert_int_equal(info.ioapics[0].gsi_base, 0);
    assert_int_equal(info.override_count, 2);
    assert_int_equal(info.overrides[0].bus_irq, 0);
    assert_int_equal(info.overrides[0].gsi, 2);
    assert_int_equal(info.overrides[1].bus_irq, 9);
    assert_int_equal(info.overrides[1].flags, 0xd);
    assert_true(info.have_fadt);
    assert_int_equal(info.pm1a_cnt, 0x604);
    assert_int_equal(info.pm1b_cnt, 0);
    assert_int_equal(info.pm_timer_port, 0x608);
    assert_true(info.pm_timer_32bit);
    assert_true(info.reset_valid);
    assert_int_equal(info.reset_port, 0xcf9);
    assert_int_equal(info.reset_value, 6);
    assert_true(info.s5_valid);
    assert_int_equal(info.slp_typa, 5);
    assert_int_equal(info.slp_typb, 5);
    assert_int_equal(info.mcfg_base, 0xb0000000);
    assert_int_equal(info.mcfg_bus_start, 0);
    assert_int_equal(info.mcfg_bus_end, 255);
    assert_int_equal(warnings, 0);
}

/* XSDT and RSDT point to different MADTs: the XSDT wins on revision 2;
 * revision 0 must use the RSDT and ignore the XSDT field. */
static void xsdt_preferred_rsdt_for_v1(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT2_AT);
    madt_lapic(7, 1);
    madt_lapic(8, 1);
    madt_finish();
    uint64_t rsdt_entries[] = {FADT_AT, MADT2_AT};
    make_root(RSDT_AT, false, rsdt_entries, 2);
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.cpu_count, 4);

    /* Revision 0 with a plausible XSDT field (a loader may copy 36 bytes). */
    make_rsdp(RSDP_AT, 0, RSDT_AT, XSDT_AT);
    acpi_parse(mem + RSDP_AT, 36, fake_map, &info, count_warning);
    assert_true(info.present);
    assert_int_equal(info.cpu_count, 2);
    assert_int_equal(info.cpu_apic_ids[0], 7);
    assert_int_equal(warnings, 0);
}

static void rsdp_extended_checksum_bad_uses_rsdt(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT2_AT);
    madt_lapic(3, 1);
    madt_finish();
    uint64_t rsdt_entries[] = {MADT2_AT};
    make_root(RSDT_AT, false, rsdt_entries, 1);
    mem[RSDP_AT + 32] ^= 0x55; /* breaks only the extended checksum */
    struct acpi_info info;
    parse(&info);
    assert_true(info.present);
    assert_int_equal(info.cpu_count, 1);
    assert_int_equal(info.cpu_apic_ids[0], 3);
    assert_non_null(strstr(all_warnings, "extended checksum"));
}

static void rsdp_checksum_bad_not_present(void **state)
{
    (void)state;
    make_standard();
    mem[RSDP_AT + 8] ^= 1;
    struct acpi_info info;
    parse(&info);
    assert_false(info.present);
    assert_false(info.have_madt);
    assert_int_equal(info.cpu_count, 0);
    assert_true(warnings >= 1);
}

static void table_bad_checksum_skipped(void **state)
{
    (void)state;
    make_standard();
    mem[MADT_AT + 50] ^= 0xff;
    struct acpi_info info;
    parse(&info);
    assert_false(info.have_madt);
    assert_int_equal(info.cpu_count, 0);
    assert_true(info.have_fadt); /* the other tables still count */
    assert_true(info.s5_valid);
    assert_non_null(strstr(all_warnings, "APIC"));
    assert_non_null(strstr(all_warnings, "bad checksum"));
}

static void truncated_tables(void **state)
{
    (void)state;
    make_standard();
    /* A MADT shorter than its fixed fields, with a valid checksum. */
    begin(MADT_AT, "APIC");
    finish(MADT_AT, 40);
    /* A FADT whose length runs past the end of physical memory. */
    w32(FADT_AT + 4, FAKE_MEM_SIZE);
    struct acpi_info info;
    parse(&info);
    assert_true(info.present);
    assert_false(info.have_madt);
    assert_false(info.have_fadt);
    assert_int_equal(info.cpu_count, 0);
    assert_true(info.mcfg_base != 0);
    assert_true(warnings >= 2);
}

static void madt_entry_length_zero(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT_AT);
    madt_lapic(0, 1);
    static const uint8_t bad[] = {0, 0, 1, 1, 1, 0, 0, 0};
    madt_raw(bad, sizeof(bad));
    madt_lapic(2, 1);
    madt_finish();
    struct acpi_info info;
    parse(&info);
    assert_true(info.have_madt);
    assert_int_equal(info.cpu_count, 1);
    assert_non_null(strstr(all_warnings, "malformed MADT entry"));
}

static void madt_entry_overrun_and_short(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT_AT);
    madt_lapic(0, 1);
    static const uint8_t short_lapic[] = {0, 4, 5, 5}; /* too short for type 0 */
    madt_raw(short_lapic, sizeof(short_lapic));
    madt_lapic(1, 1);
    static const uint8_t overrun[] = {9, 40, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0};
    madt_raw(overrun, sizeof(overrun));
    madt_finish();
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.cpu_count, 2);
    assert_int_equal(info.cpu_apic_ids[1], 1);
    assert_non_null(strstr(all_warnings, "too short"));
    assert_non_null(strstr(all_warnings, "malformed MADT entry"));
}

static void more_cpus_than_max(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT_AT);
    for (uint32_t i = 0; i < MAX_CPUS + 5; i++)
        madt_x2apic(i * 2, 1);
    madt_finish();
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.cpu_count, MAX_CPUS);
    assert_int_equal(info.cpus_ignored, 5);
    assert_int_equal(info.cpu_apic_ids[MAX_CPUS - 1], (MAX_CPUS - 1) * 2);
    assert_non_null(strstr(all_warnings, "more CPUs"));
}

static void duplicate_apic_ids(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT_AT);
    madt_lapic(0, 1);
    madt_lapic(1, 1);
    madt_lapic(1, 1);
    madt_x2apic(1, 1); /* the same CPU listed again as an x2APIC */
    madt_x2apic(300, 1);
    madt_finish();
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.cpu_count, 3);
    assert_int_equal(info.cpu_apic_ids[0], 0);
    assert_int_equal(info.cpu_apic_ids[1], 1);
    assert_int_equal(info.cpu_apic_ids[2], 300);
}

static void disabled_and_online_capable_cpus(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT_AT);
    madt_lapic(0, 1);
    madt_lapic(1, 0);      /* disabled */
    madt_lapic(2, 2);      /* online capable */
    madt_lapic(0xff, 1);   /* invalid xAPIC id */
    madt_x2apic(4, 0);     /* disabled */
    madt_x2apic(5, 1);
    madt_x2apic(0xffffffffu, 1);
    madt_finish();
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.cpu_count, 3);
    assert_int_equal(info.cpu_apic_ids[0], 0);
    assert_int_equal(info.cpu_apic_ids[1], 2);
    assert_int_equal(info.cpu_apic_ids[2], 5);
}

static void lapic_address_override(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT_AT);
    madt_lapic(0, 1);
    uint8_t e[12] = {5, 12, 0, 0};
    uint64_t addr = 0x1fee00000ull;
    memcpy(e + 4, &addr, 8);
    madt_raw(e, sizeof(e));
    madt_finish();
    mem[MADT_AT + 40] = 0; /* no 8259 */
    finish(MADT_AT, (uint32_t)(madt_cur - MADT_AT));
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.lapic_addr, 0x1fee00000ull);
    assert_false(info.has_8259);
}

static void no_fadt(void **state)
{
    (void)state;
    make_standard();
    uint64_t entries[] = {MADT_AT};
    make_root(XSDT_AT, true, entries, 1);
    struct acpi_info info;
    parse(&info);
    assert_true(info.have_madt);
    assert_false(info.have_fadt);
    assert_false(info.s5_valid);
    assert_int_equal(info.pm_timer_port, 0);
    assert_int_equal(info.pm1a_cnt, 0);
    assert_false(info.reset_valid);
    assert_non_null(strstr(all_warnings, "no FADT"));
}

static void dsdt_without_s5(void **state)
{
    (void)state;
    make_standard();
    /* "_S5_" appears, but as a reference (Store), not as Name(_S5_, Package). */
    static const uint8_t aml[] = {0x70, '_', 'S', '5', '_', 0x60, 0x08, '_', 'S', '4', '_', 0x12, 0x04, 0x01, 0x00};
    make_dsdt(DSDT_AT, aml, sizeof(aml));
    struct acpi_info info;
    parse(&info);
    assert_true(info.have_fadt);
    assert_false(info.s5_valid);
    assert_non_null(strstr(all_warnings, "_S5"));
}

static void s5_encodings(void **state)
{
    (void)state;
    struct {
        uint8_t aml[16];
        size_t len;
        bool valid;
        uint16_t a, b;
    } cases[] = {
        /* Name(_S5_, Package(2){Zero, One}) without the root prefix */
        {{0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x00, 0x01}, 10, true, 0, 1},
        /* BytePrefix values and a two-byte PkgLength */
        {{0x08, '\\', '_', 'S', '5', '_', 0x12, 0x40, 0x00, 0x02, 0x0a, 0x07, 0x0a, 0x03}, 14, true, 7, 3},
        /* one element only: SLP_TYPb = SLP_TYPa */
        {{0x08, '_', 'S', '5', '_', 0x12, 0x03, 0x01, 0x0a, 0x06}, 10, true, 6, 6},
        /* not a package */
        {{0x08, '_', 'S', '5', '_', 0x0a, 0x05}, 7, false, 0, 0},
        /* truncated in the middle of a BytePrefix */
        {{0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a}, 11, false, 0, 0},
        /* a package after "_S5_" that is not a Name() */
        {{0x70, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x05, 0x0a, 0x05}, 12, false, 0, 0},
        /* value out of range for SLP_TYP (3 bits) */
        {{0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x09, 0x0a, 0x09}, 12, false, 0, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        make_standard();
        make_dsdt(DSDT_AT, cases[i].aml, cases[i].len);
        struct acpi_info info;
        parse(&info);
        if (info.s5_valid != cases[i].valid)
            fail_msg("case %zu: s5_valid %d, expected %d", i, info.s5_valid, cases[i].valid);
        if (cases[i].valid && (info.slp_typa != cases[i].a || info.slp_typb != cases[i].b))
            fail_msg("case %zu: S5 %u/%u, expected %u/%u", i, info.slp_typa, info.slp_typb, cases[i].a, cases[i].b);
    }
}

static void fadt_extended_fields(void **state)
{
    (void)state;
    make_standard();
    /* X_DSDT points to a second DSDT with S5 = 2/3; the 32-bit field to
     * one with 5/5. X_PM1a in I/O space wins; X_PM_TMR in memory space is
     * ignored; no TMR_VAL_EXT; the reset register moves to memory space. */
    static const uint8_t aml[] = {0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x02, 0x0a, 0x03};
    make_dsdt(MADT2_AT, aml, sizeof(aml));
    w64(FADT_AT + 140, MADT2_AT);
    mem[FADT_AT + 172] = 1;
    w64(FADT_AT + 176, 0xb004);
    mem[FADT_AT + 208] = 0;
    w64(FADT_AT + 212, 0xfed00000);
    w32(FADT_AT + 112, 1u << 10);
    mem[FADT_AT + 116] = 0;
    finish(FADT_AT, FADT_LEN);
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.pm1a_cnt, 0xb004);
    assert_int_equal(info.pm_timer_port, 0x608);
    assert_false(info.pm_timer_32bit);
    assert_false(info.reset_valid);
    assert_true(info.s5_valid);
    assert_int_equal(info.slp_typa, 2);
    assert_int_equal(info.slp_typb, 3);
}

static void fadt_revision1_short(void **state)
{
    (void)state;
    make_standard();
    /* ACPI 1.0 FADT: 116 bytes, no reset register or X_ fields. */
    finish(FADT_AT, 116);
    struct acpi_info info;
    parse(&info);
    assert_true(info.have_fadt);
    assert_int_equal(info.pm1a_cnt, 0x604);
    assert_true(info.pm_timer_32bit);
    assert_false(info.reset_valid);
    assert_true(info.s5_valid);
}

static void rsdp_scan_ebda(void **state)
{
    (void)state;
    make_standard();
    w16(0x40e, 0x9fc0);
    memcpy(mem + 0x9fc00 + 0x30, mem + RSDP_AT, 36);
    memset(mem + RSDP_AT, 0, 36);
    struct acpi_info info;
    acpi_parse(NULL, 0, fake_map, &info, count_warning);
    assert_true(info.present);
    assert_int_equal(info.cpu_count, 4);
    assert_true(info.s5_valid);
}

static void rsdp_scan_bios_rom(void **state)
{
    (void)state;
    make_standard();
    /* A decoy with the signature but a bad checksum comes first. */
    memcpy(mem + 0xe0000, "RSD PTR ", 8);
    memcpy(mem + 0xf5a40, mem + RSDP_AT, 36);
    /* The EBDA pointer is bogus (points at the video BIOS), and a valid
     * RSDP of another machine sits there: it must not be used. */
    w16(0x40e, 0xc000);
    madt_begin(MADT2_AT);
    madt_lapic(9, 1);
    madt_finish();
    uint64_t other[] = {MADT2_AT};
    make_root(RSDT_AT, false, other, 1);
    make_rsdp(0xc0000, 0, RSDT_AT, 0);
    struct acpi_info info;
    acpi_parse(NULL, 0, fake_map, &info, count_warning);
    assert_true(info.present);
    assert_int_equal(info.revision, 2);
    assert_int_equal(info.cpu_count, 4);
    assert_int_equal(warnings, 0);
}

static void no_rsdp_anywhere(void **state)
{
    (void)state;
    struct acpi_info info;
    acpi_parse(NULL, 0, fake_map, &info, count_warning);
    assert_false(info.present);
    assert_false(info.have_madt);
    assert_int_equal(info.cpu_count, 0);
}

static void bad_loader_copy_falls_back_to_scan(void **state)
{
    (void)state;
    make_standard();
    memcpy(mem + 0xe0100, mem + RSDP_AT, 36);
    uint8_t copy[36];
    memcpy(copy, mem + RSDP_AT, 36);
    copy[0] = 'X';
    struct acpi_info info;
    acpi_parse(copy, 36, fake_map, &info, count_warning);
    assert_true(info.present);
    assert_int_equal(info.cpu_count, 4);
    assert_non_null(strstr(all_warnings, "RSDP copy is invalid"));
}

/* Signatures in warnings: printable ASCII as is, anything else (0x7f, the
 * first byte past '~', and control characters) as '?'. */
static void signature_text_in_warnings(void **state)
{
    (void)state;
    make_standard();
    memcpy(mem + DSDT_AT, "~\x7f\x1f ", 4); /* 0x7e, 0x7f, 0x1f, 0x20 where "DSDT" belongs */
    struct acpi_info info;
    parse(&info);
    assert_false(info.s5_valid);
    if (!strstr(all_warnings, "found '~?? '"))
        fail_msg("warnings: %s", all_warnings);
}

/* MADT entry types past the known ones (10 and up) are skipped, whatever
 * their length; the table of minimum lengths is not read past its end. */
static void madt_unknown_entry_types(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT_AT);
    madt_lapic(0, 1);
    static const uint8_t unknown[] = {10, 2, 11, 3, 0, 0x7f, 4, 0, 0, 255, 2};
    madt_raw(unknown, sizeof(unknown));
    madt_lapic(1, 1);
    madt_finish();
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.cpu_count, 2);
    assert_null(strstr(all_warnings, "too short"));
    assert_null(strstr(all_warnings, "malformed"));
}

/* x2APIC entries: the flags are the dword at offset 8 (the ID at 4). */
static void madt_x2apic_flags(void **state)
{
    (void)state;
    make_standard();
    madt_begin(MADT_AT);
    madt_x2apic(0x100, 1);          /* enabled */
    madt_x2apic(0x1ff, 2);          /* online capable */
    madt_x2apic(0x01000200, 0);     /* disabled: ID's top byte would look like flags */
    madt_finish();
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.cpu_count, 2);
    assert_int_equal(info.cpu_apic_ids[0], 0x100);
    assert_int_equal(info.cpu_apic_ids[1], 0x1ff);
}

/* Only the name "_S5_" counts: a Name(_S5X, ...) before it is no \_S5, and
 * a package with no elements is refused. */
static void s5_exact_name_and_empty_package(void **state)
{
    (void)state;
    static const uint8_t aml[] = {
        0x08, '_', 'S', '5', 'X', 0x12, 0x06, 0x02, 0x0a, 0x07, 0x0a, 0x07, /* Name(_S5X, {7, 7}) */
        0x08, '_', 'S', '5', '_', 0x12, 0x06, 0x02, 0x0a, 0x03, 0x0a, 0x04, /* Name(_S5_, {3, 4}) */
    };
    make_standard();
    make_dsdt(DSDT_AT, aml, sizeof(aml));
    struct acpi_info info;
    parse(&info);
    assert_true(info.s5_valid);
    assert_int_equal(info.slp_typa, 3);
    assert_int_equal(info.slp_typb, 4);
    static const uint8_t empty[] = {0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x00, 0x0a, 0x05};
    make_standard();
    make_dsdt(DSDT_AT, empty, sizeof(empty));
    parse(&info);
    assert_false(info.s5_valid);
}

/* The DMAR table is found through the XSDT and recorded after its
 * checksum check; its contents are dmar.c's to parse. A DMAR with a bad
 * checksum is not recorded, and a later good copy is. */
static void dmar_recorded(void **state)
{
    (void)state;
    make_standard();
    begin(DMAR_AT, "DMAR");
    mem[DMAR_AT + HDR] = 38;
    finish(DMAR_AT, 48);
    begin(DMAR2_AT, "DMAR");
    finish(DMAR2_AT, 48);
    mem[DMAR2_AT + 40] ^= 1; /* checksum now bad */
    uint64_t entries[] = {FADT_AT, MADT_AT, MCFG_AT, DMAR2_AT, DMAR_AT};
    make_root(XSDT_AT, true, entries, 5);
    make_rsdp(RSDP_AT, 2, RSDT_AT, XSDT_AT);
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.dmar_phys, DMAR_AT);
    assert_int_equal(info.dmar_len, 48);
    assert_non_null(strstr(all_warnings, "DMAR"));
}

static void no_dmar_recorded(void **state)
{
    (void)state;
    make_standard();
    struct acpi_info info;
    parse(&info);
    assert_int_equal(info.dmar_phys, 0);
    assert_int_equal(info.dmar_len, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(good_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(xsdt_preferred_rsdt_for_v1, setup, teardown),
        cmocka_unit_test_setup_teardown(rsdp_extended_checksum_bad_uses_rsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(rsdp_checksum_bad_not_present, setup, teardown),
        cmocka_unit_test_setup_teardown(table_bad_checksum_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(truncated_tables, setup, teardown),
        cmocka_unit_test_setup_teardown(madt_entry_length_zero, setup, teardown),
        cmocka_unit_test_setup_teardown(madt_entry_overrun_and_short, setup, teardown),
        cmocka_unit_test_setup_teardown(more_cpus_than_max, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicate_apic_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(disabled_and_online_capable_cpus, setup, teardown),
        cmocka_unit_test_setup_teardown(lapic_address_override, setup, teardown),
        cmocka_unit_test_setup_teardown(no_fadt, setup, teardown),
        cmocka_unit_test_setup_teardown(dsdt_without_s5, setup, teardown),
        cmocka_unit_test_setup_teardown(s5_encodings, setup, teardown),
        cmocka_unit_test_setup_teardown(fadt_extended_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(fadt_revision1_short, setup, teardown),
        cmocka_unit_test_setup_teardown(rsdp_scan_ebda, setup, teardown),
        cmocka_unit_test_setup_teardown(rsdp_scan_bios_rom, setup, teardown),
        cmocka_unit_test_setup_teardown(no_rsdp_anywhere, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_loader_copy_falls_back_to_scan, setup, teardown),
        cmocka_unit_test_setup_teardown(signature_text_in_warnings, setup, teardown),
        cmocka_unit_test_setup_teardown(madt_unknown_entry_types, setup, teardown),
        cmocka_unit_test_setup_teardown(madt_x2apic_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(s5_exact_name_and_empty_package, setup, teardown),
        cmocka_unit_test_setup_teardown(dmar_recorded, setup, teardown),
        cmocka_unit_test_setup_teardown(no_dmar_recorded, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
