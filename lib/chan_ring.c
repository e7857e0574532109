/* SPDX-License-Identifier: BSD-2-Clause */
/* The ring layer of channels (lib/channel.h, docs/channels.md): one
 * single-producer/single-consumer ring in shared memory, with event-index
 * doorbell suppression. No system calls, so it also runs in host tests.
 *
 * Shared layout of one ring of S slots of Z bytes (both powers of two):
 *   [0, S*Z)          the slots: u32 length, u32 reserved, payload
 *   [S*Z, S*Z + 128)  the control block (struct dj_chan_ring)
 * rounded up to a page. Slots come first so that a slot of at most a page
 * never straddles a page boundary (a device can fill it by DMA).
 *
 * Indices are free-running 32-bit counters of messages: the producer's
 * head counts published messages, the consumer's tail released ones; slot
 * i holds message i mod S. Each side keeps its own index privately and
 * only ever reads the other's, once per look (a volatile load), checking
 * that it moved forward by no more than the peer can have moved it:
 *   tail in [tail_seen, published]         (the producer's check)
 *   head in [head_seen, released + S]      (the consumer's check)
 * A slot length above Z - 8 is corrupt too, and so is a control block
 * whose marks (a constant next to each index, written by the producer's
 * attach) are gone: memory shared with a peer that died is replaced by
 * zeroed pages (docs/channels.md, "A peer dies"), which a fresh ring at
 * index 0 would otherwise resemble. Anything corrupt marks this end
 * broken for good: it then reports empty/full and never touches the
 * slots again.
 *
 * Doorbells: a side about to sleep stores the index it waits for in its
 * own event field (the consumer: "wake me when message `tail` is
 * published"; the producer: "wake me when message head - S is released"),
 * then re-checks. The other side, after storing its index, reads that
 * event and asks for a doorbell only when its update crossed it. Both
 * sides store, fence, then load, so at least one of them sees the other:
 * either the sleeper's re-check finds the new index, or the updater finds
 * the event and rings. */
#include "lib/channel.h"

#define CACHE_LINE 64
#define PAGE_BYTES 4096u
/* Any value but 0 would do: a page that was replaced by a zeroed one must
 * not look like a live ring. ASCII "ring". */
#define RING_MARK 0x676e6972u

/* Each side writes only its own cache line (the marks only at attach). A
 * side reads the peer's index and the mark on the same line together. */
struct dj_chan_ring {
    volatile uint32_t head;        /* producer: messages published */
    volatile uint32_t space_event; /* producer: wake me when this message is released */
    volatile uint32_t producer_mark; /* RING_MARK while the ring lives */
    uint8_t producer_pad[CACHE_LINE - 3 * sizeof(uint32_t)];
    volatile uint32_t tail;        /* consumer: messages released */
    volatile uint32_t data_event;  /* consumer: wake me when this message is published */
    volatile uint32_t consumer_mark; /* RING_MARK while the ring lives */
    uint8_t consumer_pad[CACHE_LINE - 3 * sizeof(uint32_t)];
};
_Static_assert(sizeof(struct dj_chan_ring) == 2 * CACHE_LINE, "control block is two cache lines");

struct chan_slot {
    volatile uint32_t len;
    volatile uint32_t reserved;
    uint8_t payload[];
};
_Static_assert(sizeof(struct chan_slot) == DJ_CHAN_SLOT_HEADER, "slot header size");

/* Orders this side's earlier stores before its later loads (x86 may let a
 * load pass an older store to another address: the lost-wakeup race). */
static inline void full_fence(void)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
}

/* Loads of shared data after a peer index was read stay after it. */
static inline void acquire_fence(void)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
}

/* Stores and loads of slots before an index is stored stay before it. */
static inline void release_fence(void)
{
    __atomic_thread_fence(__ATOMIC_RELEASE);
}

static bool power_of_two(uint32_t v)
{
    return v && !(v & (v - 1));
}

/* Whether an update of an index from old to new crossed event (the
 * message number the sleeper waits for): event in [old, new). */
static bool crossed(uint32_t event, uint32_t old, uint32_t new)
{
    return (uint32_t)(new - event - 1) < (uint32_t)(new - old);
}

bool dj_chan_geometry_ok(uint32_t slots, uint32_t slot_size)
{
    return power_of_two(slots) && power_of_two(slot_size) && slots >= DJ_CHAN_MIN_SLOTS &&
           slots <= DJ_CHAN_MAX_SLOTS && slot_size >= DJ_CHAN_MIN_SLOT_SIZE && slot_size <= DJ_CHAN_MAX_SLOT_SIZE;
}

size_t dj_chan_ring_bytes(uint32_t slots, uint32_t slot_size)
{
    if (!dj_chan_geometry_ok(slots, slot_size))
        return 0;
    size_t bytes = (size_t)slots * slot_size + sizeof(struct dj_chan_ring);
    return (bytes + PAGE_BYTES - 1) & ~(size_t)(PAGE_BYTES - 1);
}

static enum dj_status check_memory(void *mem, size_t bytes, uint32_t slots, uint32_t slot_size)
{
    size_t need = dj_chan_ring_bytes(slots, slot_size);
    if (!mem || need == 0 || bytes < need || ((uintptr_t)mem & (sizeof(uint64_t) - 1)))
        return DJ_E_BAD_PARAM;
    return DJ_OK;
}

static struct dj_chan_ring *control_of(void *mem, uint32_t slots, uint32_t slot_size)
{
    return (struct dj_chan_ring *)((uint8_t *)mem + (size_t)slots * slot_size);
}

static struct chan_slot *slot_at(uint8_t *slot_base, uint32_t slot_size, uint32_t slots, uint32_t index)
{
    return (struct chan_slot *)(slot_base + (size_t)(index & (slots - 1)) * slot_size);
}

/* ---- Producer ------------------------------------------------------------- */

enum dj_status dj_chan_tx_attach(struct dj_chan_tx *tx, void *mem, size_t bytes, uint32_t slots, uint32_t slot_size)
{
    enum dj_status st = check_memory(mem, bytes, slots, slot_size);
    if (st != DJ_OK) {
        *tx = (struct dj_chan_tx){.broken = true};
        return st;
    }
    *tx = (struct dj_chan_tx){
        .ring = control_of(mem, slots, slot_size), .slot_base = mem, .slots = slots, .slot_size = slot_size,
    };
    tx->ring->head = 0;
    tx->ring->space_event = 0 - slots; /* nobody waits for space yet */
    tx->ring->tail = 0;
    tx->ring->data_event = 0; /* the consumer may wait for the first message */
    tx->ring->producer_mark = RING_MARK;
    tx->ring->consumer_mark = RING_MARK;
    return DJ_OK;
}

/* A broken end, or one never attached (a zeroed struct). */
static bool tx_dead(const struct dj_chan_tx *tx)
{
    return tx->broken || !tx->ring;
}

/* Reads the consumer's index once and checks it; false (and broken) when
 * it is not in [tail_seen, published] or the consumer's mark is gone. */
static bool tx_refresh(struct dj_chan_tx *tx)
{
    if (tx_dead(tx))
        return false;
    uint32_t tail = tx->ring->tail;
    if ((uint32_t)(tail - tx->tail_seen) > (uint32_t)(tx->published - tx->tail_seen) ||
        tx->ring->consumer_mark != RING_MARK) {
        tx->broken = true;
        return false;
    }
    tx->tail_seen = tail;
    acquire_fence(); /* writes into the freed slots stay after the read that freed them */
    return true;
}

static uint32_t tx_free(const struct dj_chan_tx *tx)
{
    return tx->slots - (uint32_t)(tx->head - tx->tail_seen);
}

uint32_t dj_chan_tx_space(struct dj_chan_tx *tx)
{
    return tx_refresh(tx) ? tx_free(tx) : 0;
}

uint32_t dj_chan_tx_in_flight(struct dj_chan_tx *tx)
{
    return tx_refresh(tx) ? (uint32_t)(tx->head - tx->tail_seen) : 0;
}

void *dj_chan_tx_reserve(struct dj_chan_tx *tx, size_t len)
{
    tx->reserved = false;
    if (tx_dead(tx) || len > dj_chan_payload_max(tx->slot_size))
        return NULL;
    /* The consumer's index is read only when the ring looks full. */
    if (tx_free(tx) == 0 && (!tx_refresh(tx) || tx_free(tx) == 0))
        return NULL;
    tx->reserved = true;
    tx->reserved_len = (uint32_t)len;
    return slot_at(tx->slot_base, tx->slot_size, tx->slots, tx->head)->payload;
}

bool dj_chan_tx_commit(struct dj_chan_tx *tx, size_t len)
{
    if (!tx->reserved || len > tx->reserved_len || tx->broken)
        return false;
    struct chan_slot *s = slot_at(tx->slot_base, tx->slot_size, tx->slots, tx->head);
    s->len = (uint32_t)len;
    s->reserved = 0;
    tx->reserved = false;
    tx->head++;
    return true;
}

bool dj_chan_tx_publish(struct dj_chan_tx *tx)
{
    if (tx->broken || tx->head == tx->published)
        return false;
    uint32_t old = tx->published;
    release_fence(); /* the slots are written before the index says so */
    tx->ring->head = tx->head;
    tx->published = tx->head;
    full_fence();    /* the index is visible before the event is read */
    return crossed(tx->ring->data_event, old, tx->head);
}

bool dj_chan_tx_arm(struct dj_chan_tx *tx)
{
    if (tx_dead(tx))
        return false;
    tx->ring->space_event = tx->head - tx->slots; /* the release that frees one slot */
    full_fence();
    return tx_refresh(tx) && tx_free(tx) == 0;
}

/* ---- Consumer ------------------------------------------------------------- */

enum dj_status dj_chan_rx_attach(struct dj_chan_rx *rx, void *mem, size_t bytes, uint32_t slots, uint32_t slot_size)
{
    enum dj_status st = check_memory(mem, bytes, slots, slot_size);
    if (st != DJ_OK) {
        *rx = (struct dj_chan_rx){.broken = true};
        return st;
    }
    *rx = (struct dj_chan_rx){
        .ring = control_of(mem, slots, slot_size), .slot_base = mem, .slots = slots, .slot_size = slot_size,
    };
    return DJ_OK;
}

static bool rx_dead(const struct dj_chan_rx *rx)
{
    return rx->broken || !rx->ring;
}

/* Reads the producer's index once and checks it; false (and broken) when
 * it is not in [head_seen, released + slots] or the producer's mark is
 * gone. */
static bool rx_refresh(struct dj_chan_rx *rx)
{
    if (rx_dead(rx))
        return false;
    uint32_t head = rx->ring->head;
    if ((uint32_t)(head - rx->head_seen) > (uint32_t)(rx->released + rx->slots - rx->head_seen) ||
        rx->ring->producer_mark != RING_MARK) {
        rx->broken = true;
        return false;
    }
    rx->head_seen = head;
    acquire_fence(); /* slot contents are read after the index that covers them */
    return true;
}

uint32_t dj_chan_rx_pending(struct dj_chan_rx *rx)
{
    return rx_refresh(rx) ? (uint32_t)(rx->head_seen - rx->tail) : 0;
}

const void *dj_chan_rx_peek(struct dj_chan_rx *rx, size_t *len)
{
    *len = 0;
    if (rx_dead(rx))
        return NULL;
    /* The producer's index is read only when everything seen is consumed. */
    if (rx->tail == rx->head_seen && (!rx_refresh(rx) || rx->tail == rx->head_seen))
        return NULL;
    struct chan_slot *s = slot_at(rx->slot_base, rx->slot_size, rx->slots, rx->tail);
    uint32_t n = s->len; /* read once; only this checked copy is used */
    if (n > dj_chan_payload_max(rx->slot_size)) {
        rx->broken = true;
        return NULL;
    }
    *len = n;
    return s->payload;
}

bool dj_chan_rx_release(struct dj_chan_rx *rx)
{
    if (rx->broken || rx->tail == rx->head_seen)
        return false;
    rx->tail++;
    return true;
}

bool dj_chan_rx_publish(struct dj_chan_rx *rx)
{
    if (rx->broken || rx->tail == rx->released)
        return false;
    uint32_t old = rx->released;
    release_fence(); /* reads of the released slots are done before they are handed back */
    rx->ring->tail = rx->tail;
    rx->released = rx->tail;
    full_fence();
    return crossed(rx->ring->space_event, old, rx->tail);
}

bool dj_chan_rx_arm(struct dj_chan_rx *rx)
{
    if (rx_dead(rx))
        return false;
    rx->ring->data_event = rx->tail; /* the message it waits for */
    full_fence();
    return rx_refresh(rx) && rx->tail == rx->head_seen;
}
