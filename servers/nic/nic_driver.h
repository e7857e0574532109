/* SPDX-License-Identifier: GPL-2.0-only */
/* The common part of every NIC driver (servers/nic): state shared by its
 * files. main.c brings the device up, nic_service.c answers the portal,
 * nic_loop.c moves frames, nic_dma.c, nic_log.c and nic_fault.c are the
 * helpers. The hardware file sees only nic_hw.h (and nic_msix.h).
 *
 * Two ECs run in a driver: the main thread (the loop, the only one that
 * touches the device's rings and the channel's rings once connected) and
 * the portal handler (on its callers' time). They share only what
 * struct nic_driver marks as shared. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/channel.h"
#include "lib/nic_proto.h"
#include "lib/startinfo.h"
#include "nic_hw.h"

#define NIC_PAGE 4096ull

/* Where a driver puts things in [DJ_CHILD_FREE_VA, DJ_CHILD_FREE_END):
 * each region is aligned to its own size, so a receive window of one
 * power-of-two order covers it. */
#define NIC_VA_HANDLER_UTCB DJ_CHILD_FREE_VA
#define NIC_VA_BAR_SLOT (1ull << 30)     /* a BAR of at most 1 GiB per slot */
#define NIC_VA_BARS (DJ_CHILD_FREE_VA + NIC_VA_BAR_SLOT)
#define NIC_VA_CHANNEL (DJ_CHILD_FREE_VA + 8 * NIC_VA_BAR_SLOT)
#define NIC_VA_DMA DJ_CHILD_DMA_VA /* below every VT-d width: device address = this address */
#define NIC_VA_DMA_END (DJ_CHILD_DMA_VA + NIC_VA_BAR_SLOT)

/* Selectors of the driver's own objects. The channel's own doorbell is
 * the loop's one wake-up semaphore: device interrupts are bound to it. */
#define NIC_SEL_CHAN_SM DJ_CHILD_FIRST_FREE          /* two: the channel's doorbells */
#define NIC_SEL_RESET_DONE_SM (DJ_CHILD_FIRST_FREE + 2) /* the loop dropped the old client */
#define NIC_SEL_SLEEP_SM (DJ_CHILD_FIRST_FREE + 3)   /* a driver that failed rests here */
#define NIC_SEL_DEVICE (DJ_CHILD_FIRST_FREE + 4)     /* its function's DMA (VT-d) */

struct nic_driver {
    struct nic_env env;
    /* Written by the loop, read by the handler (aligned words: a reader
     * sees each counter whole, perhaps one frame old). */
    volatile uint64_t stats[DJ_NIC_STAT_COUNT];
    /* The channel: the handler sets it up, then hands it to the loop by
     * setting server.connected (and waking the loop); after that only
     * the loop touches server.chan. */
    struct dj_chan_server server;
    /* A restarted client: the handler asks the loop to drop the old
     * channel and waits on NIC_SEL_RESET_DONE_SM until it has. */
    volatile bool reset_requested;
    bool ready;                         /* the device is up (set before serving) */
};

extern struct nic_driver nic;

/* nic_service.c: the portal handler (INFO, STATS, channel set-up). */
uint64_t nic_service_handler(uint64_t badge, struct dj_utcb *u);

/* nic_dma.c: with VT-d on (si->dma_bits), put the driver's function into
 * its own DMA space (the PCI server's DJ_PCI_OP_DEVICE); false when that
 * fails (the device would reach nothing). Without VT-d: true, physical
 * addresses. */
bool nic_dma_setup(const struct dj_start_info *si, const struct dj_pci_dev *pci);

/* nic_loop.c: moves frames until the driver dies. */
__attribute__((noreturn)) void nic_loop_run(void);

/* nic_fault.c: the restart test's fault injection (docs/nic.md). */
void nic_fault_configure(const struct dj_start_info *si);
/* Counts frames the loop moved; faults on purpose once the configured
 * number is reached. */
void nic_fault_count(uint64_t frames);

/* nic_log.c: where nic_log lines go (the console portal if granted). */
void nic_log_init(const char *name);
