// host-test-sources: servers/vmm/power.c tests/host/vmm_bus_fake.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's ACPI PM block and isa-debug-exit: power-off only on SLP_EN
 * with the \_S5 type (written as a word or as two bytes), SCI_EN always
 * set, a status that stays 0, enable bits and a quiet SCI, the
 * reset register, and the debug-exit status convention. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/acpi.h"
#include "servers/vmm/power.h"

static struct vmm_bus io;
static struct power pm;
static unsigned offs, resets, sci_calls, exits;
static bool sci_level;
static uint32_t exit_status;

/* The VMM services power.c calls (vmm.h): status 0 is ACPI's power-off,
 * an odd one the debug-exit port's. */
void vmm_power_off(unsigned status)
{
    if (status) {
        exits++;
        exit_status = status;
    } else {
        offs++;
    }
}
void vmm_reset(void) { resets++; }
void vmm_irq_set(unsigned gsi, bool level)
{
    assert_int_equal(gsi, ACPI_SCI_IRQ);
    sci_calls++;
    sci_level = level;
}

static int setup(void **state)
{
    (void)state;
    memset(&io, 0, sizeof io);
    offs = resets = sci_calls = exits = 0;
    sci_level = false;
    return power_attach(&pm, &io) ? 0 : -1;
}

#define SLP_EN (1u << 13)
#define SLP_TYP(t) ((unsigned)(t) << 10)

static void power_off_on_s5_only(void **state)
{
    (void)state;
    assert_int_equal(vmm_bus_read(&io, ACPI_PM1A_CNT_PORT, 2) & 1, 1); /* SCI_EN */
    vmm_bus_write(&io, ACPI_PM1A_CNT_PORT, 2, SLP_TYP(ACPI_S5_SLP_TYP)); /* type without SLP_EN */
    assert_int_equal(offs, 0);
    for (unsigned t = 0; t < 8; t++)
        if (t != ACPI_S5_SLP_TYP)
            vmm_bus_write(&io, ACPI_PM1A_CNT_PORT, 2, SLP_TYP(t) | SLP_EN);
    assert_int_equal(offs, 0);
    vmm_bus_write(&io, ACPI_PM1A_CNT_PORT, 2, SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN | 1);
    assert_int_equal(offs, 1);
    /* SLP_EN reads back as zero, SLP_TYP as written. */
    assert_int_equal(vmm_bus_read(&io, ACPI_PM1A_CNT_PORT, 2), SLP_TYP(ACPI_S5_SLP_TYP) | 1);
    /* As two byte writes: the high byte carries SLP_EN and SLP_TYP. */
    vmm_bus_write(&io, ACPI_PM1A_CNT_PORT, 1, 0);
    vmm_bus_write(&io, ACPI_PM1A_CNT_PORT + 1, 1, (SLP_TYP(ACPI_S5_SLP_TYP) | SLP_EN) >> 8);
    assert_int_equal(offs, 2);
    /* A dword write over status and enable does not touch control. */
    vmm_bus_write(&io, ACPI_PM1A_EVT_PORT, 4, 0xffffffffu);
    assert_int_equal(offs, 2);
}

static void enable_bits_and_sci(void **state)
{
    (void)state;
    assert_false(sci_level);
    vmm_bus_write(&io, ACPI_PM1A_EVT_PORT + 2, 2, 0x100); /* enable PWRBTN: no status, no SCI */
    assert_false(sci_level);
    assert_int_equal(vmm_bus_read(&io, ACPI_PM1A_EVT_PORT + 2, 2), 0x100);
    vmm_bus_write(&io, ACPI_PM1A_EVT_PORT, 2, 0xffff); /* status is write-one-to-clear */
    assert_int_equal(vmm_bus_read(&io, ACPI_PM1A_EVT_PORT, 2), 0);
    /* Undefined enable bits stay zero. */
    vmm_bus_write(&io, ACPI_PM1A_EVT_PORT + 2, 2, 0xffff);
    assert_int_equal(vmm_bus_read(&io, ACPI_PM1A_EVT_PORT + 2, 2), 0x0721);
    assert_false(sci_level);
    assert_int_equal(sci_calls, 0); /* no event source: the SCI never rises */
}

static void reset_register(void **state)
{
    (void)state;
    vmm_bus_write(&io, ACPI_RESET_PORT, 1, ACPI_RESET_VALUE ^ 0xff);
    assert_int_equal(resets, 0);
    vmm_bus_write(&io, ACPI_RESET_PORT, 1, ACPI_RESET_VALUE);
    assert_int_equal(resets, 1);
    assert_int_equal(vmm_bus_read(&io, ACPI_PM_BASE + 0xc, 4), 0);
    static struct power other;
    assert_false(power_attach(&other, &io));
}

static void random_writes_never_power_off_without_s5(void **state)
{
    (void)state;
    srand(11);
    for (int i = 0; i < 100000; i++) {
        unsigned size = 1u << (rand() % 3);
        uint64_t off = (uint64_t)rand() % ACPI_PM_LEN;
        uint64_t v = (uint64_t)rand();
        bool hits_cnt_high = off <= ACPI_PM1A_CNT_PORT - ACPI_PM_BASE + 1 && off + size > ACPI_PM1A_CNT_PORT - ACPI_PM_BASE + 1;
        if (hits_cnt_high)
            v &= ~((uint64_t)0x20 << (8 * (ACPI_PM1A_CNT_PORT - ACPI_PM_BASE + 1 - off))); /* no SLP_EN */
        if (off == ACPI_RESET_PORT - ACPI_PM_BASE && (uint8_t)v == ACPI_RESET_VALUE)
            v ^= 0x80;
        vmm_bus_write(&io, ACPI_PM_BASE + off, size, v);
        (void)vmm_bus_read(&io, ACPI_PM_BASE + off, size);
    }
    assert_int_equal(offs, 0);
    assert_int_equal(resets, 0);
}

static void debug_exit_status(void **state)
{
    (void)state;
    vmm_bus_write(&io, 0xf4, 1, 0);
    assert_int_equal(exit_status, 1);
    vmm_bus_write(&io, 0xf4, 1, 0x10);
    assert_int_equal(exit_status, 0x21);
    vmm_bus_write(&io, 0xf4, 4, 0x12345678);
    assert_int_equal(exit_status, 0x2468acf1u);
    vmm_bus_write(&io, 0xf4, 2, 0x1ffff);
    assert_int_equal(exit_status, 0x1ffff);
    vmm_bus_write(&io, 0xf5, 1, 1); /* not the port */
    assert_int_equal(exits, 4);
    assert_int_equal(vmm_bus_read(&io, 0xf4, 1), 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(power_off_on_s5_only, setup),
        cmocka_unit_test_setup(enable_bits_and_sci, setup),
        cmocka_unit_test_setup(reset_register, setup),
        cmocka_unit_test_setup(random_writes_never_power_off_without_s5, setup),
        cmocka_unit_test_setup(debug_exit_status, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
