/* SPDX-License-Identifier: GPL-2.0-only */
/* Split virtqueues (virtio 1.x, 2.6) from the driver's side: the
 * descriptor table and the driver area (available ring) are written here
 * and only read by the device; the device area (used ring) is written by
 * the device and every index and length read from it is checked, because
 * a device is trusted less than the driver's own memory.
 *
 * Each of the three areas lies within one DMA page (pages are not
 * physically contiguous), which bounds a queue to VIRTQ_MAX_SIZE
 * descriptors. Buffers are one descriptor each (no chains, no indirect
 * descriptors): descriptor i always describes the driver's buffer i. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

#define VIRTQ_MAX_SIZE 256
#define VIRTQ_PAGE 4096 /* one area per page */

struct virtq_desc {
    uint64_t addr; /* bus address */
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};
#define VIRTQ_DESC_F_WRITE 2 /* the device writes the buffer (receive) */

struct virtq_avail {
    uint16_t flags;
    uint16_t idx;
    uint16_t ring[VIRTQ_MAX_SIZE];
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1

struct virtq_used_elem {
    uint32_t id;
    uint32_t len; /* bytes the device wrote into the buffer */
};

struct virtq_used {
    uint16_t flags;
    uint16_t idx;
    struct virtq_used_elem ring[VIRTQ_MAX_SIZE];
};
#define VIRTQ_USED_F_NO_NOTIFY 1

struct virtq {
    uint16_t index; /* the queue's number in the device */
    uint16_t size;  /* a power of two, at most VIRTQ_MAX_SIZE */
    volatile struct virtq_desc *desc;
    volatile struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint64_t desc_bus, avail_bus, used_bus;
    volatile uint16_t *notify; /* the device's doorbell for this queue */
    /* Private: never read back from shared memory. */
    uint16_t avail_idx;        /* next available-ring slot (free running) */
    uint16_t avail_published;  /* avail_idx as the device last saw it */
    uint16_t used_idx;         /* next used-ring entry to take (free running) */
    bool posted[VIRTQ_MAX_SIZE]; /* descriptor i is the device's until it returns it */
    bool broken;               /* the device wrote an impossible used index */
};

/* The three areas in fresh DMA pages; false when memory is short. */
bool virtq_alloc(struct virtq *q, uint16_t index, uint16_t size);
/* Describes buffer id once (its address and length never change for
 * receive buffers; transmit buffers set the length when posting). */
void virtq_set_buffer(struct virtq *q, uint16_t id, uint64_t bus, uint32_t len, bool device_writes);
/* Hands buffer id to the device, with len bytes (transmit) or with the
 * length virtq_set_buffer gave (len 0: receive); visible after
 * virtq_publish. false if id is out of range or already the device's. */
bool virtq_post(struct virtq *q, uint16_t id, uint32_t len);
/* Makes posted buffers visible; true if there were any since last time. */
bool virtq_publish(struct virtq *q);
/* Notifies the device (unless it asked not to be). */
void virtq_kick(struct virtq *q);

enum virtq_take {
    VIRTQ_EMPTY,   /* nothing returned */
    VIRTQ_TAKEN,   /* *id, *len: a buffer the device is done with */
    VIRTQ_BOGUS,   /* the device returned a buffer it did not own: skipped */
};
/* The next buffer the device has returned. A used index more than the
 * queue size ahead of the driver's marks the queue broken (VIRTQ_EMPTY
 * from then on): such a device is not used any more. */
enum virtq_take virtq_take(struct virtq *q, uint16_t *id, uint32_t *len);
/* Whether the device should interrupt when it returns buffers. After
 * enabling, check the queue once more: a buffer returned just before is
 * otherwise missed. */
void virtq_interrupts(struct virtq *q, bool on);
