/* SPDX-License-Identifier: GPL-2.0-only */
/* Destroying PDs: see pd_reclaim.h.
 *
 * Dying PDs wait in one queue, each with its phase and a cursor into it,
 * so any CPU can take the work up where another left it. While a PD is
 * destroyed, every object charged to its quota holds a reference taken in
 * the kill phase, so its list of objects stays put until the objects
 * phase lets them go; nothing new is charged to it (creating objects in a
 * dead PD or delegating into it is refused). */
#include "kernel/pd_reclaim.h"
#include "kernel/console.h"
#include "kernel/ec_ctrl.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/user_mode.h"
#include "kernel/pt.h"
#include "kernel/revoke.h"
#include "kernel/sched.h"
#include "kernel/sm.h"
#include "kernel/assert.h"
#include "arch/x86_64/layout.h"


enum phase {
    PHASE_KILL,    /* kill the objects charged to it */
    PHASE_STOPPED, /* wait until no CPU has one of its ECs loaded */
    PHASE_CAPS_TO, /* remove every capability to its objects */
    PHASE_CAPS,    /* remove what its capability space holds */
    PHASE_PORTS,   /* ... its I/O space */
    PHASE_MEMORY,  /* ... its memory space */
    PHASE_QUIESCE, /* wait until nothing refers to its ECs, SCs or child PDs */
    PHASE_OBJECTS, /* let go of its objects */
    PHASE_TABLES,  /* free its tables and give its quota back */
};

/* PHASE_HELD: another CPU still holds one of its dead ECs; told to let
 * go, it does so as soon as it gets the kernel lock, so this is worth
 * waiting for. PHASE_BLOCKED: calls into other PDs have to return first,
 * or PDs charged to it to be destroyed, which may take any time. */
enum outcome { PHASE_COMPLETE, PHASE_HELD, PHASE_BLOCKED, OUT_OF_BUDGET };

static struct pd *queue_head, *queue_tail;
static uint64_t queue_changes; /* PDs doomed or finished: a step may unblock others */

void pd_doom(struct pd *pd)
{
    if (pd->reclaim.queued || pd->reclaim.done || !pd->parent_pd)
        return;
    pd->obj.dead = true; /* nothing new is created in it or delegated to it */
    kobj_get(&pd->obj);  /* the queue's, until the destruction is over */
    pd->reclaim.queued = true;
    pd->reclaim.phase = PHASE_KILL;
    pd->reclaim.cursor = 0;
    pd->reclaim.item = 0;
    pd->reclaim.next = 0;
    if (queue_tail)
        queue_tail->reclaim.next = pd;
    else
        queue_head = pd;
    queue_tail = pd;
    queue_changes++;
}

static void dequeue(struct pd *pd)
{
    struct pd **link = &queue_head, *prev = 0;
    while (*link != pd) {
        prev = *link;
        link = &(*link)->reclaim.next;
    }
    *link = pd->reclaim.next;
    if (queue_tail == pd)
        queue_tail = prev;
    pd->reclaim.next = 0;
    pd->reclaim.queued = false;
}

/* ---- 1. Kill ------------------------------------------------------------------ */

static void kill_ec(struct ec *ec)
{
    while (ec->portals)
        pt_detach(ec->portals); /* its portals, wherever charged, fail from now on */
    ec_ctrl_kill(ec);
}

static void doom_child(struct pd *pd, struct pd *child)
{
    pd_doom(child);
    if (!child->reclaim.done && !child->reclaim.parent_waits) {
        child->reclaim.parent_waits = true;
        pd->dying_children++;
    }
}

static void kill_object(struct pd *pd, struct kobj *o)
{
    switch (o->type) {
    case DJ_OBJ_EC: kill_ec((struct ec *)o); break;
    case DJ_OBJ_SM: sm_kill((struct sm *)o); break;
    case DJ_OBJ_PT: pt_detach((struct pt *)o); break;
    case DJ_OBJ_PD: doom_child(pd, (struct pd *)o); break;
    default: break; /* an SC stops with its EC, or when the call it lent its time to returns */
    }
}

/* The cursor is the last object done: it holds a reference, so it stays
 * on the list even if the one after it goes meanwhile. */
static enum outcome kill_objects(struct pd *pd, size_t *budget)
{
    struct quota_item *last = pd->reclaim.item;
    for (;;) {
        struct quota_item *it = last ? quota_next(&pd->quota, last) : quota_first(&pd->quota);
        if (!it)
            return PHASE_COMPLETE;
        if (!*budget)
            return OUT_OF_BUDGET;
        struct kobj *o = kobj_of_item(it);
        kobj_get(o); /* until the objects phase */
        kill_object(pd, o);
        pd->reclaim.item = last = it;
        (*budget)--;
    }
}

/* ---- 2. Revoke ---------------------------------------------------------------- */

static enum outcome revoke_caps_to_objects(struct pd *pd, size_t *budget, struct revoke_batch *b)
{
    struct quota_item *it = pd->reclaim.item ? pd->reclaim.item : quota_first(&pd->quota);
    for (; it; it = quota_next(&pd->quota, it)) {
        struct kobj *o = kobj_of_item(it);
        pd->reclaim.item = it;
        if (!*budget)
            return OUT_OF_BUDGET;
        (*budget)--;
        if (o->original && !revoke_subtree_bounded(o->original, true, budget, b))
            return OUT_OF_BUDGET;
    }
    return PHASE_COMPLETE;
}

static enum outcome revoke_held_caps(struct pd *pd, size_t *budget, struct revoke_batch *b)
{
    for (;;) {
        uint64_t sel = capspace_next(&pd->caps, pd->reclaim.cursor);
        if (sel >= CAPSPACE_MAX_SEL)
            return PHASE_COMPLETE;
        if (!*budget)
            return OUT_OF_BUDGET;
        struct capspace_slot *s = capspace_lookup(&pd->caps, sel, DJ_OBJ_NONE, 0);
        if (s->node) {
            if (!revoke_subtree_bounded(s->node, true, budget, b))
                return OUT_OF_BUDGET;
        } else {
            ASSERT_UNREACHABLE("a capability without a mapping-database node");
            struct capspace_slot old;
            capspace_remove(&pd->caps, sel, &old);
            kobj_put(old.obj);
            (*budget)--;
        }
        pd->reclaim.cursor = sel + 1;
    }
}

/* Memory (ports with `io`): each node the space holds, with its subtree. */
static enum outcome revoke_space_nodes(struct pd *pd, bool io, size_t *budget, struct revoke_batch *b)
{
    for (;;) {
        struct mdb_node *n = io ? iospace_next(&pd->io, pd->reclaim.cursor) : memspace_next(&pd->mem, pd->reclaim.cursor);
        if (!n)
            return PHASE_COMPLETE;
        if (!*budget)
            return OUT_OF_BUDGET;
        uint64_t end = n->base + (1ull << n->order); /* before n is freed */
        if (!revoke_subtree_bounded(n, true, budget, b))
            return OUT_OF_BUDGET;
        pd->reclaim.cursor = end;
    }
}

static enum outcome revoke_phase(struct pd *pd, size_t *budget)
{
    struct revoke_batch b = {false, 0};
    enum outcome r;
    uint64_t flags = pd_mdb_lock();
    switch (pd->reclaim.phase) {
    case PHASE_CAPS_TO: r = revoke_caps_to_objects(pd, budget, &b); break;
    case PHASE_CAPS: r = revoke_held_caps(pd, budget, &b); break;
    case PHASE_PORTS: r = revoke_space_nodes(pd, true, budget, &b); break;
    default: r = revoke_space_nodes(pd, false, budget, &b); break;
    }
    pd_mdb_unlock(flags);
    revoke_batch_finish(&b);
    return r;
}

/* ---- 3. Free ------------------------------------------------------------------ */

/* A client killed mid-call was only marked dead (ec_ctrl.c); once its
 * call is over it is ready, and the dispatcher would end the kill when it
 * next picks its SC. That may be never: any busy thread of higher
 * priority on its CPU holds it off, and with it the whole destruction.
 * Nothing is left for it to do, so the kill ends here. The cursor is the
 * next object to look at (it holds the kill phase's reference). */
static enum outcome end_finished_calls(struct pd *pd, size_t *budget)
{
    struct quota_item *it = pd->reclaim.item ? pd->reclaim.item : quota_first(&pd->quota);
    for (; it && pd->live_ecs; it = quota_next(&pd->quota, it)) {
        if (!*budget) {
            pd->reclaim.item = it;
            return OUT_OF_BUDGET;
        }
        (*budget)--;
        struct kobj *o = kobj_of_item(it);
        struct ec *ec = (struct ec *)o;
        if (o->type == DJ_OBJ_EC && ec->state == EC_READY && o->dead && !ec->callee)
            ec_kill(ec);
    }
    pd->reclaim.item = 0;
    return PHASE_COMPLETE;
}

static enum outcome quiescent(struct pd *pd, size_t *budget)
{
    if (pd->live_ecs) {
        enum outcome r = end_finished_calls(pd, budget);
        if (r != PHASE_COMPLETE)
            return r;
    }
    if (pd->live_ecs || pd->dying_children)
        return PHASE_BLOCKED;
    if (sched_pd_in_use(pd, false))
        return PHASE_HELD;
    return sched_pd_in_use(pd, true) ? PHASE_BLOCKED : PHASE_COMPLETE; /* its time lent to a call */
}

/* An EC and its SC hold each other: the EC lets go first. */
static void let_go(struct kobj *o)
{
    if (o->type == DJ_OBJ_SC)
        sched_remove((struct sc *)o); /* off the run queue before its page can go */
    if (o->type == DJ_OBJ_EC) {
        struct ec *ec = (struct ec *)o;
        struct sc *sc = ec->sc;
        ec->sc = 0;
        if (sc)
            kobj_put(&sc->obj);
        kobj_put(o); /* the reference it held for its PD */
    }
    kobj_put(o); /* the kill phase's */
}

/* The cursor is the next object: it still holds the kill phase's
 * reference, so nothing freed before it can take it along. */
static enum outcome free_objects(struct pd *pd, size_t *budget)
{
    struct quota_item *it = pd->reclaim.item ? pd->reclaim.item : quota_first(&pd->quota);
    while (it) {
        if (!*budget) {
            pd->reclaim.item = it;
            return OUT_OF_BUDGET;
        }
        struct quota_item *next = quota_next(&pd->quota, it);
        let_go(kobj_of_item(it));
        (*budget)--;
        it = next;
    }
    return PHASE_COMPLETE;
}

/* Objects something unforeseen still holds: their charge moves to the
 * quota this one came from, which frees them when they go. */
static void hand_over_leftovers(struct pd *pd)
{
    struct quota_item *it;
    while ((it = quota_first(&pd->quota))) {
        struct kobj *o = kobj_of_item(it);
        kprintf("pd: object of type %u outlives its PD (%u references)\n", o->type, o->refs);
        quota_unlink(it);
        o->quota = pd->quota.parent;
        quota_link(o->quota, it);
    }
}

static void table_free(void *table, void *pages)
{
    page_source_free(pages, table);
}

static void free_io_bitmap(struct pd *pd)
{
    for (unsigned i = 0; i < sizeof(pd->io_bits) / sizeof(pd->io_bits[0]); i++) {
        if (pd->io_bits[i])
            page_source_free(&pd->pages, pd->io_bits[i]);
        pd->io_bits[i] = 0;
    }
}

static enum outcome free_tables(struct pd *pd, size_t *budget)
{
    /* The pages the tables map are not theirs: already unmapped. */
    if (!paging_free_user_tables(pd->root, budget, table_free, &pd->pages))
        return OUT_OF_BUDGET;
    page_source_free(&pd->pages, pd->root);
    pd->root = 0;
    capspace_destroy(&pd->caps);
    memspace_destroy(&pd->mem);
    iospace_destroy(&pd->io);
    free_io_bitmap(pd);
    vm_space_destroy(pd);
    hand_over_leftovers(pd);
    if (pd->quota.used_pages) /* pages whose address went to a device: they stay charged to the parent */
        kprintf("pd: %llu pages of a destroyed PD stay allocated (DMA)\n", (unsigned long long)pd->quota.used_pages);
    quota_destroy_child(&pd->quota);
    return PHASE_COMPLETE;
}

static void finish(struct pd *pd)
{
    pd->reclaim.done = true;
    dequeue(pd);
    queue_changes++;
    if (pd->reclaim.parent_waits)
        pd->parent_pd->dying_children--;
    kobj_put(&pd->obj); /* the queue's: the page goes when the last capability does */
}

/* ---- Driving the phases --------------------------------------------------------- */

static enum outcome run_phase(struct pd *pd, size_t *budget)
{
    switch (pd->reclaim.phase) {
    case PHASE_KILL: return kill_objects(pd, budget);
    case PHASE_STOPPED: return sched_pd_in_use(pd, false) ? PHASE_HELD : PHASE_COMPLETE;
    case PHASE_QUIESCE: return quiescent(pd, budget);
    case PHASE_OBJECTS: return free_objects(pd, budget);
    case PHASE_TABLES: return free_tables(pd, budget);
    default: return revoke_phase(pd, budget);
    }
}

/* Run pd's phases until it is done, blocked or the budget is spent. */
static enum outcome advance(struct pd *pd, size_t *budget)
{
    for (;;) {
        enum outcome r = run_phase(pd, budget);
        if (r != PHASE_COMPLETE)
            return r;
        if (pd->reclaim.phase == PHASE_TABLES)
            return PHASE_COMPLETE;
        pd->reclaim.phase++;
        pd->reclaim.cursor = 0;
        pd->reclaim.item = 0;
    }
}

bool pd_reclaim_step(size_t budget)
{
    if (!queue_head)
        return false;
    uint64_t changes = queue_changes;
    bool more = false;
    for (struct pd *pd = queue_head, *next; pd; pd = next) {
        enum outcome r = advance(pd, &budget);
        next = pd->reclaim.next; /* after: PDs doomed meanwhile are appended */
        if (r == PHASE_COMPLETE)
            finish(pd);
        more = more || r == PHASE_HELD;
        if (r == OUT_OF_BUDGET) {
            more = true;
            break;
        }
    }
    /* A finished PD may unblock its parent; a doomed one is new work. */
    return more || (queue_head && changes != queue_changes);
}

uint64_t pd_reclaim_syscall_tail(struct ec *caller, uint64_t status)
{
    if (!pd_reclaim_step(RECLAIM_CALL_BUDGET) || caller->obj.dead)
        return status;
    user_frame_restart_syscall(&caller->frame); /* made again: a step per entry */
    return caller->frame.rax;
}

uint64_t pd_ctrl(struct ec *caller, struct pd *pd, unsigned rights, uint64_t op)
{
    switch (op) {
    case DJ_PD_OP_QUOTA:
        caller->frame.rsi = quota_available(&pd->quota);
        caller->frame.rdx = pd->quota.limit_pages;
        return DJ_OK;
    case DJ_PD_OP_KILL:
        if (!(rights & DJ_PD_KILL))
            return DJ_E_BAD_CAP;
        if (!pd->parent_pd)
            return DJ_E_BAD_PARAM; /* the root PD holds the whole system */
        pd_doom(pd);
        return pd_reclaim_syscall_tail(caller, DJ_OK);
    default: return DJ_E_BAD_PARAM;
    }
}
