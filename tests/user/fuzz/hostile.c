/* SPDX-License-Identifier: GPL-2.0-only */
/* The hostile side: what runs inside the hostile child PDs.
 *
 * Its threads issue random system calls against each other's objects
 * (calls with random messages, typed items and receive windows,
 * delegations, revocations, kills, semaphore operations, object creation,
 * faults on purpose); its portal handlers answer calls with random replies
 * and typed items, call onward, and answer other PDs' exceptions with
 * random register state. Nothing here touches the program's data or bss
 * (children do not have it): all state lives in the arena (fuzz.h).
 *
 * The few rules the chaos keeps are there so that the fuzzer can measure
 * and so that it exercises the kernel rather than known, separately fixed
 * holes: priorities stay below the controller's, memory revocations that
 * include the PD's own mappings stay inside its scratch range (a PD that
 * unmaps its own code only stops itself), memory lookups are not made (a
 * page whose physical address was read stays allocated after its PD dies
 * by design, docs/abi.md), and no PD gets device memory or interrupts. */
#include <stdbool.h>
#include "fuzz.h"
#include "server.h"
#include "syscall.h"
#include "utcb.h"

#define S HOSTILE_STATE
#define NONCANONICAL_RIP 0x8000000000000000ull
#define TICK_EVERY 256            /* ops between ups of the controller's tick */
#define MAX_TYPED_ITEMS 4
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_TF (1ull << 8)
#define CALLER_RSP_SLACK 8        /* a thread starts as if called */

/* The fault sites of faults.S. */
#define FAULT_SITE(n) uint64_t fz_##n(uint64_t a, uint64_t b); extern char fz_##n##_at[], fz_##n##_end[]
FAULT_SITE(ud);
FAULT_SITE(bp);
FAULT_SITE(load);
FAULT_SITE(store);
FAULT_SITE(out);
FAULT_SITE(in);
FAULT_SITE(div);
FAULT_SITE(hlt);
FAULT_SITE(cli);

/* Where to resume a thread that faulted at rip: the end of its fault
 * site, or 0 when it faulted anywhere else. */
static uint64_t resume_point(uint64_t rip)
{
    const char *const sites[][2] = {
        {fz_ud_at, fz_ud_end},     {fz_bp_at, fz_bp_end},   {fz_load_at, fz_load_end},
        {fz_store_at, fz_store_end}, {fz_out_at, fz_out_end}, {fz_in_at, fz_in_end},
        {fz_div_at, fz_div_end},   {fz_hlt_at, fz_hlt_end}, {fz_cli_at, fz_cli_end},
    };
    for (unsigned i = 0; i < sizeof(sites) / sizeof(sites[0]); i++)
        if (rip >= (uint64_t)sites[i][0] && rip <= (uint64_t)sites[i][1])
            return (uint64_t)sites[i][1];
    return 0;
}

/* ---- random arguments ---- */

static uint64_t pick(uint64_t *r, uint64_t n)
{
    return fuzz_rng(r) % n;
}

static bool chance(uint64_t *r, uint64_t one_in)
{
    return pick(r, one_in) == 0;
}

static uint64_t scratch_sel(uint64_t *r)
{
    return HS_SCRATCH + pick(r, HS_SCRATCH_COUNT);
}

static uint64_t scratch_page(uint64_t *r)
{
    return HOSTILE_SCRATCH_VA / FUZZ_PAGE + pick(r, HOSTILE_SCRATCH_PAGES);
}

static uint64_t peer_pd(uint64_t *r)
{
    return chance(r, 5) ? HS_SELF : HS_PEER_PD(pick(r, HOSTILE_PDS));
}

/* Boundaries, selectors of interest, and noise. */
static uint64_t edge(uint64_t *r)
{
    static const uint64_t edges[] = {0, 1, 2, 31, 32, 0xfff, 0x1000, 0x7fffffffffffull, 0x800000000000ull,
                                     0xffff800000000000ull, 0xffffffff80200000ull, ~0ull, 1ull << 18, 1ull << 63,
                                     HOSTILE_ARENA_VA, HOSTILE_SCRATCH_VA, DJ_UTCB_WORDS, DJ_UTCB_WORDS + 1};
    return edges[pick(r, sizeof(edges) / sizeof(edges[0]))];
}

/* A selector that names something: own and peers' objects, or noise. */
static uint64_t any_sel(uint64_t *r)
{
    switch (pick(r, 10)) {
    case 0: return HS_SELF;
    case 1: return HS_PEER_PD(pick(r, HOSTILE_PDS));
    case 2: return HS_SM(pick(r, FUZZ_SMS));
    case 3: return HS_PT(pick(r, HOSTILE_PDS), pick(r, FUZZ_MAX_CPUS), pick(r, 2));
    case 4: return HS_SLOT_EC(pick(r, HOSTILE_SLOTS));
    case 5: return HS_HANDLER_EC(pick(r, FUZZ_MAX_CPUS), pick(r, 2));
    case 6: return HS_EVENT_BASE(pick(r, HOSTILE_SLOTS)) + pick(r, DJ_EV_COUNT);
    case 7: return edge(r);
    default: return scratch_sel(r);
    }
}

/* A CRD to delegate, send or revoke; rarely garbage. */
static uint64_t random_crd(uint64_t *r)
{
    extern char __text_start[], __data_start[];
    uint64_t image_pages = ((uint64_t)__data_start - (uint64_t)__text_start) / FUZZ_PAGE;
    switch (pick(r, 9)) {
    case 0: return DJ_CRD(DJ_CRD_OBJ, any_sel(r), pick(r, 3), fuzz_rng(r));
    case 1: return DJ_CRD(DJ_CRD_OBJ, scratch_sel(r), pick(r, HS_SCRATCH_ORDER + 1), fuzz_rng(r));
    case 2:
    case 3: return DJ_CRD(DJ_CRD_MEM, scratch_page(r), pick(r, 3), fuzz_rng(r));
    case 4: /* the shared image, read-only or executable */
        return DJ_CRD(DJ_CRD_MEM, (uint64_t)__text_start / FUZZ_PAGE + pick(r, image_pages), pick(r, 2),
                      DJ_MEM_R | (fuzz_rng(r) & DJ_MEM_X));
    case 5: return DJ_CRD(DJ_CRD_IO, FUZZ_PORT, 0, DJ_IO_ACCESS);
    case 6: return DJ_CRD(DJ_CRD_IO, pick(r, 0x10000), pick(r, 17), fuzz_rng(r));
    case 7: return DJ_CRD(DJ_CRD_NULL, 0, 0, 0);
    default: return fuzz_rng(r);
    }
}

/* A receive window for typed items. */
static uint64_t random_window(uint64_t *r)
{
    switch (pick(r, 6)) {
    case 0: return DJ_CRD(DJ_CRD_OBJ, HS_SCRATCH, HS_SCRATCH_ORDER, DJ_OBJ_ALL);
    case 1: return DJ_CRD(DJ_CRD_MEM, HOSTILE_SCRATCH_VA / FUZZ_PAGE, 8, DJ_MEM_ALL);
    case 2: return DJ_CRD(DJ_CRD_IO, 0, DJ_CRD_ORDER_ALL, DJ_IO_ACCESS);
    case 3: return DJ_CRD(pick(r, 4), fuzz_rng(r) & 0xfffff, DJ_CRD_ORDER_ALL, DJ_OBJ_ALL);
    case 4: return 0;
    default: return fuzz_rng(r);
    }
}

/* A hotspot inside the receiver's scratch selectors or pages. */
static uint64_t random_hotspot(uint64_t *r)
{
    return chance(r, 2) ? scratch_sel(r) : chance(r, 8) ? fuzz_rng(r) : scratch_page(r);
}

/* Fills a message: n words, t typed items; returns its MTD (sometimes
 * malformed: too long, or garbage). */
static uint64_t random_message(uint64_t *r, struct dj_utcb *u)
{
    unsigned n = chance(r, 16) ? pick(r, DJ_UTCB_WORDS + 8) : pick(r, 8);
    unsigned t = chance(r, 3) ? 1 + pick(r, MAX_TYPED_ITEMS) : 0;
    if (n + 2 * t > DJ_UTCB_WORDS && !chance(r, 4))
        n = DJ_UTCB_WORDS - 2 * t;
    for (unsigned i = 0; i < n && i < DJ_UTCB_WORDS; i++)
        u->words[i] = fuzz_rng(r);
    for (unsigned i = 0; i < t; i++) {
        struct dj_typed_item *it = &dj_utcb_typed(u, t)[i];
        it->crd = random_crd(r);
        it->hotspot = random_hotspot(r);
    }
    return chance(r, 64) ? fuzz_rng(r) : DJ_MTD(n, t);
}

static void tick(uint64_t count)
{
    if (count % TICK_EVERY == 0)
        dj_sm_up(HS_TICK);
}

/* ---- thread operations ---- */

static void op_call(uint64_t *r, struct dj_utcb *u, unsigned cpu)
{
    uint64_t pt;
    switch (pick(r, 8)) {
    case 0: pt = any_sel(r); break;
    case 1: pt = HS_PT(pick(r, HOSTILE_PDS), pick(r, FUZZ_MAX_CPUS), pick(r, 2)); break; /* maybe another CPU */
    default: pt = HS_PT(pick(r, HOSTILE_PDS), cpu, pick(r, 2)); break;
    }
    u->recv_window = random_window(r);
    uint64_t mtd = random_message(r, u);
    dj_call(pt, mtd, 0);
}

/* may_block: threads may wait for a peer's up (the controller ups every
 * shared semaphore at each tick, so nobody waits forever); handlers must
 * not, or every caller queued at them would wait too. */
static void op_semaphore(uint64_t *r, bool may_block)
{
    uint64_t sm = chance(r, 16) ? any_sel(r) : HS_SM(pick(r, FUZZ_SMS));
    switch (pick(r, 16)) {
    case 0:
        may_block ? dj_sm_down(sm) : dj_sm_try_down(sm);
        break;
    case 1: case 2: case 3: dj_sm_try_down(sm); break;
    case 4: dj_sm_ctrl(sm, (unsigned)edge(r)); break;
    default: dj_sm_up(sm); break;
    }
}

static void op_delegate(uint64_t *r)
{
    uint64_t dst = chance(r, 16) ? any_sel(r) : peer_pd(r);
    dj_delegate(dst, random_crd(r), random_hotspot(r));
}

/* Revocations; with SELF, memory only inside the scratch range. */
static void op_revoke(uint64_t *r)
{
    uint64_t crd = random_crd(r);
    bool self = chance(r, 2);
    if (self && DJ_CRD_KIND(crd) == DJ_CRD_MEM) {
        uint64_t base = DJ_CRD_BASE(crd), end = base + (1ull << DJ_CRD_ORDER(crd));
        uint64_t lo = HOSTILE_SCRATCH_VA / FUZZ_PAGE, hi = lo + HOSTILE_SCRATCH_PAGES;
        if (base < lo || end > hi || end < base)
            self = false;
    }
    dj_revoke(crd, self);
}

static uint64_t random_prio(uint64_t *r)
{
    return HOSTILE_PRIO_MIN + pick(r, HOSTILE_PRIO_MAX - HOSTILE_PRIO_MIN + 1);
}

/* A fresh UTCB address of this PD (never reused: an EC keeps its UTCB
 * until its PD dies), or a bad one. */
static uint64_t fresh_utcb(uint64_t *r)
{
    if (chance(r, 16))
        return edge(r);
    uint64_t n = __atomic_fetch_add(&S->next_utcb, 1, __ATOMIC_RELAXED);
    return HOSTILE_UTCB_VA + (FUZZ_MAX_CPUS * HANDLER_KINDS + n % HOSTILE_UTCB_MAX) * FUZZ_PAGE;
}

static void op_create(uint64_t *r, unsigned cpu)
{
    uint64_t dst = chance(r, 16) ? any_sel(r) : scratch_sel(r), pd = chance(r, 8) ? any_sel(r) : peer_pd(r);
    switch (pick(r, 6)) {
    case 0: dj_create_sm(dst, pd, chance(r, 4) ? edge(r) : pick(r, 4)); break;
    case 1:
        dj_create_pt(dst, pd, chance(r, 2) ? HS_HANDLER_EC(cpu, pick(r, 2)) : any_sel(r), fuzz_rng(r),
                     chance(r, 8) ? edge(r) : (uint64_t)dj_portal_entry);
        break;
    case 2: /* a local EC with nothing to run: it only costs quota */
        dj_create_ec(dst, pd, chance(r, 8) ? edge(r) : cpu, fresh_utcb(r), fuzz_rng(r), fuzz_rng(r), false);
        break;
    case 3: dj_create_sc(dst, pd, any_sel(r), (unsigned)random_prio(r), pick(r, 50000)); break;
    case 4: dj_create_pd(dst, pd, chance(r, 8) ? edge(r) : 8 + pick(r, 32)); break;
    default: dj_pt_ctrl(chance(r, 2) ? scratch_sel(r) : any_sel(r), fuzz_rng(r)); break;
    }
}

/* Quota reads, and kills: of PDs it created or received (scratch), of
 * peers it holds with the kill right, rarely of itself. */
static void op_pd_ctrl(uint64_t *r)
{
    switch (pick(r, 8)) {
    case 0: case 1: dj_pd_kill(scratch_sel(r)); break;
    case 2:
        if (chance(r, 2000))
            dj_pd_kill(HS_PEER_PD(pick(r, HOSTILE_PDS)));
        break;
    case 3:
        if (chance(r, 50000))
            dj_pd_kill(HS_SELF);
        break;
    case 4: dj_syscall(DJ_SYS_PD_CTRL, any_sel(r), edge(r), 0, 0, 0, 0); break;
    default: dj_pd_quota(any_sel(r), 0, 0); break;
    }
}

static void op_memory(uint64_t *r)
{
    uint64_t va = scratch_page(r) * FUZZ_PAGE;
    switch (pick(r, 4)) {
    case 0: dj_mem_alloc(va, (unsigned)pick(r, 3), (unsigned)fuzz_rng(r)); break;
    case 1: dj_mem_alloc(chance(r, 2) ? edge(r) : va, (unsigned)edge(r), (unsigned)fuzz_rng(r)); break;
    case 2: fz_load(va, 0); break;                /* may fault: the exception path */
    default: fz_store(va, fuzz_rng(r)); break;
    }
}

/* Faults on purpose: a peer's exception handler answers. */
static void op_fault(uint64_t *r)
{
    switch (pick(r, 10)) {
    case 0: fz_ud(0, 0); break;
    case 1: fz_bp(0, 0); break;
    case 2: fz_load(edge(r), 0); break;
    case 3: fz_store(edge(r), 0); break;
    case 4: fz_out(0, 0); break;
    case 5: fz_in(0, 0); break;
    case 6: fz_div(0, 0); break;
    case 7: fz_hlt(0, 0); break;
    case 8: fz_cli(0, 0); break;
    default: fz_load(HOSTILE_ARENA_VA + FUZZ_PAGE, 0); break; /* a guard page */
    }
}

/* Kill and recreate the thread of another slot (its stack is free once
 * its EC is dead), or recall or kill some EC. */
static void op_threads(uint64_t *r, unsigned slot)
{
    unsigned s = (unsigned)pick(r, HOSTILE_SLOTS);
    if (chance(r, 4)) {
        uint64_t ec = chance(r, 2) ? any_sel(r) : scratch_sel(r);
        if (ec != HS_SLOT_EC(slot))
            chance(r, 2) ? dj_ec_recall(ec) : dj_ec_kill(ec);
        return;
    }
    if (s == slot)
        return;
    dj_ec_kill(HS_SLOT_EC(s));
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, HS_SLOT_EC(s), 0, DJ_OBJ_ALL), true);
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, HS_SLOT_SC(s), 0, DJ_OBJ_ALL), true);
    uint64_t utcb = fresh_utcb(r), cpu = S->slot_cpu[s];
    if (chance(r, 16))
        cpu = chance(r, 2) ? pick(r, FUZZ_MAX_CPUS) : edge(r); /* its startup portal is on slot_cpu[s] */
    S->slot_utcb[s] = utcb;
    S->rng[s] = fuzz_rng(r) | 1;
    if (dj_create_ec(HS_SLOT_EC(s), HS_SELF, cpu, utcb, 0, HS_EVENT_BASE(s), true) == DJ_OK)
        dj_create_sc(HS_SLOT_SC(s), HS_SELF, HS_SLOT_EC(s), (unsigned)random_prio(r), pick(r, 30000));
}

/* Any system call with random arguments, within the rules above. */
static void op_raw(uint64_t *r)
{
    uint64_t op = pick(r, DJ_SYS_COUNT + 2), a[6];
    for (unsigned k = 0; k < 6; k++)
        a[k] = chance(r, 2) ? edge(r) : chance(r, 2) ? any_sel(r) : fuzz_rng(r);
    if (chance(r, 8))
        op |= (fuzz_rng(r) & 0xff) << 8;
    switch (op & 0xff) {
    case DJ_SYS_REVOKE:
        if (DJ_CRD_KIND(a[0]) == DJ_CRD_MEM)
            op &= 0xff; /* never SELF on memory outside scratch */
        break;
    case DJ_SYS_LOOKUP:
        if (DJ_CRD_KIND(a[0]) == DJ_CRD_MEM)
            return;
        break;
    case DJ_SYS_CREATE_SC:
        a[3] = (a[3] & ~0xffull) | random_prio(r);
        break;
    case DJ_SYS_PD_CTRL:
        if (a[1] == DJ_PD_OP_KILL && (a[0] == HS_SELF || (a[0] >= HS_PEER_PD(0) && a[0] < HS_PEER_PD(HOSTILE_PDS))))
            return; /* those kills have their own rates (op_pd_ctrl) */
        break;
    }
    dj_syscall(op, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static void op_ports(uint64_t *r)
{
    if (chance(r, 2))
        fz_out(0, fuzz_rng(r));
    else
        fz_in(0, 0);
}

static void op_lookup(uint64_t *r)
{
    uint64_t crd = DJ_CRD(DJ_CRD_OBJ, any_sel(r), 0, 0);
    dj_lookup(crd, 0, 0);
}

/* The mix: out of 64 draws, how many pick each kind of operation. */
static unsigned op_kind(uint64_t draw)
{
    static const unsigned char weight[OP_KINDS] = {
        [OP_CALL] = 14, [OP_SEMAPHORE] = 7, [OP_DELEGATE] = 6, [OP_REVOKE] = 5, [OP_CREATE] = 6, [OP_PD_CTRL] = 3,
        [OP_MEMORY] = 4, [OP_FAULT] = 6, [OP_THREADS] = 2, [OP_LOOKUP] = 2, [OP_PORTS] = 3, [OP_RAW] = 6,
    };
    for (unsigned k = 0; k < OP_KINDS; k++) {
        if (draw < weight[k])
            return k;
        draw -= weight[k];
    }
    return OP_RAW;
}

/* A hostile thread: slot s of this PD, with its UTCB. */
__attribute__((noreturn)) void hostile_thread(uint64_t slot, struct dj_utcb *u);
__attribute__((noreturn)) void hostile_thread(uint64_t slot, struct dj_utcb *u)
{
    uint64_t *r = &S->rng[slot];
    unsigned cpu = (unsigned)S->slot_cpu[slot];
    for (;;) {
        unsigned what = op_kind(pick(r, 64));
        if (S->only_op)
            what = (unsigned)S->only_op - 1;
        S->doing[slot] = what;
        switch (what) {
        case OP_CALL: op_call(r, u, cpu); break;
        case OP_SEMAPHORE: op_semaphore(r, true); break;
        case OP_DELEGATE: op_delegate(r); break;
        case OP_REVOKE: op_revoke(r); break;
        case OP_CREATE: op_create(r, cpu); break;
        case OP_PD_CTRL: op_pd_ctrl(r); break;
        case OP_MEMORY: op_memory(r); break;
        case OP_FAULT: op_fault(r); break;
        case OP_THREADS: op_threads(r, (unsigned)slot); break;
        case OP_LOOKUP: op_lookup(r); break;
        case OP_PORTS: op_ports(r); break;
        default: op_raw(r); break;
        }
        tick(++S->ops[slot]);
    }
}

/* ---- the invariant check's client: calls an echo server ---- */

#define ECHO_ROUNDS 100

__attribute__((noreturn)) void echo_client_thread(uint64_t slot, struct dj_utcb *u);
__attribute__((noreturn)) void echo_client_thread(uint64_t slot, struct dj_utcb *u)
{
    uint64_t result = DJ_OK;
    for (unsigned round = 0; round < ECHO_ROUNDS && result == DJ_OK; round++) {
        for (unsigned i = 0; i < ECHO_WORDS; i++)
            u->words[i] = (uint64_t)round << 32 | i;
        uint64_t mtd = 0;
        enum dj_status st = dj_call(S->echo_pt[slot], DJ_MTD(ECHO_WORDS, 0), &mtd);
        if (st != DJ_OK)
            result = 0x100 + st;
        else if (DJ_MTD_UNTYPED(mtd) != ECHO_WORDS)
            result = 0x200 + DJ_MTD_UNTYPED(mtd);
        for (unsigned i = 0; i < ECHO_WORDS && result == DJ_OK; i++)
            if (u->words[i] != ((uint64_t)round << 32 | i) + 1)
                result = 0x300 + i;
    }
    S->echo_result[slot] = result;
    S->ops[slot] = ECHO_ROUNDS;
    for (;;) {
        dj_sm_up(HS_TICK);
        dj_sm_down(HS_SM(0)); /* never upped: the thread ends here */
    }
}

/* ---- portal handlers ---- */

/* Which handler of this PD runs: its UTCB says (fuzz.h). */
static unsigned handler_index(struct dj_utcb *u)
{
    uint64_t i = ((uint64_t)u - HOSTILE_UTCB_VA) / FUZZ_PAGE;
    return i < FUZZ_MAX_CPUS * HANDLER_KINDS ? (unsigned)i : 0;
}

static uint64_t *handler_begin(struct dj_utcb *u)
{
    unsigned i = handler_index(u);
    uint64_t n = ++S->handler_ops[i];
    tick(n);
    return &S->handler_rng[i];
}

/* Startup of thread slot `badge`: its entry, stack and arguments. */
uint64_t hostile_startup_handler(uint64_t badge, struct dj_utcb *u)
{
    handler_begin(u);
    if (badge >= HOSTILE_SLOTS) {
        u->arch.rip = NONCANONICAL_RIP;
        return DJ_MTD(0, 0);
    }
    u->arch.rip = S->mode == MODE_ECHO_CLIENT ? (uint64_t)echo_client_thread : (uint64_t)hostile_thread;
    u->arch.rsp = HOSTILE_ARENA_VA + (ARENA_SLOT_STACK(badge) + STACK_PAGES) * FUZZ_PAGE - CALLER_RSP_SLACK;
    u->arch.rdi = badge;
    u->arch.rsi = S->slot_utcb[badge];
    __atomic_fetch_add(&S->threads_started, 1, __ATOMIC_RELAXED);
    return DJ_MTD(0, 0);
}

/* Typed items in a reply: the caller's window decides what lands. */
static uint64_t reply_items(uint64_t *r, struct dj_utcb *u, unsigned n)
{
    unsigned t = 1 + (unsigned)pick(r, MAX_TYPED_ITEMS);
    if (n + 2 * t > DJ_UTCB_WORDS)
        n = DJ_UTCB_WORDS - 2 * t;
    for (unsigned i = 0; i < t; i++) {
        struct dj_typed_item *it = &dj_utcb_typed(u, t)[i];
        it->crd = random_crd(r);
        it->hotspot = random_hotspot(r);
    }
    return DJ_MTD(n, t);
}

/* Answers another PD's exception: resume a fault site (with random
 * scratch registers and flags), let it die, or send it typed items. */
uint64_t hostile_exception_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    uint64_t *r = handler_begin(u);
    struct dj_arch_state *a = &u->arch;
    uint64_t end = resume_point(a->rip);
    bool recall = (u->mtd & DJ_MTD_QUAL) && a->vector == DJ_EV_RECALL;
    /* A thread we set single-stepping (TF) traps after each instruction:
     * step it a few times, then clear the flag and let it run on. */
    bool stepping = (u->mtd & DJ_MTD_RFLAGS) && (a->rflags & RFLAGS_TF);
    if (stepping && !end) {
        if (chance(r, 4))
            a->rflags &= ~RFLAGS_TF;
        __atomic_fetch_add(&S->faults_resumed, 1, __ATOMIC_RELAXED);
        return DJ_MTD(0, 0);
    }
    if (!recall && (!end || chance(r, 1024))) {
        a->rip = NONCANONICAL_RIP; /* the kernel kills the EC */
        __atomic_fetch_add(&S->faults_killed, 1, __ATOMIC_RELAXED);
        return DJ_MTD(0, 0);
    }
    if (!recall)
        a->rip = end;
    __atomic_fetch_add(&S->faults_resumed, 1, __ATOMIC_RELAXED);
    switch (pick(r, 16)) {
    case 0: a->rflags = fuzz_rng(r) & ~RFLAGS_DF; break; /* the kernel keeps what it must */
    case 1: a->rflags = fuzz_rng(r); break;
    case 2: /* registers a call may clobber anyway */
        a->rax = fuzz_rng(r); a->rcx = fuzz_rng(r); a->rdx = fuzz_rng(r); a->rsi = fuzz_rng(r);
        a->rdi = fuzz_rng(r); a->r8 = fuzz_rng(r); a->r9 = fuzz_rng(r); a->r10 = fuzz_rng(r);
        a->r11 = fuzz_rng(r);
        break;
    case 3:
        if (chance(r, 64))
            a->rsp = edge(r); /* the thread will not survive its return */
        break;
    case 4:
        if (chance(r, 8))
            return reply_items(r, u, 0); /* a failed item kills the faulting EC */
        break;
    case 5:
        if (chance(r, 16))
            a->rip = edge(r);
        break;
    }
    return chance(r, 32) ? DJ_MTD(pick(r, 8), 0) : DJ_MTD(0, 0);
}

/* Replies first with a malformed message now and then (the kernel refuses
 * or delivers an error to the caller), then with what the handler chose. */
static uint64_t server_reply(uint64_t *r, struct dj_utcb *u, uint64_t mtd)
{
    if (chance(r, 16)) {
        dj_reply(chance(r, 2) ? DJ_MTD(DJ_UTCB_WORDS + 1, 0) : fuzz_rng(r));
        /* refused: the kernel said so and we still owe a reply */
    }
    u->recv_window = random_window(r); /* what the next caller may send */
    return mtd;
}

static uint64_t serve(uint64_t *r, struct dj_utcb *u, bool may_call)
{
    unsigned n = DJ_MTD_UNTYPED(u->mtd);
    if (n > DJ_UTCB_WORDS)
        n = 0;
    switch (pick(r, 8)) {
    case 0: case 1: case 2:
        for (unsigned i = 0; i < n; i++)
            u->words[i]++;
        return server_reply(r, u, DJ_MTD(n, 0));
    case 3: return server_reply(r, u, reply_items(r, u, n));
    case 4:
        if (may_call) {
            unsigned cpu = handler_index(u) / HANDLER_KINDS;
            u->recv_window = random_window(r);
            dj_call(HS_PT(pick(r, HOSTILE_PDS), cpu, 1), random_message(r, u), 0);
        }
        return server_reply(r, u, DJ_MTD(pick(r, 4), 0));
    case 5: op_semaphore(r, false); return server_reply(r, u, 0);
    case 6: chance(r, 2) ? op_revoke(r) : op_delegate(r); return server_reply(r, u, 0);
    default: return server_reply(r, u, chance(r, 4) ? fuzz_rng(r) : DJ_MTD(pick(r, DJ_UTCB_WORDS), 0));
    }
}

/* Echo for the invariant check's fresh server PD; random service in a
 * hostile one. Tier 1 may call a tier-2 server (never the other way
 * round, so the hostile servers cannot wait on each other in a loop). */
uint64_t hostile_tier1_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    uint64_t *r = handler_begin(u);
    if (S->mode != MODE_HOSTILE) {
        unsigned n = DJ_MTD_UNTYPED(u->mtd) <= DJ_UTCB_WORDS ? DJ_MTD_UNTYPED(u->mtd) : 0;
        for (unsigned i = 0; i < n; i++)
            u->words[i]++;
        return DJ_MTD(n, 0);
    }
    return serve(r, u, true);
}

uint64_t hostile_tier2_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    return serve(handler_begin(u), u, false);
}
