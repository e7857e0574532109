/* SPDX-License-Identifier: GPL-2.0-only */
/* Destroying a PD and giving back everything it had.
 *
 * A PD dies when the last capability to it is removed (the original its
 * creator got: every other one derives from it, so the PD's capabilities
 * to itself cannot keep it alive), when it is killed (DJ_SYS_PD_CTRL), or
 * with the PD whose quota it was charged to. Then, in bounded steps:
 *   1. the objects charged to its quota are killed: its ECs (callers in
 *      them get DJ_E_ABORTED; one of its ECs in a call to another PD is
 *      only marked and dies when the call returns, so the server finishes
 *      the call on the caller's time), its semaphores (waiters get
 *      DJ_E_ABORTED, interrupts bound to them are unbound), its portals
 *      and those of other PDs that lead into its ECs (calls fail), and the
 *      PDs charged to its quota (destroyed the same way);
 *   2. once no CPU runs its code: every capability to its objects is
 *      removed, then every capability, I/O port and page it holds, with
 *      everything derived from them in other PDs, as DJ_SYS_REVOKE does;
 *   3. once its ECs are all dead, no CPU holds them or lends its time,
 *      and the PDs charged to it are gone: its objects, UTCBs, page
 *      tables, capability, memory and port tables and I/O bitmap are
 *      freed, each page back to the quota it was charged to, and the rest
 *      of its quota goes back to the quota it came from.
 * Capabilities to the PD itself that remain after a kill refuse every use
 * but reading its quota; the PD object's page is freed with the last.
 *
 * The work is done a bounded step at a time (RECLAIM_*_BUDGET units: an
 * object, a mapping-database node or a table page) under the big kernel
 * lock: by the system call that doomed the PD (it is made again until the
 * work is done, so interrupts and preemption come between steps), by idle
 * CPUs, and at each timer tick. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/ec.h"
#include "kernel/pd.h"

#define RECLAIM_CALL_BUDGET 256 /* per system call entry */
#define RECLAIM_IDLE_BUDGET 256 /* per step of an idle CPU */
#define RECLAIM_TICK_BUDGET 64  /* per timer tick */

/* Start destroying pd. Idempotent; the root PD never dies. Constant time,
 * so it may be called with the mdb lock held. */
void pd_doom(struct pd *pd);
/* Do at most `budget` units of the pending destruction work. True when
 * more work can be done at once, or soon: another CPU has yet to let go of
 * a dead EC (false: none left, or only work that waits for calls into
 * other PDs to return). */
bool pd_reclaim_step(size_t budget);
/* The end of a system call that may have doomed PDs (revoke, kill): one
 * step of the work on the caller's time. When more can be done at once,
 * the call is made again (revoke and kill are idempotent); returns the
 * value for the caller's RAX. */
uint64_t pd_reclaim_syscall_tail(struct ec *caller, uint64_t status);
/* DJ_SYS_PD_CTRL on pd, through a capability with `rights`. */
uint64_t pd_ctrl(struct ec *caller, struct pd *pd, unsigned rights, uint64_t op);
