/* SPDX-License-Identifier: GPL-2.0-only */
/* Split virtqueues: see virtio_ring.h. x86 keeps stores in order and
 * loads in order, so the only hardware barrier needed is the one between
 * publishing the available index and reading the device's no-notify flag
 * (a store followed by a load); the others only stop the compiler. */
#include <stddef.h>
#include <string.h>
#include "nic_hw.h"
#include "virtio_ring.h"

_Static_assert(VIRTQ_MAX_SIZE * sizeof(struct virtq_desc) <= VIRTQ_PAGE, "descriptor table must fit a page");
_Static_assert(sizeof(struct virtq_avail) + sizeof(uint16_t) <= VIRTQ_PAGE, "driver area must fit a page");
_Static_assert(sizeof(struct virtq_used) + sizeof(uint16_t) <= VIRTQ_PAGE, "device area must fit a page");

#define compiler_barrier() __atomic_signal_fence(__ATOMIC_SEQ_CST)
#define full_barrier() __atomic_thread_fence(__ATOMIC_SEQ_CST)

bool virtq_alloc(struct virtq *q, uint16_t index, uint16_t size)
{
    memset(q, 0, sizeof(*q));
    uint8_t *pages = nic_dma_pages(3);
    if (!pages)
        return false;
    q->index = index;
    q->size = size;
    q->desc = (volatile struct virtq_desc *)pages;
    q->avail = (volatile struct virtq_avail *)(pages + VIRTQ_PAGE);
    q->used = (volatile struct virtq_used *)(pages + 2 * VIRTQ_PAGE);
    q->desc_bus = nic_dma_addr(pages);
    q->avail_bus = nic_dma_addr(pages + VIRTQ_PAGE);
    q->used_bus = nic_dma_addr(pages + 2 * VIRTQ_PAGE);
    return q->desc_bus && q->avail_bus && q->used_bus;
}

void virtq_set_buffer(struct virtq *q, uint16_t id, uint64_t bus, uint32_t len, bool device_writes)
{
    q->desc[id].addr = bus;
    q->desc[id].len = len;
    q->desc[id].flags = device_writes ? VIRTQ_DESC_F_WRITE : 0;
    q->desc[id].next = 0;
}

bool virtq_post(struct virtq *q, uint16_t id, uint32_t len)
{
    if (id >= q->size || q->posted[id])
        return false;
    if (len)
        q->desc[id].len = len;
    q->posted[id] = true;
    q->avail->ring[q->avail_idx & (q->size - 1)] = id;
    q->avail_idx++;
    return true;
}

bool virtq_publish(struct virtq *q)
{
    if (q->avail_idx == q->avail_published)
        return false;
    compiler_barrier(); /* ring entries and descriptors before the index */
    q->avail->idx = q->avail_idx;
    q->avail_published = q->avail_idx;
    return true;
}

void virtq_kick(struct virtq *q)
{
    full_barrier(); /* the device must see the index before we read its flag */
    if (!(q->used->flags & VIRTQ_USED_F_NO_NOTIFY))
        *q->notify = q->index;
}

enum virtq_take virtq_take(struct virtq *q, uint16_t *id, uint32_t *len)
{
    if (q->broken)
        return VIRTQ_EMPTY;
    uint16_t device_idx = q->used->idx;
    uint16_t ready = (uint16_t)(device_idx - q->used_idx);
    if (ready == 0)
        return VIRTQ_EMPTY;
    if (ready > q->size) {
        q->broken = true;
        return VIRTQ_EMPTY;
    }
    compiler_barrier(); /* the entry after the index that covers it */
    volatile struct virtq_used_elem *e = &q->used->ring[q->used_idx & (q->size - 1)];
    uint32_t elem_id = e->id, elem_len = e->len;
    q->used_idx++;
    if (elem_id >= q->size || !q->posted[elem_id])
        return VIRTQ_BOGUS;
    q->posted[elem_id] = false;
    *id = (uint16_t)elem_id;
    *len = elem_len;
    return VIRTQ_TAKEN;
}

void virtq_interrupts(struct virtq *q, bool on)
{
    q->avail->flags = on ? 0 : VIRTQ_AVAIL_F_NO_INTERRUPT;
    if (on)
        full_barrier(); /* the flag before the caller's re-check of the used ring */
}
