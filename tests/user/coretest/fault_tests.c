/* SPDX-License-Identifier: GPL-2.0-only */
/* A thread with exception portals: its startup event, page faults served
 * by a user-level pager, and exceptions that the handler fixes up. */
#include <stdbool.h>
#include "lib/server.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define HANDLER_STACK_PAGES 4
#define FAULT_PAGES 64
#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14
#define UD2_LEN 2
#define INB_IMM_LEN 2
#define THREAD_PRIO 64

static volatile unsigned faults_handled;
static volatile bool ud_seen, gp_seen, thread_ok, thread_done;
static volatile uint64_t pagefault_tsc;
static uint64_t thread_stack_top, done_sm, never_sm, fault_area;

static uint64_t pf_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    void *frame = utest_pages(1);
    if (!frame || u->arch.vector != VEC_PF)
        return DJ_MTD(0, 0); /* the thread faults again: a visible failure */
    dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_MEM, (uint64_t)frame / UTEST_PAGE, 0, DJ_MEM_R | DJ_MEM_W),
                u->arch.fault_addr / UTEST_PAGE);
    faults_handled++;
    return DJ_MTD(0, 0);
}

static uint64_t ud_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    ud_seen = u->arch.vector == VEC_UD;
    u->arch.rip += UD2_LEN; /* skip the instruction and resume */
    return DJ_MTD(0, 0);
}

static uint64_t gp_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    gp_seen = u->arch.vector == VEC_GP;
    u->arch.rip += INB_IMM_LEN;
    return DJ_MTD(0, 0);
}

static void thread_main(void)
{
    volatile uint64_t *area = (volatile uint64_t *)fault_area;
    uint64_t t0 = utest_rdtsc();
    for (unsigned i = 0; i < FAULT_PAGES; i++)
        area[i * UTEST_PAGE / 8] = i;
    pagefault_tsc = (utest_rdtsc() - t0) / FAULT_PAGES;
    bool ok = faults_handled == FAULT_PAGES;
    for (unsigned i = 0; i < FAULT_PAGES; i++)
        ok = ok && area[i * UTEST_PAGE / 8] == i;
    __asm__ volatile("ud2");
    /* [helper H] No `inb` here any more: the root PD now holds every I/O
     * port, so io_port_without_capability_faults runs in a child PD
     * (revoke_tests.c). */
    thread_ok = ok;
    thread_done = true;
    dj_sm_up(done_sm);
    for (;;)
        dj_sm_ctrl(never_sm, DJ_SM_OP_DOWN); /* the thread ends blocked here */
}

static uint64_t startup_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->arch.rip = (uint64_t)thread_main;
    u->arch.rsp = thread_stack_top;
    return DJ_MTD(0, 0);
}

static bool event_portal(uint64_t event_base, unsigned vector, dj_handler_fn fn, uint64_t mtd)
{
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = event_base + vector, .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = HANDLER_STACK_PAGES * UTEST_PAGE, .handler = fn,
        .mtd = mtd,
    };
    return stack && dj_server_create(&s) == DJ_OK;
}

/* Event portals sit at event_base + vector: reserve DJ_EV_COUNT selectors. */
static uint64_t event_base_reserve(void)
{
    uint64_t base = utest_selector();
    for (unsigned i = 1; i < DJ_EV_COUNT; i++)
        utest_selector();
    return base;
}

static bool start_thread(char *why, size_t why_len)
{
    uint64_t eb = event_base_reserve();
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    thread_stack_top = (uint64_t)stack + HANDLER_STACK_PAGES * UTEST_PAGE;
    fault_area = utest_va(FAULT_PAGES);
    done_sm = utest_selector();
    never_sm = utest_selector();
    uint64_t ec = utest_selector(), sc = utest_selector();
    UTEST_REQUIRE(stack && event_portal(eb, DJ_EV_STARTUP, startup_handler, DJ_MTD_RIP_RSP) &&
                      event_portal(eb, VEC_PF, pf_handler, DJ_MTD_QUAL) &&
                      event_portal(eb, VEC_UD, ud_handler, DJ_MTD_QUAL | DJ_MTD_RIP_RSP) &&
                      event_portal(eb, VEC_GP, gp_handler, DJ_MTD_QUAL | DJ_MTD_RIP_RSP),
                  "creating the event portals failed");
    UTEST_REQUIRE(dj_create_sm(done_sm, DJ_SEL_SELF_PD, 0) == DJ_OK && dj_create_sm(never_sm, DJ_SEL_SELF_PD, 0) == DJ_OK,
                  "creating semaphores failed");
    UTEST_REQUIRE(dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, utest_va(1), 0, eb, true) == DJ_OK, "create EC failed");
    UTEST_REQUIRE(dj_create_sc(sc, DJ_SEL_SELF_PD, ec, THREAD_PRIO, 0) == DJ_OK, "create SC failed");
    UTEST_REQUIRE(dj_sm_ctrl(done_sm, DJ_SM_OP_DOWN) == DJ_OK, "waiting for the thread failed");
    return true;
}

UTEST(thread_startup_portal_runs_thread)
{
    if (!start_thread(why, why_len))
        return false;
    UTEST_REQUIRE(thread_done, "the thread did not run to its end");
    return true;
}

UTEST(pagefault_ipc_to_user_pager)
{
    UTEST_REQUIRE(thread_done, "no thread ran");
    UTEST_REQUIRE(faults_handled == FAULT_PAGES, "%u of %u faults reached the pager", faults_handled, FAULT_PAGES);
    UTEST_REQUIRE(thread_ok, "mapped pages hold wrong contents");
    utest_bench("pagefault_roundtrip", pagefault_tsc);
    return true;
}

UTEST(exception_ipc_resume)
{
    UTEST_REQUIRE(ud_seen, "#UD not delivered to its portal, or the thread not resumed");
    return true;
}

/* ---- A syscall in the last two bytes below the canonical hole: its
 * return address is not canonical, and must come back as a #GP. */
#define TOP_PAGE_VA 0x7ffffffff000ull
#define SYSCALL_INSN_LEN 2
#define NONCANONICAL_RIP 0x800000000000ull

static volatile uint64_t gp_rip_seen;
static uint64_t top_done_sm, top_stack_top;

/* A thread in this PD at priority prio: its startup event goes to startup,
 * event `vector` to handler (with its state), and *done_sm is a fresh
 * semaphore for it to signal. Returns its EC selector, 0 on failure. */
static uint64_t spawn_event_thread(unsigned vector, dj_handler_fn startup, dj_handler_fn handler, unsigned prio,
                                   uint64_t *done_sm)
{
    uint64_t eb = event_base_reserve(), ec = utest_selector(), sc = utest_selector();
    *done_sm = utest_selector();
    if (!never_sm) {
        never_sm = utest_selector();
        if (dj_create_sm(never_sm, DJ_SEL_SELF_PD, 0) != DJ_OK)
            return 0;
    }
    bool ok = event_portal(eb, DJ_EV_STARTUP, startup, DJ_MTD_RIP_RSP) &&
              event_portal(eb, vector, handler, DJ_MTD_QUAL | DJ_MTD_RIP_RSP) &&
              dj_create_sm(*done_sm, DJ_SEL_SELF_PD, 0) == DJ_OK &&
              dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, utest_va(1), 0, eb, true) == DJ_OK &&
              dj_create_sc(sc, DJ_SEL_SELF_PD, ec, prio, 0) == DJ_OK;
    return ok ? ec : 0;
}

static void top_thread_rescued(void)
{
    dj_sm_up(top_done_sm);
    for (;;)
        dj_sm_ctrl(never_sm, DJ_SM_OP_DOWN);
}

static uint64_t top_startup(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->arch.rip = TOP_PAGE_VA + UTEST_PAGE - SYSCALL_INSN_LEN;
    u->arch.rsp = top_stack_top;
    return DJ_MTD(0, 0);
}

static uint64_t top_gp(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    gp_rip_seen = u->arch.rip;
    u->arch.rip = (uint64_t)top_thread_rescued;
    return DJ_MTD(0, 0);
}

UTEST(sysret_noncanonical_becomes_gp)
{
    uint8_t *code = utest_pages(1);
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    UTEST_REQUIRE(code && stack, "out of pool memory");
    code[UTEST_PAGE - 2] = 0x0f; /* syscall */
    code[UTEST_PAGE - 1] = 0x05;
    UTEST_REQUIRE(dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_MEM, (uint64_t)code / UTEST_PAGE, 0, DJ_MEM_R | DJ_MEM_X),
                              TOP_PAGE_VA / UTEST_PAGE) == DJ_OK,
                  "mapping the top page failed");
    top_stack_top = (uint64_t)stack + HANDLER_STACK_PAGES * UTEST_PAGE;
    UTEST_REQUIRE(spawn_event_thread(VEC_GP, top_startup, top_gp, THREAD_PRIO, &top_done_sm), "thread set-up");
    UTEST_REQUIRE(dj_sm_ctrl(top_done_sm, DJ_SM_OP_DOWN) == DJ_OK, "waiting failed");
    UTEST_REQUIRE(gp_rip_seen == NONCANONICAL_RIP, "the #GP reported RIP %#llx", (unsigned long long)gp_rip_seen);
    return true;
}

/* ---- Recall: a busy thread is pulled into its recall portal. */
#define LOW_PRIO 10

static volatile uint64_t recall_vector_seen = ~0ull, spin_count;
static uint64_t recall_done_sm, recall_stack_top;

static void spin_forever(void)
{
    for (;;)
        spin_count++;
}

static void recalled_rescue(void)
{
    dj_sm_up(recall_done_sm);
    for (;;)
        dj_sm_ctrl(never_sm, DJ_SM_OP_DOWN);
}

static uint64_t spin_startup(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->arch.rip = (uint64_t)spin_forever;
    u->arch.rsp = recall_stack_top;
    return DJ_MTD(0, 0);
}

static uint64_t recall_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    recall_vector_seen = u->arch.vector;
    u->arch.rip = (uint64_t)recalled_rescue;
    return DJ_MTD(0, 0);
}

UTEST(ec_recall_calls_recall_portal)
{
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    UTEST_REQUIRE(stack, "out of pool memory");
    recall_stack_top = (uint64_t)stack + HANDLER_STACK_PAGES * UTEST_PAGE;
    uint64_t ec = spawn_event_thread(DJ_EV_RECALL, spin_startup, recall_handler, LOW_PRIO, &recall_done_sm);
    UTEST_REQUIRE(ec, "thread set-up");
    UTEST_REQUIRE(dj_ec_recall(ec) == DJ_OK, "recall refused");
    /* Blocking lets the low-priority thread run: it starts, spins, and the
     * pending recall takes it to its portal, whose handler rescues it. */
    UTEST_REQUIRE(dj_sm_ctrl(recall_done_sm, DJ_SM_OP_DOWN) == DJ_OK, "waiting failed");
    UTEST_REQUIRE(recall_vector_seen == DJ_EV_RECALL, "the recall portal saw event %llu",
                  (unsigned long long)recall_vector_seen);
    return true;
}
