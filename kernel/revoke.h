/* SPDX-License-Identifier: GPL-2.0-only */
/* Revocation steps shared by DJ_SYS_REVOKE and the destruction of a PD
 * (both in delegate.c / pd_reclaim.c).
 *
 * Removing a node under the mdb lock may leave work for after the lock is
 * dropped: a TLB shootdown when mappings or I/O bitmaps changed, and the
 * frames of owned memory originals (DJ_SYS_MEM_ALLOC pages), which may be
 * freed only once no CPU can still reach them through a stale TLB entry. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "kernel/mdb.h"

struct revoke_batch {
    bool sync;               /* page tables or I/O bitmaps changed: shoot down */
    struct mdb_node *frames; /* removed owned originals, linked through `parent` */
};

/* Remove what derives from n, and n itself with self, as DJ_SYS_REVOKE
 * does, but at most *budget nodes (*budget is decreased by the removals).
 * True when the subtree is gone. The caller holds the mdb lock. */
bool revoke_subtree_bounded(struct mdb_node *n, bool self, size_t *budget, struct revoke_batch *b);
/* After the mdb lock is dropped: shoot down if needed, then free the
 * frames collected. Leaves the batch empty. */
void revoke_batch_finish(struct revoke_batch *b);
