/* SPDX-License-Identifier: GPL-2.0-only */
/* The victim (roguenic.h): a page of its own, no DMA right on it, filled
 * with a pattern whose every byte depends on its offset. The rogue learns
 * the page's addresses from this portal (what a hostile driver would aim
 * at: the physical address, which is where a device without an IOMMU
 * would write); after each attack this PD itself compares the page.
 * During the rogue's fault storm its main thread proves progress: timed
 * sleeps of 10 ms, each a round that must end within ROUND_LIMIT_FACTOR
 * times the average round measured before (the TSC's rate is not known
 * to components: the quiet rounds are the yardstick). It ends the
 * run with everyone's totals, or with a FAIL when the rogue never reports. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/component.h"
#include "lib/proto.h"
#include "lib/serve.h"
#include "lib/syscall.h"
#include "lib/x86.h"
#include "roguenic.h"

#define PAGE_VA (DJ_CHILD_FREE_VA + 16 * ROGUE_PAGE)
#define HANDLER_UTCB_VA DJ_CHILD_FREE_VA
#define HANDLER_STACK_BYTES 16384
#define SEL_TIMER_SM (DJ_CHILD_FIRST_FREE + 8) /* never upped: timed sleeps */
#define PROGRESS_ROUNDS 100
#define ROUND_SLEEP_US ROGUE_ROUND_US
#define BASELINE_ROUNDS 20
#define ROUND_LIMIT_FACTOR 200 /* 2 s for a 10 ms round */
#define WAIT_STEP_US 100000
#define RUN_LIMIT_STEPS 2000 /* 200 s: the rogue's whole run */
#define US_PER_MS 1000
#define MS_PER_S 1000

static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static volatile uint8_t *page;
static uint64_t page_phys;
static struct tally own, rogue_totals;
static volatile bool progress_wanted, progress_done, rogue_finished;
static volatile uint64_t progress_rounds;
static uint64_t stash[2];
static uint64_t baseline_tsc; /* the average quiet round */

static uint8_t pattern(unsigned i)
{
    return (uint8_t)(0xa5 ^ (i * 7) ^ (i >> 8));
}

/* The first offset that differs from the pattern, or -1. */
static long first_difference(void)
{
    for (unsigned i = 0; i < ROGUE_PAGE; i++)
        if (page[i] != pattern(i))
            return (long)i;
    return -1;
}

static const char *const check_names[VICTIM_CHECK_COUNT] = {
    [VICTIM_CHECK_AFTER_READS] = "rogue_dma_victim_page_unchanged_after_reads",
    [VICTIM_CHECK_AFTER_WRITES] = "rogue_dma_victim_page_unchanged_after_writes",
    [VICTIM_CHECK_AFTER_RESTART] = "rogue_dma_victim_page_unchanged_after_restart",
    [VICTIM_CHECK_AFTER_STORM] = "rogue_dma_victim_page_unchanged_after_storm",
};

static enum dj_status check_page(uint64_t which)
{
    if (which >= VICTIM_CHECK_COUNT)
        return DJ_E_BAD_PARAM;
    long at = first_difference();
    report(&own, at < 0, check_names[which], "byte %ld is %#x, not %#x", at, at < 0 ? 0 : page[at],
           at < 0 ? 0 : pattern((unsigned)at));
    return at < 0 ? DJ_OK : DJ_E_ABORTED;
}

static uint64_t handler(uint64_t badge, struct dj_utcb *u)
{
    if (badge == DJ_BADGE_PARENT)
        return dj_reply_status(u, dj_is_client_announcement(u) ? DJ_OK : DJ_E_BAD_PARAM);
    switch (u->words[0]) {
    case VICTIM_OP_TARGET:
        u->words[1] = PAGE_VA;
        u->words[2] = page_phys;
        u->words[0] = DJ_OK;
        return DJ_MTD(3, 0);
    case VICTIM_OP_CHECK:
        return dj_reply_status(u, check_page(u->words[1]));
    case VICTIM_OP_STASH:
        stash[0] = u->words[1];
        stash[1] = u->words[2];
        return dj_reply_status(u, DJ_OK);
    case VICTIM_OP_UNSTASH:
        u->words[1] = stash[0];
        u->words[2] = stash[1];
        u->words[0] = DJ_OK;
        return DJ_MTD(3, 0);
    case VICTIM_OP_PROGRESS:
        if (!progress_wanted) {
            progress_wanted = true;
            dj_sm_up(ROGUE_SEL_WORK_SM);
        }
        u->words[1] = progress_done;
        u->words[2] = progress_rounds;
        u->words[3] = baseline_tsc;
        u->words[0] = DJ_OK;
        return DJ_MTD(4, 0);
    case VICTIM_OP_RESULTS:
        rogue_totals.passed += (unsigned)u->words[1];
        rogue_totals.failed += (unsigned)u->words[2];
        rogue_totals.skipped += (unsigned)u->words[3];
        if (u->words[4] && !rogue_finished) {
            rogue_finished = true;
            dj_sm_up(ROGUE_SEL_WORK_SM);
        }
        return dj_reply_status(u, DJ_OK);
    default:
        return dj_reply_status(u, DJ_E_BAD_PARAM);
    }
}

/* A round's length in tenths of the average quiet round. */
static uint64_t tenths_of_baseline(uint64_t tsc)
{
    return baseline_tsc ? tsc * 10 / baseline_tsc : UINT64_MAX;
}

static void measure_baseline(void)
{
    uint64_t t0 = rdtsc();
    for (unsigned r = 0; r < BASELINE_ROUNDS; r++)
        dj_sm_down_timeout(SEL_TIMER_SM, ROUND_SLEEP_US);
    baseline_tsc = (rdtsc() - t0) / BASELINE_ROUNDS;
}

/* Timed sleeps while the storm runs: each must come back in time (the
 * CPU is shared with the rogue and gets the fault interrupts). */
static void prove_progress(void)
{
    uint64_t worst = 0, start = rdtsc();
    long changed = -1;
    for (unsigned r = 0; r < PROGRESS_ROUNDS; r++) {
        uint64_t t0 = rdtsc();
        dj_sm_down_timeout(SEL_TIMER_SM, ROUND_SLEEP_US);
        uint64_t took = rdtsc() - t0;
        if (took > worst)
            worst = took;
        if (changed < 0)
            changed = first_difference();
        progress_rounds = r + 1;
    }
    uint64_t worst_tenths = tenths_of_baseline(worst);
    bool ok = worst_tenths <= ROUND_LIMIT_FACTOR * 10 && changed < 0;
    report(&own, ok, "rogue_dma_storm_other_pd_progress",
           "the slowest of %u rounds of %u ms took %lu.%lu times a quiet round (limit %u), page %s", PROGRESS_ROUNDS,
           ROUND_SLEEP_US / US_PER_MS, (unsigned long)(worst_tenths / 10), (unsigned long)(worst_tenths % 10),
           ROUND_LIMIT_FACTOR, changed < 0 ? "unchanged" : "changed");
    say("%u rounds of %u ms during the storm took %lu quiet rounds' time, the slowest %lu.%lu", PROGRESS_ROUNDS,
        ROUND_SLEEP_US / US_PER_MS, (unsigned long)(tenths_of_baseline(rdtsc() - start) / 10),
        (unsigned long)(worst_tenths / 10), (unsigned long)(worst_tenths % 10));
    progress_done = true;
}

__attribute__((noreturn)) static void finish(void)
{
    struct tally all = {own.passed + rogue_totals.passed, own.failed + rogue_totals.failed,
                        own.skipped + rogue_totals.skipped};
    dj_debug(DJ_DEBUG_OP_TEST_DONE, (uint64_t)all.passed << 32 | all.failed, all.skipped);
    dj_block_forever(ROGUE_SEL_SLEEP_SM);
}

__attribute__((noreturn)) void victim_main(void)
{
    enum dj_status st = dj_mem_alloc(PAGE_VA, 0, DJ_MEM_R | DJ_MEM_W);
    if (st == DJ_OK)
        st = dj_mem_phys(PAGE_VA, &page_phys, 0);
    if (st == DJ_OK)
        st = dj_create_sm(ROGUE_SEL_WORK_SM, DJ_SEL_SELF_PD, 0);
    if (st == DJ_OK)
        st = dj_create_sm(SEL_TIMER_SM, DJ_SEL_SELF_PD, 0);
    if (st != DJ_OK) {
        report(&own, false, "rogue_dma_victim_setup", "page or semaphores: status %d", st);
        finish();
    }
    measure_baseline();
    page = (volatile uint8_t *)PAGE_VA;
    for (unsigned i = 0; i < ROGUE_PAGE; i++)
        page[i] = pattern(i);
    say("page at %#lx, physical %#lx, filled with its pattern", (unsigned long)PAGE_VA, (unsigned long)page_phys);
    st = dj_serve(handler, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA);
    if (st != DJ_OK) {
        report(&own, false, "rogue_dma_victim_setup", "cannot offer its service (status %d)", st);
        finish();
    }
    for (unsigned step = 0; !rogue_finished && step < RUN_LIMIT_STEPS; step++) {
        dj_sm_down_timeout(ROGUE_SEL_WORK_SM, WAIT_STEP_US);
        if (progress_wanted && !progress_done)
            prove_progress();
    }
    if (!rogue_finished)
        report(&own, false, "rogue_dma_run_finished", "the rogue did not report its last results within %u s",
               RUN_LIMIT_STEPS * (WAIT_STEP_US / US_PER_MS) / MS_PER_S);
    else
        report(&own, true, "rogue_dma_run_finished", NULL);
    finish();
}
