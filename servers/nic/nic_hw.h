/* SPDX-License-Identifier: GPL-2.0-only */
/* What a NIC's hardware code provides to the common driver loop
 * (servers/nic/main.c), and what the loop gives it. One driver binary is
 * the loop plus one hardware file (virtio_net.c, e1000e.c): a driver
 * contains the code for its device and nothing else.
 *
 * The loop owns the PCI device (lib/pci.h), the client channel and the
 * counters; the hardware code owns the device's registers and DMA rings.
 * Everything runs on the driver's one thread, so nothing here locks. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "lib/pci.h"

struct nic_env {
    struct dj_pci_dev *pci;           /* opened and reset; memory decoding on, bus mastering off (init turns it on) */
    volatile void *bar[DJ_PCI_BARS];  /* memory BARs mapped uncached, NULL otherwise */
    uint64_t wake_sm;                 /* bind interrupts to this semaphore */
    uint64_t msi_sel;                 /* first MSI capability, msi_count of them */
    unsigned msi_count;
    uint8_t mac[6];                   /* the hardware code fills it in init */
};

/* Zeroed, page-aligned memory for DMA: pages are not physically
 * contiguous, so ask per page for anything a device needs contiguous.
 * NULL when the quota is used up. */
void *nic_dma_pages(size_t pages);
/* The bus address of a byte of memory from nic_dma_pages: its virtual
 * address when VT-d translates (nic_dma_setup), else its physical one. */
uint64_t nic_dma_addr(const void *p);
/* The device capability of the driver's function with VT-d (MSIs bound
 * with it are raised by that function alone), else 0. */
uint64_t nic_dma_device(void);
/* Driver log line on the console ("name: ..."). */
void nic_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

struct nic_hw {
    const char *name;
    bool (*match)(uint16_t vendor, uint16_t device);
    /* Bring the device up from reset: rings, receive buffers, MAC address
     * into env->mac, interrupts bound to env->wake_sm (MSI-X, MSI, or
     * none: the loop then polls). False (after a log line) if the device
     * cannot be used. */
    bool (*init)(struct nic_env *env);
    bool (*link_up)(void);
    /* Queue one frame (copied); false when the transmit ring is full. */
    bool (*tx)(const void *frame, size_t len);
    /* Tell the device about queued frames (once per batch). */
    void (*tx_kick)(void);
    /* Copy the next received frame into buf and return its length; 0 when
     * none is waiting. A frame the device marked bad or that is longer
     * than cap is dropped and returns SIZE_MAX (counted as an error). */
    size_t (*rx)(void *buf, size_t cap);
    /* Re-enable the device's interrupt after a round of work (it was
     * masked or auto-cleared when it fired). */
    void (*irq_rearm)(void);
    /* Stop the device: no more DMA (before the driver exits or is reset). */
    void (*stop)(void);
};

/* The hardware this binary was linked with (defined by the hardware file). */
extern const struct nic_hw nic_hw;
