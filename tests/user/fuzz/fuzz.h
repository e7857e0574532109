/* SPDX-License-Identifier: GPL-2.0-only */
/* The hostile-component fuzzer: what the controller (the root PD) and
 * the hostile child PDs agree on.
 *
 * Every hostile PD shares this program's text (RX) and rodata (R), but
 * not its data: its only writable memory is its arena, pages of the
 * controller's pool mapped at HOSTILE_ARENA_VA in each child (so child
 * code finds its state at a constant address and never touches a global).
 * The arena holds the state page (configuration, counters, random-number
 * states), then the stacks of its threads and portal handlers, each with
 * an unmapped guard page below it.
 *
 * Capability layout of a hostile PD (selectors) is fixed, so the child
 * code needs no table to find what it was given. */
#pragma once
#include <stdint.h>
#include <donjon/abi.h>

#define FUZZ_PAGE 4096ull

/* Sizes. */
#define HOSTILE_PDS 4         /* hostile children alive in a round */
#define HOSTILE_SLOTS 4       /* thread slots per hostile PD */
#define HOSTILE_START_SLOTS 3 /* slots the controller starts; the rest the PD may fill */
#define FUZZ_MAX_CPUS 4       /* CPUs used (handlers are made on each) */
#define HANDLER_KINDS 4       /* per CPU: startup, exception, server tier 1, tier 2 */
#define FUZZ_SMS 8            /* semaphores shared by the hostile PDs */
#define STACK_PAGES 4
#define HANDLER_STACK_PAGES 2

enum handler_kind { H_STARTUP, H_EXCEPTION, H_TIER1, H_TIER2 };

/* Priorities: the controller's root EC (64) outranks every hostile
 * thread; hostile threads stay in [HOSTILE_PRIO_MIN, HOSTILE_PRIO_MAX]
 * (an SC above its creator's priority is a known, separately fixed hole:
 * the fuzzer does not spin there). The controller starts its threads at
 * HOSTILE_PRIO_MAX, so that they share their CPU round robin; the ones
 * the hostile PDs make get random priorities in the range. The
 * controller's watchdog runs below them all, only when a CPU idles. */
#define HOSTILE_PRIO_MIN 2
#define HOSTILE_PRIO_MAX 10
#define WATCHDOG_PRIO 1

/* Selectors in a hostile PD. */
#define HS_SELF 1                         /* its own PD */
#define HS_PEER_PD(j) (2 + (j))           /* the other hostile PDs (j < HOSTILE_PDS) */
#define HS_TICK 8                         /* controller's semaphore: up now and then */
#define HS_SM(k) (16 + (k))               /* the shared semaphores */
#define HS_PT(pd, cpu, tier) (64 + ((pd) * FUZZ_MAX_CPUS + (cpu)) * 2 + (tier)) /* servers, tier 0/1 */
#define HS_HANDLER_EC(cpu, tier) (160 + (cpu) * 2 + (tier)) /* its own server ECs */
#define HS_SLOT_EC(s) (200 + (s))
#define HS_SLOT_SC(s) (216 + (s))
#define HS_EVENT_BASE(s) (256 + DJ_EV_COUNT * (s)) /* a thread slot's event portals */
#define HS_SCRATCH 2048                   /* what the PD creates and receives */
#define HS_SCRATCH_ORDER 8
#define HS_SCRATCH_COUNT (1u << HS_SCRATCH_ORDER)

/* Addresses in a hostile PD. */
#define HOSTILE_ARENA_VA 0x500000000000ull
#define HOSTILE_SCRATCH_VA 0x510000000000ull /* its allocations and what it receives */
#define HOSTILE_SCRATCH_PAGES 256
#define HOSTILE_UTCB_VA 0x520000000000ull    /* UTCBs: handlers first, then threads */
#define HOSTILE_UTCB_MAX 4096
#define FUZZ_PORT 0x80                       /* the one I/O port hostile PDs get */

/* The arena: the state page, then stacks with guard pages. */
#define ARENA_STATE_PAGES 1
#define ARENA_SLOT_STACK(s) (ARENA_STATE_PAGES + (s) * (STACK_PAGES + 1) + 1)
#define ARENA_HANDLER_STACK(i) \
    (ARENA_SLOT_STACK(HOSTILE_SLOTS) + (i) * (HANDLER_STACK_PAGES + 1))
#define ARENA_PAGES ARENA_HANDLER_STACK(FUZZ_MAX_CPUS * HANDLER_KINDS)
#define HANDLER_INDEX(cpu, kind) ((cpu) * HANDLER_KINDS + (kind))

/* The kinds of operation a hostile thread draws from (hostile.c). */
enum op_kind {
    OP_CALL, OP_SEMAPHORE, OP_DELEGATE, OP_REVOKE, OP_CREATE, OP_PD_CTRL, OP_MEMORY, OP_FAULT, OP_THREADS,
    OP_LOOKUP, OP_PORTS, OP_RAW, OP_KINDS
};

/* What a thread does: fuzz, or (for the invariant checks) call a server. */
enum thread_mode { MODE_HOSTILE, MODE_ECHO_SERVER, MODE_ECHO_CLIENT };

struct hostile_state {
    uint64_t index;         /* which hostile PD this is */
    uint64_t ncpus;         /* CPUs in use */
    uint64_t mode;          /* enum thread_mode */
    uint64_t only_op;       /* 1 + an enum op_kind: only that (fuzz.only=, to narrow a failure down) */
    uint64_t slot_cpu[HOSTILE_SLOTS];
    uint64_t slot_utcb[HOSTILE_SLOTS];
    uint64_t rng[HOSTILE_SLOTS];
    uint64_t handler_rng[FUZZ_MAX_CPUS * HANDLER_KINDS];
    volatile uint64_t next_utcb;   /* UTCB pages handed out (atomic) */
    volatile uint64_t ops[HOSTILE_SLOTS];
    volatile uint64_t doing[HOSTILE_SLOTS];
    volatile uint64_t calling[HOSTILE_SLOTS];   /* debug: portal a thread calls */
    volatile uint64_t handler_busy[FUZZ_MAX_CPUS * HANDLER_KINDS]; /* debug */ /* the operation a thread is in (for a stuck round's report) */
    volatile uint64_t handler_ops[FUZZ_MAX_CPUS * HANDLER_KINDS];
    volatile uint64_t faults_resumed, faults_killed, threads_started;
    /* MODE_ECHO_CLIENT: the portal each slot calls and what it saw. */
    uint64_t echo_pt[HOSTILE_SLOTS];
    volatile uint64_t echo_result[HOSTILE_SLOTS];
};
_Static_assert(sizeof(struct hostile_state) <= FUZZ_PAGE, "state must fit its page");

#define HOSTILE_STATE ((struct hostile_state *)HOSTILE_ARENA_VA)
#define ECHO_PENDING 0xffffull
#define ECHO_WORDS 17

/* Child side (hostile.c): entry points the controller wires up. */
uint64_t hostile_startup_handler(uint64_t badge, struct dj_utcb *u);
uint64_t hostile_exception_handler(uint64_t badge, struct dj_utcb *u);
uint64_t hostile_tier1_handler(uint64_t badge, struct dj_utcb *u);
uint64_t hostile_tier2_handler(uint64_t badge, struct dj_utcb *u);

/* xorshift64: every EC keeps its own state in the arena. */
static inline uint64_t fuzz_rng(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

static inline uint64_t fuzz_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}
