/* SPDX-License-Identifier: GPL-2.0-only */
/* The rogue's virtio-net function (servers/nic's virtio transport and
 * rings): set up like a real driver, then pointed at device addresses it
 * was never given. The test machine loops the NIC's frames back to it
 * (a QEMU socket netdev that sends to its own address), so what the
 * device read from a transmit buffer comes back in a receive buffer.
 *
 * QEMU's device does not learn that the IOMMU refused a DMA: a refused
 * read yields zeros, a refused write goes nowhere, and the device goes on
 * (a newer device model might mark itself NEEDS_RESET instead). So the
 * outcome of an attack is judged by the data (what came back, what the
 * target holds) and by the fault the kernel reports, not by the device. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/startinfo.h"

#define ROGUE_NET_HDR 12   /* struct virtio_net_hdr (VERSION_1) before every frame */
#define ROGUE_FRAME 60     /* the frames sent: the minimum Ethernet length */
#define ROGUE_RX_BYTES 2048
#define ROGUE_BURST_MAX 64 /* transmit buffers in one kick */

/* Opens the function through the PCI server ("pci" portal), maps its BARs,
 * assigns it to this PD's DMA space with fault_sm as its fault semaphore
 * and turns bus mastering on; DMA pages come from [dma_va, +16 MiB).
 * false after a log line. */
bool rogue_device_open(const struct dj_start_info *si, uint64_t dma_va, uint64_t fault_sm);

/* Where the transmit queue's three areas are (device addresses). */
struct rogue_queue_at {
    uint64_t desc, avail, used;
};
/* The queue areas the device is normally given. */
struct rogue_queue_at rogue_queue_own(void);

enum rogue_outcome {
    ROGUE_DONE,      /* the device says it did it */
    ROGUE_REFUSED,   /* the device reports a failed DMA (NEEDS_RESET) */
    ROGUE_NO_ANSWER, /* neither within the time limit */
    ROGUE_BROKEN,    /* the device could not be set up at all */
};
const char *rogue_outcome_name(enum rogue_outcome o);

/* Resets the device and brings it up: the receive queue in its own pages,
 * the transmit queue's areas at `at`. */
enum rogue_outcome rogue_device_up(struct rogue_queue_at at);

/* With the device up: one frame (ROGUE_NET_HDR + ROGUE_FRAME bytes) from
 * device address bus, waited for (up to 2 s) until the device returns it. */
enum rogue_outcome rogue_device_tx(uint64_t bus);
/* n (at most ROGUE_BURST_MAX) transmit buffers, all at bus, in one kick; waits until the device
 * returned them all. The fault storm's unit of work. */
enum rogue_outcome rogue_device_tx_burst(uint64_t bus, unsigned n);

/* Hands the device one receive buffer of ROGUE_RX_BYTES at device
 * address bus (it writes the next frame there). */
void rogue_device_rx_post(uint64_t bus);
/* Waits (up to 2 s) for the device to return the receive buffer. */
enum rogue_outcome rogue_device_rx_wait(uint32_t *len);

/* Takes every frame still coming back (sent earlier and not received:
 * the loop keeps them until the device has receive buffers), into
 * a few buffers in the rogue's own drain pages, until none arrives
 * for a while. Leaves the device needing rogue_device_up. Returns the
 * number of frames taken. */
unsigned rogue_device_rx_drain(void);

/* One more DMA page (read-write, DMA right), zeroed; NULL when the quota
 * or the region is used up. */
void *rogue_dma_page(void);

/* The device's DMA faults so far and the latest address (bit 0: write). */
bool rogue_device_faults(uint64_t *count, uint64_t *last);
