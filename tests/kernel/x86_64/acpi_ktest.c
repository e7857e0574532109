/* SPDX-License-Identifier: GPL-2.0-only */
/* ACPI checks on the running platform (QEMU and Bochs always have ACPI). */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "tests/kernel/ktest.h"
#include "arch/x86_64/timer.h"

KTEST(acpi_tables_found)
{
    KTEST_REQUIRE(acpi.present, "no RSDP found");
    KTEST_REQUIRE(acpi.have_madt, "no usable MADT");
    KTEST_REQUIRE(acpi.have_fadt, "no usable FADT");
    KTEST_REQUIRE(acpi.cpu_count >= 1, "MADT lists no usable CPU");
    return KTEST_PASS;
}

KTEST(acpi_madt_has_bsp)
{
    uint32_t id = lapic_id();
    for (unsigned i = 0; i < acpi.cpu_count; i++)
        if (acpi.cpu_apic_ids[i] == id)
            return KTEST_PASS;
    KTEST_REQUIRE(false, "BSP APIC id %u is not among the %u CPUs of the MADT", id, acpi.cpu_count);
    return KTEST_FAIL;
}

KTEST(acpi_s5_found)
{
    KTEST_REQUIRE(acpi.s5_valid, "no \\_S5 package in the DSDT");
    KTEST_REQUIRE(acpi.pm1a_cnt != 0, "FADT has no PM1a control block");
    return KTEST_PASS;
}

/* Ticks of the PM timer across a 2 ms TSC delay. */
static uint32_t pm_ticks_in_2ms(uint32_t mask)
{
    uint32_t a = inl((uint16_t)acpi.pm_timer_port) & mask;
    timer_udelay(2000);
    uint32_t b = inl((uint16_t)acpi.pm_timer_port) & mask;
    return (b - a) & mask;
}

/* 2 ms is ~7160 ticks; the margin is wide for emulator jitter. A host that
 * deschedules the emulator between the two reads stretches one sample, so
 * the test takes the best of a few: a stuck or racing timer misses them all. */
#define PM_SAMPLES 5
KTEST(acpi_pm_timer_advances)
{
    KTEST_SKIP_IF(!acpi.pm_timer_port, "FADT names no PM timer");
    uint32_t mask = acpi.pm_timer_32bit ? 0xffffffffu : 0xffffffu;
    uint32_t ticks = 0;
    for (int i = 0; i < PM_SAMPLES; i++) {
        ticks = pm_ticks_in_2ms(mask);
        if (ticks >= 1000 && ticks <= 100000)
            return KTEST_PASS;
    }
    KTEST_REQUIRE(false, "PM timer moved %u ticks in 2 ms (last of %d samples)", ticks, PM_SAMPLES);
    return KTEST_FAIL;
}
