/* SPDX-License-Identifier: GPL-2.0-only */
/* TEMPORARY measurement of the network path (gwperf). */
#pragma once
#include <stdint.h>
#include "lib/x86.h"

struct net_meter {
    uint64_t rounds, wakes_timeout;
    uint64_t bell_n, bell_sum, bell_max;     /* relay woke -> main thread polls that port */
    uint64_t rx_batches, rx_frames, rx_nobuf, rx_irqs;
    uint64_t tx_calls, tx_frames, tx_blocked, tx_irqs, tx_kicks;
    uint64_t react_n, react_sum, react_max;  /* first frame given to the guest -> guest's next frame out */
    uint64_t rx_pending_tsc;
    uint64_t kick_halt_n, kick_halt_sum, kick_halt_max; /* halted vCPU kicked -> it runs */
    uint64_t recall_n, recall_sum, recall_max;          /* running vCPU recalled -> recall exit */
    uint64_t kick_tsc, recall_tsc;
    uint64_t exits;
    uint64_t halted_tsc, main_sleep_tsc;
};
extern struct net_meter nm;

static inline void nm_add(uint64_t *n, uint64_t *sum, uint64_t *max, uint64_t v)
{
    (*n)++;
    *sum += v;
    if (v > *max)
        *max = v;
}
void nm_report(void);
