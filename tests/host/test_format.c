// host-test-sources: common/format.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's printf formatter against the C library's for the same input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "common/format.h"

#define CHECK_SAME(...)                                      \
    do {                                                     \
        char ours[128], libc[128];                           \
        int a = ksnprintf(ours, sizeof(ours), __VA_ARGS__);  \
        int b = snprintf(libc, sizeof(libc), __VA_ARGS__);   \
        assert_string_equal(ours, libc);                     \
        assert_int_equal(a, b);                              \
    } while (0)

static void integers(void **state)
{
    (void)state;
    CHECK_SAME("%d %i %u", -42, 17, 4000000000u);
    CHECK_SAME("%ld %lld %llu", -1234567890123L, (long long)INT64_MIN, (unsigned long long)UINT64_MAX);
    CHECK_SAME("%x %X %o", 0xdeadbeefu, 0xabcu, 0755u);
    CHECK_SAME("%hhu %hd %zu", 300, 70000, (size_t)12345);
    CHECK_SAME("%d", 0);
}

static void width_and_flags(void **state)
{
    (void)state;
    CHECK_SAME("[%5d] [%-5d] [%05d] [%+d] [% d]", 42, 42, 42, 42, 42);
    CHECK_SAME("[%#x] [%#018llx] [%#o]", 255u, 0xffffffff80000000ull, 8u);
    CHECK_SAME("[%08x] [%-8x|] [%.3d] [%8.3d]", 0x1234u, 0x1234u, 7, 7);
    CHECK_SAME("[%*d] [%-*d]", 6, 9, 6, 9);
    CHECK_SAME("[%05d]", -42);
    CHECK_SAME("[%.0d]", 0);
}

static void strings_and_chars(void **state)
{
    (void)state;
    CHECK_SAME("[%s] [%10s] [%-10s] [%.2s]", "abc", "abc", "abc", "abc");
    CHECK_SAME("[%c%c] [%3c]", 'h', 'i', 'x');
    CHECK_SAME("100%%");
}

static void pointer(void **state)
{
    (void)state;
    char ours[64];
    ksnprintf(ours, sizeof(ours), "%p", (void *)0x1000);
    assert_string_equal(ours, "0x1000");
}

static void truncation(void **state)
{
    (void)state;
    char buf[8];
    memset(buf, 'Z', sizeof(buf));
    int n = ksnprintf(buf, 5, "hello world");
    assert_int_equal(n, 11);
    assert_string_equal(buf, "hell");
    assert_int_equal(buf[5], 'Z'); /* nothing written past size */
    n = ksnprintf(buf, 0, "abc");
    assert_int_equal(n, 3);
    assert_int_equal(buf[0], 'h');
}

/* No format attribute: these strings are deliberately malformed. */
static int raw_format(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

static void unknown_conversion_shown(void **state)
{
    (void)state;
    char buf[32];
    raw_format(buf, sizeof(buf), "a%qb");
    assert_string_equal(buf, "a%qb");
    raw_format(buf, sizeof(buf), "end%");
    assert_string_equal(buf, "end%");
}

/* Edges the C library leaves undefined or that the kernel defines itself:
 * a NULL string prints "(null)" (also cut by a precision); '*' widths of
 * 0 and -0 pad nothing; a precision equal to the digit count adds no zero. */
static void null_string_and_edges(void **state)
{
    (void)state;
    char out[64];
    const char *volatile none = NULL; /* volatile: the compiler cannot see the NULL */
    assert_int_equal(ksnprintf(out, sizeof(out), "[%s]", none), 8);
    assert_string_equal(out, "[(null)]");
    assert_int_equal(ksnprintf(out, sizeof(out), "[%.3s|%8s]", none, none), 14);
    assert_string_equal(out, "[(nu|  (null)]");
    CHECK_SAME("[%*d] [%*d] [%-*d]", 0, 5, -0, 5, 0, 5);
    CHECK_SAME("[%.3d] [%.2x] [%.4o]", 123, 0xabu, 0777u);
    CHECK_SAME("[%#.3o] [%#o]", 8u, 0u);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(integers),        cmocka_unit_test(width_and_flags),
        cmocka_unit_test(strings_and_chars), cmocka_unit_test(pointer),
        cmocka_unit_test(truncation),      cmocka_unit_test(unknown_conversion_shown),
        cmocka_unit_test(null_string_and_edges),
    };
    return cmocka_run_group_tests_name("format", tests, NULL, NULL);
}
