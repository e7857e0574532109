/* SPDX-License-Identifier: GPL-2.0-only */
#include "kernel/ec.h"
#include "arch/x86_64/cpu_features.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "kernel/panic.h"
#include "arch/x86_64/percpu.h"
#include "kernel/root.h"
#include "kernel/sched.h"
#include "kernel/sm.h"
#include "kernel/timeout.h"
#include "kernel/vcpu.h"
#include "arch/x86_64/virt.h"
#include "kernel/assert.h"
#include "arch/x86_64/user_mode.h"
#include "arch/x86_64/user_segments.h"

#define EC_FPU_SPACE (PAGE_SIZE - __builtin_offsetof(struct ec, fpu))

struct ec *ec_create(struct pd *owner, struct pd *pd, uint32_t cpu, bool global, uint64_t utcb_va,
                     uint64_t stack_ptr, uint64_t event_base, int *status)
{
    (void)owner;
    if (cpu_features.xsave_size > EC_FPU_SPACE)
        panic("ec: XSAVE area of %u bytes does not fit an EC page", cpu_features.xsave_size);
    if (cpu >= MAX_CPUS || !percpu[cpu].online) {
        *status = DJ_E_BAD_CPU;
        return 0;
    }
    /* The ECs of a VM PD are vCPUs: threads without UTCB or stack. */
    if (pd->vm ? !global || utcb_va || stack_ptr : (utcb_va & (PAGE_SIZE - 1)) || utcb_va == 0 || utcb_va >= USER_TOP) {
        *status = pd->vm ? DJ_E_BAD_PARAM : DJ_E_BAD_ADDR;
        return 0;
    }
    struct ec *ec = kobj_alloc(&pd->quota, DJ_OBJ_EC);
    void *utcb = 0;
    int st = DJ_E_QUOTA;
    if (ec && pd->vm) {
        ec->vcpu = virt_vcpu_create(pd, &st);
        st = ec->vcpu ? DJ_OK : st;
        ec->vm_exit = VCPU_NO_EXIT;
    } else if (ec && (utcb = page_source_alloc(&pd->pages))) {
        st = pd_map(pd, utcb_va, virt_to_phys(utcb), DJ_MEM_R | DJ_MEM_W);
    }
    if (st != DJ_OK) { /* no memory, or the UTCB address is taken (DJ_E_BUSY) */
        if (utcb)
            page_source_free(&pd->pages, utcb);
        if (ec)
            kobj_put(&ec->obj);
        *status = st;
        return 0;
    }
    ec->pd = pd;
    kobj_get(&pd->obj);
    kobj_get(&ec->obj); /* its PD's, until the PD dies (see ec_release) */
    pd->live_ecs++;
    ec->utcb = utcb;
    ec->utcb_words = utcb ? ec->utcb->words : 0;
    ec->utcb_va = utcb_va;
    ec->event_base = event_base;
    ec->cpu = cpu;
    ec->global = global;
    ec->state = global ? EC_NEW : EC_WAIT_CALL;
    ec->handler_rsp = stack_ptr;
    ec->frame.rsp = stack_ptr;
    ec->frame.rdi = utcb_va; /* the user runtime finds its UTCB here */
    ec->frame.rsi = cpu;
    ec->frame.vector = 0;    /* first entry returns with iret */
    ec->segs = 0;            /* null selectors: another EC's never reach it */
    user_frame_sanitize(&ec->frame);
    fpu_area_init(ec->fpu);
    *status = DJ_OK;
    return ec;
}

void ec_switch_to(struct ec *ec)
{
    struct percpu *cpu = this_cpu();
    struct ec *prev = cpu->running_ec;
    if (prev != ec) {
        /* Eager FPU switch: no EC ever sees another's vector registers. */
        if (prev)
            fpu_save(prev->fpu);
        fpu_restore(ec->fpu);
        /* The selectors likewise (the fast path does the same). */
        if (prev)
            user_segs_save(&prev->segs);
        if (!prev || prev->segs != ec->segs)
            user_segs_load(ec->segs);
        if (!prev || prev->pd != ec->pd)
            pd_activate(ec->pd);
        cpu->running_ec = ec;
    }
    if (ec->obj.dead || ec->recall_pending)
        cpu->exit_work = 1; /* a killed client dies, a recalled EC reports, on the way out */
    cpu->tables.tss.rsp[0] = (uint64_t)(&ec->frame + 1);
}

/* Callers that found this handler busy: woken, each makes its call again
 * (its RIP was set back to the syscall) and gets DJ_E_ABORTED from the
 * dead handler; a faulting EC raises its fault again and meets no handler.
 * Their registers stay as they are. */
static void abort_waiters(struct ec *ec)
{
    while (ec->waiters) {
        struct ec *w = ec->waiters;
        ec->waiters = w->next_waiter;
        w->next_waiter = 0;
        w->waiting_for = 0;
        sched_wake(w);
    }
    ec->last_waiter = 0;
}

/* Take ec out of the busy handler's queue it waits in. */
static void leave_handler_queue(struct ec *ec)
{
    struct ec *h = ec->waiting_for, *prev = 0, **link = &h->waiters;
    while (*link && *link != ec) {
        prev = *link;
        link = &(*link)->next_waiter;
    }
    if (*link)
        *link = ec->next_waiter;
    if (h->last_waiter == ec)
        h->last_waiter = prev;
    ec->next_waiter = 0;
    ec->waiting_for = 0;
}

void ec_kill(struct ec *ec)
{
    if (ec->state == EC_DEAD)
        return;
    if (ec->blocked_on)
        sm_remove_waiter(ec->blocked_on, ec);
    if (ec->waiting_for)
        leave_handler_queue(ec);
    ec->state = EC_DEAD;
    ec->obj.dead = true;
    ec->killed = true;
    ec->pd->live_ecs--;
    abort_waiters(ec);
    /* A handler dying mid-call fails its caller's call. */
    struct ec *caller = ec->caller;
    if (caller && caller->callee == ec && caller->state == EC_WAIT_REPLY) {
        caller->callee = 0;
        caller->frame.rax = DJ_E_ABORTED;
        caller->state = EC_READY;
    }
    ec->caller = 0;
    if (ec->sc)
        sched_remove(ec->sc);
    root_ec_killed(ec);
}

void ec_release(struct ec *ec)
{
    ASSERT(!ec->timed_link); /* ec_kill left every semaphore queue */
    timeout_disarm(ec);
    if (ec->utcb)
        page_source_free(&ec->pd->pages, ec->utcb);
    if (ec->vcpu)
        virt_vcpu_destroy(ec->pd, ec->vcpu);
    if (ec->sc)
        kobj_put(&ec->sc->obj);
    if (ec->pd)
        kobj_put(&ec->pd->obj);
}
