/* SPDX-License-Identifier: GPL-2.0-only */
/* In-system tests of the kernel core, run as the root PD (the sigma0
 * module of the test ISO). Runs every UTEST, prints PASS/FAIL lines and
 * BENCH lines on the kernel debug console, then hands its totals to the
 * kernel, which adds them to its own and powers off. */
#include <stdbool.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define FIRST_TEST_SELECTOR 1024
#define TEST_VA_BASE 0x7f0000000000ull
#define WHY_MAX 160

extern const struct utest *const __start_utests[], *const __stop_utests[];

static uint64_t pool_va, pool_pages, pool_used;
const struct dj_bootinfo *utest_bootinfo;
static uint64_t next_selector = FIRST_TEST_SELECTOR;
static uint64_t next_va = TEST_VA_BASE;
bool utest_skipped;

void *utest_pages(uint64_t pages)
{
    if (pool_used + pages > pool_pages)
        return 0;
    void *p = (void *)(pool_va + pool_used * UTEST_PAGE);
    pool_used += pages;
    return p;
}

/* Fresh selectors never land on the root's interrupt and MSI
 * capabilities (DJ_SEL_IRQ_BASE..): the tests run long enough, with more
 * CPUs more of them, to count up to there. */
uint64_t utest_selector(void)
{
    if (next_selector >= DJ_SEL_IRQ_BASE && next_selector < DJ_SEL_MSI_BASE + DJ_MSI_COUNT)
        next_selector = DJ_SEL_MSI_BASE + DJ_MSI_COUNT;
    return next_selector++;
}

uint64_t utest_va(uint64_t pages)
{
    uint64_t va = next_va;
    next_va += (pages + 1) * UTEST_PAGE; /* an unmapped page between ranges */
    return va;
}

void utest_bench(const char *name, uint64_t value)
{
    char line[96];
    snprintf(line, sizeof(line), "BENCH %s %llu tsc\n", name, (unsigned long long)value);
    dj_debug_puts(line);
}

int main(void)
{
    pool_va = dj_utcb()->words[0];
    pool_pages = dj_utcb()->words[1];
    utest_bootinfo = (const struct dj_bootinfo *)(uintptr_t)dj_utcb()->words[2];
    dj_debug_puts("coretest: root PD running\n");
    unsigned passed = 0, failed = 0, skipped = 0;
    for (const struct utest *const *t = __start_utests; t < __stop_utests; t++) {
        char why[WHY_MAX] = "no reason given", line[WHY_MAX + 64];
        utest_skipped = false;
        bool ok = (*t)->fn(why, sizeof(why));
        if (ok && utest_skipped)
            snprintf(line, sizeof(line), "SKIP %s: %s\n", (*t)->name, why);
        else if (ok)
            snprintf(line, sizeof(line), "PASS %s\n", (*t)->name);
        else
            snprintf(line, sizeof(line), "FAIL %s: %s\n", (*t)->name, why);
        dj_debug_puts(line);
        if (ok && utest_skipped)
            skipped++;
        else
            ok ? passed++ : failed++;
    }
    dj_debug(DJ_DEBUG_OP_TEST_DONE, (uint64_t)passed << 32 | failed, skipped);
    return 0;
}
