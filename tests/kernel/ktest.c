/* SPDX-License-Identifier: GPL-2.0-only */
#include "tests/kernel/ktest.h"
#include "kernel/console.h"

#define KTEST_WHY_MAX 160

extern const struct ktest *const __ktests_start[];
extern const struct ktest *const __ktests_end[];

static const char *const result_words[] = {"PASS", "FAIL", "SKIP"};

void ktest_run_phase(enum ktest_phase phase, struct ktest_totals *totals)
{
    for (const struct ktest *const *t = __ktests_start; t < __ktests_end; t++) {
        if ((*t)->phase != phase)
            continue;
        char why[KTEST_WHY_MAX] = "";
        enum ktest_result r = (*t)->fn(why, sizeof(why));
        if (r == KTEST_PASS) {
            totals->passed++;
            kprintf("PASS %s\n", (*t)->name);
        } else {
            if (r == KTEST_FAIL)
                totals->failed++;
            else
                totals->skipped++;
            kprintf("%s %s: %s\n", result_words[r], (*t)->name, why[0] ? why : "(no reason given)");
        }
    }
}
