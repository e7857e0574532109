/* SPDX-License-Identifier: GPL-2.0-only */
/* TEMPORARY measurement of the network path (gwperf). */
#include "net_meter.h"
#include <string.h>
#include "core.h"
#include "vmm.h"

struct net_meter nm;
static uint64_t next_tsc;

static unsigned long us(uint64_t tsc)
{
    return (unsigned long)(tsc / (vm.tsc_hz / 1000000));
}

void nm_report(void)
{
    uint64_t now = rdtsc();
    if (!next_tsc)
        next_tsc = now + 2 * vm.tsc_hz;
    if (now < next_tsc)
        return;
    next_tsc = now + 2 * vm.tsc_hz;
    if (!nm.rx_frames && !nm.tx_frames)
        return;
    struct net_meter m = nm;
    vmm_log("NM rounds %lu tmo %lu bell %lu avg %lu max %lu us; rx %lu/%lu nobuf %lu irq %lu; tx %lu/%lu blk %lu irq %lu kick %lu",
            (unsigned long)m.rounds, (unsigned long)m.wakes_timeout, (unsigned long)m.bell_n,
            m.bell_n ? us(m.bell_sum / m.bell_n) : 0, us(m.bell_max), (unsigned long)m.rx_frames,
            (unsigned long)m.rx_batches, (unsigned long)m.rx_nobuf, (unsigned long)m.rx_irqs,
            (unsigned long)m.tx_frames, (unsigned long)m.tx_calls, (unsigned long)m.tx_blocked,
            (unsigned long)m.tx_irqs, (unsigned long)m.tx_kicks);
    vmm_log("NM react %lu avg %lu max %lu us; halt-kick %lu avg %lu max %lu us; recall %lu avg %lu max %lu us; exits %lu; halted %lu%% main asleep %lu%%",
            (unsigned long)m.react_n, m.react_n ? us(m.react_sum / m.react_n) : 0, us(m.react_max),
            (unsigned long)m.kick_halt_n, m.kick_halt_n ? us(m.kick_halt_sum / m.kick_halt_n) : 0,
            us(m.kick_halt_max), (unsigned long)m.recall_n, m.recall_n ? us(m.recall_sum / m.recall_n) : 0,
            us(m.recall_max), (unsigned long)m.exits, (unsigned long)(m.halted_tsc * 100 / (2 * vm.tsc_hz)),
            (unsigned long)(m.main_sleep_tsc * 100 / (2 * vm.tsc_hz)));
    uint64_t keep_rx = nm.rx_pending_tsc, keep_k = nm.kick_tsc, keep_r = nm.recall_tsc;
    memset(&nm, 0, sizeof(nm));
    nm.rx_pending_tsc = keep_rx;
    nm.kick_tsc = keep_k;
    nm.recall_tsc = keep_r;
}
