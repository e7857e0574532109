// host-test-sources: common/cmdline.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "common/cmdline.h"

static void finds_bare_and_valued_keys(void **state)
{
    (void)state;
    const char *c = "donjon.test  donjon.crash=ud quiet";
    assert_true(cmdline_has(c, "donjon.test"));
    assert_true(cmdline_has(c, "donjon.crash"));
    assert_true(cmdline_has(c, "quiet"));
    assert_false(cmdline_has(c, "donjon"));
    assert_false(cmdline_has(c, "donjon.tes"));
    assert_false(cmdline_has("", "quiet"));
}

static void values_are_bounded(void **state)
{
    (void)state;
    char v[4];
    assert_true(cmdline_value("a=xyz b=longvalue", "b", v, sizeof(v)));
    assert_string_equal(v, "lon");
    assert_true(cmdline_value("a=xyz", "a", v, sizeof(v)));
    assert_string_equal(v, "xyz");
    assert_true(cmdline_value("a", "a", v, sizeof(v)));
    assert_string_equal(v, "");
    assert_false(cmdline_value("a=1", "b", v, sizeof(v)));
    assert_false(cmdline_value("a=1", "a", v, 0));
}

static void prefix_of_word_does_not_match(void **state)
{
    (void)state;
    char v[8];
    assert_false(cmdline_value("donjon.testing=1", "donjon.test", v, sizeof(v)));
    assert_true(cmdline_value("x donjon.test=2", "donjon.test", v, sizeof(v)));
    assert_string_equal(v, "2");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(finds_bare_and_valued_keys),
        cmocka_unit_test(values_are_bounded),
        cmocka_unit_test(prefix_of_word_does_not_match),
    };
    return cmocka_run_group_tests_name("cmdline", tests, NULL, NULL);
}
