/* SPDX-License-Identifier: GPL-2.0-only */
/* Destroying PDs (kernel/pd_reclaim.h): a PD dies when the last
 * capability to it goes or when it is killed; its threads stop, callers
 * into it get an error, everything it held is revoked (with what derives
 * from it in other PDs) and every page goes back to the quota it came
 * from.
 *
 * Each test charges its children to a quota PD of its own, so that the
 * quota PD's free pages, read before and after, show exactly what came
 * back (the root's own tables grow with the capabilities it holds). The
 * children share this program's image; their threads start through a
 * portal charged to the child but handled in this PD (as init does for
 * its components), and report through a worker slot in shared data. */
#include <stdbool.h>
#include "echo_server.h"
#include "lib/server.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

extern char __text_start[], __text_end[], __data_start[], __image_end[];

#define QUOTA_PD_PAGES 1024
#define CHILD_PAGES 256
#define GRANDCHILD_PAGES 16
#define CHILD_SEL_DONE 128   /* in a child: a semaphore of this PD it ups */
#define CHILD_SEL_NEVER 129  /* ... one never upped */
#define CHILD_SEL_SELF 130   /* ... a copy of its own PD capability */
#define CHILD_SEL_ROOT 131   /* ... this PD, to delegate into */
#define CHILD_SEL_CALL 132   /* ... a portal into this PD */
#define CHILD_EVENT_BASE 256 /* each worker's event portals: + DJ_EV_COUNT * index */
#define CHILD_UTCB_VA 0x6f0000000000ull /* the children's UTCBs, a page apart */
#define CHILD_ALLOC_VA 0x6f8000000000ull /* where a worker allocates memory */
#define MAX_WORKERS 4
#define MAX_CPUS_USED 64
#define STACK_PAGES 4
#define HANDLER_STACK_PAGES 2
#define HIGH_PRIO 100        /* above the root: runs as soon as it is ready */
#define LOW_PRIO 16
#define LOOPS 100
#define PROBE_PORT 0x80
#define MSI_FOR_TESTS (DJ_SEL_MSI_BASE + DJ_MSI_COUNT - 1)
#define MAGIC 0xdead5eed0000beefull
#define WAIT_CYCLES 20000000000ull /* generous: reached only on failure */
#define NO_RESULT 0xffffull

enum worker_op { W_BLOCK, W_SPIN, W_ALLOC_SHARE, W_ALLOC_DMA, W_CALL, W_SELF_KILL, W_DROP_OWN_CAP };

/* A child's thread and what it reports (this program's data is shared). */
struct worker {
    volatile uint64_t op, arg, result, progress;
    uint64_t stack_top;
};

/* Selectors in this PD, reused by every test so its own tables stay put. */
struct child {
    uint64_t pd, done, never;
    uint64_t ec[MAX_WORKERS], sc[MAX_WORKERS], startup[MAX_WORKERS];
    unsigned workers;
};

static struct worker workers[MAX_WORKERS];
static void *worker_stacks[MAX_WORKERS];
static uint64_t startup_ec[MAX_CPUS_USED];

static uint64_t quota_free(uint64_t pd)
{
    uint64_t free = 0;
    return dj_pd_quota(pd, &free, 0) == DJ_OK ? free : ~0ull;
}

static enum dj_status destroy(uint64_t pd)
{
    return dj_revoke(DJ_CRD(DJ_CRD_OBJ, pd, 0, 0), true);
}

static enum dj_obj_type type_at(uint64_t sel)
{
    enum dj_obj_type t = DJ_OBJ_NONE;
    dj_lookup(DJ_CRD(DJ_CRD_OBJ, sel, 0, 0), 0, &t);
    return t;
}

static bool give(uint64_t pd, uint64_t sel, unsigned rights, uint64_t to)
{
    return dj_delegate(pd, DJ_CRD(DJ_CRD_OBJ, sel, 0, rights), to) == DJ_OK;
}

static bool share(uint64_t pd, uint64_t start, uint64_t end, unsigned rights)
{
    for (uint64_t va = start; va < end; va += UTEST_PAGE)
        if (dj_delegate(pd, DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, rights), va / UTEST_PAGE) != DJ_OK)
            return false;
    return true;
}

/* Spin until the budget ends or *v changes from old; true when it did. */
static bool spin_while_equal(volatile uint64_t *v, uint64_t old)
{
    uint64_t t0 = utest_rdtsc();
    while (*v == old)
        if (utest_rdtsc() - t0 > WAIT_CYCLES)
            return false;
    return true;
}

/* Wait (bounded) until sm is upped, polling: the upper may run on
 * another CPU or below our priority. */
static bool wait_up(uint64_t sm)
{
    uint64_t t0 = utest_rdtsc();
    while (dj_sm_try_down(sm) != DJ_OK)
        if (utest_rdtsc() - t0 > WAIT_CYCLES)
            return false;
    return true;
}

/* ---- the children's threads ---- */

static uint64_t alloc_and_share(uint64_t va)
{
    uint64_t st = dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W);
    if (st != DJ_OK)
        return st;
    *(volatile uint64_t *)va = MAGIC;
    return dj_delegate(CHILD_SEL_ROOT, DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_R | DJ_MEM_W), va / UTEST_PAGE);
}

/* A page whose physical address a driver would give its device. */
static uint64_t alloc_for_dma(uint64_t va)
{
    uint64_t pa = 0, st = dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W);
    return st == DJ_OK ? dj_mem_phys(va, &pa, 0) : st;
}

/* Runs in a child, on a stack from this PD's pool shared with it. */
static __attribute__((noreturn)) void worker_main(struct worker *w)
{
    switch (w->op) {
    case W_ALLOC_SHARE: w->result = alloc_and_share(w->arg); break;
    case W_ALLOC_DMA: w->result = alloc_for_dma(w->arg); break;
    case W_CALL: w->result = dj_call(CHILD_SEL_CALL, DJ_MTD(0, 0), 0); break;
    case W_SELF_KILL:
        dj_sm_up(CHILD_SEL_DONE);
        w->result = dj_pd_kill(CHILD_SEL_SELF); /* returns only if refused */
        break;
    case W_DROP_OWN_CAP: w->result = dj_revoke(DJ_CRD(DJ_CRD_OBJ, CHILD_SEL_SELF, 0, 0), true); break;
    default: w->result = DJ_OK; break;
    }
    dj_sm_up(CHILD_SEL_DONE);
    for (;;) {
        w->progress++;
        if (w->op != W_SPIN)
            dj_sm_down(CHILD_SEL_NEVER);
    }
}

/* The startup event of worker badge - 1, handled in this PD. */
static uint64_t startup_handler(uint64_t badge, struct dj_utcb *u)
{
    struct worker *w = &workers[badge - 1];
    u->arch.rip = (uint64_t)worker_main;
    u->arch.rsp = w->stack_top - 8; /* as if called */
    u->arch.rdi = (uint64_t)w;
    return DJ_MTD(0, 0);
}

/* The startup handler EC for threads on cpu (calls stay on one CPU). */
static uint64_t startup_ec_on(unsigned cpu)
{
    if (cpu < MAX_CPUS_USED && !startup_ec[cpu]) {
        void *stack = utest_pages(HANDLER_STACK_PAGES);
        uint64_t sel = utest_selector(), utcb = utest_va(1);
        uint64_t sp = stack ? dj_handler_stack(stack, HANDLER_STACK_PAGES * UTEST_PAGE, (struct dj_utcb *)utcb,
                                               startup_handler)
                            : 0;
        if (stack && dj_create_ec(sel, DJ_SEL_SELF_PD, cpu, utcb, sp, 0, false) == DJ_OK)
            startup_ec[cpu] = sel;
    }
    return cpu < MAX_CPUS_USED ? startup_ec[cpu] : 0;
}

/* A CPU other than the root's, or the root's when there is none. */
static unsigned other_cpu(void)
{
    static unsigned found = ~0u;
    if (found == ~0u) {
        found = dj_boot_cpu;
        for (unsigned c = 0; c < MAX_CPUS_USED && found == dj_boot_cpu; c++)
            if (c != dj_boot_cpu && startup_ec_on(c))
                found = c;
    }
    return found;
}

/* Start worker i of c on cpu at prio doing op. Its startup portal is
 * charged to the child and handled here. */
static bool start_worker(struct child *c, unsigned i, unsigned cpu, unsigned prio, enum worker_op op, uint64_t arg)
{
    struct worker *w = &workers[i];
    if (!worker_stacks[i])
        worker_stacks[i] = utest_pages(STACK_PAGES);
    uint64_t stack = (uint64_t)worker_stacks[i], eb = CHILD_EVENT_BASE + i * DJ_EV_COUNT;
    *w = (struct worker){.op = op, .arg = arg, .result = NO_RESULT, .stack_top = stack + STACK_PAGES * UTEST_PAGE};
    if (!stack || !startup_ec_on(cpu) || !share(c->pd, stack, w->stack_top, DJ_MEM_R | DJ_MEM_W))
        return false;
    if (dj_create_pt(c->startup[i], c->pd, startup_ec_on(cpu), DJ_MTD_RIP_RSP | DJ_MTD_GPR,
                     (uint64_t)dj_portal_entry) != DJ_OK ||
        dj_pt_ctrl(c->startup[i], i + 1) != DJ_OK || !give(c->pd, c->startup[i], DJ_PT_CALL, eb + DJ_EV_STARTUP))
        return false;
    c->workers = i + 1;
    return dj_create_ec(c->ec[i], c->pd, cpu, CHILD_UTCB_VA + 2 * i * UTEST_PAGE, 0, eb, true) == DJ_OK &&
           dj_create_sc(c->sc[i], c->pd, c->ec[i], prio, 0) == DJ_OK;
}

/* Selectors of this PD for a child, allocated once per test slot. */
static void child_selectors(struct child *c)
{
    if (c->pd)
        return;
    c->pd = utest_selector();
    c->done = utest_selector();
    c->never = utest_selector();
    for (unsigned i = 0; i < MAX_WORKERS; i++) {
        c->ec[i] = utest_selector();
        c->sc[i] = utest_selector();
        c->startup[i] = utest_selector();
    }
}

/* A child charged to quota PD q: this program's image, its own PD
 * capability (the cycle a PD must not be kept alive by), this PD's
 * (to delegate into) and two semaphores of this PD. */
static bool child_create(struct child *c, uint64_t q)
{
    child_selectors(c);
    c->workers = 0;
    return dj_create_pd(c->pd, q, CHILD_PAGES) == DJ_OK &&
           share(c->pd, (uint64_t)__text_start, (uint64_t)__text_end, DJ_MEM_R | DJ_MEM_X) &&
           share(c->pd, (uint64_t)__text_end, (uint64_t)__data_start, DJ_MEM_R) &&
           share(c->pd, (uint64_t)__data_start, (uint64_t)__image_end, DJ_MEM_R | DJ_MEM_W) &&
           dj_create_sm(c->done, DJ_SEL_SELF_PD, 0) == DJ_OK && dj_create_sm(c->never, DJ_SEL_SELF_PD, 0) == DJ_OK &&
           give(c->pd, c->done, DJ_SM_UP, CHILD_SEL_DONE) && give(c->pd, c->never, DJ_SM_DOWN, CHILD_SEL_NEVER) &&
           give(c->pd, c->pd, DJ_OBJ_ALL, CHILD_SEL_SELF) && give(c->pd, DJ_SEL_SELF_PD, DJ_PD_DELEGATE, CHILD_SEL_ROOT);
}

/* This PD's semaphores the child used go too (they are not the child's). */
static void child_forget(struct child *c)
{
    destroy(c->done);
    destroy(c->never);
}

/* A quota PD for one test, created once. */
static uint64_t quota_pd(uint64_t *sel)
{
    if (!*sel) {
        *sel = utest_selector();
        if (dj_create_pd(*sel, DJ_SEL_SELF_PD, QUOTA_PD_PAGES) != DJ_OK)
            *sel = 0;
    }
    return *sel;
}

/* ---- tests ---- */

UTEST(pd_quota_reads_free_pages)
{
    static uint64_t q;
    uint64_t free = 0, limit = 0, pd = utest_selector(), sm = utest_selector();
    UTEST_REQUIRE(quota_pd(&q), "quota PD failed");
    UTEST_REQUIRE(dj_create_pd(pd, q, GRANDCHILD_PAGES) == DJ_OK, "create failed");
    /* Its top-level page table is its first page. */
    UTEST_REQUIRE(dj_pd_quota(pd, &free, &limit) == DJ_OK && free == GRANDCHILD_PAGES - 1 &&
                      limit == GRANDCHILD_PAGES,
                  "a fresh PD reads %llu free of %llu", (unsigned long long)free, (unsigned long long)limit);
    UTEST_REQUIRE(dj_create_sm(sm, pd, 0) == DJ_OK && quota_free(pd) == GRANDCHILD_PAGES - 2,
                  "a semaphore did not cost one page");
    UTEST_REQUIRE(dj_syscall(DJ_SYS_PD_CTRL, pd, 7, 0, 0, 0, 0).status == DJ_E_BAD_PARAM,
                  "an unknown operation was accepted");
    UTEST_REQUIRE(dj_pd_quota(sm, 0, 0) == DJ_E_BAD_CAP, "a semaphore read as a PD");
    UTEST_REQUIRE(destroy(pd) == DJ_OK && type_at(sm) == DJ_OBJ_NONE, "the PD's semaphore outlived it");
    return true;
}

UTEST(pd_destroy_returns_everything)
{
    static uint64_t q;
    static struct child c;
    uint64_t sm_in_child = utest_selector(), echo_pt = utest_selector(), grandchild = utest_selector();
    uint64_t gc_sm = utest_selector(), msi_sm = utest_selector(), shared_va = utest_va(1), mine = utest_selector();
    UTEST_REQUIRE(quota_pd(&q), "quota PD failed");
    uint64_t before = quota_free(q);
    UTEST_REQUIRE(child_create(&c, q), "child setup failed");
    /* Objects charged to it, capabilities, ports, an interrupt binding. */
    void *echo_stack = utest_pages(4);
    UTEST_REQUIRE(echo_stack && share(c.pd, (uint64_t)echo_stack, (uint64_t)echo_stack + 4 * UTEST_PAGE,
                                      DJ_MEM_R | DJ_MEM_W),
                  "stack sharing failed");
    struct dj_server s = {
        .pd_sel = c.pd, .ec_sel = utest_selector(), .pt_sel = echo_pt, .cpu = dj_boot_cpu, .utcb_va = utest_va(1),
        .stack = echo_stack, .stack_size = 4 * UTEST_PAGE, .handler = echo_handler,
    };
    UTEST_REQUIRE(dj_server_create(&s) == DJ_OK && dj_call(echo_pt, DJ_MTD(0, 0), 0) == DJ_OK,
                  "a server in the child failed");
    UTEST_REQUIRE(dj_create_sm(sm_in_child, c.pd, 0) == DJ_OK && dj_create_sm(msi_sm, c.pd, 0) == DJ_OK,
                  "semaphores failed");
    UTEST_REQUIRE(dj_msi_bind(MSI_FOR_TESTS, msi_sm, 0, 0) == DJ_OK, "binding an MSI to the child's semaphore");
    UTEST_REQUIRE(dj_create_pd(grandchild, c.pd, GRANDCHILD_PAGES) == DJ_OK && dj_create_sm(gc_sm, grandchild, 0) == DJ_OK,
                  "a PD charged to the child failed");
    UTEST_REQUIRE(dj_delegate(c.pd, DJ_CRD(DJ_CRD_IO, PROBE_PORT, 0, DJ_IO_ACCESS), 0) == DJ_OK, "port failed");
    /* A thread that allocates a page and gives it to us, one that runs. */
    UTEST_REQUIRE(start_worker(&c, 0, dj_boot_cpu, HIGH_PRIO, W_ALLOC_SHARE, shared_va) && wait_up(c.done),
                  "the allocating thread did not run");
    UTEST_REQUIRE(workers[0].result == DJ_OK && *(volatile uint64_t *)shared_va == MAGIC,
                  "the child's page did not reach us (status %llu)", (unsigned long long)workers[0].result);
    unsigned cpu = other_cpu();
    UTEST_REQUIRE(start_worker(&c, 1, cpu, cpu == dj_boot_cpu ? LOW_PRIO : HIGH_PRIO, W_SPIN, 0), "spinner failed");
    if (cpu != dj_boot_cpu)
        UTEST_REQUIRE(wait_up(c.done) && spin_while_equal(&workers[1].progress, 0), "the spinner never ran");
    UTEST_REQUIRE(quota_free(q) < before, "nothing was charged");

    UTEST_REQUIRE(destroy(c.pd) == DJ_OK, "revoking the child failed");
    uint64_t after = quota_free(q);
    UTEST_REQUIRE(after == before, "the quota PD has %llu pages free, %llu before", (unsigned long long)after,
                  (unsigned long long)before);
    uint64_t progress = workers[1].progress, pa = 0;
    for (volatile int i = 0; i < 100000; i++)
        ;
    UTEST_REQUIRE(workers[1].progress == progress, "the child's thread still runs");
    UTEST_REQUIRE(dj_mem_phys(shared_va, &pa, 0) == DJ_E_BAD_ADDR, "what the child gave us is still mapped");
    UTEST_REQUIRE(type_at(c.ec[0]) == DJ_OBJ_NONE && type_at(c.sc[0]) == DJ_OBJ_NONE && type_at(echo_pt) == DJ_OBJ_NONE &&
                      type_at(sm_in_child) == DJ_OBJ_NONE && type_at(grandchild) == DJ_OBJ_NONE &&
                      type_at(gc_sm) == DJ_OBJ_NONE && type_at(c.pd) == DJ_OBJ_NONE,
                  "a capability to the child or its objects survived");
    UTEST_REQUIRE(dj_call(echo_pt, DJ_MTD(0, 0), 0) == DJ_E_BAD_CAP, "the child's portal still answers");
    UTEST_REQUIRE(dj_create_sm(mine, DJ_SEL_SELF_PD, 0) == DJ_OK && dj_msi_bind(MSI_FOR_TESTS, mine, 0, 0) == DJ_OK &&
                      dj_irq_ctrl(MSI_FOR_TESTS, DJ_IRQ_OP_UNBIND, 0, 0) == DJ_OK,
                  "the MSI stayed bound to the dead child's semaphore");
    UTEST_REQUIRE(dj_sm_up(c.done) == DJ_OK, "our own semaphore the child held was lost");
    child_forget(&c);
    return true;
}

/* ---- callers blocked in a dying PD ---- */

struct client {
    uint64_t pt, sm;              /* what it calls or waits on */
    volatile uint64_t status, returned;
};

static struct client clients[3];
static uint64_t client_never;

static void client_thread(struct client *k)
{
    k->status = k->pt ? dj_call(k->pt, DJ_MTD(0, 0), 0) : dj_sm_down(k->sm);
    k->returned = 1;
    for (;;)
        dj_sm_down(client_never);
}

/* A thread of this PD, started the same way as the children's. */
static uint64_t client_start_handler(uint64_t badge, struct dj_utcb *u)
{
    static uint64_t stacks[3];
    if (!stacks[badge - 1])
        stacks[badge - 1] = (uint64_t)utest_pages(STACK_PAGES);
    u->arch.rip = (uint64_t)client_thread;
    u->arch.rsp = stacks[badge - 1] + STACK_PAGES * UTEST_PAGE - 8;
    u->arch.rdi = (uint64_t)&clients[badge - 1];
    return DJ_MTD(0, 0);
}

static bool client_start(unsigned i)
{
    static uint64_t handler_ec;
    if (!handler_ec) {
        void *stack = utest_pages(HANDLER_STACK_PAGES);
        uint64_t sel = utest_selector(), utcb = utest_va(1);
        uint64_t sp = dj_handler_stack(stack, HANDLER_STACK_PAGES * UTEST_PAGE, (struct dj_utcb *)utcb,
                                       client_start_handler);
        if (!stack || dj_create_ec(sel, DJ_SEL_SELF_PD, dj_boot_cpu, utcb, sp, 0, false) != DJ_OK)
            return false;
        handler_ec = sel;
    }
    uint64_t eb = utest_selector();
    for (unsigned k = 1; k < DJ_EV_COUNT; k++)
        utest_selector();
    uint64_t pt = eb + DJ_EV_STARTUP, ec = utest_selector();
    clients[i].status = NO_RESULT;
    return dj_create_pt(pt, DJ_SEL_SELF_PD, handler_ec, DJ_MTD_RIP_RSP | DJ_MTD_GPR, (uint64_t)dj_portal_entry) ==
               DJ_OK &&
           dj_pt_ctrl(pt, i + 1) == DJ_OK && dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, utest_va(1), 0, eb, true) == DJ_OK &&
           dj_create_sc(utest_selector(), DJ_SEL_SELF_PD, ec, HIGH_PRIO, 0) == DJ_OK;
}

static volatile uint64_t blocking_calls;

/* A handler in the child that never replies. */
static uint64_t blocking_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    (void)u;
    blocking_calls++;
    while (dj_sm_down(CHILD_SEL_NEVER) == DJ_OK)
        ;
    return DJ_MTD(0, 0);
}

UTEST(pd_destroy_fails_callers_blocked_in_it)
{
    static uint64_t q;
    static struct child c;
    uint64_t pt = utest_selector(), foreign_pt = utest_selector(), sm = utest_selector(), ec = utest_selector();
    UTEST_REQUIRE(quota_pd(&q), "quota PD failed");
    uint64_t before = quota_free(q);
    client_never = client_never ? client_never : utest_selector();
    UTEST_REQUIRE(type_at(client_never) == DJ_OBJ_SM || dj_create_sm(client_never, DJ_SEL_SELF_PD, 0) == DJ_OK,
                  "semaphore failed");
    UTEST_REQUIRE(child_create(&c, q), "child setup failed");
    void *stack = utest_pages(4);
    UTEST_REQUIRE(stack && share(c.pd, (uint64_t)stack, (uint64_t)stack + 4 * UTEST_PAGE, DJ_MEM_R | DJ_MEM_W),
                  "stack sharing failed");
    struct dj_server s = {
        .pd_sel = c.pd, .ec_sel = ec, .pt_sel = pt, .cpu = dj_boot_cpu, .utcb_va = utest_va(1), .stack = stack,
        .stack_size = 4 * UTEST_PAGE, .handler = blocking_handler,
    };
    UTEST_REQUIRE(dj_server_create(&s) == DJ_OK, "the child's server failed");
    /* A portal of ours (charged to us) into the child's handler. */
    UTEST_REQUIRE(dj_create_pt(foreign_pt, DJ_SEL_SELF_PD, ec, 0, (uint64_t)dj_portal_entry) == DJ_OK, "portal failed");
    UTEST_REQUIRE(dj_create_sm(sm, c.pd, 0) == DJ_OK, "semaphore in the child failed");
    /* Client 0 is in a call the handler never answers, client 1 waits for
     * the busy handler, client 2 in a down on the child's semaphore. */
    clients[0] = (struct client){.pt = pt};
    clients[1] = (struct client){.pt = pt};
    clients[2] = (struct client){.sm = sm};
    for (unsigned i = 0; i < 3; i++)
        UTEST_REQUIRE(client_start(i), "client %u failed", i);
    UTEST_REQUIRE(blocking_calls > 0 && !clients[0].returned && !clients[1].returned && !clients[2].returned,
                  "the clients are not blocked");

    UTEST_REQUIRE(destroy(c.pd) == DJ_OK, "revoking the child failed");
    UTEST_REQUIRE(clients[0].returned && clients[0].status == DJ_E_ABORTED, "the call in progress returned %llu",
                  (unsigned long long)clients[0].status);
    UTEST_REQUIRE(clients[1].returned && (clients[1].status == DJ_E_ABORTED || clients[1].status == DJ_E_BAD_CAP),
                  "the waiting call returned %llu", (unsigned long long)clients[1].status);
    UTEST_REQUIRE(clients[2].returned && clients[2].status == DJ_E_ABORTED, "the down returned %llu",
                  (unsigned long long)clients[2].status);
    enum dj_status st = dj_call(foreign_pt, DJ_MTD(0, 0), 0);
    UTEST_REQUIRE(st == DJ_E_BAD_CAP || st == DJ_E_ABORTED, "our portal into the dead handler gave %d", st);
    UTEST_REQUIRE(quota_free(q) == before, "the quota PD has %llu pages free, %llu before",
                  (unsigned long long)quota_free(q), (unsigned long long)before);
    child_forget(&c);
    return true;
}

UTEST(pd_destroy_100_times_leaks_nothing)
{
    static uint64_t q;
    static struct child c;
    uint64_t sms[3] = {utest_selector(), utest_selector(), utest_selector()}, pa = 0;
    UTEST_REQUIRE(quota_pd(&q), "quota PD failed");
    uint64_t before = quota_free(q), root_after_first = 0;
    for (unsigned i = 0; i < LOOPS; i++) {
        UTEST_REQUIRE(child_create(&c, q), "round %u: child setup failed", i);
        for (unsigned k = 0; k < 3; k++)
            UTEST_REQUIRE(dj_create_sm(sms[k], c.pd, k) == DJ_OK, "round %u: semaphore failed", i);
        UTEST_REQUIRE(start_worker(&c, 0, dj_boot_cpu, HIGH_PRIO, W_ALLOC_SHARE, CHILD_ALLOC_VA) && wait_up(c.done),
                      "round %u: thread failed", i);
        UTEST_REQUIRE(workers[0].result == DJ_OK && *(volatile uint64_t *)CHILD_ALLOC_VA == MAGIC,
                      "round %u: the child's page did not reach us", i);
        UTEST_REQUIRE(destroy(c.pd) == DJ_OK, "round %u: destroy failed", i);
        UTEST_REQUIRE(dj_mem_phys(CHILD_ALLOC_VA, &pa, 0) == DJ_E_BAD_ADDR, "round %u: the child's page stayed", i);
        child_forget(&c);
        uint64_t now = quota_free(q);
        UTEST_REQUIRE(now == before, "round %u: %llu pages free, %llu before", i, (unsigned long long)now,
                      (unsigned long long)before);
        uint64_t root = quota_free(DJ_SEL_SELF_PD);
        if (i == 0)
            root_after_first = root;
        UTEST_REQUIRE(root == root_after_first, "round %u: the root has %llu pages free, %llu after round 0", i,
                      (unsigned long long)root, (unsigned long long)root_after_first);
    }
    return true;
}

UTEST(pd_kill_itself_consistently)
{
    static uint64_t q;
    static struct child c;
    UTEST_REQUIRE(quota_pd(&q), "quota PD failed");
    uint64_t before = quota_free(q), free = 1, limit = 1;
    UTEST_REQUIRE(child_create(&c, q), "child setup failed");
    unsigned cpu = other_cpu();
    UTEST_REQUIRE(start_worker(&c, 0, cpu, cpu == dj_boot_cpu ? LOW_PRIO : HIGH_PRIO, W_SPIN, 0), "spinner failed");
    /* Giving up its own capability does not end it: ours keeps it. */
    UTEST_REQUIRE(start_worker(&c, 1, dj_boot_cpu, HIGH_PRIO, W_DROP_OWN_CAP, 0) && wait_up(c.done),
                  "the thread did not run");
    UTEST_REQUIRE(workers[1].result == DJ_OK && dj_create_sm(utest_selector(), c.pd, 0) == DJ_OK,
                  "the child died with its own capability (status %llu)", (unsigned long long)workers[1].result);
    UTEST_REQUIRE(give(c.pd, c.pd, DJ_OBJ_ALL, CHILD_SEL_SELF), "giving it its capability again failed");
    /* Killing itself: the call never returns; the rest is done by idle
     * CPUs and timer ticks, so we wait for the quota. */
    UTEST_REQUIRE(start_worker(&c, 2, dj_boot_cpu, HIGH_PRIO, W_SELF_KILL, 0), "the killer did not start");
    UTEST_REQUIRE(wait_up(c.done), "the killer did not run");
    uint64_t t0 = utest_rdtsc();
    while (quota_free(q) != before - 1 && utest_rdtsc() - t0 < WAIT_CYCLES)
        ;
    UTEST_REQUIRE(workers[2].result == NO_RESULT, "the kill returned %llu", (unsigned long long)workers[2].result);
    UTEST_REQUIRE(quota_free(q) == before - 1, "%llu pages free, %llu before (and the PD's own page)",
                  (unsigned long long)quota_free(q), (unsigned long long)before);
    uint64_t progress = workers[0].progress;
    for (volatile int i = 0; i < 100000; i++)
        ;
    UTEST_REQUIRE(workers[0].progress == progress, "its other thread still runs");
    UTEST_REQUIRE(dj_pd_quota(c.pd, &free, &limit) == DJ_OK && free == 0 && limit == 0,
                  "the dead PD reads %llu free of %llu", (unsigned long long)free, (unsigned long long)limit);
    UTEST_REQUIRE(dj_create_sm(utest_selector(), c.pd, 0) == DJ_E_BAD_CAP, "an object was created in the dead PD");
    UTEST_REQUIRE(dj_pd_kill(c.pd) == DJ_OK, "killing it again failed");
    UTEST_REQUIRE(destroy(c.pd) == DJ_OK && quota_free(q) == before, "its page did not come back with our capability");
    child_forget(&c);
    return true;
}

UTEST(pd_kill_needs_the_right)
{
    static uint64_t q;
    uint64_t pd = utest_selector(), weak = utest_selector();
    UTEST_REQUIRE(quota_pd(&q), "quota PD failed");
    uint64_t before = quota_free(q);
    UTEST_REQUIRE(dj_create_pd(pd, q, GRANDCHILD_PAGES) == DJ_OK &&
                      dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_OBJ, pd, 0, DJ_PD_CREATE | DJ_PD_DELEGATE), weak) ==
                          DJ_OK,
                  "setup failed");
    UTEST_REQUIRE(dj_pd_kill(weak) == DJ_E_BAD_CAP, "killed without DJ_PD_KILL");
    UTEST_REQUIRE(dj_pd_kill(DJ_SEL_SELF_PD) == DJ_E_BAD_PARAM, "the root PD could be killed");
    UTEST_REQUIRE(dj_pd_kill(pd) == DJ_OK, "kill failed");
    UTEST_REQUIRE(dj_create_sm(utest_selector(), pd, 0) == DJ_E_BAD_CAP, "the killed PD still takes objects");
    UTEST_REQUIRE(quota_free(q) == before - 1, "%llu free, %llu before and the PD's own page",
                  (unsigned long long)quota_free(q), (unsigned long long)before);
    UTEST_REQUIRE(destroy(pd) == DJ_OK && type_at(weak) == DJ_OBJ_NONE && quota_free(q) == before,
                  "the capabilities or the PD's page stayed");
    return true;
}

UTEST(pd_destroy_keeps_pages_a_device_may_use)
{
    static uint64_t q;
    static struct child c;
    UTEST_REQUIRE(quota_pd(&q), "quota PD failed");
    uint64_t before = quota_free(q);
    UTEST_REQUIRE(child_create(&c, q), "child setup failed");
    UTEST_REQUIRE(start_worker(&c, 0, dj_boot_cpu, HIGH_PRIO, W_ALLOC_DMA, CHILD_ALLOC_VA) && wait_up(c.done) &&
                      workers[0].result == DJ_OK,
                  "the child's allocation failed (%llu)", (unsigned long long)workers[0].result);
    UTEST_REQUIRE(destroy(c.pd) == DJ_OK, "destroy failed");
    UTEST_REQUIRE(quota_free(q) == before - 1, "%llu pages free, %llu before: not exactly the DMA page kept",
                  (unsigned long long)quota_free(q), (unsigned long long)before);
    child_forget(&c);
    return true;
}

UTEST(mem_revoke_self_returns_allocated_page)
{
    uint64_t va = utest_va(1), pa = 0;
    uint64_t crd = DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_ALL);
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK && dj_revoke(crd, true) == DJ_OK,
                  "first allocation failed"); /* the page tables for va stay */
    uint64_t before = quota_free(DJ_SEL_SELF_PD);
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK && quota_free(DJ_SEL_SELF_PD) < before,
                  "the allocation cost nothing");
    *(volatile uint64_t *)va = MAGIC;
    UTEST_REQUIRE(dj_revoke(crd, true) == DJ_OK, "revoke failed");
    UTEST_REQUIRE(quota_free(DJ_SEL_SELF_PD) == before, "%llu pages free, %llu before",
                  (unsigned long long)quota_free(DJ_SEL_SELF_PD), (unsigned long long)before);
    UTEST_REQUIRE(dj_mem_phys(va, &pa, 0) == DJ_E_BAD_ADDR, "the page is still mapped");
    return true;
}

/* A server of ours that holds each call until released. */
static uint64_t held_in_call, held_release;
static volatile uint64_t held_served;

static uint64_t holding_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    (void)u;
    dj_sm_up(held_in_call);
    dj_sm_down(held_release);
    held_served++;
    return DJ_MTD(0, 0);
}

UTEST(pd_destroy_lets_calls_out_of_it_finish)
{
    static uint64_t q;
    static struct child c;
    uint64_t pt = utest_selector();
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    held_in_call = utest_selector();
    held_release = utest_selector();
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = pt, .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = HANDLER_STACK_PAGES * UTEST_PAGE,
        .handler = holding_handler,
    };
    UTEST_REQUIRE(quota_pd(&q) && stack && dj_create_sm(held_in_call, DJ_SEL_SELF_PD, 0) == DJ_OK &&
                      dj_create_sm(held_release, DJ_SEL_SELF_PD, 0) == DJ_OK && dj_server_create(&s) == DJ_OK,
                  "server setup failed");
    uint64_t before = quota_free(q);
    UTEST_REQUIRE(child_create(&c, q) && give(c.pd, pt, DJ_PT_CALL, CHILD_SEL_CALL), "child setup failed");
    /* The child's thread calls us; our handler holds the call. */
    UTEST_REQUIRE(start_worker(&c, 0, dj_boot_cpu, HIGH_PRIO, W_CALL, 0), "the caller did not start");
    UTEST_REQUIRE(dj_sm_try_down(held_in_call) == DJ_OK, "the call did not reach our handler");
    UTEST_REQUIRE(destroy(c.pd) == DJ_OK, "destroy failed");
    UTEST_REQUIRE(quota_free(q) < before, "destroyed while its thread was in our call");
    UTEST_REQUIRE(type_at(c.ec[0]) == DJ_OBJ_NONE && type_at(c.pd) == DJ_OBJ_NONE, "capabilities survived");
    /* Our handler finishes the call on the caller's time; the reply is
     * dropped, the caller dies, the rest goes in the background. */
    dj_sm_up(held_release);
    UTEST_REQUIRE(held_served == 1, "our handler did not finish the call");
    UTEST_REQUIRE(workers[0].result == NO_RESULT, "the dead caller ran on (status %llu)",
                  (unsigned long long)workers[0].result);
    uint64_t t0 = utest_rdtsc();
    while (quota_free(q) != before && utest_rdtsc() - t0 < WAIT_CYCLES)
        ;
    UTEST_REQUIRE(quota_free(q) == before, "%llu pages free, %llu before", (unsigned long long)quota_free(q),
                  (unsigned long long)before);
    dj_sm_up(held_release); /* our own next call must not wait */
    UTEST_REQUIRE(dj_call(pt, DJ_MTD(0, 0), 0) == DJ_OK && held_served == 2, "the server is stuck");
    child_forget(&c);
    return true;
}
