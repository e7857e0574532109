/* SPDX-License-Identifier: GPL-2.0-only */
/* Scheduling and SMP: priority preemption, round robin, semaphores and
 * threads across CPUs, killing ECs mid-call, and kernel-memory quotas.
 *
 * Threads are global ECs started through a startup portal: one local
 * handler EC per CPU serves the startup portals of every thread on that
 * CPU (a portal's badge names the thread). No wait may hang: a root wait
 * that depends on lower-priority or remote work is bounded by a watchdog
 * thread at the lowest priority on the root's CPU, which ups the awaited
 * semaphore once a TSC budget has passed; busy threads bound their own
 * loops by the TSC as well. */
#include <stdbool.h>
#include "lib/server.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "threads.h"
#include "utest.h"
#include "lib/x86.h"

#define STACK_PAGES 4
#define HANDLER_STACK_PAGES 2
#define HIGH_PRIO 100
#define LOW_PRIO 32
#define WATCHDOG_PRIO 1       /* below every other thread on the root's CPU */
/* ~2 s of TSC on QEMU: reached only on failure, but generous, because a
 * busy host may leave a virtual CPU unscheduled for a long while. */
#define BUDGET_CYCLES 5000000000ull
#define RENDEZVOUS_CYCLES (4 * BUDGET_CYCLES)
#define SETTLE_CYCLES 20000000ull   /* lets another CPU reach a blocking call */
#define RR_SWITCHES 3
#define QUOTA_PARENT_PAGES 48
#define QUOTA_CHILD_PAGES 16
#define QUOTA_PROBE_MAX 256   /* bound on objects created to find a quota's end */
#define SERVER_REPLY_WORD 42

static enum dj_status ec_kill(uint64_t ec_sel)
{
    return (enum dj_status)dj_syscall(DJ_SYS_EC_CTRL, ec_sel, DJ_EC_OP_KILL, 0, 0, 0, 0).status;
}

static uint64_t new_sm(uint64_t count)
{
    uint64_t sel = utest_selector();
    return dj_create_sm(sel, DJ_SEL_SELF_PD, count) == DJ_OK ? sel : 0;
}

static uint32_t apic_id(void)
{
    return cpuid(1, 0).ebx >> 24;
}

/* Spin until *v >= want or the budget ends; true when reached. */
static bool spin_until(volatile uint64_t *v, uint64_t want, uint64_t cycles)
{
    uint64_t t0 = utest_rdtsc();
    while (*v < want)
        if (utest_rdtsc() - t0 > cycles)
            return false;
    return true;
}

static void spin_cycles(uint64_t cycles)
{
    uint64_t t0 = utest_rdtsc();
    while (utest_rdtsc() - t0 < cycles)
        cpu_pause();
}

/* ---- threads (threads.h) ---- */

/* A thread on cpu at prio running fn(arg); its EC selector, or 0. */
static uint64_t spawn(unsigned cpu, unsigned prio, void (*fn)(uint64_t), uint64_t arg)
{
    return thread_spawn(cpu, prio, STACK_PAGES, fn, arg);
}

/* ---- watchdog: bounds the root's blocking waits ---- */

static volatile uint64_t wd_gen, wd_target;
static volatile bool wd_fired;
static uint64_t wd_go;

/* Each arming ups wd_go once, but a round may start late (the watchdog
 * runs only when the root's CPU has nothing else): a round watches the
 * arming current when it starts, and fires at most once per arming. */
static void watchdog_main(uint64_t arg)
{
    (void)arg;
    uint64_t fired_gen = 0;
    for (;;) {
        dj_sm_down(wd_go);
        uint64_t gen = wd_gen, t0 = utest_rdtsc();
        while (wd_gen == gen && utest_rdtsc() - t0 < BUDGET_CYCLES)
            cpu_pause();
        if (wd_gen == gen && gen != fired_gen) {
            fired_gen = gen;
            wd_fired = true;
            dj_sm_up(wd_target);
        }
    }
}

/* Blocks on sm; true when it was upped before the watchdog gave up. The
 * watchdog runs only while nothing else on the root's CPU is runnable. */
static bool down_bounded(uint64_t sm)
{
    static bool started;
    if (!started) {
        wd_go = new_sm(0);
        started = wd_go && spawn(dj_boot_cpu, WATCHDOG_PRIO, watchdog_main, 0);
        if (!started)
            return false;
    }
    wd_fired = false;
    wd_target = sm;
    wd_gen++;
    dj_sm_up(wd_go);
    enum dj_status st = dj_sm_down(sm);
    wd_gen++; /* disarm: a round still spinning ends without firing */
    return st == DJ_OK && !wd_fired;
}

/* ---- priorities ---- */

/* What a test shares with its threads; one per test, so that threads
 * left over by a failed test cannot disturb later ones. */
struct sync {
    uint64_t go, done; /* semaphores */
    volatile uint64_t waiting, seq, slot, status, woken, apic;
};

static bool sync_init(struct sync *y)
{
    y->go = new_sm(0);
    y->done = new_sm(0);
    return y->go && y->done;
}

/* Blocks on go, then records its place in the order. */
static void ordered_waiter(uint64_t arg)
{
    struct sync *y = (struct sync *)arg;
    y->waiting = 1;
    dj_sm_down(y->go);
    y->slot = ++y->seq;
    dj_sm_up(y->done);
}

UTEST(sched_higher_priority_preempts_on_up)
{
    static struct sync y;
    UTEST_REQUIRE(sync_init(&y) && spawn(dj_boot_cpu, HIGH_PRIO, ordered_waiter, (uint64_t)&y), "thread setup failed");
    /* The new thread outranks the root: it ran up to its down already. */
    UTEST_REQUIRE(y.waiting, "a higher-priority thread made ready did not run before its creator continued");
    dj_sm_up(y.go);
    uint64_t mine = ++y.seq;
    UTEST_REQUIRE(y.slot == 1 && mine == 2, "after the up the root ran first (thread %llu, root %llu)",
                  (unsigned long long)y.slot, (unsigned long long)mine);
    return true;
}

UTEST(sched_lower_priority_waits_for_block)
{
    static struct sync y;
    UTEST_REQUIRE(sync_init(&y) && spawn(dj_boot_cpu, LOW_PRIO, ordered_waiter, (uint64_t)&y), "thread setup failed");
    UTEST_REQUIRE(!y.waiting, "a lower-priority thread ran while the root was ready");
    dj_sm_up(y.go);
    uint64_t mine = ++y.seq;
    UTEST_REQUIRE(down_bounded(y.done), "the lower-priority thread did not run when the root blocked");
    UTEST_REQUIRE(mine == 1 && y.slot == 2, "wrong order: root %llu, thread %llu", (unsigned long long)mine,
                  (unsigned long long)y.slot);
    return true;
}

/* ---- round robin ---- */

static volatile uint64_t rr_count[2], rr_saw[2];
static uint64_t rr_done;

/* Busy: count, and count how often the other thread made progress in
 * between (each time means the CPU went to it and came back). */
static void rr_main(uint64_t me)
{
    uint64_t other = 1 - me, last = rr_count[other], t0 = utest_rdtsc();
    while (utest_rdtsc() - t0 < BUDGET_CYCLES) {
        rr_count[me]++;
        if (rr_count[other] != last) {
            last = rr_count[other];
            rr_saw[me]++;
        }
        if (rr_saw[me] >= RR_SWITCHES && rr_saw[other] >= RR_SWITCHES)
            break;
    }
    dj_sm_up(rr_done);
}

UTEST(sched_round_robin_equal_priority)
{
    rr_done = new_sm(0);
    UTEST_REQUIRE(rr_done && spawn(dj_boot_cpu, DJ_ROOT_PRIO, rr_main, 0) && spawn(dj_boot_cpu, DJ_ROOT_PRIO, rr_main, 1),
                  "thread setup failed");
    /* Both threads end on their own (switches seen, or budget spent). */
    UTEST_REQUIRE(down_bounded(rr_done) && down_bounded(rr_done), "the busy threads did not finish");
    UTEST_REQUIRE(rr_saw[0] >= RR_SWITCHES && rr_saw[1] >= RR_SWITCHES,
                  "no round robin: thread 0 saw %llu switches, thread 1 %llu (counts %llu, %llu)",
                  (unsigned long long)rr_saw[0], (unsigned long long)rr_saw[1], (unsigned long long)rr_count[0],
                  (unsigned long long)rr_count[1]);
    return true;
}

/* ---- across CPUs ---- */

static void remote_waiter(uint64_t arg)
{
    struct sync *y = (struct sync *)arg;
    y->apic = apic_id();
    y->waiting = 1;
    y->status = dj_sm_down(y->go);
    y->woken = 1;
    dj_sm_up(y->done);
}

UTEST(sm_up_wakes_thread_blocked_on_other_cpu)
{
    threads_probe();
    if (thread_cpu_count < 2)
        UTEST_SKIP("only 1 CPU");
    static struct sync y;
    y.status = ~0ull;
    UTEST_REQUIRE(sync_init(&y) && spawn(thread_cpu_list[1], DJ_ROOT_PRIO, remote_waiter, (uint64_t)&y),
                  "thread setup failed");
    UTEST_REQUIRE(spin_until(&y.waiting, 1, BUDGET_CYCLES), "the thread on CPU %u never ran", thread_cpu_list[1]);
    spin_cycles(SETTLE_CYCLES); /* let it block in the down */
    UTEST_REQUIRE(!y.woken, "the thread passed a down on a zero semaphore");
    UTEST_REQUIRE(y.apic != apic_id(), "the thread for CPU %u ran on the root's CPU", thread_cpu_list[1]);
    dj_sm_up(y.go);
    UTEST_REQUIRE(down_bounded(y.done), "the up on CPU %u did not wake the thread on CPU %u", dj_boot_cpu,
                  thread_cpu_list[1]);
    UTEST_REQUIRE(y.status == DJ_OK, "the woken down returned %llu", (unsigned long long)y.status);
    return true;
}

static void remote_upper(uint64_t arg)
{
    struct sync *y = (struct sync *)arg;
    spin_cycles(SETTLE_CYCLES); /* the root blocks meanwhile */
    dj_sm_up(y->go);
}

UTEST(sm_up_from_other_cpu_wakes_blocked_root)
{
    threads_probe();
    if (thread_cpu_count < 2)
        UTEST_SKIP("only 1 CPU");
    static struct sync y;
    unsigned last = thread_cpu_list[thread_cpu_count - 1];
    UTEST_REQUIRE(sync_init(&y) && spawn(last, DJ_ROOT_PRIO, remote_upper, (uint64_t)&y), "thread setup failed");
    UTEST_REQUIRE(down_bounded(y.go), "an up on CPU %u did not wake the root blocked on CPU %u", last, dj_boot_cpu);
    return true;
}

static volatile uint64_t arrived;
static volatile uint32_t seen_apic[THREAD_CPUS_MAX];
static volatile bool saw_all[THREAD_CPUS_MAX];
static uint64_t rendezvous_done;

/* Every participant waits (bounded) until all have arrived: only possible
 * when they run at the same time, each on its own CPU. */
static void rendezvous(uint64_t slot)
{
    seen_apic[slot] = apic_id();
    __atomic_fetch_add(&arrived, 1, __ATOMIC_SEQ_CST);
    saw_all[slot] = spin_until(&arrived, thread_cpu_count, RENDEZVOUS_CYCLES);
}

static void rendezvous_thread(uint64_t slot)
{
    rendezvous(slot);
    dj_sm_up(rendezvous_done);
}

UTEST(sched_threads_run_on_every_cpu)
{
    threads_probe();
    if (thread_cpu_count < 2)
        UTEST_SKIP("only 1 CPU");
    rendezvous_done = new_sm(0);
    UTEST_REQUIRE(rendezvous_done, "semaphore setup failed");
    for (unsigned i = 1; i < thread_cpu_count; i++)
        UTEST_REQUIRE(spawn(thread_cpu_list[i], DJ_ROOT_PRIO, rendezvous_thread, i), "thread on CPU %u failed",
                      thread_cpu_list[i]);
    rendezvous(0);
    for (unsigned i = 1; i < thread_cpu_count; i++)
        UTEST_REQUIRE(down_bounded(rendezvous_done), "only %u of %u threads finished", i - 1, thread_cpu_count - 1);
    for (unsigned i = 0; i < thread_cpu_count; i++) {
        UTEST_REQUIRE(saw_all[i], "CPU %u: only %llu of %u CPUs ran at the same time", thread_cpu_list[i],
                      (unsigned long long)arrived, thread_cpu_count);
        for (unsigned j = 0; j < i; j++)
            UTEST_REQUIRE(seen_apic[i] != seen_apic[j], "threads for CPUs %u and %u both ran on APIC id %u",
                          thread_cpu_list[j], thread_cpu_list[i], seen_apic[i]);
    }
    return true;
}

/* ---- killing ECs ---- */

static volatile uint64_t spins, spinner_ended;

/* Runs until killed (bounded, so that a failed kill cannot hang). */
static void spinner(uint64_t arg)
{
    (void)arg;
    uint64_t t0 = utest_rdtsc();
    while (utest_rdtsc() - t0 < BUDGET_CYCLES)
        spins++;
    spinner_ended = 1;
}

/* Lower priority than the spinner: runs only once the spinner is gone. */
static void after_spinner(uint64_t arg)
{
    struct sync *y = (struct sync *)arg;
    y->slot = spinner_ended ? 2 : 1;
    dj_sm_up(y->done);
}

UTEST(ec_kill_stops_thread_running_on_other_cpu)
{
    threads_probe();
    if (thread_cpu_count < 2)
        UTEST_SKIP("only 1 CPU");
    spins = 0;
    uint64_t ec = spawn(thread_cpu_list[1], DJ_ROOT_PRIO, spinner, 0);
    UTEST_REQUIRE(ec, "thread setup failed");
    UTEST_REQUIRE(spin_until(&spins, 1, BUDGET_CYCLES), "the thread on CPU %u never ran", thread_cpu_list[1]);
    UTEST_REQUIRE(ec_kill(ec) == DJ_OK, "kill refused");
    static struct sync y;
    UTEST_REQUIRE(sync_init(&y) && spawn(thread_cpu_list[1], LOW_PRIO, after_spinner, (uint64_t)&y),
                  "thread setup failed");
    UTEST_REQUIRE(down_bounded(y.done), "CPU %u never ran a lower-priority thread after the kill", thread_cpu_list[1]);
    UTEST_REQUIRE(y.slot == 1, "the killed thread kept running until its own end");
    uint64_t before = spins;
    spin_cycles(SETTLE_CYCLES);
    UTEST_REQUIRE(spins == before, "the killed thread still runs");
    UTEST_REQUIRE(ec_kill(ec) == DJ_E_BAD_CAP, "a dead EC's capability still worked");
    return true;
}

UTEST(ec_kill_blocked_thread_loses_no_up)
{
    static struct sync y;
    uint64_t ec = sync_init(&y) ? spawn(dj_boot_cpu, HIGH_PRIO, ordered_waiter, (uint64_t)&y) : 0;
    UTEST_REQUIRE(ec && y.waiting, "thread setup failed");
    UTEST_REQUIRE(ec_kill(ec) == DJ_OK, "kill refused");
    dj_sm_up(y.go);
    UTEST_REQUIRE(y.slot == 0, "the killed thread ran again");
    UTEST_REQUIRE(dj_sm_try_down(y.go) == DJ_OK, "the up went to the dead waiter");
    UTEST_REQUIRE(dj_syscall(DJ_SYS_EC_CTRL, DJ_SEL_SELF_EC, 7, 0, 0, 0, 0).status == DJ_E_BAD_PARAM,
                  "an unknown EC_CTRL operation was accepted");
    return true;
}

/* Servers with one portal each, and one client thread per server. All
 * state is per server (the portal's badge names it), so that threads
 * left over by a failed test cannot disturb later ones. */
enum { MODE_BLOCK, MODE_SPIN, MODE_WAIT_RELEASE, MODE_ECHO };
#define MAX_SERVERS 8

struct server {
    volatile unsigned mode, served;
    uint64_t ec, pt, in_call_sm, release_sm, done_sm;
    volatile uint64_t client_status, client_returned;
};

static struct server servers[MAX_SERVERS];
static unsigned nservers;

static uint64_t server_handler(uint64_t badge, struct dj_utcb *u)
{
    struct server *sv = &servers[badge - 1];
    uint64_t t0 = utest_rdtsc();
    switch (sv->mode) {
    case MODE_BLOCK:
        dj_sm_up(sv->in_call_sm);
        dj_sm_down(thread_never_sm);
        break;
    case MODE_SPIN: /* until killed; bounded so a failure cannot hang */
        dj_sm_up(sv->in_call_sm);
        while (utest_rdtsc() - t0 < BUDGET_CYCLES)
            cpu_pause();
        break;
    case MODE_WAIT_RELEASE:
        sv->mode = MODE_ECHO;
        dj_sm_up(sv->in_call_sm);
        dj_sm_down(sv->release_sm);
        break;
    default: break;
    }
    sv->served++;
    u->words[0] = SERVER_REPLY_WORD;
    return DJ_MTD(1, 0);
}

static struct server *server_create(unsigned mode)
{
    threads_probe();
    if (nservers >= MAX_SERVERS)
        return 0;
    unsigned id = nservers++;
    struct server *sv = &servers[id];
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    sv->ec = utest_selector();
    sv->pt = utest_selector();
    sv->mode = mode;
    sv->in_call_sm = new_sm(0);
    sv->release_sm = new_sm(0);
    sv->done_sm = new_sm(0);
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = sv->ec, .pt_sel = sv->pt, .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = HANDLER_STACK_PAGES * UTEST_PAGE,
        .handler = server_handler, .badge = id + 1,
    };
    bool ok = stack && sv->in_call_sm && sv->release_sm && sv->done_sm && thread_never_sm &&
              dj_server_create(&s) == DJ_OK;
    return ok ? sv : 0;
}

static void client_main(uint64_t arg)
{
    struct server *sv = (struct server *)arg;
    sv->client_status = dj_call(sv->pt, DJ_MTD(0, 0), 0);
    sv->client_returned = 1;
    dj_sm_up(sv->done_sm);
}

UTEST(ipc_server_killed_blocked_mid_call_aborts_client)
{
    struct server *sv = server_create(MODE_BLOCK);
    UTEST_REQUIRE(sv, "server setup failed");
    /* The client outranks the root: it calls, and its handler blocks. */
    UTEST_REQUIRE(spawn(dj_boot_cpu, HIGH_PRIO, client_main, (uint64_t)sv), "client setup failed");
    UTEST_REQUIRE(dj_sm_try_down(sv->in_call_sm) == DJ_OK, "the call did not reach the handler");
    UTEST_REQUIRE(!sv->client_returned, "the call returned while its handler was blocked");
    UTEST_REQUIRE(ec_kill(sv->ec) == DJ_OK, "kill refused");
    UTEST_REQUIRE(down_bounded(sv->done_sm), "the client stayed blocked after its server died");
    UTEST_REQUIRE(sv->client_status == DJ_E_ABORTED, "the call returned %llu, not DJ_E_ABORTED",
                  (unsigned long long)sv->client_status);
    UTEST_REQUIRE(dj_call(sv->pt, DJ_MTD(0, 0), 0) == DJ_E_ABORTED, "a call to the dead server did not abort");
    return true;
}

UTEST(ipc_server_killed_running_mid_call_aborts_client)
{
    struct server *sv = server_create(MODE_SPIN);
    UTEST_REQUIRE(sv, "server setup failed");
    /* A lower-priority client: it runs (and its handler spins on its
     * time) only while the root waits; the handler's up wakes the root. */
    UTEST_REQUIRE(spawn(dj_boot_cpu, LOW_PRIO, client_main, (uint64_t)sv), "client setup failed");
    UTEST_REQUIRE(down_bounded(sv->in_call_sm), "the call did not reach the handler");
    UTEST_REQUIRE(ec_kill(sv->ec) == DJ_OK, "kill refused");
    UTEST_REQUIRE(down_bounded(sv->done_sm), "the client stayed blocked after its server died");
    UTEST_REQUIRE(sv->client_status == DJ_E_ABORTED && sv->served == 0,
                  "the call returned %llu (served %u), not DJ_E_ABORTED", (unsigned long long)sv->client_status,
                  sv->served);
    return true;
}

UTEST(ipc_client_killed_mid_call_server_survives)
{
    struct server *sv = server_create(MODE_WAIT_RELEASE);
    UTEST_REQUIRE(sv, "server setup failed");
    uint64_t client = spawn(dj_boot_cpu, HIGH_PRIO, client_main, (uint64_t)sv);
    UTEST_REQUIRE(client, "client setup failed");
    UTEST_REQUIRE(dj_sm_try_down(sv->in_call_sm) == DJ_OK, "the call did not reach the handler");
    UTEST_REQUIRE(ec_kill(client) == DJ_OK, "kill refused");
    /* The handler finishes the call on the dead client's time (it
     * outranks the root): its reply goes nowhere and the client never
     * runs again. */
    dj_sm_up(sv->release_sm);
    UTEST_REQUIRE(sv->served == 1, "the handler did not finish the call of the killed client");
    UTEST_REQUIRE(!sv->client_returned, "the killed client ran again after the reply");
    uint64_t out = 0;
    dj_utcb()->words[0] = 0;
    UTEST_REQUIRE(dj_call(sv->pt, DJ_MTD(0, 0), &out) == DJ_OK, "the server refused the next call");
    UTEST_REQUIRE(sv->served == 2 && dj_utcb()->words[0] == SERVER_REPLY_WORD, "the next call was not served");
    return true;
}

/* ---- kernel-memory quotas ---- */

/* Semaphores created in pd until its quota ends (bounded). */
static unsigned fill_with_sms(uint64_t pd, enum dj_status *last)
{
    unsigned n = 0;
    *last = DJ_OK;
    while (n < QUOTA_PROBE_MAX && (*last = dj_create_sm(utest_selector(), pd, 0)) == DJ_OK)
        n++;
    return n;
}

UTEST(quota_exhaustion_contained)
{
    /* Two identical parents with a child each; only one child exhausts
     * its quota. The parents must then have exactly as much left. */
    uint64_t parent[2] = {utest_selector(), utest_selector()}, child[2] = {utest_selector(), utest_selector()};
    for (int i = 0; i < 2; i++) {
        UTEST_REQUIRE(dj_create_pd(parent[i], DJ_SEL_SELF_PD, QUOTA_PARENT_PAGES) == DJ_OK, "parent PD failed");
        UTEST_REQUIRE(dj_create_pd(child[i], parent[i], QUOTA_CHILD_PAGES) == DJ_OK, "child PD failed");
    }
    enum dj_status st;
    unsigned in_child = fill_with_sms(child[0], &st);
    UTEST_REQUIRE(st == DJ_E_QUOTA, "the child's objects ended with status %d, not DJ_E_QUOTA", st);
    UTEST_REQUIRE(in_child > 0 && in_child <= QUOTA_CHILD_PAGES, "%u objects fit a %u-page quota", in_child,
                  QUOTA_CHILD_PAGES);
    UTEST_REQUIRE(dj_create_sm(utest_selector(), child[0], 0) == DJ_E_QUOTA, "the exhausted child got more");
    unsigned left[2];
    for (int i = 0; i < 2; i++) {
        left[i] = fill_with_sms(parent[i], &st);
        UTEST_REQUIRE(st == DJ_E_QUOTA, "parent %d ended with status %d", i, st);
    }
    UTEST_REQUIRE(left[0] == left[1] && left[0] > 0,
                  "the exhausted child cost its parent beyond the donation (%u pages left, %u in the control)",
                  left[0], left[1]);
    UTEST_REQUIRE(dj_create_sm(utest_selector(), DJ_SEL_SELF_PD, 0) == DJ_OK, "the root cannot create objects");
    return true;
}

UTEST(quota_donation_beyond_parent_refused)
{
    uint64_t parent[2] = {utest_selector(), utest_selector()};
    for (int i = 0; i < 2; i++)
        UTEST_REQUIRE(dj_create_pd(parent[i], DJ_SEL_SELF_PD, QUOTA_CHILD_PAGES) == DJ_OK, "parent PD failed");
    UTEST_REQUIRE(dj_create_pd(utest_selector(), parent[0], QUOTA_PARENT_PAGES) == DJ_E_QUOTA,
                  "a child got a larger quota than its parent has");
    enum dj_status st;
    unsigned left[2];
    for (int i = 0; i < 2; i++)
        left[i] = fill_with_sms(parent[i], &st);
    UTEST_REQUIRE(left[0] == left[1] && left[0] > 0,
                  "the refused donation cost the parent (%u pages left, %u in the control)", left[0], left[1]);
    return true;
}
