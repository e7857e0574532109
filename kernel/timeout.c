/* SPDX-License-Identifier: GPL-2.0-only */
/* Timed semaphore downs: per-CPU lists of deadlines (see timeout.h). */
#include "kernel/timeout.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"
#include "kernel/assert.h"
#include "kernel/sm.h"

#define US_PER_S 1000000ull
#define US_PER_TICK (US_PER_S / TIMER_HZ)
_Static_assert(US_PER_S % TIMER_HZ == 0, "a tick is a whole number of microseconds");

/* Per CPU: the ECs waiting with a deadline, earliest first. */
static struct ec *timed[MAX_CPUS];

static uint64_t ticks_now(void)
{
    return this_cpu()->timer_ticks;
}

uint64_t timeout_deadline(uint64_t us)
{
    /* Whole ticks covering us, plus one: the tick now running may end at
     * once, so the first tick counted can be arbitrarily short. */
    uint64_t ticks = us / US_PER_TICK + (us % US_PER_TICK != 0) + 1;
    uint64_t now = ticks_now();
    return ticks > UINT64_MAX - now ? UINT64_MAX : now + ticks;
}

void timeout_arm(struct ec *ec, uint64_t deadline)
{
    ASSERT(!ec->timed_link && ec->cpu == this_cpu()->index);
    struct ec **link = &timed[ec->cpu];
    while (*link && (*link)->deadline <= deadline)
        link = &(*link)->timed_next;
    ec->deadline = deadline;
    ec->timed_next = *link;
    if (*link)
        (*link)->timed_link = &ec->timed_next;
    *link = ec;
    ec->timed_link = link;
}

void timeout_disarm(struct ec *ec)
{
    if (!ec->timed_link)
        return;
    *ec->timed_link = ec->timed_next;
    if (ec->timed_next)
        ec->timed_next->timed_link = ec->timed_link;
    ec->timed_next = 0;
    ec->timed_link = 0;
}

void timeout_expire(void)
{
    struct ec **head = &timed[this_cpu()->index];
    uint64_t now = ticks_now();
    while (*head && (*head)->deadline <= now)
        sm_wait_expired(*head); /* takes it off this list */
}
