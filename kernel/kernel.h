/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel-wide state decided at boot. */
#pragma once
#include <stdbool.h>
#include "kernel/boot_info.h"

extern struct boot_info boot_info; /* parsed multiboot2 information */

/* The in-kernel self-tests' results, which the test kernel reports with the
 * root PD's own at the end of a test run. */
struct ktest_totals { unsigned passed, failed, skipped; };

#ifdef DONJON_TEST_KERNEL
extern bool kernel_test_mode;      /* donjon.test: print results, power off */
extern struct ktest_totals kernel_test_totals;
#else
/* The production kernel has no test mode: every test-mode branch is dead
 * code the compiler drops (kernel_test_totals stays undefined, so a use
 * outside such a branch fails to link). */
#define kernel_test_mode false
extern struct ktest_totals kernel_test_totals;
#endif
