/* SPDX-License-Identifier: GPL-2.0-only */
/* User-level test registry: each file registers tests with UTEST(name) and
 * main runs them in the order of the file `order`
 * (user.mk links the files in that order). A test returns true on success; on
 * failure it writes a short reason into why. Tests may use the helpers
 * below for memory from the root's pool and for printing. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "lib/x86.h"

#define UTEST_PAGE 4096ull

struct utest {
    const char *name;
    bool (*fn)(char *why, size_t why_len);
};

#define UTEST(tname)                                                                  \
    static bool utest_fn_##tname(char *why, size_t why_len);                         \
    static const struct utest utest_##tname = {#tname, utest_fn_##tname};            \
    static const struct utest *const utest_ptr_##tname                               \
        __attribute__((used, section("utests"))) = &utest_##tname;                   \
    static bool utest_fn_##tname(char *why __attribute__((unused)),                  \
                                 size_t why_len __attribute__((unused)))

/* Fail the current test with a formatted reason. */
#define UTEST_REQUIRE(cond, ...)                  \
    do {                                          \
        if (!(cond)) {                            \
            snprintf(why, why_len, __VA_ARGS__);  \
            return false;                         \
        }                                         \
    } while (0)

/* Skip the current test (it cannot run here, e.g. on one CPU): main
 * reports "SKIP name: reason" and counts it as skipped. */
extern bool utest_skipped;
#define UTEST_SKIP(...)                          \
    do {                                         \
        snprintf(why, why_len, __VA_ARGS__);     \
        utest_skipped = true;                    \
        return true;                             \
    } while (0)

/* The kernel's boot information page (read before any IPC reuses the
 * UTCB words that named it). */
extern const struct dj_bootinfo *utest_bootinfo;
/* Pages from the root PD's pool (never returned); NULL when exhausted. */
void *utest_pages(uint64_t pages);
/* A fresh capability selector (never reused). */
uint64_t utest_selector(void);
/* A fresh page-aligned virtual address range for UTCBs or mappings. */
uint64_t utest_va(uint64_t pages);
/* Print one BENCH line: "BENCH name value tsc". */
void utest_bench(const char *name, uint64_t tsc_value);
static inline uint64_t utest_rdtsc(void)
{
    return rdtsc();
}
