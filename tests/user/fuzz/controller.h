/* SPDX-License-Identifier: GPL-2.0-only */
/* The controller's side: building child PDs (hostile ones, and the fresh
 * pair of the invariant check) from this program's image and an arena
 * of the root's pool, and taking them down again. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "fuzz.h"

#define CHILD_MAX 6           /* hostile PDs, then the check's server and client */
#define CHILD_ECHO_SERVER HOSTILE_PDS
#define CHILD_ECHO_CLIENT (HOSTILE_PDS + 1)
#define HOSTILE_QUOTA_PAGES 1024
#define ECHO_QUOTA_PAGES 256
#define QUOTA_PD_PAGES (HOSTILE_PDS * HOSTILE_QUOTA_PAGES + 2 * ECHO_QUOTA_PAGES + 64)

/* Selectors in the controller. */
#define CS_QUOTA 40           /* the quota PD every child is charged to */
#define CS_TICK 41            /* the semaphore children and the watchdog up */
#define CS_NEVER 42           /* a semaphore nobody ups */
#define CS_WATCHDOG_EC 43
#define CS_WATCHDOG_SC 44
#define CS_WATCHDOG_START 45  /* the startup portal, at CS_WATCHDOG_EVENTS + DJ_EV_STARTUP */
#define CS_WATCHDOG_HANDLER 46
#define CS_WATCHDOG_EVENTS 64
#define CS_PD(i) (128 + (i))
#define CS_SM(k) (144 + (k))
#define CS_HANDLER_EC(i, cpu, kind) (1024 + ((i) * FUZZ_MAX_CPUS + (cpu)) * HANDLER_KINDS + (kind))
#define CS_HANDLER_PT(i, cpu, kind) (1280 + ((i) * FUZZ_MAX_CPUS + (cpu)) * HANDLER_KINDS + (kind))
#define CS_SLOT_EC(i, s) (1536 + (i) * HOSTILE_SLOTS + (s))
#define CS_SLOT_SC(i, s) (1600 + (i) * HOSTILE_SLOTS + (s))
#define CS_STARTUP_PT(i, s) (1664 + (i) * HOSTILE_SLOTS + (s))

/* Round parameters chosen from the seed. */
struct round_plan {
    uint64_t seed;
    unsigned ncpus;
    uint64_t exception_mtd; /* what the exception portals carry */
    int killer, victim;     /* killer gets DJ_PD_KILL on victim (-1: nobody) */
    uint64_t only_op;       /* hostile_state.only_op */
};

extern uint64_t arena_va[CHILD_MAX]; /* each child's arena, in the controller */

/* Error text of the last failed setup step. */
extern char setup_why[160];

/* Child i (a hostile PD, or the check's server/client), its handlers on
 * every CPU, its slots' event portals; threads are not started yet. */
bool child_build(unsigned i, enum thread_mode mode, uint64_t quota_pages, const struct round_plan *p);
/* Child i's thread slots' events: startup portals into its own startup
 * handlers, exceptions to a peer's exception handler (hostile PDs) or its
 * own (the others). After every child of the round is built. */
bool child_events(unsigned i, const struct round_plan *p);
/* Hostile PDs only: capabilities to their peers' PDs and servers and the
 * shared semaphores. */
bool hostiles_connect(const struct round_plan *p);
/* Starts thread slot s of child i at priority prio. */
bool child_start_slot(unsigned i, unsigned s, unsigned prio);
/* Kills slot s's thread (if the controller's capability still names it)
 * and starts a fresh one there: the controller keeps the slots busy. */
bool child_restart_slot(unsigned i, unsigned s, unsigned prio);
/* Kills child i and drops every capability to it; the kill's status
 * (DJ_E_BAD_CAP when it was already gone). */
enum dj_status child_destroy(unsigned i);

/* Operations child i has done so far (threads and handlers). */
uint64_t child_ops(unsigned i);
static inline struct hostile_state *child_state(unsigned i)
{
    return (struct hostile_state *)arena_va[i];
}
