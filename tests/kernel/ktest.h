/* SPDX-License-Identifier: GPL-2.0-only */
/* In-kernel self-tests, linked into the test kernel only
 * (build/donjon-test.elf). Each file registers its tests with KTEST; main
 * runs them in link order and prints PASS/FAIL/SKIP lines. A test writes
 * its reason into why (a short phrase, no newline). */
#pragma once
#include <stddef.h>
#include "common/format.h"
#include "kernel/kernel.h"

enum ktest_result { KTEST_PASS, KTEST_FAIL, KTEST_SKIP };

/* Tests run in phases: EARLY before SMP bring-up, LATE after all CPUs are up. */
enum ktest_phase { KTEST_EARLY, KTEST_LATE };

struct ktest {
    const char *name;
    enum ktest_phase phase;
    enum ktest_result (*fn)(char *why, size_t why_len);
};

#define KTEST_PHASE(tname, ph)                                                              \
    static enum ktest_result ktest_fn_##tname(char *why, size_t why_len);                  \
    static const struct ktest ktest_##tname = {#tname, ph, ktest_fn_##tname};              \
    static const struct ktest *const ktest_ptr_##tname                                     \
        __attribute__((used, section(".ktests"))) = &ktest_##tname;                        \
    static enum ktest_result ktest_fn_##tname(char *why __attribute__((unused)),            \
                                              size_t why_len __attribute__((unused)))
#define KTEST(tname) KTEST_PHASE(tname, KTEST_LATE)

#define KTEST_REQUIRE(cond, ...)                        \
    do {                                                \
        if (!(cond)) {                                  \
            ksnprintf(why, why_len, __VA_ARGS__);       \
            return KTEST_FAIL;                          \
        }                                               \
    } while (0)
#define KTEST_SKIP_IF(cond, ...)                        \
    do {                                                \
        if (cond) {                                     \
            ksnprintf(why, why_len, __VA_ARGS__);       \
            return KTEST_SKIP;                          \
        }                                               \
    } while (0)

void ktest_run_phase(enum ktest_phase phase, struct ktest_totals *totals);
