/* SPDX-License-Identifier: GPL-2.0-only */
/* Split virtqueues, device side (virtq.h). */
#include "virtq.h"

#define AVAIL_FLAGS 0
#define AVAIL_IDX 1
#define AVAIL_RING 2 /* in 16-bit words */
#define USED_IDX 1
#define USED_RING_BYTES 4 /* the elements start after flags and idx */

/* The guest writes the rings from other vCPUs: each shared word is read
 * or written exactly once where the code says so, with the ordering the
 * virtio memory model asks for (x86: only the compiler and store-load
 * need fencing). */
static inline uint16_t load16(volatile uint16_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static inline void store16(volatile uint16_t *p, uint16_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

void virtq_break(struct virtq *q, const char *why)
{
    q->live = false;
    if (!q->error)
        q->error = why;
}

static void *ring_ptr(struct virtq *q, uint64_t gpa, uint64_t bytes, uint64_t align, const char *why)
{
    if (gpa & (align - 1)) {
        virtq_break(q, why);
        return NULL;
    }
    void *p = vmm_gpa_ptr(q->ram, gpa, bytes);
    if (!p)
        virtq_break(q, why);
    return p;
}

bool virtq_enable(struct virtq *q, const struct vmm_ram *ram, uint16_t max, bool event_idx)
{
    q->live = false;
    q->error = NULL;
    q->ram = ram;
    if (!q->size || (q->size & (q->size - 1)) || q->size > max || q->size > VIRTQ_MAX_SIZE) {
        virtq_break(q, "queue size not a power of two within the maximum");
        return false;
    }
    q->desc = ring_ptr(q, q->desc_gpa, VIRTQ_DESC_BYTES(q->size), VIRTQ_DESC_ALIGN, "descriptor table not in RAM or misaligned");
    q->avail = ring_ptr(q, q->avail_gpa, VIRTQ_AVAIL_BYTES(q->size), VIRTQ_AVAIL_ALIGN, "available ring not in RAM or misaligned");
    q->used = ring_ptr(q, q->used_gpa, VIRTQ_USED_BYTES(q->size), VIRTQ_USED_ALIGN, "used ring not in RAM or misaligned");
    if (!q->desc || !q->avail || !q->used)
        return false;
    q->event_idx = event_idx;
    q->last_avail = q->used_idx = q->signalled = 0;
    q->live = true;
    return true;
}

enum virtq_result virtq_pending(struct virtq *q, uint16_t *pending)
{
    *pending = 0;
    if (!q->live)
        return VIRTQ_BAD;
    uint16_t n = (uint16_t)(load16(&q->avail[AVAIL_IDX]) - q->last_avail);
    if (n > q->size) {
        virtq_break(q, "available index ahead by more than the queue size");
        return VIRTQ_BAD;
    }
    *pending = n;
    return VIRTQ_OK;
}

enum virtq_result virtq_pop(struct virtq *q, struct virtq_chain *c)
{
    uint16_t n;
    enum virtq_result r = virtq_pending(q, &n);
    if (r != VIRTQ_OK)
        return r;
    if (n == 0)
        return VIRTQ_EMPTY;
    uint16_t head = load16(&q->avail[AVAIL_RING + (q->last_avail & (q->size - 1))]);
    if (head >= q->size) {
        virtq_break(q, "available ring names a descriptor beyond the queue");
        return VIRTQ_BAD;
    }
    q->last_avail++;
    *c = (struct virtq_chain){.q = q, .head = head, .next = head, .more = true};
    return VIRTQ_OK;
}

static enum virtq_result chain_bad(struct virtq_chain *c, const char *why)
{
    c->more = false;
    virtq_break(c->q, why);
    return VIRTQ_BAD;
}

enum virtq_result virtq_next(struct virtq_chain *c, struct virtq_seg *seg)
{
    while (c->more) {
        if (!c->q->live)
            return chain_bad(c, c->q->error);
        if (c->next >= c->q->size)
            return chain_bad(c, "descriptor index beyond its table");
        if (++c->visited > c->q->size)
            return chain_bad(c, "descriptor chain loops");
        volatile struct virtq_desc *src = &c->q->desc[c->next];
        struct virtq_desc d = {.addr = src->addr, .len = src->len, .flags = src->flags, .next = src->next};
        if (d.flags & VIRTQ_DESC_F_INDIRECT)
            return chain_bad(c, "indirect descriptor (the feature is not offered)");
        c->more = (d.flags & VIRTQ_DESC_F_NEXT) != 0;
        c->next = d.next;
        bool writable = (d.flags & VIRTQ_DESC_F_WRITE) != 0;
        if (!writable && c->seen_writable)
            return chain_bad(c, "readable buffer after a writable one");
        c->seen_writable |= writable;
        if (d.len == 0)
            continue;
        uint8_t *p = vmm_gpa_ptr(c->q->ram, d.addr, d.len);
        if (!p)
            return chain_bad(c, "buffer not in RAM");
        *seg = (struct virtq_seg){.ptr = p, .len = d.len, .writable = writable};
        return VIRTQ_OK;
    }
    return VIRTQ_END;
}

static volatile struct virtq_used_elem *used_ring(struct virtq *q)
{
    return (volatile struct virtq_used_elem *)((volatile uint8_t *)q->used + USED_RING_BYTES);
}

/* The avail_event word after the used ring. */
static volatile uint16_t *avail_event(struct virtq *q)
{
    return (volatile uint16_t *)((volatile uint8_t *)q->used + USED_RING_BYTES + 8u * q->size);
}

void virtq_push(struct virtq *q, uint16_t head, uint32_t len)
{
    if (!q->live)
        return;
    volatile struct virtq_used_elem *e = &used_ring(q)[q->used_idx & (q->size - 1)];
    e->id = head;
    e->len = len;
    q->used_idx++;
    store16(&q->used[USED_IDX], q->used_idx); /* release: the element first */
}

bool virtq_should_interrupt(struct virtq *q)
{
    if (!q->live || q->used_idx == q->signalled)
        return false;
    /* The driver's suppression word must be read after used->idx is
     * visible, or both sides can miss each other (store-load). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    uint16_t old = q->signalled, now = q->used_idx;
    bool want;
    if (q->event_idx) {
        uint16_t event = load16(&q->avail[AVAIL_RING + q->size]);
        want = (uint16_t)(now - event - 1) < (uint16_t)(now - old);
    } else {
        want = !(load16(&q->avail[AVAIL_FLAGS]) & VIRTQ_AVAIL_F_NO_INTERRUPT);
    }
    q->signalled = now;
    return want;
}

void virtq_ask_notify(struct virtq *q)
{
    if (q->live && q->event_idx) {
        store16(avail_event(q), q->last_avail);
        __atomic_thread_fence(__ATOMIC_SEQ_CST); /* then look at avail->idx again */
    }
}
