// host-test-sources: wrappers/esp/esp_replay.c
/* SPDX-License-Identifier: GPL-2.0-only */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wrappers/esp/esp_replay.h"

#define W ESP_REPLAY_WINDOW

static enum esp_drop accept(struct esp_replay *r, uint32_t seq)
{
    enum esp_drop why = esp_replay_check(r, seq);
    if (why == ESP_DROP_NONE)
        esp_replay_update(r, seq);
    return why;
}

static void replay_window_is_at_least_1024(void **state)
{
    (void)state;
    assert_true(W >= 1024);
}

static void replay_zero_and_duplicates(void **state)
{
    (void)state;
    struct esp_replay r;
    esp_replay_init(&r);
    assert_int_equal(accept(&r, 0), ESP_DROP_SEQ_ZERO);
    assert_int_equal(accept(&r, 1), ESP_DROP_NONE);
    assert_int_equal(accept(&r, 1), ESP_DROP_REPLAY);
    assert_int_equal(accept(&r, 3), ESP_DROP_NONE);
    assert_int_equal(accept(&r, 2), ESP_DROP_NONE); /* reordered, inside */
    assert_int_equal(accept(&r, 2), ESP_DROP_REPLAY);
    assert_int_equal(accept(&r, 3), ESP_DROP_REPLAY);
}

static void replay_window_edges(void **state)
{
    (void)state;
    struct esp_replay r;
    esp_replay_init(&r);
    assert_int_equal(accept(&r, 5000), ESP_DROP_NONE);
    /* 5000 - (W-1) is the oldest number inside the window */
    assert_int_equal(accept(&r, 5000 - (W - 1)), ESP_DROP_NONE);
    assert_int_equal(accept(&r, 5000 - (W - 1)), ESP_DROP_REPLAY);
    assert_int_equal(accept(&r, 5000 - W), ESP_DROP_TOO_OLD);
    assert_int_equal(accept(&r, 1), ESP_DROP_TOO_OLD);
    /* every number in the window once, then all are replays */
    for (uint32_t s = 5000 - (W - 2); s < 5000; s++)
        assert_int_equal(accept(&r, s), ESP_DROP_NONE);
    for (uint32_t s = 5000 - (W - 1); s <= 5000; s++)
        assert_int_equal(accept(&r, s), ESP_DROP_REPLAY);
}

static void replay_advance_clears_only_new_slots(void **state)
{
    (void)state;
    struct esp_replay r;
    esp_replay_init(&r);
    for (uint32_t s = 1; s <= 100; s++)
        assert_int_equal(accept(&r, s), ESP_DROP_NONE);
    /* move by less than a window: numbers 101..W+49 never came, are new */
    assert_int_equal(accept(&r, W + 50), ESP_DROP_NONE);
    assert_int_equal(accept(&r, 50), ESP_DROP_TOO_OLD); /* top - 50 = W */
    assert_int_equal(accept(&r, 51), ESP_DROP_REPLAY);  /* oldest inside, seen */
    assert_int_equal(accept(&r, 100), ESP_DROP_REPLAY);
    assert_int_equal(accept(&r, 101), ESP_DROP_NONE);
    assert_int_equal(accept(&r, W + 49), ESP_DROP_NONE);
    assert_int_equal(accept(&r, W + 49), ESP_DROP_REPLAY);
}

static void replay_far_ahead_resets(void **state)
{
    (void)state;
    struct esp_replay r;
    esp_replay_init(&r);
    for (uint32_t s = 1; s <= 2 * W; s++)
        assert_int_equal(accept(&r, s), ESP_DROP_NONE);
    assert_int_equal(accept(&r, 0xfffffff0u), ESP_DROP_NONE);
    assert_int_equal(accept(&r, 2 * W), ESP_DROP_TOO_OLD);
    /* numbers that map to the same ring slots as old ones are new */
    for (uint64_t s = 0xfffffff0u - (W - 1); s < 0xfffffff0u; s += 97)
        assert_int_equal(accept(&r, (uint32_t)s), ESP_DROP_NONE);
    assert_int_equal(accept(&r, 0xffffffffu), ESP_DROP_NONE);
    assert_int_equal(accept(&r, 0xffffffffu), ESP_DROP_REPLAY);
    assert_int_equal(accept(&r, 0xfffffff0u), ESP_DROP_REPLAY);
}

static void replay_check_does_not_update(void **state)
{
    (void)state;
    struct esp_replay r;
    esp_replay_init(&r);
    assert_int_equal(esp_replay_check(&r, 9), ESP_DROP_NONE);
    assert_int_equal(esp_replay_check(&r, 9), ESP_DROP_NONE);
    assert_int_equal(r.top, 0);
}

/* Against a plain model: a set of seen numbers and the highest one. */
static void replay_matches_model(void **state)
{
    (void)state;
    static uint8_t seen[1 << 16];
    struct esp_replay r;
    esp_replay_init(&r);
    uint32_t top = 0, x = 12345;
    for (int i = 0; i < 200000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        uint32_t s = (x % 3 == 0) ? top + 1 + x % 1500 : (top > 1200 ? top - x % 1200 : x % 1200);
        s &= 0xffff;
        enum esp_drop want;
        if (s == 0)
            want = ESP_DROP_SEQ_ZERO;
        else if (s > top)
            want = ESP_DROP_NONE;
        else if (top - s >= W)
            want = ESP_DROP_TOO_OLD;
        else
            want = seen[s] ? ESP_DROP_REPLAY : ESP_DROP_NONE;
        assert_int_equal(accept(&r, s), want);
        if (want == ESP_DROP_NONE) {
            seen[s] = 1;
            if (s > top)
                top = s;
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(replay_window_is_at_least_1024),
        cmocka_unit_test(replay_zero_and_duplicates),
        cmocka_unit_test(replay_window_edges),
        cmocka_unit_test(replay_advance_clears_only_new_slots),
        cmocka_unit_test(replay_far_ahead_resets),
        cmocka_unit_test(replay_check_does_not_update),
        cmocka_unit_test(replay_matches_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
