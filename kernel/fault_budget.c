/* SPDX-License-Identifier: GPL-2.0-only */
/* The per-tick interrupt budget (fault_budget.h). */
#include "kernel/fault_budget.h"

bool fault_budget_event(struct fault_budget *b)
{
    if (b->events < UINT32_MAX)
        b->events++;
    if (b->masked || b->events < b->limit)
        return false;
    b->masked = true;
    b->maskings++;
    return true;
}

bool fault_budget_tick(struct fault_budget *b)
{
    b->events = 0;
    if (!b->masked)
        return false;
    b->masked = false;
    return true;
}
