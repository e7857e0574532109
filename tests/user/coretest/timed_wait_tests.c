/* SPDX-License-Identifier: GPL-2.0-only */
/* Timed semaphore downs (DJ_SM_OP_DOWN_TIMEOUT): they time out, never
 * early; an up before the deadline wins, one after it stays as a count;
 * 0 is a try, any timeout is accepted; killing the waiter, revoking its
 * semaphore or destroying the semaphore's PD ends the wait, over many
 * rounds, with nothing left on the kernel's deadline lists (a dead waiter
 * left there would trip the test kernel's assertion at its deadline) and
 * every page back in its quota.
 *
 * Threads run on the root's CPU: a waiter above the root's priority
 * blocks as soon as it is created; a helper below it runs only while the
 * root waits. Every wait of the root is itself a timed down. */
#include <stdbool.h>
#include "lib/server.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "threads.h"
#include "utest.h"

#define STACK_PAGES 2
#define WAITER_PRIO 100 /* above the root: runs at once, until it blocks */
#define HELPER_PRIO 32  /* below the root: runs while the root waits */
#define US_PER_MS 1000ull
#define MS_PER_S 1000ull
#define BOUND_US (5000 * US_PER_MS)  /* a root wait for something that must come */
#define LONG_US (60000 * US_PER_MS)  /* a wait that something else must end */
#define SHORT_US (20 * US_PER_MS)
/* Deadlines of the killed waiters: longer than spawning and killing them
 * all takes on the slowest emulator (Bochs), so each kill comes first. */
#define KILL_SHORT_US (250 * US_PER_MS)
#define KILL_ROUNDS 24
#define REVOKE_ROUNDS 40
#define QUOTA_PD_PAGES 64
#define TIMEOUTS_CHECKED 4

static const uint64_t timeouts_us[TIMEOUTS_CHECKED] = {1, 9999, 10001, 45000};

static uint64_t new_sm(uint64_t count)
{
    uint64_t sel = utest_selector();
    return dj_create_sm(sel, DJ_SEL_SELF_PD, count) == DJ_OK ? sel : 0;
}

static enum dj_status ec_kill(uint64_t ec_sel)
{
    return (enum dj_status)dj_syscall(DJ_SYS_EC_CTRL, ec_sel, DJ_EC_OP_KILL, 0, 0, 0, 0).status;
}

static uint64_t quota_free(uint64_t pd)
{
    uint64_t free = 0;
    return dj_pd_quota(pd, &free, 0) == DJ_OK ? free : ~0ull;
}

/* ---- threads on the root's CPU (threads.h) ---- */

/* A thread at prio running fn(arg); its EC selector, or 0. */
static uint64_t spawn(unsigned prio, void (*fn)(uint64_t), uint64_t arg)
{
    return thread_spawn(dj_boot_cpu, prio, STACK_PAGES, fn, arg);
}

/* What a test shares with its threads. */
struct waiter {
    uint64_t sm, done;       /* waits on sm; ups done when it has returned */
    uint64_t go;             /* go_waiter: starts a round */
    uint64_t timeout_us;
    volatile uint64_t rounds; /* how many waits returned */
    volatile int64_t status;  /* of the last, -1 while none */
};

static void timed_waiter(uint64_t arg)
{
    struct waiter *w = (struct waiter *)arg;
    for (;;) {
        w->status = dj_sm_down_timeout(w->sm, w->timeout_us);
        w->rounds++;
        dj_sm_up(w->done);
    }
}

/* Waits for go, then on sm with a deadline, each round. */
static void go_waiter(uint64_t arg)
{
    struct waiter *w = (struct waiter *)arg;
    for (;;) {
        dj_sm_down(w->go);
        w->status = dj_sm_down_timeout(w->sm, w->timeout_us);
        w->rounds++;
        dj_sm_up(w->done);
    }
}

static void upper(uint64_t arg)
{
    dj_sm_up(arg);
}

/* Microseconds between two TSC readings, by the kernel's TSC rate. */
static uint64_t tsc_us(uint64_t cycles)
{
    uint64_t hz = utest_bootinfo->tsc_hz;
    return cycles / hz * US_PER_MS * MS_PER_S + cycles % hz * US_PER_MS * MS_PER_S / hz;
}

/* ---- tests ---- */

UTEST(timed_wait_times_out_not_early)
{
    uint64_t sm = new_sm(0);
    UTEST_REQUIRE(sm, "semaphore failed");
    UTEST_REQUIRE(utest_bootinfo && utest_bootinfo->magic == DJ_BOOTINFO_MAGIC, "no boot information");
    for (unsigned i = 0; i < TIMEOUTS_CHECKED; i++) {
        uint64_t t0 = utest_rdtsc();
        enum dj_status st = dj_sm_down_timeout(sm, timeouts_us[i]);
        uint64_t cycles = utest_rdtsc() - t0;
        UTEST_REQUIRE(st == DJ_E_TIMEOUT, "a wait of %llu us nobody ended returned %d",
                      (unsigned long long)timeouts_us[i], st);
        if (!utest_bootinfo->tsc_hz)
            UTEST_SKIP("the kernel does not know the TSC rate: the times were not checked");
        uint64_t us = tsc_us(cycles);
        UTEST_REQUIRE(us >= timeouts_us[i], "a wait of %llu us ended after %llu us",
                      (unsigned long long)timeouts_us[i], (unsigned long long)us);
        UTEST_REQUIRE(us < timeouts_us[i] + BOUND_US, "a wait of %llu us took %llu us",
                      (unsigned long long)timeouts_us[i], (unsigned long long)us);
    }
    return true;
}

UTEST(timed_wait_up_before_deadline_wins)
{
    static struct waiter w;
    w = (struct waiter){.sm = new_sm(0), .done = new_sm(0), .timeout_us = LONG_US, .status = -1};
    uint64_t root_sm = new_sm(0);
    UTEST_REQUIRE(w.sm && w.done && root_sm, "semaphores failed");
    /* The root waits; a thread below it ups the semaphore meanwhile. */
    UTEST_REQUIRE(spawn(HELPER_PRIO, upper, root_sm), "thread setup failed");
    uint64_t t0 = utest_rdtsc();
    UTEST_REQUIRE(dj_sm_down_timeout(root_sm, BOUND_US) == DJ_OK, "the root's wait was not ended by the up");
    UTEST_REQUIRE(!utest_bootinfo->tsc_hz || tsc_us(utest_rdtsc() - t0) < BOUND_US, "the up came too late");
    UTEST_REQUIRE(dj_sm_try_down(root_sm) == DJ_E_TIMEOUT, "the up was counted as well");
    /* A thread waits; the root ups. */
    UTEST_REQUIRE(spawn(WAITER_PRIO, timed_waiter, (uint64_t)&w), "thread setup failed");
    UTEST_REQUIRE(w.rounds == 0, "the waiter did not wait");
    dj_sm_up(w.sm);
    UTEST_REQUIRE(w.rounds == 1 && w.status == DJ_OK, "the waiter got %lld after an up", (long long)w.status);
    UTEST_REQUIRE(dj_sm_try_down(w.sm) == DJ_E_TIMEOUT, "the up was counted as well");
    return true;
}

UTEST(timed_wait_up_after_timeout_is_kept)
{
    static struct waiter w;
    w = (struct waiter){.sm = new_sm(0), .done = new_sm(0), .timeout_us = SHORT_US, .status = -1};
    UTEST_REQUIRE(w.sm && w.done, "semaphores failed");
    UTEST_REQUIRE(dj_sm_down_timeout(w.sm, SHORT_US) == DJ_E_TIMEOUT, "nobody upped, yet no timeout");
    dj_sm_up(w.sm);
    UTEST_REQUIRE(dj_sm_try_down(w.sm) == DJ_OK, "an up after the timeout was lost");
    UTEST_REQUIRE(dj_sm_try_down(w.sm) == DJ_E_TIMEOUT, "one up counted twice");
    /* A thread times out (it outranks the root: it runs at its expiry). */
    UTEST_REQUIRE(spawn(WAITER_PRIO, timed_waiter, (uint64_t)&w), "thread setup failed");
    UTEST_REQUIRE(dj_sm_down_timeout(w.done, BOUND_US) == DJ_OK, "the waiter's wait did not end");
    UTEST_REQUIRE(w.status == DJ_E_TIMEOUT, "the waiter got %lld", (long long)w.status);
    w.timeout_us = LONG_US; /* its next wait: the root's up ends it */
    dj_sm_up(w.sm);
    UTEST_REQUIRE(w.rounds == 2 && w.status == DJ_OK, "the waiter got %lld after an up", (long long)w.status);
    return true;
}

UTEST(timed_wait_zero_is_try)
{
    uint64_t sm = new_sm(0);
    UTEST_REQUIRE(sm, "semaphore failed");
    UTEST_REQUIRE(dj_sm_down_timeout(sm, 0) == DJ_E_TIMEOUT, "a zero timeout on 0 did not fail");
    dj_sm_up(sm);
    UTEST_REQUIRE(dj_sm_down_timeout(sm, 0) == DJ_OK, "a zero timeout did not down a count");
    UTEST_REQUIRE(dj_sm_down_timeout(sm, 0) == DJ_E_TIMEOUT, "one up downed twice");
    UTEST_REQUIRE(dj_syscall(DJ_SYS_SM_CTRL, sm, DJ_SM_OP_DOWN_TIMEOUT + 1, 0, 0, 0, 0).status == DJ_E_BAD_PARAM,
                  "an unknown operation was accepted");
    return true;
}

UTEST(timed_wait_huge_timeout_accepted)
{
    static struct waiter w;
    w = (struct waiter){.sm = new_sm(0), .done = new_sm(0), .timeout_us = UINT64_MAX, .status = -1};
    uint64_t pause_sm = new_sm(0);
    UTEST_REQUIRE(w.sm && w.done && pause_sm, "semaphores failed");
    UTEST_REQUIRE(spawn(WAITER_PRIO, timed_waiter, (uint64_t)&w), "thread setup failed");
    /* An overflowing deadline would lie in the past: it would end at once. */
    UTEST_REQUIRE(dj_sm_down_timeout(pause_sm, SHORT_US) == DJ_E_TIMEOUT, "the pause was not a pause");
    UTEST_REQUIRE(w.rounds == 0, "a wait of UINT64_MAX us ended with %lld", (long long)w.status);
    w.timeout_us = UINT64_MAX / 2 + 1;
    dj_sm_up(w.sm);
    UTEST_REQUIRE(w.rounds == 1 && w.status == DJ_OK, "the waiter got %lld after an up", (long long)w.status);
    UTEST_REQUIRE(dj_sm_down_timeout(pause_sm, SHORT_US) == DJ_E_TIMEOUT, "the pause was not a pause");
    UTEST_REQUIRE(w.rounds == 1, "a wait of 2^63 us ended with %lld", (long long)w.status);
    dj_sm_up(w.sm);
    UTEST_REQUIRE(w.rounds == 2 && w.status == DJ_OK, "the waiter got %lld after an up", (long long)w.status);
    return true;
}

UTEST(timed_wait_ec_kill_ends_it)
{
    static struct waiter w[KILL_ROUNDS];
    static const uint64_t kill_timeouts_us[] = {KILL_SHORT_US, 3 * KILL_SHORT_US, LONG_US};
    uint64_t ecs[KILL_ROUNDS], sm = new_sm(0), done = new_sm(0), pause_sm = new_sm(0);
    UTEST_REQUIRE(sm && done && pause_sm, "semaphores failed");
    for (unsigned i = 0; i < KILL_ROUNDS; i++) {
        w[i] = (struct waiter){.sm = sm, .done = done, .timeout_us = kill_timeouts_us[i % 3], .status = -1};
        ecs[i] = spawn(WAITER_PRIO, timed_waiter, (uint64_t)&w[i]);
        UTEST_REQUIRE(ecs[i] && w[i].rounds == 0, "waiter %u: thread setup failed", i);
    }
    /* Odd ones first, then the even ones from the last: kills unlink
     * waiters from the head, the middle and the end of the deadline list. */
    for (unsigned i = 1; i < KILL_ROUNDS; i += 2)
        UTEST_REQUIRE(ec_kill(ecs[i]) == DJ_OK, "waiter %u: kill refused", i);
    for (unsigned i = KILL_ROUNDS; i >= 2; i -= 2)
        UTEST_REQUIRE(ec_kill(ecs[i - 2]) == DJ_OK, "waiter %u: kill refused", i - 2);
    /* Past the short deadlines: a killed waiter left on the list would fire. */
    UTEST_REQUIRE(dj_sm_down_timeout(pause_sm, 4 * KILL_SHORT_US) == DJ_E_TIMEOUT, "the pause was not a pause");
    for (unsigned i = 0; i < KILL_ROUNDS; i++) {
        UTEST_REQUIRE(w[i].rounds == 0, "killed waiter %u returned %lld", i, (long long)w[i].status);
        UTEST_REQUIRE(ec_kill(ecs[i]) == DJ_E_BAD_CAP, "killed waiter %u's capability still works", i);
    }
    dj_sm_up(sm);
    UTEST_REQUIRE(dj_sm_try_down(sm) == DJ_OK, "an up went to a killed waiter");
    UTEST_REQUIRE(dj_sm_try_down(done) == DJ_E_TIMEOUT, "a killed waiter ran");
    return true;
}

/* Each round the waiter waits on a fresh semaphore charged to a quota PD,
 * which the root then takes away: by revoking its only capability, or by
 * destroying the PD it is charged to. */
static bool revoke_rounds(bool destroy_pd, char *why, size_t why_len)
{
    static struct waiter w;
    uint64_t q = utest_selector();
    UTEST_REQUIRE(dj_create_pd(q, DJ_SEL_SELF_PD, QUOTA_PD_PAGES) == DJ_OK, "quota PD failed");
    uint64_t before = quota_free(q), pd = q;
    w = (struct waiter){.go = new_sm(0), .done = new_sm(0), .timeout_us = LONG_US, .status = -1};
    UTEST_REQUIRE(w.go && w.done && spawn(WAITER_PRIO, go_waiter, (uint64_t)&w), "thread setup failed");
    for (unsigned i = 0; i < REVOKE_ROUNDS; i++) {
        if (destroy_pd) {
            pd = utest_selector();
            UTEST_REQUIRE(dj_create_pd(pd, q, QUOTA_PD_PAGES / 2) == DJ_OK, "round %u: PD failed", i);
        }
        uint64_t sm = utest_selector();
        UTEST_REQUIRE(dj_create_sm(sm, pd, 0) == DJ_OK, "round %u: semaphore failed", i);
        w.sm = sm;
        dj_sm_up(w.go); /* it outranks the root: it waits on sm before the up returns */
        UTEST_REQUIRE(w.rounds == i, "round %u: the waiter did not wait", i);
        UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_OBJ, destroy_pd ? pd : sm, 0, 0), true) == DJ_OK,
                      "round %u: revoke failed", i);
        UTEST_REQUIRE(dj_sm_down_timeout(w.done, BOUND_US) == DJ_OK, "round %u: the wait did not end", i);
        UTEST_REQUIRE(w.status == DJ_E_ABORTED, "round %u: the waiter got %lld", i, (long long)w.status);
        UTEST_REQUIRE(dj_sm_up(sm) == DJ_E_BAD_CAP, "round %u: the semaphore outlived it", i);
    }
    /* The quota PD's pages come back once its children are destroyed
     * (which may finish while the CPU idles: give it a little time). */
    uint64_t after = quota_free(q);
    for (unsigned tries = 0; after != before && tries < BOUND_US / SHORT_US; tries++) {
        dj_sm_down_timeout(thread_never_sm, SHORT_US);
        after = quota_free(q);
    }
    UTEST_REQUIRE(after == before, "the quota PD has %llu pages free, %llu before", (unsigned long long)after,
                  (unsigned long long)before);
    return true;
}

UTEST(timed_wait_sm_revoke_aborts_it)
{
    return revoke_rounds(false, why, why_len);
}

UTEST(timed_wait_sm_pd_destroy_aborts_it)
{
    return revoke_rounds(true, why, why_len);
}
