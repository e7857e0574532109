/* SPDX-License-Identifier: GPL-2.0-only */
/* The test kernel's steps in the boot (kernel/selftest.h): run the
 * self-tests, keep their totals for the end of the run, and fault on
 * purpose when donjon.crash= asks (crash.c). */
#include "arch/x86_64/acpi.h"
#include "common/cmdline.h"
#include "tests/kernel/crash.h"
#include "kernel/console.h"
#include "kernel/kernel.h"
#include "tests/kernel/ktest.h"
#include "kernel/selftest.h"

bool kernel_test_mode;
struct ktest_totals kernel_test_totals;

void selftest_options(void)
{
    kernel_test_mode = cmdline_has(boot_info.cmdline, "donjon.test");
}

void selftest_run_early(void)
{
    ktest_run_phase(KTEST_EARLY, &kernel_test_totals);
}

static void print_totals(void)
{
    const struct ktest_totals *t = &kernel_test_totals;
    kprintf("%u passed, %u failed, %u skipped\n", t->passed, t->failed, t->skipped);
}

void selftest_run_late(void)
{
    ktest_run_phase(KTEST_LATE, &kernel_test_totals);
    crash_if_asked();
    if (!kernel_test_mode)
        print_totals();
}

void selftest_finish(void)
{
    print_totals();
    kprintf("donjon: boot complete\n");
    acpi_poweroff();
}
