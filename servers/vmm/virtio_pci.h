/* SPDX-License-Identifier: GPL-2.0-only */
/* The virtio 1.x PCI transport, modern only (virtio 1.x section 4.1), for
 * one device of any virtio type (virtio_net.c is the one user today).
 *
 * The function presents a type-0 PCI header with vendor 1af4, device
 * 0x1040 + virtio type, revision 1, and one 32-bit memory BAR (BAR0,
 * VIRTIO_PCI_BAR_SIZE bytes) holding, each in its own page:
 *   0x0000 common configuration      0x3000 queue notify (4 bytes a queue)
 *   0x1000 ISR status                0x4000 MSI-X table
 *   0x2000 device configuration      0x5000 MSI-X pending bits
 * found through capabilities: MSI-X, then the virtio ones (common, notify,
 * ISR, device, and the PCI-configuration access window).
 *
 * The PCI host bridge (pci_host.c) calls virtio_pci_cfg_read/write for
 * the function's configuration space:
 *     pci_host_add(&host, slot, 0, virtio_pci_cfg_read, virtio_pci_cfg_write, &net.pci);
 * The header, BAR sizing and placement are pci_config.c's: BAR0 is
 * claimed on the VMM's MMIO bus while memory decoding is on, at the
 * address the guest (or the VMM, standing in for firmware) programmed. Interrupts go out as MSI-X
 * messages (vmm_msi_send) once the guest enabled MSI-X. There is no INTx
 * line (interrupt pin 0, the ISR status reads 0): the issue asks for a
 * modern virtio-net with MSI-X, and Linux's virtio-pci driver uses MSI-X
 * whenever the device has it (docs/vmm.md, "What was left out").
 *
 * Every guest write is checked: bad queue geometry or rings outside RAM
 * set DEVICE_NEEDS_RESET and stop the queues (the guest can reset the
 * device to recover); accesses outside a structure are ignored (reads
 * give 0). Pure C, no system calls. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pci_config.h"
#include "virtq.h"
#include "vmm.h"

#define VIRTIO_PCI_VENDOR_ID 0x1af4u
#define VIRTIO_PCI_DEVICE_ID_BASE 0x1040u /* + virtio device type */
#define VIRTIO_PCI_REVISION 1u           /* modern-only devices */
#define VIRTIO_PCI_BAR_SIZE 0x8000u

/* BAR0 layout */
#define VIRTIO_PCI_COMMON_OFF 0x0000u
#define VIRTIO_PCI_COMMON_LEN 0x38u
#define VIRTIO_PCI_ISR_OFF 0x1000u
#define VIRTIO_PCI_ISR_LEN 1u
#define VIRTIO_PCI_DEVCFG_OFF 0x2000u
#define VIRTIO_PCI_DEVCFG_MAX 0x100u
#define VIRTIO_PCI_NOTIFY_OFF 0x3000u
#define VIRTIO_PCI_NOTIFY_MULT 4u
#define VIRTIO_PCI_MSIX_TABLE_OFF 0x4000u
#define VIRTIO_PCI_MSIX_PBA_OFF 0x5000u

#define VIRTIO_PCI_MAX_QUEUES 4u
#define VIRTIO_PCI_MAX_VECTORS (VIRTIO_PCI_MAX_QUEUES + 1u)
#define VIRTIO_MSI_NO_VECTOR 0xffffu

/* Device status bits (virtio 1.x 2.1) */
#define VIRTIO_STATUS_ACKNOWLEDGE 0x01u
#define VIRTIO_STATUS_DRIVER 0x02u
#define VIRTIO_STATUS_DRIVER_OK 0x04u
#define VIRTIO_STATUS_FEATURES_OK 0x08u
#define VIRTIO_STATUS_NEEDS_RESET 0x40u

/* Transport feature bits */
#define VIRTIO_F_INDIRECT_DESC 28
#define VIRTIO_F_EVENT_IDX 29
#define VIRTIO_F_VERSION_1 32

struct virtio_pci;

/* What the device type supplies. */
struct virtio_dev_ops {
    uint16_t virtio_type;    /* 1: network */
    uint32_t class_code;     /* PCI base class, subclass, prog-if */
    uint64_t features;       /* device-type features offered (the transport adds its own) */
    uint16_t num_queues;     /* at most VIRTIO_PCI_MAX_QUEUES */
    uint16_t queue_max;      /* largest queue size, a power of two up to VIRTQ_MAX_SIZE */
    uint16_t cfg_len;        /* bytes of device configuration, at most VIRTIO_PCI_DEVCFG_MAX */
    /* A read of the device configuration (off + size <= cfg_len). */
    uint64_t (*cfg_read)(struct virtio_pci *vp, unsigned off, unsigned size);
    /* The guest notified a live queue (DRIVER_OK set). */
    void (*notify)(struct virtio_pci *vp, unsigned queue);
    /* The guest set DRIVER_OK. Optional. */
    void (*driver_ok)(struct virtio_pci *vp);
    /* The device was reset (by the guest or after attach). Optional. */
    void (*reset)(struct virtio_pci *vp);
};

/* Where the VMM puts the function. */
struct virtio_pci_setup {
    struct vmm_bus *bus;       /* the MMIO bus BAR0 goes on */
    const struct vmm_ram *ram; /* guest RAM the rings and buffers must lie in */
    uint32_t bar_base;         /* BAR0 as firmware would assign it (aligned to the BAR size; 0: unassigned) */
};

struct virtio_pci {
    const struct virtio_dev_ops *ops;
    void *dev;                 /* the device type's state */
    struct virtio_pci_setup setup;

    struct pci_config cfg;
    unsigned cap_msix, cap_pci_cfg; /* where those capabilities are */

    /* MSI-X */
    uint32_t msix_table[VIRTIO_PCI_MAX_VECTORS][4];
    uint64_t msix_pending;
    unsigned msix_vectors;     /* num_queues + 1 */

    /* Common configuration */
    uint32_t device_feature_select, driver_feature_select;
    uint64_t driver_features;
    uint8_t status;
    uint8_t config_generation;
    uint16_t queue_select;
    uint16_t config_vector;
    uint16_t queue_vector[VIRTIO_PCI_MAX_QUEUES];
    bool queue_enabled[VIRTIO_PCI_MAX_QUEUES];
    struct virtq queues[VIRTIO_PCI_MAX_QUEUES];

    /* Diagnostics */
    const char *error;         /* why NEEDS_RESET was set (first reason) */
};

/* Sets up the function (reset state, BAR0 at setup->bar_base but memory
 * decoding off, as firmware leaves it until the OS enables it). false when
 * bar_base is not aligned to the BAR's size. */
bool virtio_pci_init(struct virtio_pci *vp, const struct virtio_dev_ops *ops, void *dev, const struct virtio_pci_setup *setup);

/* PCI configuration space, for the host bridge: reg is the byte offset
 * (0..4095 for ECAM), size 1, 2 or 4, naturally aligned. */
uint32_t virtio_pci_cfg_read(void *vp, unsigned reg, unsigned size);
void virtio_pci_cfg_write(void *vp, unsigned reg, unsigned size, uint32_t value);

/* BAR0 accesses (the MMIO bus callbacks; offset within the BAR). */
uint64_t virtio_pci_bar_read(void *vp, uint64_t offset, unsigned size);
void virtio_pci_bar_write(void *vp, uint64_t offset, unsigned size, uint64_t value);

/* For the device type. */
bool virtio_pci_driver_ok(const struct virtio_pci *vp); /* DRIVER_OK and FEATURES_OK set, NEEDS_RESET not */
/* Interrupts the guest for queue q if the driver wants one now. */
void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned q);
/* The device configuration changed (bumps the generation, interrupts). */
void virtio_pci_config_changed(struct virtio_pci *vp);
/* A guest error: sets NEEDS_RESET, stops every queue, tells the driver. */
void virtio_pci_fail(struct virtio_pci *vp, const char *why);
