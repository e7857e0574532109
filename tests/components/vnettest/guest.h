/* SPDX-License-Identifier: GPL-2.0-only */
/* vnettest's stand-in for a guest: a virtio-net device of the VMM
 * (servers/vmm/virtio_net.c) on "guest RAM" in this component's own
 * memory, and a small driver that brings it up like Linux (BAR, features,
 * queues, DRIVER_OK), keeps the receive queue full and sends frames. The
 * device's backend is the VMM's channel backend (net_channel.c), so frames
 * cross a real channel to the other vnettest component. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "servers/vmm/net_channel.h"

#define GUEST_QSIZE 64u
#define GUEST_BUF_BYTES 2048u

/* A received frame (header stripped) goes to this callback. */
typedef void (*guest_rx_fn)(const uint8_t *frame, size_t len);

extern struct virtio_net guest_dev;

/* Sets up the device with backend b and the given MAC and brings it up;
 * false (why in *why) when a step fails. */
bool guest_start(const struct virtio_net_backend *b, const uint8_t mac[6], const char **why);
/* Queues one frame for sending; false when the transmit queue is full. */
bool guest_send(const uint8_t *frame, size_t len);
/* Notifies the transmit queue if frames were queued since the last call. */
void guest_kick(void);
/* Takes back sent buffers, hands up to max_rx received frames to rx and
 * gives their buffers back to the device. Returns how many frames were
 * received. */
unsigned guest_reap(guest_rx_fn rx, unsigned max_rx);
/* The link state the device reports (its status field). */
bool guest_link_up(void);
/* Free transmit slots. */
unsigned guest_tx_free(void);
