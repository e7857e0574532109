/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel-wide state decided at boot. */
#pragma once
#include <stdbool.h>
#include "kernel/boot_info.h"
#include "kernel/ktest.h"

extern bool kernel_test_mode;      /* donjon.test: print results, power off */
extern struct boot_info boot_info; /* parsed multiboot2 information */
extern struct ktest_totals kernel_test_totals; /* the in-kernel self-tests' results */
