/* Shared-memory channels between exactly two PDs (docs/channels.md).
 *
 * A channel is a pair of single-producer/single-consumer rings, one per
 * direction, in memory the accepting side allocates and delegates to the
 * connecting side, plus one doorbell semaphore per side. Messages are
 * copied into fixed-size slots (small messages inline; a slot can also be
 * filled and read in place, so a driver need not copy twice).
 *
 * Doorbells are suppressed while the other side is busy: a side that is
 * about to sleep publishes the index it waits for (an event index, as in
 * virtio) and its peer rings only when it crosses that index.
 *
 * Trust: each side keeps its own copies of the geometry and of its own
 * index; it reads only the peer's index and the slot lengths from shared
 * memory and checks every one of them, so a peer that stops, dies or
 * scribbles over the ring can make this side see errors (DJ_E_ABORTED
 * for a corrupt ring), never overrun a buffer or loop forever.
 *
 * Set-up goes through a portal init granted (no global names): the client
 * calls the server's portal (see dj_chan_connect below). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

/* ---- Ring layer (pure: no system calls; lib/chan_ring.c) ---------------- */

#define DJ_CHAN_SLOT_HEADER 8       /* a slot: u32 length, u32 reserved, payload */
#define DJ_CHAN_MAX_SLOTS 4096
#define DJ_CHAN_MAX_SLOT_SIZE 65536

/* One direction. Geometry and own index live in the private struct, never
 * trusted from shared memory. */
struct dj_chan_ring; /* shared layout: chan_ring.c */

struct dj_chan_tx {
    struct dj_chan_ring *ring;
    uint32_t slots, slot_size; /* powers of two */
    uint32_t head;             /* next slot to fill (private) */
    uint32_t published;        /* head as last published */
    uint32_t tail_seen;        /* the consumer's index as last read and checked */
    bool broken;               /* the consumer corrupted the ring */
};

struct dj_chan_rx {
    struct dj_chan_ring *ring;
    uint32_t slots, slot_size;
    uint32_t tail;             /* next slot to read (private) */
    uint32_t released;         /* tail as last published */
    bool broken;               /* the producer corrupted the ring */
};

/* Bytes of shared memory one ring of this geometry needs (a page multiple). */
size_t dj_chan_ring_bytes(uint32_t slots, uint32_t slot_size);
/* Largest payload of one message. */
static inline size_t dj_chan_payload_max(uint32_t slot_size)
{
    return slot_size - DJ_CHAN_SLOT_HEADER;
}
/* Both ends attach to the same memory with the same geometry; the producer
 * end also clears the ring. DJ_E_BAD_PARAM for a bad geometry or too
 * little memory. */
enum dj_status dj_chan_tx_attach(struct dj_chan_tx *tx, void *mem, size_t bytes, uint32_t slots, uint32_t slot_size);
enum dj_status dj_chan_rx_attach(struct dj_chan_rx *rx, void *mem, size_t bytes, uint32_t slots, uint32_t slot_size);

/* Producer. reserve: a slot's payload area for up to len bytes, or NULL
 * when the ring is full (or broken, or len too large). commit: the
 * reserved slot holds len bytes (not yet visible). publish: make committed
 * messages visible; true when the consumer asked to be woken (ring its
 * doorbell). */
void *dj_chan_tx_reserve(struct dj_chan_tx *tx, size_t len);
void dj_chan_tx_commit(struct dj_chan_tx *tx, size_t len);
bool dj_chan_tx_publish(struct dj_chan_tx *tx);
/* Free slots as far as this side can tell. */
uint32_t dj_chan_tx_space(struct dj_chan_tx *tx);
/* Before sleeping for space: ask to be woken when a slot frees up; false
 * if space appeared meanwhile (do not sleep). */
bool dj_chan_tx_arm(struct dj_chan_tx *tx);

/* Consumer. peek: the next message in place (*len its length), NULL when
 * empty or broken. release: done with the peeked message. publish: make
 * released slots free for the producer; true when it asked to be woken. */
const void *dj_chan_rx_peek(struct dj_chan_rx *rx, size_t *len);
void dj_chan_rx_release(struct dj_chan_rx *rx);
bool dj_chan_rx_publish(struct dj_chan_rx *rx);
/* Before sleeping for data: ask to be woken by the next message; false if
 * a message arrived meanwhile (do not sleep). */
bool dj_chan_rx_arm(struct dj_chan_rx *rx);

/* ---- Channels with doorbells (lib/channel.c) ---------------------------- */

struct dj_chan {
    struct dj_chan_tx tx;
    struct dj_chan_rx rx;
    uint64_t own_sm;  /* this side's doorbell: the peer ups it */
    uint64_t peer_sm; /* the peer's doorbell */
    uint64_t mem_va;  /* the shared region */
    size_t mem_bytes;
};

/* Geometry of both rings of a channel; the connecting side chooses it and
 * the accepting side checks it (slots and slot_size powers of two, within
 * the limits above; the region at most DJ_CHAN_MAX_REGION_PAGES pages). */
struct dj_chan_geom {
    uint32_t slots, slot_size;
};
#define DJ_CHAN_MAX_REGION_PAGES 1024

/* Set-up. The accepting side (the server, usually the more trusted one:
 * a driver) allocates the region and both doorbells, so a client can
 * neither revoke memory under it nor starve it of quota. Two calls, because
 * one reply carries items of one kind only (one receive window):
 *   DJ_CHAN_OP_CONNECT   [1] slots, [2] slot_size -> reply: the region as
 *                        memory items (RW) at the client's window; [1] bytes
 *   DJ_CHAN_OP_DOORBELLS -> reply: two semaphores at the client's window:
 *                        its own doorbell (up, down), then the server's (up)
 * dj_chan_connect does both and attaches the client's ends (it produces on
 * ring 0 and consumes ring 1 of the region). */
#define DJ_CHAN_OP_CONNECT 0x200
#define DJ_CHAN_OP_DOORBELLS 0x201
size_t dj_chan_region_bytes(struct dj_chan_geom geom);
/* va: free, page aligned, dj_chan_region_bytes(geom) bytes; sm_sel: two
 * free selectors. */
enum dj_status dj_chan_connect(struct dj_chan *c, uint64_t pt, struct dj_chan_geom geom, uint64_t va, uint64_t sm_sel);

/* The accepting side's state for one channel. */
struct dj_chan_server {
    uint64_t pd_sel;              /* the server's own PD (creates the doorbells) */
    uint64_t va;                  /* where to allocate the region (free, page aligned) */
    uint64_t sm_sel;              /* two free selectors for the doorbells */
    struct dj_chan_geom max;      /* the largest geometry it accepts */
    struct dj_chan chan;
    bool connected;               /* both calls done: chan is usable */
};
/* Handles a DJ_CHAN_OP_* request in u from the portal handler (one client
 * per dj_chan_server); writes the reply, returns its MTD. */
uint64_t dj_chan_serve(struct dj_chan_server *s, struct dj_utcb *u);

/* Blocking copies: write waits for space, read for a message (read
 * returns the length, or -1 with *err set if the peer broke the ring;
 * messages longer than cap are an error too). The non-blocking forms
 * return DJ_E_TIMEOUT instead of waiting. */
enum dj_status dj_chan_write(struct dj_chan *c, const void *msg, size_t len);
enum dj_status dj_chan_try_write(struct dj_chan *c, const void *msg, size_t len);
enum dj_status dj_chan_read(struct dj_chan *c, void *buf, size_t cap, size_t *len);
enum dj_status dj_chan_try_read(struct dj_chan *c, void *buf, size_t cap, size_t *len);
/* Wait until the doorbell rings (data or space may have arrived). */
void dj_chan_wait(struct dj_chan *c);
/* Ring the peer's doorbell if the last publishes asked for it. */
void dj_chan_kick(struct dj_chan *c, bool needed);
/* Revoke the region from the peer and drop the doorbells. */
void dj_chan_close(struct dj_chan *c);
