/* SPDX-License-Identifier: GPL-2.0-only */
/* The driver's main loop: frames from the client's ring 0 to the device,
 * from the device to the client's ring 1, then sleep on the one wake-up
 * semaphore that device interrupts and the client's doorbell both up.
 *
 * Before sleeping the loop re-arms the device's interrupt and asks the
 * client to ring when it sends (dj_chan_rx_arm), then looks once more:
 * whatever arrived between the last look and the arming has not rung,
 * and is found by that last look instead of being left for the next
 * event. While frames keep coming nothing is re-armed and nobody rings:
 * the loop runs without system calls except the device's own doorbells.
 *
 * The client's messages are checked here (length within the Ethernet
 * limits; the ring layer checks the ring itself): a bad frame is dropped
 * and counted, a corrupt ring stops the channel, never the driver. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/syscall.h"
#include "nic_driver.h"
#include "lib/x86.h"

#define BATCH 64 /* frames per direction per round: neither side starves the other */

static uint8_t scratch[DJ_NIC_FRAME_MAX]; /* where frames nobody takes go */
static bool channel_dead;                 /* the client broke its rings */

static void count(enum dj_nic_stat s, uint64_t n)
{
    nic.stats[s] += n;
}

/* The channel if it is open and intact. */
static struct dj_chan *channel(void)
{
    if (!nic.server.connected || channel_dead)
        return NULL;
    struct dj_chan *c = &nic.server.chan;
    if (c->rx.broken || c->tx.broken) {
        channel_dead = true;
        nic_log("the client corrupted its channel: its frames are dropped until it reconnects");
        return NULL;
    }
    return c;
}

/* A restarted client gets a fresh channel (nic_service.c asked). */
static void serve_reset_request(void)
{
    if (!nic.reset_requested)
        return;
    dj_chan_server_reset(&nic.server);
    channel_dead = false;
    nic.reset_requested = false;
    dj_sm_up(NIC_SEL_RESET_DONE_SM);
}

/* Client to device; *stalled when the device's ring is full. */
static unsigned move_to_device(struct dj_chan *c, bool *stalled)
{
    unsigned moved = 0, queued = 0;
    const void *frame;
    size_t len;
    while (moved < BATCH && (frame = dj_chan_rx_peek(&c->rx, &len)) != NULL) {
        if (len < DJ_NIC_FRAME_MIN || len > DJ_NIC_FRAME_MAX) {
            count(DJ_NIC_STAT_TX_DROPPED, 1);
        } else if (nic_hw.tx(frame, len)) {
            count(DJ_NIC_STAT_TX_FRAMES, 1);
            count(DJ_NIC_STAT_TX_BYTES, len);
            queued++;
        } else {
            *stalled = true; /* the frame stays in the ring for the next round */
            break;
        }
        dj_chan_rx_release(&c->rx);
        moved++;
    }
    if (queued)
        nic_hw.tx_kick();
    dj_chan_kick(c, dj_chan_rx_publish(&c->rx)); /* the client may wait for space */
    return moved;
}

/* Device to client, received in place into the client's next slot. */
static unsigned move_to_client(struct dj_chan *c)
{
    unsigned moved = 0;
    while (moved < BATCH) {
        void *slot = c ? dj_chan_tx_reserve(&c->tx, DJ_NIC_FRAME_MAX) : NULL;
        size_t len = nic_hw.rx(slot ? slot : scratch, DJ_NIC_FRAME_MAX);
        if (len == 0)
            break;
        moved++;
        if (len == SIZE_MAX || len < DJ_NIC_FRAME_MIN) {
            count(DJ_NIC_STAT_RX_ERRORS, 1); /* the reservation is reused */
        } else if (!slot) {
            count(DJ_NIC_STAT_RX_DROPPED, 1);
        } else {
            dj_chan_tx_commit(&c->tx, len);
            count(DJ_NIC_STAT_RX_FRAMES, 1);
            count(DJ_NIC_STAT_RX_BYTES, len);
        }
    }
    if (c)
        dj_chan_kick(c, dj_chan_tx_publish(&c->tx));
    return moved;
}

/* One round in both directions; the number of frames handled. */
static unsigned round_trip(bool *stalled)
{
    uint64_t start = rdtsc();
    struct dj_chan *c = channel();
    unsigned moved = 0;
    *stalled = false;
    if (c)
        moved += move_to_device(c, stalled);
    moved += move_to_client(c);
    count(DJ_NIC_STAT_WORK_TSC, rdtsc() - start);
    nic_fault_count(moved);
    return moved;
}

/* Ask for the next events; true if it is safe to sleep. */
static bool arm(bool stalled)
{
    nic_hw.irq_rearm();
    struct dj_chan *c = channel();
    /* A stalled loop waits for the device (its transmit interrupt), not
     * for more frames from the client. */
    if (c && !stalled && !dj_chan_rx_arm(&c->rx))
        return false;
    return true;
}

void nic_loop_run(void)
{
    bool stalled;
    for (;;) {
        serve_reset_request();
        if (round_trip(&stalled))
            continue;
        if (!arm(stalled) || round_trip(&stalled))
            continue;
        dj_sm_down(nic.env.wake_sm);
        count(DJ_NIC_STAT_IRQS, 1);
    }
}
