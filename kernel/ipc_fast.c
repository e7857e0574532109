/* The IPC fast path: a call or reply with untyped words only, between ECs
 * on this CPU, with an idle handler. It does exactly what ipc_call and
 * ipc_reply do for such messages (the user tests run every message size
 * through both), but returns to the entry code instead of taking the
 * general dispatch. Anything else falls through to the general path. */
#include "ipc.h"
#include "sched.h"
#include "syscalls.h"

/* UTCB to UTCB: `rep movsq` moves a word per step, with no loop around it. */
static inline void copy_words(uint64_t *dst, const uint64_t *src, unsigned n)
{
    uint64_t count = n;
    __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(count)::"memory");
}

/* Returns false when the general path must handle the call. */
static bool fast_call(struct ec *c, struct trap_frame *f)
{
    uint64_t mtd = f->rsi;
    unsigned n = DJ_MTD_UNTYPED(mtd);
    if (mtd >> 10 || n > DJ_UTCB_WORDS)
        return false;
    struct capspace_slot *s = capspace_lookup(&c->pd->caps, f->rdi, DJ_OBJ_PT, DJ_PT_CALL);
    if (!s)
        return false;
    struct pt *pt = s->obj;
    struct ec *h = pt->ec;
    if (pt->obj.dead || h->state != EC_WAIT_CALL || h->cpu != c->cpu)
        return false;
    copy_words(h->utcb->words, c->utcb->words, n);
    h->utcb->mtd = mtd;
    begin_call(c, h, pt, mtd, false);
    ec_switch_to(h);
    return true;
}

static bool fast_reply(struct ec *h, struct trap_frame *f)
{
    uint64_t mtd = f->rdi;
    unsigned n = DJ_MTD_UNTYPED(mtd);
    struct ec *c = h->caller;
    if (h->global || mtd >> 10 || n > DJ_UTCB_WORDS || !c || c->in_fault || h->waiters ||
        c->state != EC_WAIT_REPLY || c->callee != h)
        return false;
    copy_words(c->utcb->words, h->utcb->words, n);
    c->utcb->mtd = mtd;
    h->caller = 0;
    h->state = EC_WAIT_CALL;
    c->callee = 0;
    c->state = EC_READY;
    c->frame.rax = DJ_OK;
    c->frame.rsi = mtd;
    ec_switch_to(c);
    return true;
}

uint64_t syscall_entry_ec(struct trap_frame *f)
{
    sched_kernel_entry();
    struct ec *ec = ec_running();
    if (f->rax == DJ_SYS_CALL && fast_call(ec, f))
        return f->rax; /* f is the caller's frame: its status comes with the reply */
    if (f->rax == DJ_SYS_REPLY && fast_reply(ec, f))
        return DJ_OK;  /* f is the handler's frame, which restarts at its portal */
    return syscall_dispatch_ec(f);
}
