/* SPDX-License-Identifier: GPL-2.0-only */
/* The test kernel's steps in the boot (tests/kernel/boot_steps.c): the
 * in-kernel self-tests, test mode (donjon.test: report and power off) and
 * the deliberate faults of donjon.crash=. The production kernel
 * (build/donjon.elf) is built without DONJON_TEST_KERNEL and has none of
 * them: its steps below only say that such options are ignored. */
#pragma once

#ifdef DONJON_TEST_KERNEL
/* Read donjon.test from the command line. */
void selftest_options(void);
/* The self-tests that run before the other CPUs start. */
void selftest_run_early(void);
/* The rest, then donjon.crash=; prints the summary unless in test mode,
 * where the root PD's tests come next and the summary waits for them. */
void selftest_run_late(void);
/* Test mode without a root PD: the summary, then power off. */
__attribute__((noreturn)) void selftest_finish(void);
#else
void selftest_options(void);
static inline void selftest_run_early(void) {}
static inline void selftest_run_late(void) {}
#endif
