/* SPDX-License-Identifier: GPL-2.0-only */
/* A per-tick budget of interrupts from a source that a device can fire
 * without end (VT-d fault events, arch/x86_64/vtd.c): past `limit` events
 * in one timer tick the caller masks the source until the next tick, so a
 * storm costs a bounded share of a CPU. The caller owns the masking (it
 * writes the hardware); this only decides when. Not locked: one CPU
 * takes the events and the ticks, with interrupts off. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct fault_budget {
    unsigned limit;    /* events per tick before masking (at least 1) */
    unsigned events;   /* taken in the current tick */
    bool masked;
    uint64_t maskings; /* how often the source was masked */
};

/* An event was taken: true when it used up the tick's budget and the
 * caller must mask the source now (once per tick). */
bool fault_budget_event(struct fault_budget *b);
/* A timer tick: a fresh budget; true when the caller must unmask now. */
bool fault_budget_tick(struct fault_budget *b);
