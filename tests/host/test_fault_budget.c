// host-test-sources: kernel/fault_budget.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "kernel/fault_budget.h"

#define LIMIT 8

static void masks_once_when_the_tick_budget_is_used(void **state)
{
    (void)state;
    struct fault_budget b = {.limit = LIMIT};
    for (unsigned i = 1; i < LIMIT; i++)
        assert_false(fault_budget_event(&b));
    assert_true(fault_budget_event(&b)); /* the LIMIT-th event of the tick */
    assert_true(b.masked);
    /* Events that still arrive (a unit that was already signalling) do
     * not mask again. */
    for (unsigned i = 0; i < 3 * LIMIT; i++)
        assert_false(fault_budget_event(&b));
    assert_int_equal(b.maskings, 1);
}

static void the_next_tick_unmasks_and_refills(void **state)
{
    (void)state;
    struct fault_budget b = {.limit = LIMIT};
    for (unsigned i = 0; i < LIMIT; i++)
        fault_budget_event(&b);
    assert_true(fault_budget_tick(&b));
    assert_false(b.masked);
    assert_false(fault_budget_tick(&b)); /* nothing to unmask twice */
    for (unsigned i = 1; i < LIMIT; i++)
        assert_false(fault_budget_event(&b));
    assert_true(fault_budget_event(&b));
    assert_int_equal(b.maskings, 2);
}

static void a_quiet_source_is_never_masked(void **state)
{
    (void)state;
    struct fault_budget b = {.limit = LIMIT};
    /* LIMIT - 1 events in each of many ticks: a busy but bounded source. */
    for (unsigned tick = 0; tick < 1000; tick++) {
        for (unsigned i = 1; i < LIMIT; i++)
            assert_false(fault_budget_event(&b));
        assert_false(fault_budget_tick(&b));
    }
    assert_int_equal(b.maskings, 0);
}

static void a_storm_costs_at_most_limit_events_a_tick(void **state)
{
    (void)state;
    struct fault_budget b = {.limit = LIMIT};
    /* A source that fires whenever it is not masked: count what the CPU
     * takes over 100 ticks (each "tick" the source tries 1000 times). */
    unsigned taken = 0;
    for (unsigned tick = 0; tick < 100; tick++) {
        for (unsigned tries = 0; tries < 1000 && !b.masked; tries++) {
            taken++;
            fault_budget_event(&b);
        }
        fault_budget_tick(&b);
    }
    assert_int_equal(taken, 100 * LIMIT);
    assert_int_equal(b.maskings, 100);
}

static void a_limit_of_one_masks_on_the_first_event(void **state)
{
    (void)state;
    struct fault_budget b = {.limit = 1};
    assert_true(fault_budget_event(&b));
    assert_true(fault_budget_tick(&b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(masks_once_when_the_tick_budget_is_used),
        cmocka_unit_test(the_next_tick_unmasks_and_refills),
        cmocka_unit_test(a_quiet_source_is_never_masked),
        cmocka_unit_test(a_storm_costs_at_most_limit_events_a_tick),
        cmocka_unit_test(a_limit_of_one_masks_on_the_first_event),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
