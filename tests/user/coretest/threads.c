/* SPDX-License-Identifier: GPL-2.0-only */
/* Core-test threads: see threads.h. */
#include <stdbool.h>
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "threads.h"
#include "utest.h"

#define THREADS_MAX 96 /* every thread of the run: sched_tests and timed_wait_tests */
#define HANDLER_STACK_PAGES 2

struct thread {
    void (*fn)(uint64_t arg);
    uint64_t arg;
    uint64_t stack_top;
};

static struct thread threads[THREADS_MAX];
static unsigned nthreads;
static uint64_t startup_ec[THREAD_CPUS_MAX]; /* per-CPU startup handler; 0 = none */
static bool probed;
unsigned thread_cpu_list[THREAD_CPUS_MAX], thread_cpu_count;
uint64_t thread_never_sm;

static __attribute__((noreturn)) void thread_entry(uint64_t idx)
{
    threads[idx].fn(threads[idx].arg);
    for (;;)
        dj_sm_down(thread_never_sm);
}

/* The startup event: start the thread the portal's badge names. */
static uint64_t startup_handler(uint64_t badge, struct dj_utcb *u)
{
    uint64_t idx = badge - 1;
    u->arch.rip = (uint64_t)thread_entry;
    u->arch.rsp = threads[idx].stack_top - 8; /* as if called: rsp + 8 is 16-aligned */
    u->arch.rdi = idx;
    return DJ_MTD(0, 0);
}

/* Creates the startup handler EC of cpu; false when the CPU is not online. */
static bool startup_ec_create(unsigned cpu)
{
    static void *spare; /* the stack of a failed attempt, for the next one */
    void *stack = spare ? spare : utest_pages(HANDLER_STACK_PAGES);
    uint64_t sel = utest_selector(), utcb = utest_va(1);
    spare = 0;
    if (!stack)
        return false;
    uint64_t sp = dj_handler_stack(stack, HANDLER_STACK_PAGES * UTEST_PAGE, (struct dj_utcb *)utcb, startup_handler);
    if (dj_create_ec(sel, DJ_SEL_SELF_PD, cpu, utcb, sp, 0, false) != DJ_OK) {
        spare = stack;
        return false;
    }
    startup_ec[cpu] = sel;
    return true;
}

void threads_probe(void)
{
    if (probed)
        return;
    probed = true;
    uint64_t sm = utest_selector();
    thread_never_sm = dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK ? sm : 0;
    for (unsigned c = 0; c < THREAD_CPUS_MAX; c++)
        if (startup_ec_create(c))
            thread_cpu_list[thread_cpu_count++] = c;
}

/* Reserves DJ_EV_COUNT selectors for an EC's event portals. */
static uint64_t event_base_reserve(void)
{
    uint64_t base = utest_selector();
    for (unsigned i = 1; i < DJ_EV_COUNT; i++)
        utest_selector();
    return base;
}

uint64_t thread_spawn(unsigned cpu, unsigned prio, unsigned stack_pages, void (*fn)(uint64_t), uint64_t arg)
{
    threads_probe();
    if (cpu >= THREAD_CPUS_MAX || !startup_ec[cpu] || nthreads >= THREADS_MAX || !thread_never_sm)
        return 0;
    void *stack = utest_pages(stack_pages);
    if (!stack)
        return 0;
    unsigned idx = nthreads++;
    threads[idx] = (struct thread){fn, arg, (uint64_t)stack + stack_pages * UTEST_PAGE};
    uint64_t eb = event_base_reserve(), pt = eb + DJ_EV_STARTUP, ec = utest_selector();
    if (dj_create_pt(pt, DJ_SEL_SELF_PD, startup_ec[cpu], DJ_MTD_RIP_RSP | DJ_MTD_GPR, (uint64_t)dj_portal_entry) !=
            DJ_OK ||
        dj_pt_ctrl(pt, idx + 1) != DJ_OK ||
        dj_create_ec(ec, DJ_SEL_SELF_PD, cpu, utest_va(1), 0, eb, true) != DJ_OK ||
        dj_create_sc(utest_selector(), DJ_SEL_SELF_PD, ec, prio, 0) != DJ_OK)
        return 0;
    return ec;
}
