/* SPDX-License-Identifier: GPL-2.0-only */
/* Bounded waits of init's main EC, and init's own threads.
 *
 * The kernel has no timed wait, so a deadline is kept by a watchdog: a
 * thread of init that, while the main EC sleeps with a deadline, spins on
 * the TSC and wakes the main EC once the deadline has passed; it stops
 * spinning as soon as anything else wakes the main EC, and sleeps without
 * a deadline. Deadlines never fire early.
 *   - With more than one CPU, one watchdog runs on the last CPU, where no
 *     component runs (init starts them all on the boot CPU), so nothing a
 *     component does on the boot CPU holds it off.
 *   - On one CPU, a wait for a component (its service offer, or its answer
 *     to an announcement, which runs on its announcer at its priority) is
 *     kept by a watchdog at that component's priority: it shares the CPU
 *     round robin with the component, so a component that blocks or one
 *     that computes without end runs into the deadline alike, while
 *     components of lower priority wait until the wait ends. Only another
 *     component computing without end at a higher priority holds it off.
 *
 * Everything the main EC waits for (a service offered, a component died,
 * an announcement answered, a restart requested) wakes it through one
 * semaphore (init_wake); it then checks again what it waits for. */
#include <stdio.h>
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "init.h"

#define WATCHDOG_PRIO 0 /* of the watchdog on another CPU */
#define WATCHDOG_STACK_BYTES 2048
#define WATCHDOGS_MAX (BC_MAX_COMPONENTS + 1)
#define THREAD_QUANTUM_US 10000
#define CALL_FRAME_BIAS 8 /* a function starts with RSP = 8 mod 16 (its return address) */
#define TSC_HZ_ASSUMED 2000000000ull /* when CPUID does not say */
#define CPUID_TSC_LEAF 0x15
#define CPUID_FREQ_LEAF 0x16
#define HZ_PER_MHZ 1000000ull
#define MS_PER_S 1000ull
/* UTCBs of init's own threads, after the handler ECs' (handlers.c). */
#define THREAD_UTCB_VA 0x7ff000100000ull
/* The handler EC for startup events of threads on another CPU. */
#define REMOTE_STARTUP_UTCB_VA 0x7ff000004000ull
#define PAGE 4096ull

static uint64_t main_sm, tsc_per_ms;
static unsigned wait_depth;

struct watchdog {
    uint64_t sm;
    unsigned prio;
};
static struct watchdog watchdogs[WATCHDOGS_MAX];
static unsigned nwatchdogs;
static bool remote_watchdog; /* watchdogs[0] runs on another CPU and keeps every deadline */
static uint64_t watchdog_stacks[WATCHDOGS_MAX][WATCHDOG_STACK_BYTES / 8] __attribute__((aligned(16)));
/* The deadline of the main EC's wait (0: none), the watchdog keeping it,
 * and whether anything woke the main EC since it last looked. */
static volatile uint64_t deadline_tsc;
static volatile unsigned armed;
static volatile bool woken;
static uint64_t remote_startup_stack[INIT_THREAD_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint64_t remote_startup_ec;
static unsigned remote_cpu;

static inline uint64_t tsc_now(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c)
{
    uint32_t d;
    __asm__ volatile("cpuid" : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(d) : "a"(leaf), "c"(0));
}

/* The TSC's rate as CPUID reports it (leaf 0x15: crystal ratio, else
 * leaf 0x16: base MHz), else TSC_HZ_ASSUMED: deadlines are approximate. */
static uint64_t tsc_hz(const char **source)
{
    uint32_t max, a, b, c;
    cpuid(0, &max, &b, &c);
    if (max >= CPUID_TSC_LEAF) {
        cpuid(CPUID_TSC_LEAF, &a, &b, &c);
        if (a && b && c) {
            *source = "CPUID";
            return (uint64_t)c * b / a;
        }
    }
    if (max >= CPUID_FREQ_LEAF) {
        cpuid(CPUID_FREQ_LEAF, &a, &b, &c);
        if (a & 0xffff) {
            *source = "CPUID";
            return (uint64_t)(a & 0xffff) * HZ_PER_MHZ;
        }
    }
    *source = "assumed";
    return TSC_HZ_ASSUMED;
}

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

static uint64_t remote_startup(uint64_t badge, struct dj_utcb *u)
{
    return init_thread_startup((unsigned)(badge & ~INIT_THREAD_BADGE), u);
}

/* Events are calls, and calls only reach handlers on the caller's CPU:
 * a thread on another CPU has its startup event served by a handler EC
 * there (one CPU only: the watchdog's). */
static uint64_t startup_handler_for(unsigned cpu)
{
    if (cpu == dj_boot_cpu)
        return init_event_ec;
    if (remote_startup_ec)
        return cpu == remote_cpu ? remote_startup_ec : 0;
    uint64_t ec = init_sel();
    uint64_t sp = dj_handler_stack(remote_startup_stack, sizeof(remote_startup_stack),
                                   (struct dj_utcb *)(uintptr_t)REMOTE_STARTUP_UTCB_VA, remote_startup);
    if (dj_create_ec(ec, DJ_SEL_SELF_PD, cpu, REMOTE_STARTUP_UTCB_VA, sp, DJ_CHILD_EVENT_BASE, false) != DJ_OK)
        return 0;
    remote_startup_ec = ec;
    remote_cpu = cpu;
    return ec;
}

/* A thread of init on cpu: a global EC with its own event base, whose
 * only portal is the startup one (badge INIT_THREAD_BADGE | index); a
 * fault ends the thread (the kernel says so). */
bool init_thread_create(void (*fn)(uint64_t), uint64_t arg, void *stack, size_t stack_size, unsigned prio,
                        unsigned cpu, uint64_t *utcb_va)
{
    uint64_t handler = startup_handler_for(cpu);
    if (nthreads == INIT_THREADS_MAX || !handler)
        return false;
    unsigned index = nthreads++;
    threads[index] = (struct init_thread){fn, arg, stack, stack_size};
    uint64_t base = init_sels(DJ_EV_COUNT), ec = init_sel(), sc = init_sel();
    uint64_t pt = base + DJ_EV_STARTUP;
    *utcb_va = THREAD_UTCB_VA + index * PAGE;
    enum dj_status st = dj_create_pt(pt, DJ_SEL_SELF_PD, handler, INIT_THREAD_STARTUP_MTD,
                                     (uint64_t)(uintptr_t)dj_portal_entry);
    if (st == DJ_OK)
        st = dj_pt_ctrl(pt, INIT_THREAD_BADGE | index);
    if (st == DJ_OK)
        st = dj_create_ec(ec, DJ_SEL_SELF_PD, cpu, *utcb_va, 0, base, true);
    if (st == DJ_OK)
        st = dj_create_sc(sc, DJ_SEL_SELF_PD, ec, prio, THREAD_QUANTUM_US);
    if (st != DJ_OK)
        printf("init: cannot create a thread of its own (status %d)\n", st);
    return st == DJ_OK;
}

/* ---- the watchdog and the bounded waits ---------------------------------- */

static __attribute__((noreturn)) void watchdog(uint64_t index)
{
    for (;;) {
        dj_sm_down(watchdogs[index].sm);
        while (armed == index && !woken) {
            uint64_t d = __atomic_load_n(&deadline_tsc, __ATOMIC_ACQUIRE);
            if (!d)
                break;
            if (tsc_now() >= d) {
                __atomic_compare_exchange_n(&deadline_tsc, &d, 0, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
                dj_sm_up(main_sm);
                break;
            }
            __builtin_ia32_pause();
        }
    }
}

static bool watchdog_create(unsigned prio, unsigned cpu)
{
    if (nwatchdogs == WATCHDOGS_MAX)
        return false;
    struct watchdog *w = &watchdogs[nwatchdogs];
    uint64_t utcb;
    w->sm = init_sel();
    w->prio = prio;
    if (dj_create_sm(w->sm, DJ_SEL_SELF_PD, 0) != DJ_OK ||
        !init_thread_create(watchdog, nwatchdogs, watchdog_stacks[nwatchdogs], sizeof(watchdog_stacks[0]), prio, cpu,
                            &utcb))
        return false;
    nwatchdogs++;
    return true;
}

/* The watchdog for a wait on a component of priority prio. */
static unsigned watchdog_for(unsigned prio)
{
    if (remote_watchdog)
        return 0;
    for (unsigned i = 0; i < nwatchdogs; i++)
        if (watchdogs[i].prio == prio)
            return i;
    return watchdog_create(prio, dj_boot_cpu) ? nwatchdogs - 1 : 0;
}

bool wait_init(unsigned cpu_count)
{
    const char *source = "";
    tsc_per_ms = tsc_hz(&source) / MS_PER_S;
    if (!tsc_per_ms)
        tsc_per_ms = TSC_HZ_ASSUMED / MS_PER_S;
    main_sm = init_sel();
    if (dj_create_sm(main_sm, DJ_SEL_SELF_PD, 0) != DJ_OK)
        return false;
    unsigned cpu = cpu_count > 1 ? cpu_count - 1 : dj_boot_cpu;
    remote_watchdog = cpu != dj_boot_cpu && watchdog_create(WATCHDOG_PRIO, cpu);
    /* On one CPU, watchdogs[0] (priority 0) is the fallback of watchdog_for. */
    if (!remote_watchdog && !watchdog_create(WATCHDOG_PRIO, dj_boot_cpu))
        return false;
    if (remote_watchdog)
        printf("init: waits are bounded by the TSC at %lu MHz (%s), watched from CPU %u\n",
               (unsigned long)(tsc_per_ms / 1000), source, cpu);
    else
        printf("init: waits are bounded by the TSC at %lu MHz (%s), watched at the priority of what is awaited\n",
               (unsigned long)(tsc_per_ms / 1000), source);
    return true;
}

void init_wake(void)
{
    woken = true;
    dj_sm_up(main_sm);
}

bool init_wait(bool (*done)(const void *ctx), const void *ctx, unsigned ms, unsigned prio, bool restarts)
{
    uint64_t end = tsc_now() + (uint64_t)ms * tsc_per_ms;
    unsigned w = watchdog_for(prio);
    wait_depth++;
    bool ok;
    for (;;) {
        woken = false; /* what wakes the main EC from here on stops the watchdog */
        if ((ok = done(ctx)))
            break;
        if (tsc_now() >= end)
            break;
        /* Restarts run only from the outermost wait, at a point where no
         * component is half built. */
        if (restarts && wait_depth == 1 && restart_run_pending())
            continue;
        armed = w;
        __atomic_store_n(&deadline_tsc, end, __ATOMIC_RELEASE);
        dj_sm_up(watchdogs[w].sm);
        dj_sm_down(main_sm);
    }
    __atomic_store_n(&deadline_tsc, 0, __ATOMIC_RELEASE);
    wait_depth--;
    return ok;
}

void init_sleep(void)
{
    dj_sm_down(main_sm);
}
