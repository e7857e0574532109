// host-test-sources: tests/kernel/x86_64/guest_frames.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The virtualization smoke tests' frame arrays (arch/x86_64/guest_frames.c)
 * on the host: arrays of exactly n entries on the heap, so the address
 * sanitizer stops any access past them; a failing allocation gives back
 * exactly the frames taken before it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>
#include "kernel/frame_alloc.h"
#include "tests/kernel/x86_64/guest_frames.h"

#define FRAME 4096ull
#define FIRST_FRAME 0x100000ull

static unsigned allocs_left, live;
static uint64_t next_frame;

uint64_t frame_alloc(void)
{
    if (!allocs_left)
        return 0;
    allocs_left--;
    live++;
    next_frame += FRAME;
    return next_frame;
}

void frame_free(uint64_t phys)
{
    assert_true(phys >= FIRST_FRAME && phys <= next_frame && phys % FRAME == 0);
    assert_true(live > 0);
    live--;
}

static void reset(unsigned allocatable)
{
    allocs_left = allocatable;
    live = 0;
    next_frame = FIRST_FRAME - FRAME;
}

static void alloc_and_free_exactly_n(void **state)
{
    (void)state;
    for (unsigned n = 1; n <= 8; n++) {
        reset(100);
        uint64_t *frames = malloc(n * sizeof(*frames));
        assert_true(guest_frames_alloc(frames, n));
        assert_int_equal(live, n);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(frames[i], FIRST_FRAME + i * FRAME);
        guest_frames_free(frames, n);
        assert_int_equal(live, 0);
        for (unsigned i = 0; i < n; i++)
            assert_int_equal(frames[i], 0);
        free(frames);
    }
}

static void failure_gives_back_what_it_took(void **state)
{
    (void)state;
    for (unsigned got = 0; got < 5; got++) {
        reset(got);
        uint64_t *frames = calloc(5, sizeof(*frames));
        assert_false(guest_frames_alloc(frames, 5));
        assert_int_equal(live, 0);
        for (unsigned i = 0; i < 5; i++)
            assert_int_equal(frames[i], 0);
        free(frames);
    }
}

static void free_skips_empty_entries(void **state)
{
    (void)state;
    reset(100);
    uint64_t *frames = malloc(3 * sizeof(*frames));
    assert_true(guest_frames_alloc(frames, 3));
    guest_frames_free(frames + 1, 1);
    assert_int_equal(live, 2);
    guest_frames_free(frames, 3); /* entry 1 is 0 now: not freed again */
    assert_int_equal(live, 0);
    free(frames);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alloc_and_free_exactly_n),
        cmocka_unit_test(failure_gives_back_what_it_took),
        cmocka_unit_test(free_skips_empty_entries),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
