/* SPDX-License-Identifier: GPL-2.0-only */
/* Split virtqueues (virtio 1.x, section 2.7), device side.
 *
 * The guest owns the rings and may rewrite them at any moment from another
 * vCPU, so nothing read from them is trusted twice: every descriptor is
 * copied once and checked (its buffer lies in guest RAM, its next index
 * lies in its table, a chain visits at most as many descriptors as its
 * table holds, readable buffers come before writable ones, no indirect
 * descriptors: VIRTIO_F_INDIRECT_DESC is not offered), the driver's available index may run ahead of
 * ours by at most the queue size, and every head index lies in the
 * table. A violation returns VIRTQ_BAD: the caller marks the device
 * NEEDS_RESET and stops the queue; nothing outside guest RAM is touched.
 *
 * Pure C: depends only on vmm.h (vmm_gpa_ptr), no system calls. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmm.h"

#define VIRTQ_MAX_SIZE 32768u /* the largest split queue virtio allows */

/* Descriptor flags (virtio 1.x 2.7.5) */
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u
#define VIRTQ_DESC_F_INDIRECT 4u
/* Ring flags */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

/* Ring geometry for a queue of n entries, including the event words that
 * the EVENT_IDX feature uses (they are validated either way). */
#define VIRTQ_DESC_BYTES(n) (16ull * (n))
#define VIRTQ_AVAIL_BYTES(n) (6ull + 2ull * (n))
#define VIRTQ_USED_BYTES(n) (6ull + 8ull * (n))
#define VIRTQ_DESC_ALIGN 16u
#define VIRTQ_AVAIL_ALIGN 2u
#define VIRTQ_USED_ALIGN 4u

struct virtq_desc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
};

struct virtq_used_elem {
    uint32_t id;
    uint32_t len;
};

enum virtq_result { VIRTQ_OK, VIRTQ_EMPTY, VIRTQ_END = VIRTQ_EMPTY, VIRTQ_BAD };

struct virtq {
    /* Set by the driver through the transport before enabling. */
    uint16_t size;
    uint64_t desc_gpa, avail_gpa, used_gpa;
    /* Checked host views of the rings (valid while live). */
    volatile struct virtq_desc *desc;
    volatile uint16_t *avail; /* flags, idx, ring[size], used_event */
    volatile uint16_t *used;  /* flags, idx, then elements, then avail_event */
    const struct vmm_ram *ram;
    bool live;          /* enabled, checked, not broken */
    bool event_idx;     /* VIRTIO_F_EVENT_IDX negotiated */
    uint16_t last_avail; /* next available entry this device takes */
    uint16_t used_idx;   /* next used entry this device fills */
    uint16_t signalled;  /* used_idx when the driver was last interrupted */
    const char *error;   /* why the queue broke (NULL while sane) */
};

/* Checks the geometry (size a power of two up to max, rings aligned and
 * wholly in guest RAM) and makes the queue live with all indices at 0.
 * false (queue not live, q->error says why) otherwise. */
bool virtq_enable(struct virtq *q, const struct vmm_ram *ram, uint16_t max, bool event_idx);
/* Stops a queue after a violation; keeps the first reason. */
void virtq_break(struct virtq *q, const char *why);

/* One buffer of a descriptor chain: host address in guest RAM. */
struct virtq_seg {
    uint8_t *ptr;
    uint32_t len;
    bool writable;
};

/* Walking one chain popped from the available ring. */
struct virtq_chain {
    struct virtq *q;
    uint16_t head;            /* goes back in the used ring */
    uint32_t next;            /* index of the next descriptor in table */
    uint32_t visited;         /* descriptors seen in table (loop bound) */
    bool more;                /* next is valid */
    bool seen_writable;
};

/* Entries the driver made available that this device has not taken;
 * VIRTQ_BAD (queue broken) when the driver's index ran ahead by more than
 * the queue size. *pending gets the count. */
enum virtq_result virtq_pending(struct virtq *q, uint16_t *pending);
/* Takes the next available chain: VIRTQ_OK (c set up), VIRTQ_EMPTY, or
 * VIRTQ_BAD (queue broken). */
enum virtq_result virtq_pop(struct virtq *q, struct virtq_chain *c);
/* The chain's next buffer: VIRTQ_OK (*seg set; zero-length buffers are
 * skipped), VIRTQ_END, or VIRTQ_BAD (queue broken). */
enum virtq_result virtq_next(struct virtq_chain *c, struct virtq_seg *seg);
/* Returns a chain to the driver with len bytes written into it. */
void virtq_push(struct virtq *q, uint16_t head, uint32_t len);
/* Whether the driver wants an interrupt for what was pushed since the
 * last time this returned true (EVENT_IDX or NO_INTERRUPT). */
bool virtq_should_interrupt(struct virtq *q);
/* With EVENT_IDX: ask to be notified when the driver adds the entry after
 * everything taken so far. */
void virtq_ask_notify(struct virtq *q);
