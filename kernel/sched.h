/* SPDX-License-Identifier: GPL-2.0-only */
/* Scheduling contexts and the per-CPU fixed-priority round-robin scheduler.
 * An SC lends its time to whatever EC its EC's call chain has reached.
 *
 * SMP: every CPU has its own run queue (with its own lock) and runs only
 * the SCs of ECs bound to it. Kernel work that entered from user mode runs
 * under one big kernel lock (BKL): see kernel_lock() below. */
#pragma once
#include "kernel/ec.h"

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
/* Queue sc on its EC's CPU. If it outranks what that CPU runs, the CPU is
 * told to reschedule: this CPU before it returns to user mode, another one
 * by a VEC_IPI_WAKE interrupt. */
void sched_enqueue(struct sc *sc);
void sched_remove(struct sc *sc);
/* The SC whose time the current EC is using. */
struct sc *sched_current_sc(void);
/* Run the highest-priority ready SC, or idle in HLT until one is ready;
 * never returns. Takes the BKL if this CPU does not hold it yet. */
__attribute__((noreturn)) void sched_dispatch(void);
/* Timer tick while user code ran: round robin among equals, preemption. */
void sched_tick(void);
/* The EC an SC runs: its EC, or the end of the call chain it lent time to. */
struct ec *sched_chain_head(struct sc *sc);
/* Make `ec` (now runnable again) continue on the SC that was running it;
 * a dead EC stays dead (its SC is not queued), one only marked dead (a
 * client killed mid-call) is handed to the dispatcher, which finishes the
 * kill. Works across CPUs. */
void sched_wake(struct ec *ec);
/* The SC's last reference is gone (kobj.c): let go of its EC. */
void sc_release(struct sc *sc);
/* Does any CPU hold an EC of pd (running it, or keeping it loaded while
 * idle) or, with its_time_too, run on an SC of pd (lent to a call chain)?
 * A CPU that keeps a dead EC of pd is told to let go of it. */
bool sched_pd_in_use(const struct pd *pd, bool its_time_too);
/* Ask `cpu` to run its dispatcher before it next returns to user mode
 * (used when its current EC was killed from elsewhere). */
void sched_reschedule_cpu(uint32_t cpu);
/* Enter the scheduler for the first time on this CPU (the BSP once the
 * root PD exists, each AP right after start-up). */
__attribute__((noreturn)) void sched_start(void);

/* ---- The big kernel lock ---------------------------------------------------
 * Kernel code entered from user mode (syscalls, user faults, the timer and
 * wake-up interrupts) runs under one global lock, from sched_kernel_entry()
 * to sched_exit_to_user() on the way out (return_to_user calls it), and
 * the idle loop drops it while halted. Object state (ECs, SMs, PDs, run
 * queues) is therefore only touched by one CPU at a time. Taking it is
 * idempotent per CPU; with a single CPU online it is skipped entirely.
 * While it waits for the lock a CPU keeps interrupts enabled, so IPIs
 * (stop, TLB shootdown, wake) are served; interrupt handlers must not
 * touch lock-protected state (they run before the hooks below). */
void kernel_lock(void);
void kernel_unlock(void);
/* First thing of every syscall and user-fault handler: take the BKL; if
 * the current EC was killed meanwhile by another CPU, dispatch instead. */
void sched_kernel_entry(void);
/* After an interrupt from user mode was handled: the timer tick and the
 * wake-up IPI enter the scheduler (preemption, round robin). */
void sched_user_interrupt(uint64_t vector);
/* Called by return_to_user (with interrupts off) just before user state is
 * restored: run the dispatcher if a higher-priority SC became ready or the
 * current EC died, then drop the BKL. */
void sched_exit_to_user(void);
