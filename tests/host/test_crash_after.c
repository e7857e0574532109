// host-test-sources: lib/crash_after.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "lib/crash_after.h"

static bool find(const char *arg, uint64_t *n)
{
    return crash_after_find(arg, strlen(arg), n);
}

static void finds_the_item_among_others(void **state)
{
    (void)state;
    uint64_t n = 0;
    assert_true(find("crash_after=600", &n));
    assert_int_equal(n, 600);
    assert_true(find("net-serve,crash_after=7,x", &n));
    assert_int_equal(n, 7);
    assert_true(find("crash_after=999999999999", &n)); /* 12 digits */
    assert_int_equal(n, 999999999999ull);
}

static void refuses_malformed_counts(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "crash_after=", "crash_after=0", "crash_after=-1", "crash_after=+5", "crash_after=5x",
        "crash_after=1000000000000", /* 13 digits */
        "crash_after 5", "xcrash_after=5", "crash_after=5 ", "net-serve", ",,,",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        uint64_t n = 77;
        if (find(bad[i], &n))
            fail_msg("accepted '%s'", bad[i]);
    }
}

/* The arg field of the start info need not be terminated: the search
 * stops at its end. */
static void stops_at_the_given_length(void **state)
{
    (void)state;
    uint64_t n = 0;
    const char arg[] = "crash_after=12345";
    assert_true(crash_after_find(arg, sizeof(arg) - 3, &n));
    assert_int_equal(n, 123);
    assert_false(crash_after_find(arg, 12, &n)); /* "crash_after=" only */
}

static void arms_only_the_first_instance(void **state)
{
    (void)state;
    struct dj_start_info si;
    memset(&si, 0, sizeof(si));
    strcpy(si.arg, "crash_after=3");
    struct crash_after c;
    assert_true(crash_after_arm(&c, &si));
    assert_int_equal(c.left, 3);
    si.generation = 1;
    assert_true(crash_after_arm(&c, &si));
    assert_int_equal(c.left, 0);
    assert_false(crash_after_due(&c, 100));
    strcpy(si.arg, "other");
    si.generation = 0;
    assert_false(crash_after_arm(&c, &si));
    assert_false(crash_after_due(&c, 100));
}

static void due_exactly_once_when_the_count_is_used(void **state)
{
    (void)state;
    struct crash_after c = {.left = 10};
    assert_false(crash_after_due(&c, 0));
    assert_false(crash_after_due(&c, 9));
    assert_true(crash_after_due(&c, 1)); /* the 10th event */
    assert_false(crash_after_due(&c, 1));
    c.left = 5;
    assert_true(crash_after_due(&c, 50)); /* a batch past the count */
    assert_false(crash_after_due(&c, 50));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_the_item_among_others),
        cmocka_unit_test(refuses_malformed_counts),
        cmocka_unit_test(stops_at_the_given_length),
        cmocka_unit_test(arms_only_the_first_instance),
        cmocka_unit_test(due_exactly_once_when_the_count_is_used),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
