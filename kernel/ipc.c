/* SPDX-License-Identifier: GPL-2.0-only */
#include "kernel/ipc.h"
#include "kernel/console.h"
#include "common/string.h"
#include "kernel/sched.h"
#include "kernel/vcpu.h"
#include "arch/x86_64/user_mode.h"

static __attribute__((noreturn)) void run(struct ec *ec)
{
    ec_switch_to(ec);
    if (ec->vcpu)
        vcpu_resume(ec);
    return_to_user();
}

/* Whether an IPC MTD's counts are valid: DJ_MTD yields DJ_MTD_BAD for a
 * count out of range, and words and items together must fit the UTCB. */
static bool mtd_fits(uint64_t mtd)
{
    return !(mtd & DJ_MTD_BAD) && DJ_MTD_UNTYPED(mtd) + 2 * DJ_MTD_TYPED(mtd) <= DJ_UTCB_WORDS;
}

/* Untyped words and typed items of a message, from one UTCB to another.
 * Items that do not all fit the receiver's window are not delivered: the
 * words are, and the receiver's MTD says 0 items (DJ_E_RECV_WINDOW). */
static int transfer(struct ec *from, struct ec *to, uint64_t mtd)
{
    if (!mtd_fits(mtd))
        return DJ_E_OVERFLOW;
    unsigned words = DJ_MTD_UNTYPED(mtd), typed = DJ_MTD_TYPED(mtd);
    memcpy(to->utcb->words, from->utcb->words, words * sizeof(uint64_t));
    to->utcb->mtd = DJ_MTD(words, typed);
    if (!typed)
        return DJ_OK;
    const struct dj_typed_item *items =
        (const struct dj_typed_item *)&from->utcb->words[DJ_UTCB_WORDS - 2 * typed];
    if (!delegate_items_fit(items, typed, to->utcb->recv_window)) {
        to->utcb->mtd = DJ_MTD(words, 0);
        return DJ_E_RECV_WINDOW;
    }
    return delegate_items(from->pd, to->pd, items, typed, to->utcb->recv_window);
}

/* Wait at the end of a busy handler's queue (first in, first out: the
 * longest waiting caller is woken first); woken, ec runs again from its
 * frame. */
static __attribute__((noreturn)) void wait_for_handler(struct ec *ec, struct ec *h)
{
    ec->state = EC_WAIT_HANDLER;
    ec->blocked_sc = sched_current_sc();
    ec->next_waiter = 0;
    ec->waiting_for = h;
    if (h->waiters)
        h->last_waiter->next_waiter = ec;
    else
        h->waiters = ec;
    h->last_waiter = ec;
    sched_remove(ec->blocked_sc);
    sched_dispatch();
}

void ipc_call(struct ec *caller, struct pt *pt, uint64_t mtd)
{
    struct ec *h = pt->ec; /* NULL once the portal is dead (pt.h) */
    if (pt->obj.dead || h->state == EC_DEAD) {
        caller->frame.rax = DJ_E_ABORTED;
        run(caller);
    }
    if (h->cpu != caller->cpu) {
        caller->frame.rax = DJ_E_BAD_CPU;
        run(caller);
    }
    if (h->state != EC_WAIT_CALL) {
        user_frame_restart_syscall(&caller->frame); /* the call is made again */
        wait_for_handler(caller, h);
    }
    int status = transfer(caller, h, mtd);
    if (status != DJ_OK) {
        caller->frame.rax = (uint64_t)status;
        caller->frame.rsi = 0; /* no reply arrived */
        run(caller);
    }
    begin_call(caller, h, pt, mtd, false);
    run(h);
}

/* The first live waiter retries its call; killed ones are dropped. */
static void wake_first_waiter(struct ec *h)
{
    struct ec *w;
    while ((w = h->waiters)) {
        h->waiters = w->next_waiter;
        if (!h->waiters)
            h->last_waiter = 0;
        w->next_waiter = 0;
        w->waiting_for = 0;
        if (w->state != EC_DEAD) {
            sched_wake(w);
            return;
        }
    }
}

/* Copy back the registers the portal's MTD names; RFLAGS and RIP are
 * checked so a handler cannot hand its client kernel privileges. */
static void apply_fault_reply(struct ec *ec, const struct dj_arch_state *a, uint64_t mtd)
{
    struct trap_frame *f = &ec->frame;
    if (mtd & DJ_MTD_GPR) {
        f->rax = a->rax; f->rbx = a->rbx; f->rcx = a->rcx; f->rdx = a->rdx;
        f->rsi = a->rsi; f->rdi = a->rdi; f->rbp = a->rbp; f->r8 = a->r8;
        f->r9 = a->r9; f->r10 = a->r10; f->r11 = a->r11; f->r12 = a->r12;
        f->r13 = a->r13; f->r14 = a->r14; f->r15 = a->r15;
    }
    if (mtd & DJ_MTD_RIP_RSP) {
        f->rip = a->rip;
        f->rsp = a->rsp;
    }
    if (mtd & DJ_MTD_RFLAGS)
        f->rflags = a->rflags;
    f->vector = 0; /* resume with iret: every register as the handler left it */
}

void ipc_reply(struct ec *h, uint64_t mtd)
{
    struct ec *caller = h->caller;
    h->caller = 0;
    h->state = EC_WAIT_CALL; /* its next call starts again on its initial stack */
    wake_first_waiter(h);
    if (!caller || caller->state != EC_WAIT_REPLY || caller->callee != h)
        sched_dispatch(); /* the caller died meanwhile: nobody to answer */
    caller->callee = 0;
    caller->state = EC_READY;
    if (caller->in_fault && caller->vcpu) {
        if (!vcpu_reply(caller, h->utcb, mtd))
            ec_kill(caller);
        if (caller->state == EC_DEAD)
            sched_dispatch();
    } else if (caller->in_fault) {
        apply_fault_reply(caller, &h->utcb->arch, caller->call_mtd);
        int status = !mtd_fits(mtd) ? DJ_E_OVERFLOW
                     : DJ_MTD_TYPED(mtd) ? transfer(h, caller, DJ_MTD(0, DJ_MTD_TYPED(mtd)))
                                         : DJ_OK;
        if (status != DJ_OK || user_frame_sanitize(&caller->frame) < 0)
            ec_kill(caller);
        if (caller->state == EC_DEAD)
            sched_dispatch();
    } else {
        /* The caller's UTCB changes only when the words arrive: on
         * DJ_OK and DJ_E_RECV_WINDOW (its MTD then says 0 items). */
        int status = transfer(h, caller, mtd);
        caller->frame.rax = (uint64_t)status;
        caller->frame.rsi = status == DJ_OK || status == DJ_E_RECV_WINDOW ? caller->utcb->mtd : 0;
    }
    run(caller);
}

/* The fault message: the event's vector (it names the portal, not the
 * EC's state) and exactly the state the portal's MTD names; every other
 * word of the handler's arch area is zero, so no register of the faulting
 * EC reaches a handler that did not ask for it. */
static void save_fault_state(struct ec *ec, struct dj_arch_state *a, uint64_t mtd, unsigned vector, uint64_t addr)
{
    const struct trap_frame *f = &ec->frame;
    *a = (struct dj_arch_state){.vector = vector};
    if (mtd & DJ_MTD_GPR) {
        a->rax = f->rax; a->rbx = f->rbx; a->rcx = f->rcx; a->rdx = f->rdx;
        a->rsi = f->rsi; a->rdi = f->rdi; a->rbp = f->rbp; a->r8 = f->r8;
        a->r9 = f->r9; a->r10 = f->r10; a->r11 = f->r11; a->r12 = f->r12;
        a->r13 = f->r13; a->r14 = f->r14; a->r15 = f->r15;
    }
    if (mtd & DJ_MTD_RIP_RSP) {
        a->rip = f->rip;
        a->rsp = f->rsp;
    }
    if (mtd & DJ_MTD_RFLAGS)
        a->rflags = f->rflags;
    if (mtd & DJ_MTD_QUAL) {
        a->error_code = f->error_code;
        a->fault_addr = addr;
    }
}

void ipc_fault(struct ec *ec, unsigned vector, uint64_t fault_addr)
{
    struct capspace_slot *slot = capspace_lookup(&ec->pd->caps, ec->event_base + vector, DJ_OBJ_PT, DJ_PT_CALL);
    struct pt *pt = slot ? slot->obj : 0;
    if (!pt || pt->obj.dead || pt->ec->state == EC_DEAD || pt->ec->cpu != ec->cpu) {
        kprintf("ec: killed (exception %u at rip %#llx, address %#llx): no handler portal at selector %#llx\n",
                vector, (unsigned long long)ec->frame.rip, (unsigned long long)fault_addr,
                (unsigned long long)(ec->event_base + vector));
        ec_kill(ec);
        sched_dispatch();
    }
    struct ec *h = pt->ec;
    if (h->state != EC_WAIT_CALL) {
        /* Woken, the EC runs again and re-raises its fault; the startup
         * event has no instruction to re-raise it, so it stays pending. */
        if (ec->vcpu)
            ec->vm_exit = vector; /* a vCPU's exit waits in the kernel, not in the guest */
        else if (vector == DJ_EV_STARTUP)
            ec->startup_pending = true;
        ec->frame.vector = 0;
        wait_for_handler(ec, h);
    }
    if (ec->vcpu)
        vcpu_exit_message(ec, h->utcb, pt->mtd, vector);
    else
        save_fault_state(ec, &h->utcb->arch, pt->mtd, vector, fault_addr);
    h->utcb->mtd = pt->mtd;
    begin_call(ec, h, pt, pt->mtd, true);
    run(h);
}
