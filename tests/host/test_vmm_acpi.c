// host-test-sources: servers/vmm/acpi.c arch/x86_64/acpi.c common/format.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's ACPI tables: checksums, lengths and field offsets; read back
 * by the kernel's own ACPI parser (which also finds \_S5 in the DSDT);
 * disassembled by iasl without complaint; the DSDT's numbers agree with
 * acpi.h; bad configurations and too little room fail cleanly. The DSDT is
 * compiled from servers/vmm/dsdt.asl with iasl when the test starts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "servers/vmm/acpi.h"
#include "arch/x86_64/acpi.h"

#define RAM_SIZE (1u << 20)
#define TABLES_AT 0xe0000
#define TABLES_ROOM 0x20000

static struct vmm_ram ram;
static uint8_t *dsdt;
static uint32_t dsdt_len;
static char tmpdir[] = "/tmp/vmm_acpi_XXXXXX";
static unsigned warnings;

void *vmm_gpa_ptr(const struct vmm_ram *r, uint64_t gpa, uint64_t len)
{
    if (gpa >= r->size || len > r->size - gpa)
        return NULL;
    return r->base + gpa;
}

static const void *map(uint64_t phys, size_t len)
{
    return vmm_gpa_ptr(&ram, phys, len);
}

static void warn(const char *msg)
{
    warnings++;
    fprintf(stderr, "# parser warning: %s\n", msg);
}

static int group_setup(void **state)
{
    (void)state;
    if (!mkdtemp(tmpdir))
        return -1;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "iasl -p %s/dsdt servers/vmm/dsdt.asl >%s/iasl.log 2>&1", tmpdir, tmpdir);
    if (system(cmd) != 0)
        return 0; /* no DSDT: the tests that need it skip */
    char path[256];
    snprintf(path, sizeof path, "%s/dsdt.aml", tmpdir);
    FILE *f = fopen(path, "rb");
    if (!f)
        return 0;
    dsdt = malloc(65536);
    dsdt_len = (uint32_t)fread(dsdt, 1, 65536, f);
    fclose(f);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    free(dsdt);
    return system(cmd) == 0 ? 0 : -1;
}

static int setup(void **state)
{
    (void)state;
    ram.base = calloc(1, RAM_SIZE);
    ram.size = RAM_SIZE;
    warnings = 0;
    return ram.base ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram.base);
    return 0;
}

static uint32_t r32(uint64_t gpa) { uint32_t v; memcpy(&v, ram.base + gpa, 4); return v; }
static uint64_t r64(uint64_t gpa) { uint64_t v; memcpy(&v, ram.base + gpa, 8); return v; }
static uint16_t r16(uint64_t gpa) { uint16_t v; memcpy(&v, ram.base + gpa, 2); return v; }

static uint8_t sum(uint64_t gpa, uint32_t len)
{
    uint8_t s = 0;
    for (uint32_t i = 0; i < len; i++)
        s += ram.base[gpa + i];
    return s;
}

static struct vmm_acpi_config config(unsigned vcpus, bool ecam)
{
    (void)ecam; /* MCFG is always there now */
    return (struct vmm_acpi_config){ .vcpus = vcpus, .dsdt = dsdt, .dsdt_len = dsdt_len };
}

static void need_dsdt(void)
{
    if (!dsdt)
        skip();
}

/* The table the XSDT lists with this signature, 0 if none. */
static uint64_t find_table(const char *sig)
{
    uint64_t xsdt = r64(TABLES_AT + 24);
    uint32_t n = (r32(xsdt + 4) - 36) / 8;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t t = r64(xsdt + 36 + i * 8);
        if (memcmp(ram.base + t, sig, 4) == 0)
            return t;
    }
    return 0;
}

static void build(struct vmm_acpi_config cfg)
{
    uint64_t used = 0;
    assert_int_equal(vmm_acpi_build(&ram, TABLES_AT, TABLES_ROOM, &cfg, &used), VMM_ACPI_OK);
    assert_true(used > 36 && used < TABLES_ROOM);
}

static void rsdp_and_root_tables_are_consistent(void **state)
{
    (void)state;
    need_dsdt();
    build(config(2, true));
    assert_memory_equal(ram.base + TABLES_AT, "RSD PTR ", 8);
    assert_int_equal(sum(TABLES_AT, 20), 0);
    assert_int_equal(sum(TABLES_AT, 36), 0);
    assert_int_equal(ram.base[TABLES_AT + 15], 2);
    assert_int_equal(r32(TABLES_AT + 20), 36);
    uint64_t xsdt = r64(TABLES_AT + 24), rsdt = r32(TABLES_AT + 16);
    assert_memory_equal(ram.base + xsdt, "XSDT", 4);
    assert_memory_equal(ram.base + rsdt, "RSDT", 4);
    assert_int_equal(r32(xsdt + 4), 36 + 3 * 8);
    assert_int_equal(r32(rsdt + 4), 36 + 3 * 4);
    for (unsigned i = 0; i < 3; i++) {
        uint64_t t = r64(xsdt + 36 + i * 8);
        assert_int_equal(r32(rsdt + 36 + i * 4), t);
        assert_int_equal(t % 8, 0);
        assert_true(t >= TABLES_AT && t < TABLES_AT + TABLES_ROOM);
        assert_int_equal(sum(t, r32(t + 4)), 0);
    }
    assert_int_equal(sum(xsdt, r32(xsdt + 4)), 0);
    assert_int_equal(sum(rsdt, r32(rsdt + 4)), 0);
    assert_true(find_table("FACP") && find_table("APIC") && find_table("MCFG"));
}

static void fadt_fields(void **state)
{
    (void)state;
    need_dsdt();
    build(config(1, false));
    uint64_t f = find_table("FACP");
    assert_int_equal(r32(f + 4), 276);
    assert_int_equal(ram.base[f + 8], 6);
    uint64_t facs = r64(f + 132), d = r64(f + 140);
    assert_int_equal(r32(f + 36), 0); /* FIRMWARE_CTRL: zero beside X_FIRMWARE_CTRL */
    assert_int_equal(r32(f + 40), d);
    assert_int_equal(facs % 64, 0);
    assert_memory_equal(ram.base + facs, "FACS", 4);
    assert_int_equal(r32(facs + 4), 64);
    assert_memory_equal(ram.base + d, dsdt, dsdt_len);
    assert_int_equal(r16(f + 46), ACPI_SCI_IRQ);
    assert_int_equal(r32(f + 48), 0); /* no SMI command port */
    assert_int_equal(r32(f + 56), ACPI_PM1A_EVT_PORT);
    assert_int_equal(r32(f + 64), ACPI_PM1A_CNT_PORT);
    assert_int_equal(ram.base[f + 88], 4);
    assert_int_equal(ram.base[f + 89], 2);
    assert_int_equal(ram.base[f + 108], ACPI_CMOS_CENTURY);
    assert_int_equal(r16(f + 109) & 2, 0); /* no 8042 for Linux to probe (power.h) */
    assert_true(r16(f + 109) & 1);         /* legacy devices: RTC, UART */
    assert_true(r32(f + 112) & (1u << 10)); /* RESET_REG_SUP */
    assert_false(r32(f + 112) & (1u << 4));  /* the fixed power button is there (power.c) */
    assert_int_equal(ram.base[f + 116], 1); /* reset register in I/O space */
    assert_int_equal(ram.base[f + 117], 8);
    assert_int_equal(r64(f + 120), ACPI_RESET_PORT);
    assert_int_equal(ram.base[f + 128], ACPI_RESET_VALUE);
    assert_int_equal(ram.base[f + 148], 1);
    assert_int_equal(r64(f + 152), ACPI_PM1A_EVT_PORT);
    assert_int_equal(r64(f + 176), ACPI_PM1A_CNT_PORT);
    assert_int_not_equal(find_table("MCFG"), 0);
}

static void kernel_parser_reads_them_back(void **state)
{
    (void)state;
    need_dsdt();
    {
        for (unsigned n = 1; n <= VMM_MAX_VCPUS; n++) {
            memset(ram.base, 0, RAM_SIZE);
            build(config(n, true));
            static struct acpi_info info;
            memset(&info, 0, sizeof info);
            warnings = 0;
            acpi_parse(ram.base + TABLES_AT, 36, map, &info, warn);
            assert_int_equal(warnings, 0);
            assert_true(info.present && info.have_madt && info.have_fadt);
            assert_int_equal(info.revision, 2);
            assert_int_equal(info.cpu_count, n);
            for (unsigned i = 0; i < n; i++)
                assert_int_equal(info.cpu_apic_ids[i], i);
            assert_int_equal(info.lapic_addr, VMM_LAPIC_BASE);
            assert_false(info.has_8259);
            assert_int_equal(info.ioapic_count, 1);
            assert_int_equal(info.ioapics[0].addr, VMM_IOAPIC_BASE);
            assert_int_equal(info.ioapics[0].gsi_base, 0);
            assert_int_equal(info.override_count, 2);
            assert_int_equal(info.overrides[0].bus_irq, 0);
            assert_int_equal(info.overrides[0].gsi, 2);
            assert_int_equal(info.overrides[1].bus_irq, 9);
            assert_int_equal(info.overrides[1].flags, 0xd);
            assert_int_equal(info.pm1a_cnt, ACPI_PM1A_CNT_PORT);
            assert_true(info.s5_valid);
            assert_int_equal(info.slp_typa, ACPI_S5_SLP_TYP);
            assert_true(info.reset_valid);
            assert_int_equal(info.reset_port, ACPI_RESET_PORT);
            assert_int_equal(info.reset_value, ACPI_RESET_VALUE);
            assert_int_equal(info.mcfg_base, VMM_PCI_ECAM_BASE);
            assert_int_equal(info.mcfg_bus_start, 0);
            assert_int_equal(info.mcfg_bus_end, VMM_PCI_ECAM_BUSES - 1);
        }
    }
}

static void dump(const char *name, uint64_t gpa, uint32_t len)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.dat", tmpdir, name);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(ram.base + gpa, 1, len, f), len);
    fclose(f);
}

/* iasl -d on one table: exit status 0 and no error, warning or checksum complaint. */
static void disassemble(const char *name)
{
    char cmd[768], log[256];
    snprintf(log, sizeof log, "%s/%s.log", tmpdir, name);
    snprintf(cmd, sizeof cmd, "cd %s && iasl -d %s.dat >%s 2>&1", tmpdir, name, log);
    if (system(cmd) != 0)
        fail_msg("iasl -d %s failed (see %s)", name, log);
    snprintf(cmd, sizeof cmd, "grep -Eiq 'error|warning|invalid|incorrect' %s", log);
    if (system(cmd) == 0)
        fail_msg("iasl -d %s complained (see %s)", name, log);
}

static bool dsl_contains(const char *name, const char *text)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -Fq '%s' %s/%s.dsl", text, tmpdir, name);
    return system(cmd) == 0;
}

static void iasl_disassembles_every_table(void **state)
{
    (void)state;
    need_dsdt();
    if (system("command -v iasl >/dev/null") != 0)
        skip();
    build(config(4, true));
    static const char *const sigs[] = { "FACP", "APIC", "MCFG" };
    for (unsigned i = 0; i < 3; i++) {
        uint64_t t = find_table(sigs[i]);
        dump(sigs[i], t, r32(t + 4));
        disassemble(sigs[i]);
    }
    dump("XSDT", r64(TABLES_AT + 24), r32(r64(TABLES_AT + 24) + 4));
    disassemble("XSDT");
    uint64_t f = find_table("FACP");
    dump("DSDT", r64(f + 140), dsdt_len);
    disassemble("DSDT");
    dump("FACS", r64(f + 132), 64);
    disassemble("FACS");
    assert_true(dsl_contains("APIC", "Processor Local APIC"));
    assert_true(dsl_contains("FACP", "Reset Register"));
}

static bool log_has(const char *name, const char *text)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "grep -Fq '%s' %s/%s.log", text, tmpdir, name);
    return system(cmd) == 0;
}

/* ACPICA itself (acpiexec, the interpreter Linux runs) loads FADT, DSDT,
 * MADT and MCFG without an error or firmware warning and evaluates the
 * objects Linux uses: \_S5 and the PCI root bridge's resources. Its own
 * self-tests complain about what the platform does not have (PM2, GPE
 * blocks, PM timer); those "Unexpected" lines are not ours. */
static void acpica_loads_the_tables_and_evaluates_the_dsdt(void **state)
{
    (void)state;
    need_dsdt();
    if (system("command -v acpiexec >/dev/null") != 0)
        skip();
    build(config(2, true));
    static const char *const sigs[] = { "FACP", "APIC", "MCFG" };
    for (unsigned i = 0; i < 3; i++) {
        uint64_t t = find_table(sigs[i]);
        dump(sigs[i], t, r32(t + 4));
    }
    uint64_t f = find_table("FACP");
    dump("DSDT", r64(f + 140), dsdt_len);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "cd %s && timeout 30 acpiexec -b 'evaluate \\_S5; evaluate \\_SB.PCI0._CRS; evaluate \\_SB.MRES._CRS; "
             "evaluate \\_SB.PCI0._HID' DSDT.dat FACP.dat APIC.dat MCFG.dat >acpiexec.log 2>&1",
             tmpdir);
    if (system(cmd) != 0)
        fail_msg("acpiexec failed, see %s/acpiexec.log", tmpdir);
    assert_true(log_has("acpiexec", "ACPI: FACP"));
    assert_true(log_has("acpiexec", "DONJON DJVMM"));
    assert_true(log_has("acpiexec", "1 ACPI AML tables successfully acquired and loaded"));
    assert_false(log_has("acpiexec", "ACPI Error"));
    assert_false(log_has("acpiexec", "ACPI Exception"));
    assert_false(log_has("acpiexec", "Firmware Warning"));
    assert_false(log_has("acpiexec", "Firmware Error"));
    assert_true(log_has("acpiexec", "Evaluation of \\_S5 returned object"));
    assert_true(log_has("acpiexec", "[Integer] = 0000000000000005"));
    assert_true(log_has("acpiexec", "Evaluation of \\_SB.PCI0._CRS returned object"));
    assert_true(log_has("acpiexec", "[Integer] = 00000000080AD041")); /* EISA ID of PNP0A08 */
}

/* The numbers dsdt.asl repeats are the ones acpi.h and the devices use. */
static void dsdt_agrees_with_the_platform_layout(void **state)
{
    (void)state;
    need_dsdt();
    build(config(1, true));
    uint64_t f = find_table("FACP");
    dump("DSDT", r64(f + 140), dsdt_len);
    disassemble("DSDT");
    char want[64];
    snprintf(want, sizeof want, "0x%08llX", (unsigned long long)VMM_PCI_MMIO_BASE);
    assert_true(dsl_contains("DSDT", want));
    snprintf(want, sizeof want, "0x%08llX", (unsigned long long)VMM_PCI_MMIO_END);
    assert_true(dsl_contains("DSDT", want));
    snprintf(want, sizeof want, "0x%08llX", (unsigned long long)(VMM_PCI_MMIO_END - VMM_PCI_MMIO_BASE + 1));
    assert_true(dsl_contains("DSDT", want));
    snprintf(want, sizeof want, "0x%08llX", (unsigned long long)VMM_PCI_ECAM_BASE);
    assert_true(dsl_contains("DSDT", want));
    snprintf(want, sizeof want, "0x%08llX", (unsigned long long)VMM_PCI_ECAM_BUSES << 20);
    assert_true(dsl_contains("DSDT", want));
    snprintf(want, sizeof want, "0x%04X", ACPI_PM_BASE);
    assert_true(dsl_contains("DSDT", want));
    assert_true(dsl_contains("DSDT", "PNP0A08"));
    assert_true(dsl_contains("DSDT", "Name (_S5, Package"));
}

static void bad_configurations_fail_cleanly(void **state)
{
    (void)state;
    need_dsdt();
    uint64_t used = 123;
    struct vmm_acpi_config c = config(0, false);
    assert_int_equal(vmm_acpi_build(&ram, TABLES_AT, TABLES_ROOM, &c, &used), VMM_ACPI_BAD_CONFIG);
    assert_int_equal(used, 0);
    c = config(VMM_MAX_VCPUS + 1, false);
    assert_int_equal(vmm_acpi_build(&ram, TABLES_AT, TABLES_ROOM, &c, &used), VMM_ACPI_BAD_CONFIG);
    c = config(1, false);
    c.dsdt = NULL;
    assert_int_equal(vmm_acpi_build(&ram, TABLES_AT, TABLES_ROOM, &c, &used), VMM_ACPI_BAD_CONFIG);
    c = config(1, false);
    c.dsdt_len = dsdt_len - 1; /* disagrees with its header */
    assert_int_equal(vmm_acpi_build(&ram, TABLES_AT, TABLES_ROOM, &c, &used), VMM_ACPI_BAD_CONFIG);
    uint8_t not_dsdt[64] = "SSDT";
    not_dsdt[4] = 64;
    c.dsdt = not_dsdt;
    c.dsdt_len = 64;
    assert_int_equal(vmm_acpi_build(&ram, TABLES_AT, TABLES_ROOM, &c, &used), VMM_ACPI_BAD_CONFIG);
    c = config(2, true);
    /* Outside RAM, unaligned, too small: no write anywhere (ASan would see it). */
    assert_int_equal(vmm_acpi_build(&ram, RAM_SIZE - 0x100, 0x1000, &c, &used), VMM_ACPI_NO_ROOM);
    assert_int_equal(vmm_acpi_build(&ram, TABLES_AT + 4, 0x1000, &c, &used), VMM_ACPI_NO_ROOM);
    assert_int_equal(vmm_acpi_build(&ram, 0x100000000ull, 0x1000, &c, &used), VMM_ACPI_NO_ROOM);
    /* Every room smaller than what the tables need fails; the exact size works. */
    uint64_t need;
    assert_int_equal(vmm_acpi_build(&ram, TABLES_AT, TABLES_ROOM, &c, &need), VMM_ACPI_OK);
    uint8_t *small_base = ram.base;
    for (uint64_t room = 0; room < need; room += 7) {
        /* A RAM that ends exactly at the room: any overrun is an ASan report. */
        struct vmm_ram tight = { .base = malloc(room ? room : 1), .size = room };
        assert_int_equal(vmm_acpi_build(&tight, 0, room, &c, &used), VMM_ACPI_NO_ROOM);
        free(tight.base);
    }
    struct vmm_ram exact = { .base = malloc(need), .size = need };
    assert_int_equal(vmm_acpi_build(&exact, 0, need, &c, &used), VMM_ACPI_OK);
    assert_int_equal(used, need);
    free(exact.base);
    ram.base = small_base;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(rsdp_and_root_tables_are_consistent, setup, teardown),
        cmocka_unit_test_setup_teardown(fadt_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(kernel_parser_reads_them_back, setup, teardown),
        cmocka_unit_test_setup_teardown(iasl_disassembles_every_table, setup, teardown),
        cmocka_unit_test_setup_teardown(dsdt_agrees_with_the_platform_layout, setup, teardown),
        cmocka_unit_test_setup_teardown(acpica_loads_the_tables_and_evaluates_the_dsdt, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_configurations_fail_cleanly, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
