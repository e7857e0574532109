/* SPDX-License-Identifier: GPL-2.0-only */
/* The modern (virtio 1.x) PCI transport, 4.1: the device's structures are
 * found through vendor-specific PCI capabilities that point into its
 * memory BARs; the common configuration drives the status handshake,
 * feature negotiation and queue set-up, and each queue has a doorbell in
 * the notification area. Legacy I/O-port registers (of a transitional
 * device) are never touched. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "nic_hw.h"
#include "virtio_ring.h"

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE 1
#define VIRTIO_STATUS_DRIVER 2
#define VIRTIO_STATUS_DRIVER_OK 4
#define VIRTIO_STATUS_FEATURES_OK 8
#define VIRTIO_STATUS_NEEDS_RESET 64
#define VIRTIO_STATUS_FAILED 128

/* Device-independent feature bits (6). */
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTIO_F_ACCESS_PLATFORM (1ull << 33)

#define VIRTIO_MSI_NO_VECTOR 0xffff

struct virtio_pci {
    struct nic_env *env;
    volatile uint8_t *common;   /* struct virtio_pci_common_cfg */
    volatile uint8_t *notify;   /* the notification area */
    volatile uint8_t *device;   /* the device-specific configuration */
    uint32_t notify_len, device_len;
    uint32_t notify_multiplier; /* bytes between queue doorbells */
};

/* Finds the common, notification and device structures in mapped BARs
 * (each checked to lie inside its BAR); false after a log line. */
bool virtio_pci_find(struct virtio_pci *vp, struct nic_env *env);
/* Resets the device and waits until it says so; false if it never does. */
bool virtio_pci_reset(struct virtio_pci *vp);
uint8_t virtio_pci_status(struct virtio_pci *vp);
void virtio_pci_add_status(struct virtio_pci *vp, uint8_t bits);
uint64_t virtio_pci_device_features(struct virtio_pci *vp);
/* Writes the driver's features and sets FEATURES_OK; false if the device
 * does not keep FEATURES_OK (it refuses that combination). */
bool virtio_pci_set_features(struct virtio_pci *vp, uint64_t features);
/* No interrupt for configuration changes (link status is read when asked). */
void virtio_pci_no_config_vector(struct virtio_pci *vp);
/* The largest size queue index allows (0: no such queue). */
uint16_t virtio_pci_queue_max(struct virtio_pci *vp, uint16_t index);
/* Tells the device where q's areas are, its size and MSI-X vector (or
 * VIRTIO_MSI_NO_VECTOR), finds its doorbell and enables it. *vector_ok
 * says whether the device accepted the vector. false (after a log line)
 * if the doorbell lies outside the notification area. */
bool virtio_pci_queue_enable(struct virtio_pci *vp, struct virtq *q, uint16_t vector, bool *vector_ok);
/* Copies len bytes of the device configuration from offset, consistently
 * (retried while the device changes it underneath); false if out of
 * range or never stable. */
bool virtio_pci_read_config(struct virtio_pci *vp, unsigned offset, void *buf, unsigned len);
