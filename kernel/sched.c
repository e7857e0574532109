/* Per-CPU run queues: one FIFO per priority and a bitmap of non-empty
 * ones. The kernel is not preemptible; switches happen on the way out to
 * user mode, on the kernel stack that every ring-3 entry starts fresh. */
#include "sched.h"
#include "cpu.h"
#include "ipc.h"
#include "percpu.h"
#include "user_mode.h"

#define PRIO_LEVELS (DJ_PRIO_MAX + 1)
#define BITMAP_WORDS (PRIO_LEVELS / 64)
#define CHAIN_MAX 1024 /* bound on following a call chain (a loop means a bug) */

struct runqueue {
    struct sc *head[PRIO_LEVELS], *tail[PRIO_LEVELS];
    uint64_t nonempty[BITMAP_WORDS];
    struct sc *current;
    struct ec *current_ec;
};

static struct runqueue rq[MAX_CPUS];

static struct runqueue *my_rq(void) { return &rq[this_cpu()->index]; }

struct ec *ec_current(void) { return my_rq()->current_ec; }
struct sc *sched_current_sc(void) { return my_rq()->current; }

void sched_set_current_ec(struct ec *ec);
void sched_set_current_ec(struct ec *ec) { my_rq()->current_ec = ec; }

struct sc *sc_create(struct quota *q, struct ec *ec, uint8_t prio, uint32_t quantum_ticks)
{
    struct sc *sc = kobj_alloc(q, DJ_OBJ_SC);
    if (!sc)
        return 0;
    sc->ec = ec;
    sc->prio = prio > DJ_PRIO_MAX ? DJ_PRIO_MAX : prio;
    sc->quantum = sc->left = quantum_ticks ? quantum_ticks : SC_DEFAULT_QUANTUM_TICKS;
    kobj_get(&ec->obj);
    return sc;
}

static struct runqueue *rq_of(struct sc *sc) { return &rq[sc->ec->cpu]; }

void sched_enqueue(struct sc *sc)
{
    if (sc->queued)
        return;
    struct runqueue *q = rq_of(sc);
    sc->next = 0;
    if (q->tail[sc->prio])
        q->tail[sc->prio]->next = sc;
    else
        q->head[sc->prio] = sc;
    q->tail[sc->prio] = sc;
    q->nonempty[sc->prio / 64] |= 1ull << (sc->prio % 64);
    sc->queued = true;
}

void sched_remove(struct sc *sc)
{
    if (!sc->queued)
        return;
    struct runqueue *q = rq_of(sc);
    struct sc **link = &q->head[sc->prio], *prev = 0;
    while (*link && *link != sc) {
        prev = *link;
        link = &(*link)->next;
    }
    if (*link)
        *link = sc->next;
    if (q->tail[sc->prio] == sc)
        q->tail[sc->prio] = prev;
    if (!q->head[sc->prio])
        q->nonempty[sc->prio / 64] &= ~(1ull << (sc->prio % 64));
    sc->queued = false;
}

static struct sc *highest(struct runqueue *q)
{
    for (int w = BITMAP_WORDS - 1; w >= 0; w--)
        if (q->nonempty[w])
            return q->head[w * 64 + 63 - __builtin_clzll(q->nonempty[w])];
    return 0;
}

struct ec *sched_chain_head(struct sc *sc)
{
    struct ec *ec = sc->ec;
    for (int i = 0; i < CHAIN_MAX && ec->state == EC_WAIT_REPLY && ec->partner; i++)
        ec = ec->partner;
    return ec;
}

void sched_wake(struct ec *ec)
{
    ec->state = EC_READY;
    struct sc *sc = ec->blocked_sc;
    ec->blocked_sc = 0;
    if (sc && !sc->obj.dead)
        sched_enqueue(sc);
}

static __attribute__((noreturn)) void idle(struct runqueue *q)
{
    q->current = 0;
    q->current_ec = 0;
    /* Interrupts arrive here in ring 0 and return to this loop. */
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    sched_dispatch();
}

void sched_dispatch(void)
{
    struct runqueue *q = my_rq();
    struct sc *sc;
    while ((sc = highest(q))) {
        struct ec *ec = sched_chain_head(sc);
        if (ec->state == EC_READY && !ec->obj.dead) {
            q->current = sc;
            if (ec->startup_pending) {
                ec->startup_pending = false;
                ec_switch_to(ec);
                ipc_fault(ec, DJ_EV_STARTUP, 0);
            }
            ec_switch_to(ec);
            return_to_user();
        }
        /* Its chain is blocked; whoever unblocks it requeues the SC. */
        sched_remove(sc);
        ec->blocked_sc = sc;
    }
    idle(q);
}

void sched_tick(void)
{
    struct runqueue *q = my_rq();
    struct sc *cur = q->current;
    if (!cur)
        return;
    struct sc *top = highest(q);
    bool expired = cur->left <= 1;
    cur->left = expired ? cur->quantum : cur->left - 1;
    if (top && top->prio > cur->prio) {
        sched_dispatch();
    } else if (expired) {
        /* Round robin among equals: go to the back of the queue. */
        sched_remove(cur);
        sched_enqueue(cur);
        if (highest(q) != cur)
            sched_dispatch();
    }
}

void sched_start(void)
{
    sched_dispatch();
}
