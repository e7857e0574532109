/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-CPU run queues: one FIFO per priority and a bitmap of non-empty
 * ones, each queue with its own lock. The kernel is not preemptible;
 * switches happen on the way out to user mode, on the kernel stack that
 * every ring-3 entry starts fresh.
 *
 * Locking: the big kernel lock (BKL, sched.h) serializes all object state;
 * a run-queue lock is taken inside it for every queue change, so that the
 * queues are ready for finer-grained locking later. Order: BKL, then one
 * run-queue lock; never two run-queue locks at once.
 *
 * Cross-CPU wake-up: queueing an SC on another CPU sets that CPU's
 * need_resched flag (when the SC outranks what it runs, or it idles) and
 * sends it VEC_IPI_WAKE. The flag is the truth, the IPI only a kick: an
 * idle CPU leaves HLT and re-runs the dispatcher; a CPU in user mode
 * enters the kernel, and on its way back out sched_exit_to_user sees the
 * flag and dispatches. */
#include "kernel/sched.h"
#include "arch/x86_64/cpu.h"
#include "kernel/ipc.h"
#include "kernel/irq.h"
#include "arch/x86_64/paging.h"
#include "kernel/pd_reclaim.h"
#include "kernel/timeout.h"
#include "kernel/vcpu.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/spinlock.h"
#include "arch/x86_64/user_mode.h"

#define PRIO_LEVELS (DJ_PRIO_MAX + 1)
#define BITMAP_WORDS (PRIO_LEVELS / 64)
#define CHAIN_MAX 1024 /* bound on following a call chain (a loop means a bug) */
#define NO_OWNER UINT32_MAX

struct runqueue {
    struct spinlock lock; /* the queues and the bitmap */
    struct sc *head[PRIO_LEVELS], *tail[PRIO_LEVELS];
    uint64_t nonempty[BITMAP_WORDS];
    struct sc *current;   /* SC whose time this CPU runs (NULL when idle) */
    volatile bool need_resched; /* dispatch before returning to user mode */
};

static struct runqueue rq[MAX_CPUS];

static struct spinlock bkl = SPINLOCK_INIT;
static volatile uint32_t bkl_owner = NO_OWNER;

static struct runqueue *my_rq(void) { return &rq[this_cpu()->index]; }

/* One place says which EC runs: the per-CPU running_ec that ec_switch_to
 * and the IPC fast path set (an idle CPU keeps its last EC there). */
struct ec *ec_current(void) { return ec_running(); }
struct sc *sched_current_sc(void) { return my_rq()->current; }

/* ---- big kernel lock ---- */

/* cpus_online only grows, and only before any user code runs: with one
 * CPU there is nobody to exclude, and skipping keeps syscalls cheap. */
static bool bkl_needed(void)
{
    return __atomic_load_n(&cpus_online, __ATOMIC_RELAXED) > 1;
}

void kernel_lock(void)
{
    if (!bkl_needed())
        return;
    uint32_t me = this_cpu()->index;
    if (__atomic_load_n(&bkl_owner, __ATOMIC_RELAXED) == me)
        return;
    uint32_t ticket = __atomic_fetch_add(&bkl.next, 1, __ATOMIC_RELAXED);
    /* Interrupts stay deliverable while waiting: another CPU holding the
     * lock may need this one to answer an IPI (TLB shootdown, stop). */
    while (__atomic_load_n(&bkl.owner, __ATOMIC_ACQUIRE) != ticket)
        cpu_interrupt_window_pause();
    this_cpu()->exit_work = 1; /* the way out must release the lock */
    __atomic_store_n(&bkl_owner, me, __ATOMIC_RELAXED);
}

void kernel_unlock(void)
{
    if (!bkl_needed() || __atomic_load_n(&bkl_owner, __ATOMIC_RELAXED) != this_cpu()->index)
        return;
    __atomic_store_n(&bkl_owner, NO_OWNER, __ATOMIC_RELAXED);
    spin_unlock(&bkl);
}

/* ---- run queues ---- */

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

static uint32_t cpu_of(struct sc *sc) { return sc->ec->cpu; }
static struct runqueue *rq_of(struct sc *sc) { return &rq[cpu_of(sc)]; }

static void append(struct runqueue *q, struct sc *sc)
{
    sc->next = 0;
    if (q->tail[sc->prio])
        q->tail[sc->prio]->next = sc;
    else
        q->head[sc->prio] = sc;
    q->tail[sc->prio] = sc;
    q->nonempty[sc->prio / 64] |= 1ull << (sc->prio % 64);
    sc->queued = true;
}

static void unlink(struct runqueue *q, struct sc *sc)
{
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

static struct sc *highest_locked(struct runqueue *q)
{
    for (int w = BITMAP_WORDS - 1; w >= 0; w--)
        if (q->nonempty[w])
            return q->head[w * 64 + 63 - __builtin_clzll(q->nonempty[w])];
    return 0;
}

static struct sc *highest(struct runqueue *q)
{
    spin_lock(&q->lock);
    struct sc *sc = highest_locked(q);
    spin_unlock(&q->lock);
    return sc;
}

void sched_reschedule_cpu(uint32_t cpu)
{
    rq[cpu].need_resched = true;
    percpu[cpu].exit_work = 1;
    if (cpu != this_cpu()->index)
        smp_send_wake(cpu);
}

void sched_enqueue(struct sc *sc)
{
    struct runqueue *q = rq_of(sc);
    spin_lock(&q->lock);
    bool added = !sc->queued;
    if (added)
        append(q, sc);
    spin_unlock(&q->lock);
    /* Under the BKL, q->current of another CPU cannot change meanwhile. */
    if (added && (!q->current || sc->prio > q->current->prio))
        sched_reschedule_cpu(cpu_of(sc));
}

void sched_remove(struct sc *sc)
{
    struct runqueue *q = rq_of(sc);
    spin_lock(&q->lock);
    if (sc->queued)
        unlink(q, sc);
    spin_unlock(&q->lock);
}

/* Round robin: the SC goes to the back of its priority's queue. */
static void requeue_last(struct sc *sc)
{
    struct runqueue *q = rq_of(sc);
    spin_lock(&q->lock);
    if (sc->queued) {
        unlink(q, sc);
        append(q, sc);
    }
    spin_unlock(&q->lock);
}

struct ec *sched_chain_head(struct sc *sc)
{
    struct ec *ec = sc->ec;
    for (int i = 0; i < CHAIN_MAX && ec->state == EC_WAIT_REPLY && ec->callee; i++)
        ec = ec->callee;
    return ec;
}

void sched_wake(struct ec *ec)
{
    struct sc *sc = ec->blocked_sc;
    ec->blocked_sc = 0;
    if (ec->state == EC_DEAD)
        return;
    /* One only marked dead (a client killed mid-call) goes to the
     * dispatcher too, which finishes the kill instead of running it. */
    ec->state = EC_READY;
    if (sc && !sc->obj.dead)
        sched_enqueue(sc);
}

void sc_release(struct sc *sc)
{
    kobj_put(&sc->ec->obj);
}

bool sched_pd_in_use(const struct pd *pd, bool its_time_too)
{
    bool used = false;
    for (unsigned c = 0; c < MAX_CPUS; c++) {
        if (!percpu[c].online)
            continue;
        const struct ec *e = percpu[c].running_ec;
        const struct sc *s = rq[c].current;
        bool holds = e && e->pd == pd;
        used = used || holds || (its_time_too && s && s->ec->pd == pd);
        if (holds && e->obj.dead && c != this_cpu()->index && !rq[c].need_resched)
            sched_reschedule_cpu(c); /* it lets go when it next dispatches */
    }
    return used;
}

/* ---- dispatching ---- */

/* Nothing of a dead EC is needed again: stop holding its registers and
 * its PD's page tables, so that the PD can be freed. The next switch
 * loads another EC without saving this one. */
static void unload_dead_ec(void)
{
    struct percpu *cpu = this_cpu();
    struct ec *ec = cpu->running_ec;
    if (!ec || !ec->obj.dead)
        return;
    cpu->running_ec = 0;
    write_cr3(paging_kernel_cr3());
}

/* An idle CPU destroys dying PDs, a bounded step at a time, and lets
 * interrupts in (and the kernel lock go) between steps. */
static bool idle_reclaim(void)
{
    if (!pd_reclaim_step(RECLAIM_IDLE_BUDGET))
        return false;
    kernel_unlock();
    cpu_interrupt_window();
    kernel_lock();
    irq_deliver_pending();
    return true;
}

/* Wait in HLT without the BKL. Interrupts are off until `sti; hlt`, whose
 * interrupt shadow lets no wake-up IPI slip in between the check of the
 * queue and the halt; the IPI then simply ends the HLT. The periodic tick
 * keeps running in HLT and ends it too: timed waits expire while idle. */
static void idle_wait(struct runqueue *q)
{
    /* The last EC's registers stay loaded (percpu running_ec): ECs never
     * move between CPUs, so only this CPU ever saves them. */
    q->current = 0;
    unload_dead_ec();
    if (!idle_reclaim()) {
        kernel_unlock();
        cpu_wait_for_interrupt();
        kernel_lock();
        irq_deliver_pending();
    }
    timeout_expire();
}

static __attribute__((noreturn)) void run_sc(struct runqueue *q, struct sc *sc, struct ec *ec)
{
    /* We may come from sched_exit_to_user, which already cleared the flag:
     * the way out must still drop the kernel lock. */
    this_cpu()->exit_work = 1;
    q->current = sc;
    ec_switch_to(ec);
    if (ec->startup_pending) {
        ec->startup_pending = false;
        ipc_fault(ec, DJ_EV_STARTUP, 0);
    }
    if (ec->vcpu)
        vcpu_resume(ec);
    return_to_user();
}

void sched_dispatch(void)
{
    kernel_lock();
    struct runqueue *q = my_rq();
    for (;;) { /* the idle loop: ends only by running an SC */
        q->need_resched = false;
        struct sc *sc;
        while ((sc = highest(q))) {
            struct ec *ec = sched_chain_head(sc);
            if (ec->state == EC_READY && ec->obj.dead) {
                ec_kill(ec); /* marked mid-call, its call is over: the kill ends here */
                continue;
            }
            if (ec->state == EC_READY)
                run_sc(q, sc, ec);
            /* Its chain is blocked; whoever unblocks it requeues the SC. */
            sched_remove(sc);
            ec->blocked_sc = sc;
        }
        idle_wait(q);
    }
}

void sched_tick(void)
{
    pd_reclaim_step(RECLAIM_TICK_BUDGET); /* progress even when no CPU idles */
    timeout_expire(); /* before the choice below: a woken waiter may outrank cur */
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
        requeue_last(cur);
        if (highest(q) != cur)
            sched_dispatch();
    }
}

/* An EC killed by another CPU while it ran here: finish the kill (a
 * client killed mid-call was only marked, see ec_ctrl.c) and move on. */
static void drop_dead_current(void)
{
    struct ec *ec = ec_running();
    if (__builtin_expect(!ec || !ec->obj.dead, 1))
        return;
    if (ec->state != EC_DEAD)
        ec_kill(ec);
    unload_dead_ec();
    sched_dispatch();
}

void sched_kernel_entry(void)
{
    kernel_lock();
    drop_dead_current();
}

void sched_user_interrupt(uint64_t vector)
{
    if (vector != VEC_TIMER && vector != VEC_IPI_WAKE)
        return;
    sched_kernel_entry();
    if (vector == VEC_TIMER)
        sched_tick();
    /* VEC_IPI_WAKE: sched_exit_to_user acts on need_resched. */
}

/* Called by return_to_user only when this CPU's exit_work is set: cleared
 * first, so work flagged while it runs (interrupts are off; remote CPUs
 * flag and send an IPI) is seen at the next exit. */
void sched_exit_to_user(void)
{
    this_cpu()->exit_work = 0;
    struct runqueue *q = my_rq();
    struct ec *running = ec_running();
    if (running && running->recall_pending && running->state == EC_READY && !running->obj.dead) {
        kernel_lock();
        running->recall_pending = false;
        ipc_fault(running, DJ_EV_RECALL, 0);
    }
    if (irq_work_pending()) {
        kernel_lock();
        irq_deliver_pending();
    }
    if (q->need_resched || (running && running->obj.dead)) {
        kernel_lock();
        drop_dead_current();
        if (q->need_resched) {
            struct sc *top = highest(q);
            if (!q->current || (top && top->prio > q->current->prio) || (q->current && !q->current->queued))
                sched_dispatch();
            q->need_resched = false;
        }
    }
    kernel_unlock();
}

void sched_start(void)
{
    sched_dispatch();
}
