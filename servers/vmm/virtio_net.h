/* SPDX-License-Identifier: GPL-2.0-only */
/* virtio-net (virtio 1.x section 5.1) on the modern PCI transport.
 *
 * Offered: VERSION_1, MAC, STATUS (link state), INDIRECT_DESC, EVENT_IDX.
 * Not offered: checksum offload, GSO, mergeable receive buffers, control
 * queue, multiqueue: the guest sends and receives whole Ethernet frames
 * behind the 12-byte virtio_net_hdr (num_buffers is always 1). Queue 0
 * receives, queue 1 transmits.
 *
 * The backend moves frames elsewhere (net_channel.c: a channel to a NIC
 * driver or to another VM's VMM; host tests: a fake):
 *   - a frame the guest sends goes to backend.send; when that says "no
 *     room", the guest's buffer stays queued and transmission stops until
 *     the backend calls virtio_net_tx_resume (back-pressure, no loss);
 *   - the backend hands received frames to virtio_net_receive, then calls
 *     virtio_net_rx_flush once per batch (one interrupt); when the guest
 *     has no buffer the frame is refused (VIRTIO_NET_RX_NO_BUFFER) and
 *     backend.rx_ready is called as soon as the guest adds buffers.
 * All of it runs under the VMM's lock (vmm.h). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "virtio_pci.h"

#define VIRTIO_TYPE_NET 1u
#define VIRTIO_NET_PCI_CLASS 0x020000u /* network controller, Ethernet */
#define VIRTIO_NET_F_MAC 5
#define VIRTIO_NET_F_STATUS 16
#define VIRTIO_NET_S_LINK_UP 1u
#define VIRTIO_NET_HDR_LEN 12u
#define VIRTIO_NET_FRAME_MIN 14u   /* an Ethernet header */
#define VIRTIO_NET_FRAME_MAX 1518u /* 1500 bytes of payload, with or without a VLAN tag */
#define VIRTIO_NET_QUEUE_SIZE 256u
#define VIRTIO_NET_RXQ 0u
#define VIRTIO_NET_TXQ 1u
#define VIRTIO_NET_MAC_LEN 6u

struct virtio_net_backend {
    void *ctx;
    /* A frame from the guest; false: no room now (call virtio_net_tx_resume later). */
    bool (*send)(void *ctx, const uint8_t *frame, size_t len);
    /* After a batch of sends (publish, ring the peer). Optional. */
    void (*flush)(void *ctx);
    /* The guest added receive buffers: hand over waiting frames. Optional. */
    void (*rx_ready)(void *ctx);
};

struct virtio_net_stats {
    uint64_t tx_frames, tx_bytes;
    uint64_t tx_dropped;   /* malformed: shorter than a header or longer than a frame */
    uint64_t tx_blocked;   /* times the backend had no room */
    uint64_t rx_frames, rx_bytes;
    uint64_t rx_dropped;   /* device not ready, bad length, or the guest's buffer too small */
    uint64_t rx_no_buffer; /* refused for want of a guest buffer (the backend keeps it) */
};

struct virtio_net {
    struct virtio_pci pci;
    struct virtio_net_backend backend;
    uint8_t mac[VIRTIO_NET_MAC_LEN];
    bool link_up;
    bool tx_blocked;
    uint8_t tx_buf[VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MAX];
    struct virtio_net_stats stats;
};

/* Sets up the device (virtio_pci_init with the net ops); link up. The
 * host bridge then gets virtio_pci_cfg_read/write with &n->pci. */
bool virtio_net_init(struct virtio_net *n, const struct virtio_pci_setup *setup, const uint8_t mac[VIRTIO_NET_MAC_LEN],
                     const struct virtio_net_backend *backend);

enum virtio_net_rx_result {
    VIRTIO_NET_RX_DONE,      /* in the guest's ring */
    VIRTIO_NET_RX_NO_BUFFER, /* keep it and offer it again after rx_ready */
    VIRTIO_NET_RX_DROPPED,   /* gone (see stats) */
};
/* A frame for the guest (copied out of frame at once). */
enum virtio_net_rx_result virtio_net_receive(struct virtio_net *n, const void *frame, size_t len);
/* Interrupts the guest for the frames received since the last flush, if
 * it wants to hear about them. */
void virtio_net_rx_flush(struct virtio_net *n);
/* The backend has room again: sends what the guest queued. */
void virtio_net_tx_resume(struct virtio_net *n);
/* The link went up or down (the guest sees it in the status field). */
void virtio_net_set_link(struct virtio_net *n, bool up);
