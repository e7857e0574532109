/* SPDX-License-Identifier: GPL-2.0-only */
/* ASSERT as the production kernel compiles it (no DONJON_TEST_KERNEL), for
 * tests/host/test_assert.c: a false condition does nothing and no
 * condition is evaluated. */
#include "kernel/assert.h"

int production_assert_evaluations(void);
int production_assert_evaluations(void)
{
    int evaluations = 0;
    ASSERT(++evaluations == 0);
    ASSERT_UNREACHABLE("never evaluated either");
    return evaluations;
}
