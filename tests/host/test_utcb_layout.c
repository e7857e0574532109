// host-test-sources:
/* SPDX-License-Identifier: GPL-2.0-only */
/* The typed-item layout of lib/utcb.h is the one docs/abi.md states:
 * the n items of a message end with the word array, item 0 at
 * words[DJ_UTCB_WORDS - 2n], item n - 1 in the last two words. The
 * kernel's transfer reads them from the same place (kernel/ipc.c); the
 * coretest runtime_typed_items_in_documented_order checks the kernel. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "lib/utcb.h"

struct dj_utcb *dj_utcb_self; /* utcb.h declares them for user programs */
uint32_t dj_boot_cpu;
int32_t dj_exit_status;

static void test_item_order(void **state)
{
    (void)state;
    static struct dj_utcb u;
    for (unsigned n = 1; n <= DJ_UTCB_MAX_TYPED; n++) {
        struct dj_typed_item *items = dj_utcb_typed(&u, n);
        assert_ptr_equal(&items[0].crd, &u.words[DJ_UTCB_WORDS - 2 * n]);
        assert_ptr_equal(&items[0].hotspot, &u.words[DJ_UTCB_WORDS - 2 * n + 1]);
        assert_ptr_equal(&items[n - 1].hotspot, &u.words[DJ_UTCB_WORDS - 1]);
    }
    /* Two items, as the reader had them: item 0 first. */
    assert_ptr_equal(dj_utcb_typed(&u, 2), (struct dj_typed_item *)&u.words[476]);
}

static void test_mtd_counts(void **state)
{
    (void)state;
    assert_int_equal(DJ_MTD(DJ_UTCB_WORDS, 0), DJ_UTCB_WORDS);
    assert_int_equal(DJ_MTD(3, 2), 3 | 2 << 10);
    assert_int_equal(DJ_MTD(1024, 0), DJ_MTD_BAD);
    assert_int_equal(DJ_MTD(DJ_UTCB_WORDS + 1, 0), DJ_MTD_BAD);
    assert_int_equal(DJ_MTD(0, DJ_MTD_MAX_TYPED + 1), DJ_MTD_BAD);
    assert_int_equal(DJ_MTD_UNTYPED(DJ_MTD_BAD), 0); /* not a count in either field */
    assert_int_equal(DJ_MTD_TYPED(DJ_MTD_BAD), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_item_order),
        cmocka_unit_test(test_mtd_counts),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
