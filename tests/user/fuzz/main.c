/* SPDX-License-Identifier: GPL-2.0-only */
/* hostilefuzz: the hostile-component fuzzer, run as the root PD of
 * build/donjon-fuzz.iso (boot module "sigma0", kernel test mode).
 *
 * Each round builds HOSTILE_PDS child PDs that share this program's code
 * and run hostile.c on every CPU: random calls, replies, typed items,
 * delegations, revocations, kills, semaphore operations, object creation
 * and exception replies against each other, with malformed arguments
 * mixed in. After the round's operations the controller kills them all
 * and checks that the quota they were charged to is whole again. After
 * the last round, two fresh PDs must still talk over IPC on every CPU.
 *
 * Kernel command line: fuzz.seed=N (default: from the TSC; printed so a
 * failure can be repeated), fuzz.ops=N (operations over all rounds),
 * fuzz.rounds=N, fuzz.only=K (only operations of kind K - 1 of enum
 * op_kind in fuzz.h: for narrowing a failure down). Prints PASS/FAIL lines, then hands the totals to the
 * kernel, which prints the summary and powers off. */
#include <stdbool.h>
#include "controller.h"
#include "server.h"
#include "stdio.h"
#include "string.h"
#include "syscall.h"
#include "utcb.h"

#define DEBUG_OP_TEST_DONE 1
#define DEFAULT_OPS 500000ull
#define DEFAULT_ROUNDS 10
#define MAX_ROUNDS 1000
#define WATCHDOG_CYCLES 20000000ull        /* a tick at least this often when CPU 0 idles */
#define ROUND_CYCLES_MAX 40000000000ull    /* a round ends after this even short of its operations */
#define RESTART_CYCLES 1000000000ull     /* a slot this long without progress gets a fresh thread */
#define RECLAIM_CYCLES_MAX 10000000000ull  /* background reclaim of killed PDs */
#define ECHO_CYCLES_MAX 10000000000ull
#define WATCHDOG_STACK_PAGES 2
#define LINE_MAX DJ_DEBUG_PUTS_MAX /* a line the kernel prints whole (one DJ_SYS_DEBUG write) */
#define WATCHDOG_UTCB_VA 0x580000000000ull /* free in the root (boot modules sit at 0x600000000000) */

static uint64_t pool_va, pool_used, pool_pages;
static unsigned passed, failed;
static uint64_t run_seed; /* on every FAIL line, so that a failure can be repeated */
static volatile uint64_t watchdog_ticks;

/* Prints one whole line: fmt ends with a newline, and a line too long
 * for the buffer is cut but still ends with one, so the next line (a PASS
 * or FAIL the check counts) never runs on behind it. Pieces of a line are
 * put together with `append` first: a line printed piece by piece could
 * get another CPU's kernel message in the middle. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char line[LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        line[sizeof(line) - 2] = '\n';
    dj_debug_puts(line);
}

/* Adds to the line in buf (of LINE_MAX), cutting what does not fit. */
static void append(char *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void append(char *buf, const char *fmt, ...)
{
    size_t used = strlen(buf);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, LINE_MAX - used, fmt, ap);
    va_end(ap);
}

static void result(bool ok, const char *name, const char *why)
{
    if (ok)
        say("PASS %s\n", name);
    else
        say("FAIL %s: %.*s (seed %#llx)\n", name, LINE_MAX - 80, why, (unsigned long long)run_seed);
    ok ? passed++ : failed++;
}

static void *pool_take(uint64_t pages)
{
    if (pool_used + pages > pool_pages)
        return 0;
    void *p = (void *)(pool_va + pool_used * FUZZ_PAGE);
    pool_used += pages;
    return p;
}

static uint64_t quota_free(uint64_t pd)
{
    uint64_t free = 0;
    return dj_pd_quota(pd, &free, 0) == DJ_OK ? free : ~0ull;
}

/* "key=value" on the kernel command line, value in decimal or 0x hex. */
static bool cmdline_number(const char *cmdline, const char *key, uint64_t *out)
{
    size_t klen = strlen(key);
    for (const char *p = cmdline; *p; p++) {
        if ((p != cmdline && p[-1] != ' ') || strncmp(p, key, klen) != 0 || p[klen] != '=')
            continue;
        const char *v = p + klen + 1;
        unsigned base = 10;
        if (v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
            base = 16;
            v += 2;
        }
        uint64_t n = 0;
        for (; *v && *v != ' '; v++) {
            unsigned d = *v >= '0' && *v <= '9' ? (unsigned)(*v - '0')
                         : (*v | 0x20) >= 'a' && (*v | 0x20) <= 'f' ? (unsigned)((*v | 0x20) - 'a' + 10)
                                                                     : 99;
            if (d >= base)
                return false;
            n = n * base + d;
        }
        *out = n;
        return true;
    }
    return false;
}

/* ---- the watchdog: a lowest-priority thread of this PD on CPU 0 that
 * ups the tick whenever it gets to run, so the controller (which waits
 * for ticks) wakes even when every hostile thread is blocked. ---- */

static __attribute__((noreturn)) void watchdog_thread(void)
{
    uint64_t last = fuzz_rdtsc();
    for (;;) {
        uint64_t now = fuzz_rdtsc();
        if (now - last > WATCHDOG_CYCLES) {
            watchdog_ticks++;
            dj_sm_up(CS_TICK);
            last = now;
        }
    }
}

static uint64_t watchdog_stack_top;

static uint64_t watchdog_startup(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->arch.rip = (uint64_t)watchdog_thread;
    u->arch.rsp = watchdog_stack_top - 8;
    return DJ_MTD(0, 0);
}

static bool watchdog_start(void)
{
    void *stack = pool_take(WATCHDOG_STACK_PAGES), *hstack = pool_take(WATCHDOG_STACK_PAGES);
    if (!stack || !hstack)
        return false;
    watchdog_stack_top = (uint64_t)stack + WATCHDOG_STACK_PAGES * FUZZ_PAGE;
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = CS_WATCHDOG_HANDLER, .pt_sel = CS_WATCHDOG_EVENTS + DJ_EV_STARTUP,
        .cpu = dj_boot_cpu, .utcb_va = WATCHDOG_UTCB_VA, .stack = hstack,
        .stack_size = WATCHDOG_STACK_PAGES * FUZZ_PAGE, .handler = watchdog_startup,
        .mtd = DJ_MTD_GPR | DJ_MTD_RIP_RSP,
    };
    enum dj_status st = dj_server_create(&s);
    if (st == DJ_OK)
        st = dj_create_ec(CS_WATCHDOG_EC, DJ_SEL_SELF_PD, dj_boot_cpu, WATCHDOG_UTCB_VA + FUZZ_PAGE, 0,
                          CS_WATCHDOG_EVENTS, true);
    if (st == DJ_OK)
        st = dj_create_sc(CS_WATCHDOG_SC, DJ_SEL_SELF_PD, CS_WATCHDOG_EC, WATCHDOG_PRIO, 0);
    if (st != DJ_OK)
        say("hostilefuzz: watchdog: status %d, handler %d\n", st, dj_lookup(DJ_CRD(DJ_CRD_OBJ, CS_WATCHDOG_HANDLER, 0, 0), 0, 0));
    return st == DJ_OK;
}

/* ---- rounds ---- */

struct totals {
    uint64_t ops, thread_ops, handler_ops, faults_resumed, faults_killed, threads, cycles;
    uint64_t quota_start, root_after_first;
    bool quota_ok;
    char quota_why[LINE_MAX];
};

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint64_t ops_of(unsigned from, unsigned to)
{
    uint64_t n = 0;
    for (unsigned i = from; i < to; i++)
        n += child_ops(i);
    return n;
}

static void drain_ticks(void)
{
    while (dj_sm_try_down(CS_TICK) == DJ_OK)
        ;
}

/* Waits (bounded) until the quota PD has `want` pages free again: a PD
 * killed while one of its ECs was in a call is reclaimed in the
 * background. */
static uint64_t wait_quota(uint64_t want)
{
    uint64_t t0 = fuzz_rdtsc(), now;
    while ((now = quota_free(CS_QUOTA)) != want && fuzz_rdtsc() - t0 < RECLAIM_CYCLES_MAX)
        ;
    return now;
}

static void check_quota(struct totals *t, const char *when)
{
    uint64_t q = wait_quota(t->quota_start), root = quota_free(DJ_SEL_SELF_PD);
    if (q != t->quota_start && t->quota_ok) {
        snprintf(t->quota_why, sizeof(t->quota_why), "%s: the quota PD has %llu pages free, %llu at the start", when,
                 (unsigned long long)q, (unsigned long long)t->quota_start);
        t->quota_ok = false;
    }
    if (!t->root_after_first)
        t->root_after_first = root;
    else if (root != t->root_after_first && t->quota_ok) {
        snprintf(t->quota_why, sizeof(t->quota_why), "%s: the root has %llu pages free, %llu after round 0", when,
                 (unsigned long long)root, (unsigned long long)t->root_after_first);
        t->quota_ok = false;
    }
}

static uint64_t only_op; /* fuzz.only=K: only operations of kind K - 1 (enum op_kind) */

static bool run_round(unsigned round, uint64_t seed, unsigned ncpus, uint64_t target, struct totals *t)
{
    char name[48], why[LINE_MAX];
    snprintf(name, sizeof(name), "fuzz_hostile_round_%u", round);
    uint64_t x = seed;
    struct round_plan p = {.seed = splitmix(&x), .ncpus = ncpus, .killer = -1, .victim = -1, .only_op = only_op};
    uint64_t bits = splitmix(&x);
    p.exception_mtd = DJ_MTD_GPR | DJ_MTD_RIP_RSP | (bits & 1 ? DJ_MTD_QUAL : 0) | (bits & 2 ? DJ_MTD_RFLAGS : 0);
    if (bits & 4) {
        p.killer = (int)((bits >> 8) % HOSTILE_PDS);
        p.victim = (p.killer + 1) % HOSTILE_PDS;
    }
    int controller_kills = bits & 8 ? (int)((bits >> 16) % HOSTILE_PDS) : -1;

    bool ok = true;
    for (unsigned i = 0; i < HOSTILE_PDS && ok; i++)
        ok = child_build(i, MODE_HOSTILE, HOSTILE_QUOTA_PAGES, &p);
    for (unsigned i = 0; i < HOSTILE_PDS && ok; i++)
        ok = child_events(i, &p);
    ok = ok && hostiles_connect(&p);
    for (unsigned i = 0; i < HOSTILE_PDS && ok; i++)
        for (unsigned s = 0; s < HOSTILE_START_SLOTS && ok; s++)
            ok = child_start_slot(i, s, HOSTILE_PRIO_MAX);
    if (!ok) {
        snprintf(why, sizeof(why), "setup: %s", setup_why);
        for (unsigned i = 0; i < HOSTILE_PDS; i++)
            child_destroy(i);
        check_quota(t, name);
        result(false, name, why);
        return false;
    }
    uint64_t t0 = fuzz_rdtsc(), ops = 0, cycles = 0, restarts = 0;
    int killed_pd = -1;
    drain_ticks();
    bool killed = false;
    uint64_t seen[HOSTILE_PDS][HOSTILE_SLOTS] = {{0}}, seen_at[HOSTILE_PDS][HOSTILE_SLOTS];
    for (unsigned i = 0; i < HOSTILE_PDS; i++)
        for (unsigned s = 0; s < HOSTILE_SLOTS; s++)
            seen_at[i][s] = t0;
    while (ops < target && (cycles = fuzz_rdtsc() - t0) < ROUND_CYCLES_MAX) {
        dj_sm_down(CS_TICK);
        for (unsigned k = 0; k < FUZZ_SMS; k++)
            dj_sm_up(CS_SM(k)); /* nobody waits on them forever */
        /* A slot without progress for a while gets a fresh thread: its
         * own died (faults, kills) or it is stuck. */
        uint64_t now = fuzz_rdtsc();
        for (unsigned i = 0; i < HOSTILE_PDS; i++)
            for (unsigned s = 0; s < HOSTILE_SLOTS; s++) {
                uint64_t n = child_state(i)->ops[s];
                if (n != seen[i][s]) {
                    seen[i][s] = n;
                    seen_at[i][s] = now;
                } else if (now - seen_at[i][s] > RESTART_CYCLES && (int)i != killed_pd) {
                    restarts += child_restart_slot(i, s, HOSTILE_PRIO_MAX);
                    seen_at[i][s] = now;
                }
            }
        ops = ops_of(0, HOSTILE_PDS);
        if (controller_kills >= 0 && !killed && ops > target / 2) {
            child_destroy((unsigned)controller_kills); /* in the middle of everything */
            killed = true;
            killed_pd = controller_kills;
        }
    }
    enum dj_status kill_status[HOSTILE_PDS];
    for (unsigned i = 0; i < HOSTILE_PDS; i++)
        kill_status[i] = child_destroy(i);
    cycles = fuzz_rdtsc() - t0;

    uint64_t thread_ops = 0, resumed = 0, killed_ecs = 0, threads = 0;
    for (unsigned i = 0; i < HOSTILE_PDS; i++) {
        const struct hostile_state *hs = child_state(i);
        for (unsigned s = 0; s < HOSTILE_SLOTS; s++)
            thread_ops += hs->ops[s];
        resumed += hs->faults_resumed;
        killed_ecs += hs->faults_killed;
        threads += hs->threads_started;
    }
    ops = ops_of(0, HOSTILE_PDS);
    t->ops += ops;
    t->thread_ops += thread_ops;
    t->handler_ops += ops - thread_ops;
    t->faults_resumed += resumed;
    t->faults_killed += killed_ecs;
    t->threads += threads;
    t->cycles += cycles;
    say("hostilefuzz: round %u: %llu ops (%llu by threads, %llu by handlers), %llu threads started, %llu faults "
        "resumed, %llu faulting ECs killed\n",
        round, (unsigned long long)ops, (unsigned long long)thread_ops, (unsigned long long)(ops - thread_ops),
        (unsigned long long)threads, (unsigned long long)resumed, (unsigned long long)killed_ecs);
    say("hostilefuzz: round %u: %llu slots restarted, %llu Mcycles, killer %d->%d, controller kills %d\n", round,
        (unsigned long long)restarts, (unsigned long long)(cycles / 1000000), p.killer, p.victim, controller_kills);
    for (unsigned i = 0; i < HOSTILE_PDS; i++) {
        const struct hostile_state *hs = child_state(i);
        char line[LINE_MAX] = "";
        append(line, "hostilefuzz:   PD %u: slots", i);
        for (unsigned s = 0; s < HOSTILE_SLOTS; s++)
            append(line, " %llu(%llu)", (unsigned long long)hs->ops[s], (unsigned long long)hs->doing[s]);
        append(line, ", handlers");
        for (unsigned h = 0; h < ncpus * HANDLER_KINDS; h++)
            append(line, " %llu", (unsigned long long)hs->handler_ops[h]);
        say("%s\n", line);
    }
    say("hostilefuzz:   final kills: %d %d %d %d\n", kill_status[0], kill_status[1], kill_status[2], kill_status[3]);
    bool quota_was_ok = t->quota_ok;
    check_quota(t, name);
    if (quota_was_ok && !t->quota_ok)
        result(false, name, t->quota_why);
    else if (ops == 0)
        result(false, name, "no hostile thread ran");
    else
        result(true, name, 0);
    return true;
}

/* ---- invariants after the rounds ---- */

/* Two fresh PDs: an echo server with a handler on every CPU and a client
 * with a thread on every CPU calling it. */
static void check_fresh_ipc(uint64_t seed, unsigned ncpus, struct totals *t)
{
    struct round_plan p = {.seed = seed, .ncpus = ncpus, .killer = -1, .victim = -1,
                           .exception_mtd = DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_QUAL};
    const unsigned srv = CHILD_ECHO_SERVER, cli = CHILD_ECHO_CLIENT;
    char why[LINE_MAX] = "";
    bool ok = child_build(srv, MODE_ECHO_SERVER, ECHO_QUOTA_PAGES, &p) &&
              child_build(cli, MODE_ECHO_CLIENT, ECHO_QUOTA_PAGES, &p) && child_events(srv, &p) &&
              child_events(cli, &p);
    struct hostile_state *cs = child_state(cli);
    ok = ok && dj_create_sm(CS_SM(0), CS_PD(cli), 0) == DJ_OK &&
         dj_delegate(CS_PD(cli), DJ_CRD(DJ_CRD_OBJ, CS_SM(0), 0, DJ_SM_DOWN), HS_SM(0)) == DJ_OK;
    for (unsigned s = 0; s < ncpus && ok; s++) {
        unsigned cpu = (unsigned)cs->slot_cpu[s];
        cs->echo_pt[s] = HS_PT(0, cpu, 0);
        cs->echo_result[s] = ECHO_PENDING;
        ok = dj_delegate(CS_PD(cli), DJ_CRD(DJ_CRD_OBJ, CS_HANDLER_PT(srv, cpu, H_TIER1), 0, DJ_PT_CALL),
                         HS_PT(0, cpu, 0)) == DJ_OK;
    }
    for (unsigned s = 0; s < ncpus && ok; s++)
        ok = child_start_slot(cli, s, HOSTILE_PRIO_MAX);
    if (!ok)
        snprintf(why, sizeof(why), "setup failed: %s", setup_why);
    uint64_t t0 = fuzz_rdtsc();
    for (bool pending = ok; pending && fuzz_rdtsc() - t0 < ECHO_CYCLES_MAX;) {
        dj_sm_down(CS_TICK);
        pending = false;
        for (unsigned s = 0; s < ncpus; s++)
            pending |= cs->echo_result[s] == ECHO_PENDING;
    }
    bool all_ran = ok;
    for (unsigned s = 0; s < ncpus && ok; s++) {
        uint64_t r = cs->echo_result[s];
        if (r == ECHO_PENDING) {
            all_ran = false;
            snprintf(why, sizeof(why), "the client on CPU %llu never finished (%llu threads started, %llu calls served there)",
                     (unsigned long long)cs->slot_cpu[s], (unsigned long long)cs->threads_started,
                     (unsigned long long)child_state(srv)->handler_ops[HANDLER_INDEX(cs->slot_cpu[s], H_TIER1)]);
        } else if (r != DJ_OK && !*why) {
            snprintf(why, sizeof(why), "the client on CPU %llu got %#llx (0x1xx status, 0x2xx length, 0x3xx word)",
                     (unsigned long long)cs->slot_cpu[s], (unsigned long long)r);
        }
    }
    child_destroy(cli);
    child_destroy(srv);
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, CS_SM(0), 0, 0), true);
    check_quota(t, "after the fresh-PD IPC check");
    result(all_ran, "fuzz_hostile_invariants_every_cpu_runs_fresh_threads", why);
    result(ok && !*why, "fuzz_hostile_invariants_ipc", why);
}

int main(void)
{
    pool_va = dj_utcb()->words[0];
    pool_pages = dj_utcb()->words[1];
    const struct dj_bootinfo *bi = (const struct dj_bootinfo *)dj_utcb()->words[2];
    uint64_t seed = fuzz_rdtsc(), target = DEFAULT_OPS, rounds = DEFAULT_ROUNDS;
    bool seed_given = cmdline_number(bi->cmdline, "fuzz.seed", &seed);
    run_seed = seed;
    cmdline_number(bi->cmdline, "fuzz.ops", &target);
    cmdline_number(bi->cmdline, "fuzz.rounds", &rounds);
    if (cmdline_number(bi->cmdline, "fuzz.only", &only_op) && only_op > OP_KINDS)
        only_op = 0;
    if (rounds == 0 || rounds > MAX_ROUNDS)
        rounds = DEFAULT_ROUNDS;
    unsigned ncpus = bi->cpu_count < FUZZ_MAX_CPUS ? bi->cpu_count : FUZZ_MAX_CPUS;
    say("hostilefuzz: seed %#llx (%s; boot with fuzz.seed=%#llx to repeat), %llu operations in %llu rounds, "
        "%u hostile PDs on %u CPUs\n",
        (unsigned long long)seed, seed_given ? "given" : "from the TSC", (unsigned long long)seed,
        (unsigned long long)target, (unsigned long long)rounds, HOSTILE_PDS, ncpus);

    struct totals t = {.quota_ok = true};
    bool ready = true;
    const char *why = "no pool pages for the arenas";
    for (unsigned i = 0; i < CHILD_MAX && ready; i++)
        ready = (arena_va[i] = (uint64_t)pool_take(ARENA_PAGES)) != 0;
    if (ready && !(ready = dj_create_pd(CS_QUOTA, DJ_SEL_SELF_PD, QUOTA_PD_PAGES) == DJ_OK))
        why = "the quota PD failed";
    if (ready && !(ready = dj_create_sm(CS_TICK, DJ_SEL_SELF_PD, 0) == DJ_OK))
        why = "the tick semaphore failed";
    if (ready && !(ready = watchdog_start()))
        why = "the watchdog failed";
    result(ready, "fuzz_hostile_setup", why);
    if (ready) {
        t.quota_start = quota_free(CS_QUOTA);
        uint64_t x = seed;
        for (unsigned r = 0; r < rounds; r++) { /* a round cut short by time: the next ones make it up */
            uint64_t left = t.ops < target ? target - t.ops : 0;
            run_round(r, splitmix(&x), ncpus, (left + rounds - r - 1) / (rounds - r), &t);
        }
        say("hostilefuzz: %llu operations (%llu by threads, %llu by handlers), %llu threads started, %llu faults "
            "resumed, %llu faulting ECs killed\n",
            (unsigned long long)t.ops, (unsigned long long)t.thread_ops, (unsigned long long)t.handler_ops,
            (unsigned long long)t.threads, (unsigned long long)t.faults_resumed, (unsigned long long)t.faults_killed);
        say("hostilefuzz: %llu Mcycles, %llu watchdog ticks\n", (unsigned long long)(t.cycles / 1000000),
            (unsigned long long)watchdog_ticks);
        char ops_why[LINE_MAX];
        snprintf(ops_why, sizeof(ops_why), "%llu operations, fewer than the %llu asked for", (unsigned long long)t.ops,
                 (unsigned long long)target);
        result(t.ops >= target, "fuzz_hostile_operations", ops_why);
        check_fresh_ipc(splitmix(&x), ncpus, &t);
        result(t.quota_ok, "fuzz_hostile_invariants_quota", t.quota_why);
    }
    say("hostilefuzz: done (seed %#llx)\n", (unsigned long long)seed);
    dj_debug(DEBUG_OP_TEST_DONE, (uint64_t)passed << 32 | failed, 0);
    return 0;
}
