/* SPDX-License-Identifier: GPL-2.0-only */
/* Portal: an IPC entry point into a handler EC, with the badge its handler
 * sees and, for event portals, which architectural state travels.
 *
 * A portal may be charged to another PD than its handler's (init charges
 * a client's portals to the client). The handler EC keeps a list of its
 * portals, so that when its PD is destroyed each portal lets go of it:
 * the portal is then dead and has no EC (calls fail, nothing dangles). */
#pragma once
#include "kernel/ec.h"

struct pt {
    struct kobj obj;
    struct ec *ec;  /* the local EC that handles calls; NULL once detached */
    uint64_t badge;
    uint64_t mtd;   /* DJ_MTD_* state bits for exception/fault messages */
    uint64_t ip;    /* where the handler starts */
    struct pt *next_bound, *prev_bound; /* in ec->portals */
};

/* Make ec the portal's handler (takes a reference to it). */
void pt_bind(struct pt *pt, struct ec *ec);
/* Kill the portal and let go of its handler. */
void pt_detach(struct pt *pt);
/* The portal's last reference is gone (kobj.c). */
void pt_release(struct pt *pt);
