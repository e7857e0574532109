/* SPDX-License-Identifier: GPL-2.0-only */
/* Building and destroying the child PDs (controller.h). Every object of a
 * child is charged to the child, and every child to the quota PD, so the
 * quota PD's free pages show whether a dead child left anything behind.
 * The controller's selectors are the same in every round, so that its own
 * capability tables stop growing after the first. */
#include "controller.h"
#include "server.h"
#include "stdio.h"
#include "string.h"
#include "syscall.h"
#include "utcb.h"

#define STARTUP_MTD (DJ_MTD_GPR | DJ_MTD_RIP_RSP)
#define HANDLER_NO_EVENTS 4000 /* an empty range in the child: a handler that faults dies */
#define PT_CALL_ONLY DJ_PT_CALL

extern char __text_start[], __text_end[], __data_start[];

uint64_t arena_va[CHILD_MAX];
char setup_why[160];

static bool fail(const char *what, unsigned i, enum dj_status st)
{
    snprintf(setup_why, sizeof(setup_why), "child %u: %s failed (status %d)", i, what, st);
    return false;
}

static enum dj_status give(unsigned i, uint64_t sel, unsigned rights, uint64_t to)
{
    return dj_delegate(CS_PD(i), DJ_CRD(DJ_CRD_OBJ, sel, 0, rights), to);
}

static enum dj_status share_pages(unsigned i, uint64_t va, uint64_t end, uint64_t dst_va, unsigned rights)
{
    for (; va < end; va += FUZZ_PAGE, dst_va += FUZZ_PAGE) {
        enum dj_status st = dj_delegate(CS_PD(i), DJ_CRD(DJ_CRD_MEM, va / FUZZ_PAGE, 0, rights), dst_va / FUZZ_PAGE);
        if (st != DJ_OK)
            return st;
    }
    return DJ_OK;
}

/* Arena pages the child gets: the state page and the stacks, not the
 * guard pages between them. */
static bool arena_page_mapped(unsigned p)
{
    if (p < ARENA_STATE_PAGES)
        return true;
    for (unsigned s = 0; s < HOSTILE_SLOTS; s++)
        if (p >= ARENA_SLOT_STACK(s) && p < ARENA_SLOT_STACK(s) + STACK_PAGES)
            return true;
    for (unsigned h = 0; h < FUZZ_MAX_CPUS * HANDLER_KINDS; h++)
        if (p >= ARENA_HANDLER_STACK(h) && p < ARENA_HANDLER_STACK(h) + HANDLER_STACK_PAGES)
            return true;
    return false;
}

static enum dj_status share_image_and_arena(unsigned i)
{
    enum dj_status st = share_pages(i, (uint64_t)__text_start, (uint64_t)__text_end, (uint64_t)__text_start,
                                    DJ_MEM_R | DJ_MEM_X);
    if (st == DJ_OK)
        st = share_pages(i, (uint64_t)__text_end, (uint64_t)__data_start, (uint64_t)__text_end, DJ_MEM_R);
    for (unsigned p = 0; p < ARENA_PAGES && st == DJ_OK; p++)
        if (arena_page_mapped(p))
            st = share_pages(i, arena_va[i] + p * FUZZ_PAGE, arena_va[i] + (p + 1) * FUZZ_PAGE,
                             HOSTILE_ARENA_VA + p * FUZZ_PAGE, DJ_MEM_R | DJ_MEM_W);
    return st;
}

/* A handler EC of child i on cpu, its stack laid out for the runtime's
 * portal entry (written through the controller's view of the arena). */
static enum dj_status handler_create(unsigned i, unsigned cpu, unsigned kind, dj_handler_fn fn)
{
    unsigned h = HANDLER_INDEX(cpu, kind);
    uint64_t top = (ARENA_HANDLER_STACK(h) + HANDLER_STACK_PAGES) * FUZZ_PAGE - 16;
    uint64_t *frame = (uint64_t *)(arena_va[i] + top);
    uint64_t utcb = HOSTILE_UTCB_VA + h * FUZZ_PAGE;
    frame[0] = utcb;
    frame[1] = (uint64_t)fn;
    return dj_create_ec(CS_HANDLER_EC(i, cpu, kind), CS_PD(i), cpu, utcb, HOSTILE_ARENA_VA + top,
                        HANDLER_NO_EVENTS, false);
}

static enum dj_status portal_create(uint64_t sel, unsigned i, uint64_t ec, uint64_t mtd, uint64_t badge)
{
    enum dj_status st = dj_create_pt(sel, CS_PD(i), ec, mtd, (uint64_t)dj_portal_entry);
    return st == DJ_OK ? dj_pt_ctrl(sel, badge) : st;
}

static bool handlers_build(unsigned i, const struct round_plan *p)
{
    static const dj_handler_fn fns[HANDLER_KINDS] = {hostile_startup_handler, hostile_exception_handler,
                                                     hostile_tier1_handler, hostile_tier2_handler};
    for (unsigned cpu = 0; cpu < p->ncpus; cpu++)
        for (unsigned k = 0; k < HANDLER_KINDS; k++) {
            enum dj_status st = handler_create(i, cpu, k, fns[k]);
            if (st != DJ_OK)
                return fail("handler EC", i, st);
            if (k == H_STARTUP)
                continue; /* its portals are per slot */
            uint64_t mtd = k == H_EXCEPTION ? p->exception_mtd : 0;
            st = portal_create(CS_HANDLER_PT(i, cpu, k), i, CS_HANDLER_EC(i, cpu, k), mtd, (uint64_t)i << 8 | cpu);
            if (st == DJ_OK && k != H_EXCEPTION)
                st = give(i, CS_HANDLER_EC(i, cpu, k), DJ_OBJ_ALL, HS_HANDLER_EC(cpu, k - H_TIER1));
            if (st != DJ_OK)
                return fail("server portal", i, st);
        }
    return true;
}

/* Slot s's events: its startup portal (badge s) into the child's own
 * startup handler, and its exceptions to a peer's exception handler. */
static bool slot_events(unsigned i, unsigned s, const struct round_plan *p)
{
    struct hostile_state *hs = child_state(i);
    unsigned cpu = (unsigned)hs->slot_cpu[s];
    unsigned handler_pd = i < HOSTILE_PDS ? (i + 1 + s) % HOSTILE_PDS : i;
    uint64_t eb = HS_EVENT_BASE(s);
    enum dj_status st = portal_create(CS_STARTUP_PT(i, s), i, CS_HANDLER_EC(i, cpu, H_STARTUP), STARTUP_MTD, s);
    if (st == DJ_OK)
        st = give(i, CS_STARTUP_PT(i, s), PT_CALL_ONLY, eb + DJ_EV_STARTUP);
    if (st != DJ_OK)
        return fail("startup portal", i, st);
    (void)p;
    for (unsigned v = 0; v < DJ_EV_COUNT; v++) {
        if (v == DJ_EV_STARTUP)
            continue;
        st = dj_delegate(CS_PD(i), DJ_CRD(DJ_CRD_OBJ, CS_HANDLER_PT(handler_pd, cpu, H_EXCEPTION), 0, PT_CALL_ONLY),
                         eb + v);
        if (st != DJ_OK)
            return fail("exception portal", i, st);
    }
    return true;
}

bool child_build(unsigned i, enum thread_mode mode, uint64_t quota_pages, const struct round_plan *p)
{
    memset((void *)arena_va[i], 0, ARENA_PAGES * FUZZ_PAGE);
    struct hostile_state *hs = child_state(i);
    uint64_t seed = p->seed ^ (0x9e3779b97f4a7c15ull * (i + 1));
    hs->index = i;
    hs->ncpus = p->ncpus;
    hs->mode = mode;
    hs->only_op = p->only_op;
    for (unsigned s = 0; s < HOSTILE_SLOTS; s++) {
        hs->slot_cpu[s] = (i + s) % p->ncpus;
        hs->rng[s] = (seed += 0x632be59bd9b4e019ull) | 1;
    }
    for (unsigned h = 0; h < FUZZ_MAX_CPUS * HANDLER_KINDS; h++)
        hs->handler_rng[h] = (seed += 0x632be59bd9b4e019ull) | 1;

    enum dj_status st = dj_create_pd(CS_PD(i), CS_QUOTA, quota_pages);
    if (st != DJ_OK)
        return fail("create_pd", i, st);
    if ((st = share_image_and_arena(i)) != DJ_OK)
        return fail("sharing memory", i, st);
    unsigned self_rights = mode == MODE_HOSTILE ? (DJ_PD_CREATE | DJ_PD_DELEGATE | DJ_PD_KILL) : DJ_PD_CREATE;
    if ((st = give(i, CS_PD(i), self_rights, HS_SELF)) != DJ_OK || (st = give(i, CS_TICK, DJ_SM_UP, HS_TICK)) != DJ_OK)
        return fail("own capabilities", i, st);
    if (mode == MODE_HOSTILE &&
        (st = dj_delegate(CS_PD(i), DJ_CRD(DJ_CRD_IO, FUZZ_PORT, 0, DJ_IO_ACCESS), 0)) != DJ_OK)
        return fail("port", i, st);
    return handlers_build(i, p);
}

bool child_events(unsigned i, const struct round_plan *p)
{
    for (unsigned s = 0; s < HOSTILE_SLOTS; s++)
        if (!slot_events(i, s, p))
            return false;
    return true;
}

bool hostiles_connect(const struct round_plan *p)
{
    enum dj_status st;
    for (unsigned k = 0; k < FUZZ_SMS; k++)
        if ((st = dj_create_sm(CS_SM(k), CS_PD(k % HOSTILE_PDS), k % 3)) != DJ_OK)
            return fail("shared semaphore", k % HOSTILE_PDS, st);
    for (unsigned i = 0; i < HOSTILE_PDS; i++) {
        for (unsigned k = 0; k < FUZZ_SMS; k++)
            if ((st = give(i, CS_SM(k), DJ_SM_UP | DJ_SM_DOWN, HS_SM(k))) != DJ_OK)
                return fail("giving semaphores", i, st);
        for (unsigned j = 0; j < HOSTILE_PDS; j++) {
            unsigned rights = DJ_PD_DELEGATE | DJ_PD_CREATE;
            if ((int)i == p->killer && (int)j == p->victim)
                rights |= DJ_PD_KILL;
            if ((st = give(i, CS_PD(j), rights, HS_PEER_PD(j))) != DJ_OK)
                return fail("giving peers", i, st);
            for (unsigned cpu = 0; cpu < p->ncpus; cpu++)
                for (unsigned t = 0; t < 2; t++)
                    if ((st = give(i, CS_HANDLER_PT(j, cpu, H_TIER1 + t), PT_CALL_ONLY, HS_PT(j, cpu, t))) != DJ_OK)
                        return fail("giving portals", i, st);
        }
    }
    return true;
}

bool child_start_slot(unsigned i, unsigned s, unsigned prio)
{
    struct hostile_state *hs = child_state(i);
    uint64_t n = __atomic_fetch_add(&hs->next_utcb, 1, __ATOMIC_RELAXED);
    hs->slot_utcb[s] = HOSTILE_UTCB_VA + (FUZZ_MAX_CPUS * HANDLER_KINDS + n % HOSTILE_UTCB_MAX) * FUZZ_PAGE;
    enum dj_status st = dj_create_ec(CS_SLOT_EC(i, s), CS_PD(i), hs->slot_cpu[s], hs->slot_utcb[s], 0,
                                     HS_EVENT_BASE(s), true);
    /* The child may kill and recreate the thread: it gets the selectors
     * (unless it put something of its own there). */
    if (st == DJ_OK)
        give(i, CS_SLOT_EC(i, s), DJ_OBJ_ALL, HS_SLOT_EC(s));
    if (st == DJ_OK)
        st = dj_create_sc(CS_SLOT_SC(i, s), CS_PD(i), CS_SLOT_EC(i, s), prio, 0);
    if (st == DJ_OK)
        give(i, CS_SLOT_SC(i, s), DJ_OBJ_ALL, HS_SLOT_SC(s));
    return st == DJ_OK || fail("starting a thread", i, st);
}

bool child_restart_slot(unsigned i, unsigned s, unsigned prio)
{
    dj_ec_kill(CS_SLOT_EC(i, s));
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, CS_SLOT_EC(i, s), 0, 0), true);
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, CS_SLOT_SC(i, s), 0, 0), true);
    return child_start_slot(i, s, prio);
}

enum dj_status child_destroy(unsigned i)
{
    enum dj_status st = dj_pd_kill(CS_PD(i));
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, CS_PD(i), 0, 0), true);
    return st;
}

uint64_t child_ops(unsigned i)
{
    const struct hostile_state *hs = child_state(i);
    uint64_t n = 0;
    for (unsigned s = 0; s < HOSTILE_SLOTS; s++)
        n += hs->ops[s];
    for (unsigned h = 0; h < FUZZ_MAX_CPUS * HANDLER_KINDS; h++)
        n += hs->handler_ops[h];
    return n;
}
