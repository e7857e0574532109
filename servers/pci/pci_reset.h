/* SPDX-License-Identifier: GPL-2.0-only */
/* Taking a function back from a driver and resetting it for one.
 *
 * Quiescing stops what a dead or replaced driver left running: bus
 * mastering (no more DMA), MSI and MSI-X (no more messages to a semaphore
 * nobody waits on) and INTx. Decoding stays, so the BARs keep answering.
 *
 * Resetting (DJ_PCI_OP_RESET) uses a function-level reset when the PCI
 * Express capability offers one: bus mastering off, wait for outstanding
 * transactions, initiate the FLR, wait 100 ms (PCIe Base 4.0 6.6.2), wait
 * until the function answers again, then restore what the reset cleared
 * and the server owns (BARs, ROM BAR, cache line, latency, interrupt
 * line). Without FLR it switches off bus mastering, decoding, MSI and
 * MSI-X. Either way decoding of the function's BARs is switched on again
 * afterwards; bus mastering is not. */
#pragma once
#include <stdbool.h>
#include "pci_cfg.h"
#include "pci_scan.h"

struct pci_delay {
    void (*wait_ms)(void *ctx, unsigned ms); /* at least ms milliseconds */
    void *ctx;
};

enum pci_reset_result {
    PCI_RESET_FLR,       /* a function-level reset was done */
    PCI_RESET_QUIESCED,  /* no FLR: DMA, interrupts and decoding switched off, decoding back on */
    PCI_RESET_NO_ANSWER, /* after the FLR the function never answered again */
};

void pci_quiesce(const struct pci_cfg *cfg, const struct pci_func *f);
enum pci_reset_result pci_reset(const struct pci_cfg *cfg, const struct pci_func *f, const struct pci_delay *delay);
