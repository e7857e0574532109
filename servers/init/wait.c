/* SPDX-License-Identifier: GPL-2.0-only */
/* Bounded waits of init's main EC, and init's own threads.
 *
 * Everything the main EC waits for (a service offered, a component died,
 * an announcement answered, a restart requested) wakes it through one
 * semaphore (init_wake); it then checks again what it waits for. A wait
 * with a deadline is a timed down of that semaphore (the kernel wakes the
 * main EC when the time has passed, never earlier), and the time already
 * spent is read from the TSC at the rate the kernel calibrated: the main
 * EC may be woken, and run restarts, many times within one wait.
 *
 * Nothing spins: a wait costs no CPU time, so components of any priority
 * run meanwhile, also the ones the awaited component depends on. Only a
 * component above init's priority that computes without end holds the
 * main EC off past a deadline. */
#include <stdio.h>
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "lib/x86.h"
#include "init.h"

#define THREAD_QUANTUM_US 10000
#define CALL_FRAME_BIAS 8 /* a function starts with RSP = 8 mod 16 (its return address) */
#define TSC_HZ_ASSUMED 2000000000ull /* when the kernel could not calibrate the TSC */
#define HZ_PER_MHZ 1000000ull
#define MS_PER_S 1000ull
#define US_PER_MS 1000ull
/* UTCBs of init's own threads, after the handler ECs' (handlers.c). */
#define THREAD_UTCB_VA 0x7ff000100000ull
#define PAGE 4096ull

static uint64_t main_sm, tsc_per_ms;
static unsigned wait_depth;

/* ---- init's own threads ------------------------------------------------- */

struct init_thread {
    void (*fn)(uint64_t arg);
    uint64_t arg;
    void *stack;
    size_t stack_size;
};
static struct init_thread threads[INIT_THREADS_MAX];
static unsigned nthreads;

uint64_t init_thread_startup(unsigned index, struct dj_utcb *u)
{
    if (index >= nthreads || u->mtd != INIT_THREAD_STARTUP_MTD || u->arch.vector != DJ_EV_STARTUP) {
        u->arch.rip = INIT_KILL_RIP;
        return DJ_MTD(0, 0);
    }
    const struct init_thread *t = &threads[index];
    u->arch.rip = (uint64_t)(uintptr_t)t->fn;
    u->arch.rsp = (uint64_t)(uintptr_t)t->stack + t->stack_size - CALL_FRAME_BIAS;
    u->arch.rdi = t->arg;
    return DJ_MTD(0, 0);
}

/* A thread of init on the boot CPU (where init's event handler EC serves
 * its startup event): a global EC with its own event base, whose only
 * portal is the startup one (badge INIT_THREAD_BADGE | index); a fault
 * ends the thread (the kernel says so). */
bool init_thread_create(void (*fn)(uint64_t), uint64_t arg, void *stack, size_t stack_size, unsigned prio,
                        uint64_t *utcb_va)
{
    if (nthreads == INIT_THREADS_MAX)
        return false;
    unsigned index = nthreads++;
    threads[index] = (struct init_thread){fn, arg, stack, stack_size};
    uint64_t base = init_sels(DJ_EV_COUNT), ec = init_sel(), sc = init_sel();
    uint64_t pt = base + DJ_EV_STARTUP;
    *utcb_va = THREAD_UTCB_VA + index * PAGE;
    enum dj_status st = dj_create_pt(pt, DJ_SEL_SELF_PD, init_event_ec, INIT_THREAD_STARTUP_MTD,
                                     (uint64_t)(uintptr_t)dj_portal_entry);
    if (st == DJ_OK)
        st = dj_pt_ctrl(pt, INIT_THREAD_BADGE | index);
    if (st == DJ_OK)
        st = dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, *utcb_va, 0, base, true);
    if (st == DJ_OK)
        st = dj_create_sc(sc, DJ_SEL_SELF_PD, ec, prio, THREAD_QUANTUM_US);
    if (st != DJ_OK)
        printf("init: cannot create a thread of its own (status %d)\n", st);
    return st == DJ_OK;
}

/* ---- the bounded waits -------------------------------------------------- */

bool wait_init(const struct dj_bootinfo *bi)
{
    bool known = bi->tsc_hz >= MS_PER_S;
    tsc_per_ms = (known ? bi->tsc_hz : TSC_HZ_ASSUMED) / MS_PER_S;
    main_sm = init_sel();
    if (dj_create_sm(main_sm, DJ_SEL_SELF_PD, 0) != DJ_OK)
        return false;
    printf("init: waits are timed semaphore downs; time spent read from the TSC at %lu MHz (%s)\n",
           (unsigned long)(tsc_per_ms * MS_PER_S / HZ_PER_MHZ), known ? "kernel" : "assumed");
    return true;
}

void init_wake(void)
{
    dj_sm_up(main_sm);
}

/* Microseconds in cycles of the TSC, rounded up: a wait never ends early. */
static uint64_t cycles_to_us(uint64_t cycles)
{
    return (cycles * US_PER_MS + tsc_per_ms - 1) / tsc_per_ms;
}

bool init_wait(bool (*done)(const void *ctx), const void *ctx, unsigned ms, bool restarts)
{
    uint64_t start = rdtsc(), budget = (uint64_t)ms * tsc_per_ms;
    wait_depth++;
    bool ok;
    for (;;) {
        if ((ok = done(ctx)))
            break;
        uint64_t spent = rdtsc() - start;
        if (spent >= budget)
            break;
        /* Restarts run only from the outermost wait, at a point where no
         * component is half built. */
        if (restarts && wait_depth == 1 && restart_run_pending())
            continue;
        dj_sm_down_timeout(main_sm, cycles_to_us(budget - spent));
    }
    wait_depth--;
    return ok;
}

void init_sleep(void)
{
    dj_sm_down(main_sm);
}
