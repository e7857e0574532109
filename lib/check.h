/* SPDX-License-Identifier: BSD-2-Clause */
/* A component's list of self-checks (the example clients, the in-system
 * test components): each check returns false with a reason in why, and
 * the runner prints "PASS name" or "FAIL name: why" for it and counts it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define CHECK_WHY_MAX 120

/* In a check: fail it with a formatted reason unless cond holds. */
#define CHECK(cond, ...)                               \
    do {                                               \
        if (!(cond)) {                                 \
            snprintf(why, CHECK_WHY_MAX, __VA_ARGS__); \
            return false;                              \
        }                                              \
    } while (0)

struct check {
    const char *name;
    bool (*fn)(char why[CHECK_WHY_MAX]);
};

struct check_tally {
    unsigned passed, failed;
};

/* Where the PASS/FAIL lines go: the console server (which puts "[name] "
 * before each line) or the kernel's debug output (the lines as they are,
 * even with no console). */
enum check_output { CHECK_TO_CONSOLE, CHECK_TO_DEBUG };

void check_run(const struct check *c, enum check_output out, struct check_tally *t);
void check_run_all(const struct check *list, size_t n, enum check_output out, struct check_tally *t);
/* "N passed, N failed" on the console. */
void check_summary(const struct check_tally *t);
