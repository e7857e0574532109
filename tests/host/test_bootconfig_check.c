// host-test-sources: servers/init/bootconfig.c tools/bootconfig-check.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The build-time check of boot configurations (tools/bootconfig-check.c,
 * run by every ISO rule): a clean file passes, every kind of mistake
 * fails with file, line, what and the line quoted, a bin= that is not a
 * program of the ISO fails, and "# expect-errors N" lines hold exactly. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "tools/bootconfig-check.h"

static char *programs[] = {"sigma0", "init", "console", "counter", "counterclient"};
#define NPROGRAMS ((int)(sizeof(programs) / sizeof(programs[0])))

static char report[8192];

/* Writes text to a temporary file and checks it; report gets the output. */
static int check_text(const char *text)
{
    char path[] = "/tmp/bootconfig-check-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    FILE *err = fmemopen(report, sizeof(report) - 1, "w");
    assert_non_null(err);
    int st = bootconfig_check(path, programs, NPROGRAMS, err);
    fclose(err);
    unlink(path);
    return st;
}

static void expect_report(const char *needle)
{
    if (!strstr(report, needle))
        fail_msg("report '%s' does not mention '%s'", report, needle);
}

static const char good[] = "console bin=console quota=128 prio=90 debug=yes\n"
                           "counter bin=counter quota=128 prio=70 pt=console\n"
                           "counterclient bin=counterclient quota=128 prio=55 pt=counter,console\n";

static void test_clean_file_passes(void **state)
{
    (void)state;
    memset(report, 0, sizeof(report));
    assert_int_equal(check_text(good), 0);
    assert_string_equal(report, "");
}

static void test_blank_in_list_fails_with_line(void **state)
{
    (void)state;
    assert_int_equal(check_text("console bin=console quota=128 prio=90\n"
                                "counter bin=counter quota=128 prio=70 pt=console\n"
                                "counterclient bin=counterclient quota=128 prio=55 pt=counter, console\n"),
                     1);
    expect_report(":3: error: pt=counter,: empty item at the end");
    expect_report("    counterclient bin=counterclient quota=128 prio=55 pt=counter, console\n");
    expect_report("1 error: init would skip these lines at boot");
}

static void test_unknown_key_suggested(void **state)
{
    (void)state;
    assert_int_equal(check_text("console bin=console quota=128 priority=90\n"), 1);
    expect_report(":1: error: unknown key 'priority' (did you mean 'prio'?)");
}

static void test_bin_not_in_iso(void **state)
{
    (void)state;
    assert_int_equal(check_text("kvstore bin=kvstore quota=128 prio=70\n"), 1);
    expect_report(":1: error: bin=kvstore: no boot module of that name");
    expect_report("(programs of this ISO: sigma0 init console counter counterclient)");
}

static void test_missing_component(void **state)
{
    (void)state;
    assert_int_equal(check_text("counterclient bin=counterclient quota=128 prio=55 pt=counter\n"
                                "counter bin=counter quota=128 prio=70\n"),
                     1);
    expect_report(":1: error: pt=counter: no component of that name on an earlier line (it is on line 2)");
}

static void test_expected_errors(void **state)
{
    (void)state;
    /* Marked mistakes are no error... */
    assert_int_equal(check_text("console bin=console quota=128 prio=90\n"
                                "# expect-errors 2: on purpose\n"
                                "broken bin=console quota=128 prio=90 colour=blue\n"
                                "\n# a comment between\n"
                                "ghost bin=nosuch quota=128 prio=50\n"
                                "counter bin=counter quota=128 prio=70\n"),
                     0);
    /* ...a marked line that is fine is one, and so is an unmarked mistake. */
    assert_int_equal(check_text("# expect-errors 1\n"
                                "console bin=console quota=128 prio=90\n"
                                "ghost bin=nosuch quota=128 prio=50\n"),
                     1);
    expect_report(":2: error: marked as a mistake (# expect-errors) but init accepts it");
    expect_report(":3: error: bin=nosuch: no boot module of that name");
    expect_report("2 errors");
}

static void test_unreadable_file(void **state)
{
    (void)state;
    FILE *err = fmemopen(report, sizeof(report) - 1, "w");
    assert_int_equal(bootconfig_check("/nonexistent/config", programs, NPROGRAMS, err), 2);
    fclose(err);
    expect_report("cannot read it");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clean_file_passes),
        cmocka_unit_test(test_blank_in_list_fails_with_line),
        cmocka_unit_test(test_unknown_key_suggested),
        cmocka_unit_test(test_bin_not_in_iso),
        cmocka_unit_test(test_missing_component),
        cmocka_unit_test(test_expected_errors),
        cmocka_unit_test(test_unreadable_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
