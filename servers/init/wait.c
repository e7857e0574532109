/* Bounded waits of init's main EC, and init's own threads.
 *
 * The kernel has no timed wait, so a deadline is kept by a watchdog: a
 * thread of init at the lowest priority (WATCHDOG_PRIO) that, while the
 * main EC sleeps with a deadline, spins on the TSC and wakes the main EC
 * once the deadline has passed. It only runs when nothing else on the CPU
 * wants to, so a deadline fires no earlier than its time and as soon as
 * the CPU is otherwise idle (a component that blocks, never a component
 * that computes, is what runs into it). Without a deadline it sleeps.
 *
 * Everything the main EC waits for (a service offered, a component died,
 * an announcement answered, a restart requested) wakes it through one
 * semaphore (init_wake); it then checks again what it waits for. */
#include <stdio.h>
#include <server.h>
#include <syscall.h>
#include <utcb.h>
#include "init.h"

#define WATCHDOG_PRIO 0
#define THREAD_QUANTUM_US 10000
#define CALL_FRAME_BIAS 8 /* a function starts with RSP = 8 mod 16 (its return address) */
#define TSC_HZ_ASSUMED 2000000000ull /* when CPUID does not say */
#define CPUID_TSC_LEAF 0x15
#define CPUID_FREQ_LEAF 0x16
#define HZ_PER_MHZ 1000000ull
#define MS_PER_S 1000ull
/* UTCBs of init's own threads, after the handler ECs' (handlers.c). */
#define THREAD_UTCB_VA 0x7ff000100000ull
#define PAGE 4096ull

static uint64_t main_sm, watchdog_sm, tsc_per_ms;
static volatile uint64_t deadline_tsc; /* 0: the main EC waits without one */
static unsigned wait_depth;
static uint64_t watchdog_stack[INIT_THREAD_STACK_BYTES / 8] __attribute__((aligned(16)));

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

/* A thread of init: a global EC with its own event base, whose only
 * portal is the startup one (served by the event handler EC, badge
 * INIT_THREAD_BADGE | index); a fault ends the thread (the kernel says so). */
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

/* ---- the watchdog and the bounded waits ---------------------------------- */

static __attribute__((noreturn)) void watchdog(uint64_t arg)
{
    (void)arg;
    for (;;) {
        dj_sm_down(watchdog_sm);
        for (;;) {
            uint64_t d = deadline_tsc;
            if (!d)
                break;
            if (tsc_now() >= d) {
                deadline_tsc = 0;
                dj_sm_up(main_sm);
                break;
            }
            __builtin_ia32_pause();
        }
    }
}

bool wait_init(void)
{
    const char *source = "";
    tsc_per_ms = tsc_hz(&source) / MS_PER_S;
    if (!tsc_per_ms)
        tsc_per_ms = TSC_HZ_ASSUMED / MS_PER_S;
    main_sm = init_sel();
    watchdog_sm = init_sel();
    uint64_t utcb;
    bool ok = dj_create_sm(main_sm, DJ_SEL_SELF_PD, 0) == DJ_OK && dj_create_sm(watchdog_sm, DJ_SEL_SELF_PD, 0) == DJ_OK &&
              init_thread_create(watchdog, 0, watchdog_stack, sizeof(watchdog_stack),
                                 WATCHDOG_PRIO, &utcb);
    if (ok)
        printf("init: waits are bounded by the TSC at %lu MHz (%s)\n", (unsigned long)(tsc_per_ms / 1000), source);
    return ok;
}

void init_wake(void)
{
    dj_sm_up(main_sm);
}

bool init_wait(bool (*done)(const void *ctx), const void *ctx, unsigned ms, bool restarts)
{
    uint64_t end = tsc_now() + (uint64_t)ms * tsc_per_ms;
    wait_depth++;
    bool ok;
    for (;;) {
        if ((ok = done(ctx)))
            break;
        if (tsc_now() >= end)
            break;
        /* Restarts run only from the outermost wait, at a point where no
         * component is half built. */
        if (restarts && wait_depth == 1 && restart_run_pending())
            continue;
        deadline_tsc = end;
        dj_sm_up(watchdog_sm);
        dj_sm_down(main_sm);
    }
    deadline_tsc = 0;
    wait_depth--;
    return ok;
}

void init_sleep(void)
{
    dj_sm_down(main_sm);
}
