/* SPDX-License-Identifier: GPL-2.0-only */
/* Execution context: a thread (global EC, runs on its own SC) or a portal
 * handler (local EC, runs only when called, on its caller's SC). */
#pragma once
#include "arch/x86_64/idt.h"
#include "kernel/kobj.h"
#include "kernel/pd.h"
#include "arch/x86_64/percpu.h"

enum ec_state {
    EC_READY,         /* runnable (a global EC with an SC, or a handler in a call) */
    EC_WAIT_CALL,     /* local EC waiting to be called */
    EC_WAIT_REPLY,    /* called a portal; its callee handles the call */
    EC_WAIT_HANDLER,  /* called a portal whose handler was busy; retries when woken */
    EC_WAIT_SM,       /* blocked in a semaphore down */
    EC_NEW,           /* global EC without an SC yet */
    EC_DEAD,
};

struct sc;
struct vcpu_hw;

struct ec {
    struct kobj obj;
    /* User state, saved by every entry from ring 3. The CPU aligns the
     * stack to 16 bytes before it pushes an interrupt frame at its end. */
    struct trap_frame frame __attribute__((aligned(16)));
    uint64_t segs;           /* user DS, ES, FS, GS while it does not run (user_segments.h) */
    struct pd *pd;
    struct dj_utcb *utcb;    /* kernel view of the UTCB page */
    uint64_t *utcb_words;    /* utcb->words, where the fast path copies messages from and to */
    uint64_t utcb_va;
    uint64_t event_base;     /* selector of this EC's exception portal 0 */
    uint32_t cpu;
    bool global;
    enum ec_state state;
    struct ec *caller;       /* handler: whose call it is serving */
    struct ec *callee;       /* caller: the handler serving its call (a handler
                                that calls on is both at once) */
    uint64_t call_mtd;       /* for a fault call: the portal's MTD (state to return) */
    bool in_fault;           /* waiting for a fault reply, not an IPC reply */
    bool killed;             /* obj.dead, where the fast path tests it with in_fault and recall_pending */
    volatile bool recall_pending; /* deliver the recall event on its way back to user mode */
    bool startup_pending;    /* first run: deliver the startup event */
    uint64_t handler_rsp;    /* local EC: stack pointer each call starts with */
    struct sc *sc;           /* global EC: its own SC (NULL until one is created) */
    struct sc *blocked_sc;   /* the SC that was running this EC when it blocked */
    struct ec *next_waiter;  /* link in a semaphore or busy-handler queue */
    struct ec *waiters;      /* callers waiting for this (busy) handler, first come first */
    struct ec *last_waiter;  /* the newest of them: arrivals queue behind it */
    struct sm *blocked_on;   /* EC_WAIT_SM: the semaphore whose queue holds it */
    uint64_t deadline;       /* timed down: the tick of its CPU it waits until (timeout.h) */
    struct ec *timed_next;   /* link in its CPU's list of timed waits */
    struct ec **timed_link;  /* what points at it in that list (NULL: not on it) */
    struct ec *waiting_for;  /* EC_WAIT_HANDLER: the handler whose queue holds it */
    struct pt *portals;      /* the portals it handles (pt.h) */
    struct vcpu_hw *vcpu;    /* a vCPU (an EC of a VM PD): its backend state (vcpu.h) */
    uint32_t vm_exit;        /* vCPU: the exit waiting for its portal call, or VCPU_NO_EXIT */
    uint8_t fpu[] __attribute__((aligned(64))); /* XSAVE area */
};

_Static_assert((__builtin_offsetof(struct ec, frame) + sizeof(struct trap_frame)) % 16 == 0,
              "the frame ends where the CPU starts pushing an interrupt frame");

/* The EC running on this CPU: the one whose registers and FPU state it
 * holds (an idle CPU keeps its last EC; NULL before the first). */
struct ec *ec_current(void);
/* The same, read straight from the per-CPU area (for the hot paths). */
static inline struct ec *ec_running(void)
{
    return percpu_running_ec();
}
/* Switch this CPU to ec: address space, FPU state, user frame. */
void ec_switch_to(struct ec *ec);
/* Mark ec dead, take it out of any wait queue and wake whoever waits on it. */
void ec_kill(struct ec *ec);
/* The EC's last reference is gone (kobj.c): free its UTCB page and let go
 * of its PD. Every EC holds a reference to itself for its PD, which only
 * the PD's destruction drops (pd_reclaim.c): until then its UTCB may still
 * be mapped there. */
void ec_release(struct ec *ec);
/* A new EC of pd (charged to pd's quota, its UTCB mapped at utcb_va), or
 * NULL with *status set. */
struct ec *ec_create(struct pd *owner, struct pd *pd, uint32_t cpu, bool global, uint64_t utcb_va,
                     uint64_t stack_ptr, uint64_t event_base, int *status);
