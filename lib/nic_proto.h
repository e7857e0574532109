/* SPDX-License-Identifier: BSD-2-Clause */
/* The packet interface of the NIC drivers (servers/nic; docs/nic.md).
 *
 * A driver serves one client, the component whose boot configuration line
 * names the driver in pt=. Frames travel over one channel (lib/channel.h)
 * that the client connects through the driver's portal: ring 0 carries
 * frames to send (client to driver), ring 1 received frames (driver to
 * client). One message is one Ethernet frame from the destination address
 * up to the end of the payload, without the frame check sequence:
 * DJ_NIC_FRAME_MIN..DJ_NIC_FRAME_MAX bytes. The driver drops (and counts)
 * anything else the client sends, and drops received frames when the
 * client's ring is full: a slow or dead client costs only its own frames.
 *
 * Portal operations besides DJ_CHAN_OP_CONNECT and DJ_CHAN_OP_DOORBELLS
 * (words; every reply starts with a status word):
 *   DJ_NIC_OP_INFO   -> [1] MAC address (byte 0 in bits 0-7 ... byte 5 in
 *                       bits 40-47), [2] 1 if the link is up, [3] the
 *                       largest frame (DJ_NIC_FRAME_MAX)
 *   DJ_NIC_OP_STATS  -> [1 + DJ_NIC_STAT_*] the counters below */
#pragma once
#include <stdint.h>

#define DJ_NIC_OP_INFO 0x300
#define DJ_NIC_OP_STATS 0x301
#define DJ_NIC_INFO_WORDS 4

#define DJ_NIC_FRAME_MIN 14   /* an Ethernet header */
#define DJ_NIC_FRAME_MAX 1514 /* header + 1500 bytes of payload */
#define DJ_NIC_SLOT_SIZE 2048 /* the channel geometry a client should ask for */
#define DJ_NIC_SLOTS 256

enum dj_nic_stat {
    DJ_NIC_STAT_RX_FRAMES,   /* received from the wire and handed to the client */
    DJ_NIC_STAT_RX_BYTES,
    DJ_NIC_STAT_RX_DROPPED,  /* received but the client's ring was full or absent */
    DJ_NIC_STAT_RX_ERRORS,   /* the device reported an error, or a bad length */
    DJ_NIC_STAT_TX_FRAMES,   /* handed to the device */
    DJ_NIC_STAT_TX_BYTES,
    DJ_NIC_STAT_TX_DROPPED,  /* from the client, but of a bad length */
    DJ_NIC_STAT_IRQS,        /* wake-ups of the loop: device interrupts and client doorbells (one semaphore) */
    DJ_NIC_STAT_WORK_TSC,    /* TSC ticks spent moving frames (instructions under -icount) */
    DJ_NIC_STAT_COUNT
};
