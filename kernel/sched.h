/* Scheduling contexts and the per-CPU fixed-priority round-robin scheduler.
 * An SC lends its time to whatever EC its EC's call chain has reached. */
#pragma once
#include "ec.h"

#define SC_DEFAULT_QUANTUM_TICKS 1

struct sc {
    struct kobj obj;
    struct ec *ec;        /* the global EC this SC belongs to */
    uint8_t prio;
    uint32_t quantum;     /* in timer ticks */
    uint32_t left;        /* ticks left of the current quantum */
    bool queued;
    struct sc *next;      /* run-queue link */
};

struct sc *sc_create(struct quota *q, struct ec *ec, uint8_t prio, uint32_t quantum_ticks);
void sched_enqueue(struct sc *sc);
void sched_remove(struct sc *sc);
/* The SC whose time the current EC is using. */
struct sc *sched_current_sc(void);
/* Run the highest-priority ready SC, or idle; never returns. */
__attribute__((noreturn)) void sched_dispatch(void);
/* Timer tick while user code ran: round robin among equals, preemption. */
void sched_tick(void);
/* The EC an SC runs: its EC, or the end of the call chain it lent time to. */
struct ec *sched_chain_head(struct sc *sc);
/* Make `ec` (now runnable again) continue on the SC that was running it. */
void sched_wake(struct ec *ec);
/* Enter the scheduler for the first time on this CPU. */
__attribute__((noreturn)) void sched_start(void);
