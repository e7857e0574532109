/* SPDX-License-Identifier: GPL-2.0-only */
/* Portals and their handler ECs: see pt.h. */
#include "kernel/pt.h"

void pt_bind(struct pt *pt, struct ec *ec)
{
    kobj_get(&ec->obj);
    pt->ec = ec;
    pt->prev_bound = 0;
    pt->next_bound = ec->portals;
    if (ec->portals)
        ec->portals->prev_bound = pt;
    ec->portals = pt;
}

void pt_detach(struct pt *pt)
{
    struct ec *ec = pt->ec;
    pt->obj.dead = true;
    if (!ec)
        return;
    if (pt->prev_bound)
        pt->prev_bound->next_bound = pt->next_bound;
    else
        ec->portals = pt->next_bound;
    if (pt->next_bound)
        pt->next_bound->prev_bound = pt->prev_bound;
    pt->next_bound = pt->prev_bound = 0;
    pt->ec = 0;
    kobj_put(&ec->obj);
}

void pt_release(struct pt *pt)
{
    pt_detach(pt);
}
