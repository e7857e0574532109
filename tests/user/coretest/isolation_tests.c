/* SPDX-License-Identifier: GPL-2.0-only */
/* Isolation between components, tried as a hostile one would: a component
 * (an agent in a child PD, agent.h) must not run above the priority its
 * creator allowed, keep device memory after its capability is revoked,
 * learn registers its exception portal did not ask for, or pass segment
 * selectors to another EC; callers of a busy handler are served in the
 * order they came (the interrupt-line case is in irq_tests.c). */
#include <stdbool.h>
#include "agent.h"
#include "lib/server.h"
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "echo_server.h"
#include "utest.h"

#define STACK_PAGES 4
#define THREAD_PRIO 65 /* above the root's 64: a new thread runs at once */
#define MAX_THREADS 16
#define WAIT_BUDGET_TSC 4000000000ull
#define VEC_UD 6

/* Selectors in an agent's PD. */
#define CHILD_SELF 40
#define CHILD_EC 41
#define CHILD_SC 42
#define CHILD_PD 43
#define CHILD_DEVMEM 44

/* ---- Threads started at a function with one argument -------------------- */

struct thread {
    void (*fn)(const struct thread *t);
    uint64_t arg, stack_top, ec;
    struct dj_utcb *utcb; /* its own (dj_utcb() is the initial EC's) */
};
static struct thread threads[MAX_THREADS];
static unsigned thread_count;
static uint64_t park_sm;

/* Startup event: badge = thread index + 1 (badge 0 would not be set). */
static uint64_t thread_startup(uint64_t badge, struct dj_utcb *u)
{
    const struct thread *t = &threads[badge - 1];
    u->arch.rip = (uint64_t)t->fn;
    u->arch.rsp = t->stack_top - 8; /* as after a call: the ABI's alignment */
    u->arch.rdi = (uint64_t)t;
    return DJ_MTD(0, 0);
}

static bool portal_at(uint64_t sel, dj_handler_fn fn, uint64_t mtd, uint64_t badge)
{
    void *stack = utest_pages(STACK_PAGES);
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = sel, .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = STACK_PAGES * UTEST_PAGE, .handler = fn,
        .mtd = mtd, .badge = badge,
    };
    return stack && dj_server_create(&s) == DJ_OK;
}

/* A thread of this PD running fn(its struct thread) at THREAD_PRIO; with
 * ud_fn, its #UD goes to ud_fn through a portal with ud_mtd. Its EC
 * selector, or 0. */
static uint64_t spawn(void (*fn)(const struct thread *), uint64_t arg, dj_handler_fn ud_fn, uint64_t ud_mtd)
{
    if (thread_count == MAX_THREADS || (!park_sm && (park_sm = utest_selector(),
                                                     dj_create_sm(park_sm, DJ_SEL_SELF_PD, 0) != DJ_OK)))
        return 0;
    struct thread *t = &threads[thread_count++];
    uint64_t eb = utest_selector();
    for (unsigned i = 1; i < DJ_EV_COUNT; i++)
        utest_selector();
    void *stack = utest_pages(STACK_PAGES);
    *t = (struct thread){fn, arg, (uint64_t)stack + STACK_PAGES * UTEST_PAGE, utest_selector(),
                         (struct dj_utcb *)utest_va(1)};
    if (!stack || !portal_at(eb + DJ_EV_STARTUP, thread_startup, DJ_MTD_RIP_RSP | DJ_MTD_GPR, thread_count) ||
        (ud_fn && !portal_at(eb + VEC_UD, ud_fn, ud_mtd, thread_count)))
        return 0;
    if (dj_create_ec(t->ec, DJ_SEL_SELF_PD, dj_boot_cpu, (uint64_t)t->utcb, 0, eb, true) != DJ_OK ||
        dj_create_sc(utest_selector(), DJ_SEL_SELF_PD, t->ec, THREAD_PRIO, 0) != DJ_OK)
        return 0;
    return t->ec;
}

static __attribute__((noreturn)) void park(void)
{
    for (;;)
        dj_sm_down(park_sm);
}

static bool wait_sm(uint64_t sm)
{
    uint64_t start = utest_rdtsc();
    while (utest_rdtsc() - start < WAIT_BUDGET_TSC)
        if (dj_sm_try_down(sm) == DJ_OK)
            return true;
    return false;
}

static uint64_t new_sm(void)
{
    uint64_t sm = utest_selector();
    return dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK ? sm : 0;
}

/* ---- Maximum priority ------------------------------------------------------ */

#define CHILD_MAX_PRIO 10

UTEST(isolation_max_priority)
{
    UTEST_REQUIRE(dj_create_pd_prio(utest_selector(), DJ_SEL_SELF_PD, 16, DJ_PRIO_MAX + 1) == DJ_E_BAD_PARAM,
                  "a PD above the creator's maximum priority");
    struct agent a;
    UTEST_REQUIRE(agent_create(&a, CHILD_MAX_PRIO), "agent setup failed");
    UTEST_REQUIRE(agent_give(&a, a.pd, DJ_PD_CREATE, CHILD_SELF) == DJ_OK, "giving the child its PD");
    struct dj_sysret r = agent_syscall(&a, DJ_SYS_CREATE_EC | DJ_SYS_FLAG_GLOBAL, CHILD_EC, CHILD_SELF, dj_boot_cpu,
                                       utest_va(1), 0, 0);
    UTEST_REQUIRE(r.status == DJ_OK, "the child's thread EC: status %llu", (unsigned long long)r.status);
    r = agent_syscall(&a, DJ_SYS_CREATE_SC, CHILD_SC, CHILD_SELF, CHILD_EC, DJ_PRIO_MAX, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "the child made an SC of priority %u: status %llu", DJ_PRIO_MAX,
                  (unsigned long long)r.status);
    r = agent_syscall(&a, DJ_SYS_CREATE_SC, CHILD_SC, CHILD_SELF, CHILD_EC, CHILD_MAX_PRIO + 1, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "the child made an SC above its maximum: status %llu",
                  (unsigned long long)r.status);
    r = agent_syscall(&a, DJ_SYS_CREATE_PD | DJ_SYS_FLAG_MAX_PRIO, CHILD_PD, CHILD_SELF, 16, CHILD_MAX_PRIO + 1, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "the child made a PD above its own maximum: status %llu",
                  (unsigned long long)r.status);
    /* Its creator's higher maximum does not lift the PD's. */
    uint64_t ec = utest_selector();
    UTEST_REQUIRE(dj_create_ec(ec, a.pd, dj_boot_cpu, utest_va(1), 0, 0, true) == DJ_OK, "a thread EC in the child");
    UTEST_REQUIRE(dj_create_sc(utest_selector(), a.pd, ec, CHILD_MAX_PRIO + 1, 0) == DJ_E_BAD_PARAM,
                  "the root gave the child an SC above the child's maximum");
    /* At its maximum all is allowed; the thread (below the root's priority)
     * is killed before it could run. */
    r = agent_syscall(&a, DJ_SYS_CREATE_PD, CHILD_PD, CHILD_SELF, 16, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_OK, "the child's PD inheriting its maximum: status %llu", (unsigned long long)r.status);
    r = agent_syscall(&a, DJ_SYS_CREATE_SC, CHILD_SC, CHILD_SELF, CHILD_EC, CHILD_MAX_PRIO, 0, 0);
    struct dj_sysret k = agent_syscall(&a, DJ_SYS_EC_CTRL, CHILD_EC, DJ_EC_OP_KILL, 0, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_OK && k.status == DJ_OK, "an SC at the child's maximum: status %llu, kill %llu",
                  (unsigned long long)r.status, (unsigned long long)k.status);
    return true;
}

/* ---- Device memory ---------------------------------------------------------- */

#define BIOS_AREA 0xf0000ull /* firmware ROM window: device memory on every PC */

UTEST(isolation_devmem_revoke_unmaps)
{
    struct agent a;
    uint64_t copy = utest_selector(), va = utest_va(1);
    UTEST_REQUIRE(agent_create(&a, DJ_PRIO_MAX), "agent setup failed");
    /* A copy of the root's capability to revoke, so the root's own stays. */
    UTEST_REQUIRE(dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_OBJ, DJ_SEL_DEVMEM, 0, DJ_OBJ_ALL), copy) == DJ_OK &&
                      agent_give(&a, copy, DJ_DEVMEM_MAP, CHILD_DEVMEM) == DJ_OK,
                  "delegating the device-memory capability");
    struct dj_sysret r = agent_syscall(&a, DJ_SYS_MMIO_MAP, CHILD_DEVMEM, va, BIOS_AREA, 0,
                                       DJ_MEM_R | (uint64_t)DJ_CACHE_UC << 8, 0);
    UTEST_REQUIRE(r.status == DJ_OK, "the child's map: status %llu", (unsigned long long)r.status);
    r = agent_syscall(&a, DJ_SYS_LOOKUP, DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, 0), 0, 0, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_OK && r.out1 && r.out2 >> 12 == BIOS_AREA >> 12, "not mapped in the child");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_OBJ, copy, 0, 0), false) == DJ_OK, "revoke failed");
    r = agent_syscall(&a, DJ_SYS_LOOKUP, DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, 0), 0, 0, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_OK && r.out1 == 0, "the child keeps the device memory after the revoke");
    r = agent_syscall(&a, DJ_SYS_MMIO_MAP, CHILD_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_R | (uint64_t)DJ_CACHE_UC << 8, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_CAP, "the child maps again: status %llu", (unsigned long long)r.status);
    /* The root's own capability and mappings made with it are untouched. */
    uint64_t own = utest_va(1), pa = 0;
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, own, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC) == DJ_OK &&
                      dj_mem_phys(own, &pa, 0) == DJ_OK && pa == BIOS_AREA,
                  "the root's own map");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, own / UTEST_PAGE, 0, DJ_MEM_ALL), true) == DJ_OK, "unmap");
    return true;
}

/* ---- Fault messages carry what the portal's MTD names ---------------------- */

#define MARK 0x5a5a5a5a00000000ull
extern char isolation_marked_ud[];
/* Every general-purpose register marked (MARK | its number), then #UD. */
__asm__(".text\n"
        "isolation_marked_ud:\n\t"
        "movabs $0x5a5a5a5a00000001, %rax\n\tmovabs $0x5a5a5a5a00000002, %rbx\n\t"
        "movabs $0x5a5a5a5a00000003, %rcx\n\tmovabs $0x5a5a5a5a00000004, %rdx\n\t"
        "movabs $0x5a5a5a5a00000005, %rsi\n\tmovabs $0x5a5a5a5a00000006, %rdi\n\t"
        "movabs $0x5a5a5a5a00000007, %rbp\n\tmovabs $0x5a5a5a5a00000008, %r8\n\t"
        "movabs $0x5a5a5a5a00000009, %r9\n\tmovabs $0x5a5a5a5a0000000a, %r10\n\t"
        "movabs $0x5a5a5a5a0000000b, %r11\n\tmovabs $0x5a5a5a5a0000000c, %r12\n\t"
        "movabs $0x5a5a5a5a0000000d, %r13\n\tmovabs $0x5a5a5a5a0000000e, %r14\n\t"
        "movabs $0x5a5a5a5a0000000f, %r15\n\t"
        "ud2\n");

static struct dj_arch_state fault_seen;
static uint64_t fault_sm;

/* Records the message and ends the faulting thread (its reply is dropped). */
static uint64_t ud_record(uint64_t badge, struct dj_utcb *u)
{
    fault_seen = u->arch;
    dj_ec_kill(threads[badge - 1].ec);
    dj_sm_up(fault_sm);
    return DJ_MTD(0, 0);
}

static bool fault_message(uint64_t mtd, struct dj_arch_state *out)
{
    fault_seen = (struct dj_arch_state){0};
    if (!spawn((void (*)(const struct thread *))(void *)isolation_marked_ud, 0, ud_record, mtd) ||
        !wait_sm(fault_sm))
        return false;
    *out = fault_seen;
    return true;
}

UTEST(isolation_fault_message_only_mtd_state)
{
    UTEST_REQUIRE((fault_sm = new_sm()), "semaphore");
    struct dj_arch_state a;
    UTEST_REQUIRE(fault_message(DJ_MTD_QUAL, &a), "no #UD message from the thread");
    const uint64_t *w = (const uint64_t *)&a;
    for (unsigned i = 0; i < sizeof(a) / sizeof(uint64_t); i++)
        UTEST_REQUIRE(w[i] == (&a.vector == &w[i] ? VEC_UD : 0), "MTD QUAL only: word %u of the state is %#llx", i,
                      (unsigned long long)w[i]);
    UTEST_REQUIRE(fault_message(DJ_MTD_GPR, &a), "no second #UD message");
    UTEST_REQUIRE(a.rax == (MARK | 1) && a.r15 == (MARK | 15) && a.vector == VEC_UD && !a.rip && !a.rsp &&
                      !a.rflags,
                  "MTD GPR: rax %#llx r15 %#llx rip %#llx rflags %#llx", (unsigned long long)a.rax,
                  (unsigned long long)a.r15, (unsigned long long)a.rip, (unsigned long long)a.rflags);
    return true;
}

/* ---- Segment selectors stay with their EC -------------------------------- */

static inline uint64_t segs_read(void)
{
    uint16_t ds, es, fs, gs;
    __asm__ volatile("mov %%ds, %0\n\tmov %%es, %1\n\tmov %%fs, %2\n\tmov %%gs, %3"
                     : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
    return (uint64_t)ds | (uint64_t)es << 16 | (uint64_t)fs << 32 | (uint64_t)gs << 48;
}

static inline void segs_load(uint64_t s)
{
    __asm__ volatile("mov %0, %%ds\n\tmov %1, %%es\n\tmov %2, %%fs\n\tmov %3, %%gs" ::"r"((uint16_t)s),
                     "r"((uint16_t)(s >> 16)), "r"((uint16_t)(s >> 32)), "r"((uint16_t)(s >> 48)));
}

static inline uint64_t segs_all(uint16_t sel)
{
    return sel * 0x0001000100010001ull;
}

/* The user data selector (what SS holds in user mode). */
static inline uint16_t user_data_selector(void)
{
    uint16_t ss;
    __asm__ volatile("mov %%ss, %0" : "=r"(ss));
    return ss;
}

/* Another selector than the caller's for the same user data segment (RPL
 * 0; its DPL 3 admits any RPL). Not a null one: an interrupt's IRET to
 * ring 3 may turn a null DS or ES with RPL 3 into 0 (QEMU does), which is
 * the EC's own state changing, not another EC's reaching it. */
static inline uint16_t other_user_selector(void)
{
    return user_data_selector() & ~3;
}

/* Reports its selectors in word 0 and loads others of its own; a call
 * with a typed item is answered with one (the general path both ways). */
static uint64_t segs_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->words[0] = segs_read();
    segs_load(segs_all(other_user_selector()));
    unsigned typed = DJ_MTD_TYPED(u->mtd) ? 1 : 0;
    u->words[DJ_UTCB_WORDS - 2] = DJ_CRD(DJ_CRD_NULL, 0, 0, 0);
    u->words[DJ_UTCB_WORDS - 1] = 0;
    return DJ_MTD(1, typed);
}

UTEST(isolation_segment_selectors_ipc)
{
    void *stack;
    uint64_t child = child_pd_create(&stack), pt = utest_selector();
    struct dj_server s = {
        .pd_sel = child, .ec_sel = utest_selector(), .pt_sel = pt, .cpu = dj_boot_cpu, .utcb_va = utest_va(1),
        .stack = stack, .stack_size = ECHO_STACK_PAGES * UTEST_PAGE, .handler = segs_handler,
    };
    UTEST_REQUIRE(child && dj_server_create(&s) == DJ_OK, "server in a child PD");
    struct dj_utcb *u = dj_utcb();
    const uint64_t saved = segs_read(), mine = segs_all(user_data_selector());
    for (unsigned call = 0; call < 4; call++) {
        unsigned typed = call >= 2; /* the fast path, then the general one */
        u->words[DJ_UTCB_WORDS - 2] = DJ_CRD(DJ_CRD_NULL, 0, 0, 0);
        u->words[DJ_UTCB_WORDS - 1] = 0;
        segs_load(mine);
        enum dj_status st = dj_call(pt, DJ_MTD(0, typed), 0);
        uint64_t after = segs_read();
        segs_load(saved);
        UTEST_REQUIRE(st == DJ_OK, "call %u: status %d", call, st);
        uint64_t handler_had = call ? segs_all(other_user_selector()) : 0; /* a new EC's are null */
        UTEST_REQUIRE(u->words[0] == handler_had, "call %u: the handler found selectors %#llx, not its own %#llx",
                      call, (unsigned long long)u->words[0], (unsigned long long)handler_had);
        UTEST_REQUIRE(after == mine, "call %u: the caller came back with selectors %#llx, not its own %#llx", call,
                      (unsigned long long)after, (unsigned long long)mine);
    }
    return true;
}

static volatile uint64_t thread_found_segs;
static uint64_t segs_done_sm;

static void segs_thread(const struct thread *t)
{
    (void)t;
    thread_found_segs = segs_read();
    segs_load(segs_all(other_user_selector()));
    dj_sm_up(segs_done_sm);
    park();
}

UTEST(isolation_segment_selectors_switch)
{
    UTEST_REQUIRE((segs_done_sm = new_sm()), "semaphore");
    const uint64_t saved = segs_read(), mine = segs_all(user_data_selector());
    thread_found_segs = ~0ull;
    segs_load(mine);
    uint64_t ec = spawn(segs_thread, 0, 0, 0); /* runs at once: its priority is higher */
    bool done = ec && wait_sm(segs_done_sm);
    uint64_t after = segs_read();
    segs_load(saved);
    UTEST_REQUIRE(done, "the thread did not run");
    UTEST_REQUIRE(thread_found_segs == 0, "a new thread found selectors %#llx", (unsigned long long)thread_found_segs);
    UTEST_REQUIRE(after == mine, "back from the thread with selectors %#llx, not %#llx", (unsigned long long)after,
                  (unsigned long long)mine);
    return true;
}

/* ---- Callers of a busy handler: first in, first out ------------------------- */

#define FIFO_CALLERS 4 /* the first keeps the handler busy, the others queue */

static uint64_t fifo_pt, fifo_entered_sm, fifo_gate_sm, fifo_done_sm;
static volatile unsigned fifo_served;
static volatile uint64_t fifo_order[FIFO_CALLERS];

static uint64_t fifo_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    uint64_t id = u->words[0];
    if (id == 0) { /* hold the handler busy until the test opens the gate */
        dj_sm_up(fifo_entered_sm);
        dj_sm_down(fifo_gate_sm);
    }
    if (fifo_served < FIFO_CALLERS)
        fifo_order[fifo_served] = id;
    fifo_served++;
    return DJ_MTD(0, 0);
}

static void fifo_caller(const struct thread *t)
{
    t->utcb->words[0] = t->arg;
    dj_call(fifo_pt, DJ_MTD(1, 0), 0);
    dj_sm_up(fifo_done_sm);
    park();
}

UTEST(isolation_busy_handler_fifo)
{
    fifo_pt = utest_selector();
    UTEST_REQUIRE((fifo_entered_sm = new_sm()) && (fifo_gate_sm = new_sm()) && (fifo_done_sm = new_sm()) &&
                      portal_at(fifo_pt, fifo_handler, 0, 0),
                  "setup failed");
    /* Each caller runs at once (higher priority) until it blocks: the
     * first in the handler, the others in its queue, in this order. */
    UTEST_REQUIRE(spawn(fifo_caller, 0, 0, 0) && wait_sm(fifo_entered_sm), "the first caller did not arrive");
    for (uint64_t id = 1; id < FIFO_CALLERS; id++)
        UTEST_REQUIRE(spawn(fifo_caller, id, 0, 0), "caller %llu", (unsigned long long)id);
    dj_sm_up(fifo_gate_sm);
    for (unsigned i = 0; i < FIFO_CALLERS; i++)
        UTEST_REQUIRE(wait_sm(fifo_done_sm), "%u of %u callers served", i, FIFO_CALLERS);
    for (unsigned i = 0; i < FIFO_CALLERS; i++)
        UTEST_REQUIRE(fifo_order[i] == i, "served in the order %llu %llu %llu %llu",
                      (unsigned long long)fifo_order[0], (unsigned long long)fifo_order[1],
                      (unsigned long long)fifo_order[2], (unsigned long long)fifo_order[3]);
    return true;
}
