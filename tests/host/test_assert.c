// host-test-sources: tests/host/assert_production.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* ASSERT in the test kernel: a false condition panics with the file, the
 * line and the condition; a true one does nothing. In the production
 * kernel (assert_production.c) it evaluates nothing at all. */
#define DONJON_TEST_KERNEL 1
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "kernel/assert.h"

static jmp_buf panicked;
static char panic_message[256];
static unsigned panics;

void panic(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(panic_message, sizeof(panic_message), fmt, ap);
    va_end(ap);
    panics++;
    longjmp(panicked, 1);
}

int production_assert_evaluations(void);

static void true_condition_passes(void **state)
{
    (void)state;
    panics = 0;
    int x = 3;
    if (setjmp(panicked) == 0)
        ASSERT(x == 3);
    assert_int_equal(panics, 0);
}

static void false_condition_panics_with_place(void **state)
{
    (void)state;
    panics = 0;
    int x = 3;
    volatile int line = 0; /* set between setjmp and longjmp */
    if (setjmp(panicked) == 0) {
        line = __LINE__ + 1;
        ASSERT(x == 4);
    }
    assert_int_equal(panics, 1);
    char want[128];
    snprintf(want, sizeof(want), "assertion failed at %s:%d: x == 4", __FILE__, line);
    assert_string_equal(panic_message, want);
}

static void unreachable_panics_with_reason(void **state)
{
    (void)state;
    panics = 0;
    if (setjmp(panicked) == 0)
        ASSERT_UNREACHABLE("a node without a parent");
    assert_int_equal(panics, 1);
    assert_non_null(strstr(panic_message, "cannot happen at "));
    assert_non_null(strstr(panic_message, ": a node without a parent"));
}

static void production_evaluates_nothing(void **state)
{
    (void)state;
    panics = 0;
    assert_int_equal(production_assert_evaluations(), 0);
    assert_int_equal(panics, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(true_condition_passes),
        cmocka_unit_test(false_condition_panics_with_place),
        cmocka_unit_test(unreachable_panics_with_reason),
        cmocka_unit_test(production_evaluates_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
