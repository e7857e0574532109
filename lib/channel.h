/* SPDX-License-Identifier: BSD-2-Clause */
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
 * for a corrupt ring), never overrun a buffer or loop forever. A client
 * maps the region in its shared window (DJ_CHILD_SHARED_VA, startinfo.h):
 * when the server dies, init replaces the vanished pages by zeroed ones,
 * which read as a broken ring (docs/channels.md, "A peer dies").
 *
 * Threads: each side of a channel is used by one thread at a time (the
 * rings are single-producer, single-consumer, and the doorbell's count is
 * consumed by whoever waits on it).
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
#define DJ_CHAN_MIN_SLOTS 2
#define DJ_CHAN_MAX_SLOTS 4096
#define DJ_CHAN_MIN_SLOT_SIZE 16
#define DJ_CHAN_MAX_SLOT_SIZE 65536

/* The shared control block of one ring (layout in chan_ring.c and
 * docs/channels.md): the producer's index and event on one cache line,
 * the consumer's on another. */
struct dj_chan_ring;

/* One direction, producer end. Geometry and own index live here, never
 * trusted from shared memory. */
struct dj_chan_tx {
    struct dj_chan_ring *ring;
    uint8_t *slot_base;        /* slots * slot_size bytes of slots */
    uint32_t slots, slot_size; /* powers of two */
    uint32_t head;             /* next slot to fill (private) */
    uint32_t published;        /* head as last published */
    uint32_t tail_seen;        /* the consumer's index as last read and checked */
    uint32_t reserved_len;     /* what the open reservation allows */
    bool reserved;             /* a slot is reserved and not yet committed */
    bool broken;               /* the consumer corrupted the ring */
};

/* One direction, consumer end. */
struct dj_chan_rx {
    struct dj_chan_ring *ring;
    uint8_t *slot_base;
    uint32_t slots, slot_size;
    uint32_t tail;             /* next slot to read (private) */
    uint32_t released;         /* tail as last published */
    uint32_t head_seen;        /* the producer's index as last read and checked */
    bool broken;               /* the producer corrupted the ring */
};

/* Whether slots and slot_size make a valid geometry (powers of two within
 * the limits above). */
bool dj_chan_geometry_ok(uint32_t slots, uint32_t slot_size);
/* Bytes of shared memory one ring of this geometry needs (a page
 * multiple); 0 for a bad geometry. */
size_t dj_chan_ring_bytes(uint32_t slots, uint32_t slot_size);
/* Largest payload of one message. */
static inline size_t dj_chan_payload_max(uint32_t slot_size)
{
    return slot_size - DJ_CHAN_SLOT_HEADER;
}
/* Both ends attach to the same memory (8-byte aligned) with the same
 * geometry; the producer end also clears the ring's control block, so it
 * attaches before the consumer starts reading. DJ_E_BAD_PARAM for a bad
 * geometry, misaligned memory or too little of it. */
enum dj_status dj_chan_tx_attach(struct dj_chan_tx *tx, void *mem, size_t bytes, uint32_t slots, uint32_t slot_size);
enum dj_status dj_chan_rx_attach(struct dj_chan_rx *rx, void *mem, size_t bytes, uint32_t slots, uint32_t slot_size);

/* Producer. reserve: a slot's payload area for up to len bytes, or NULL
 * when the ring is full (or broken, or len too large). commit: the
 * reserved slot holds len bytes (not yet visible); false (nothing
 * committed) without an open reservation or for more bytes than reserved.
 * publish: make committed messages visible; true when the consumer asked
 * to be woken (ring its doorbell). Publishing once per batch of commits
 * is what batching means here. */
void *dj_chan_tx_reserve(struct dj_chan_tx *tx, size_t len);
bool dj_chan_tx_commit(struct dj_chan_tx *tx, size_t len);
bool dj_chan_tx_publish(struct dj_chan_tx *tx);
/* Free slots as far as this side can tell (reads the consumer's index). */
uint32_t dj_chan_tx_space(struct dj_chan_tx *tx);
/* Committed messages the consumer has not released yet. */
uint32_t dj_chan_tx_in_flight(struct dj_chan_tx *tx);
/* Before sleeping for space: ask to be woken when a slot frees up; false
 * if space appeared meanwhile or the ring is broken (do not sleep).
 * Publish before arming, or the consumer may wait for messages this side
 * still holds back. */
bool dj_chan_tx_arm(struct dj_chan_tx *tx);

/* Consumer. peek: the next message in place (*len its length, checked
 * against the slot size), NULL when empty or broken. The payload stays in
 * shared memory: a hostile producer can change it while it is read, so
 * copy it first where that matters (dj_chan_read does). release: done
 * with the peeked message (false if there was none). publish: make
 * released slots free for the producer; true when it asked to be woken. */
const void *dj_chan_rx_peek(struct dj_chan_rx *rx, size_t *len);
bool dj_chan_rx_release(struct dj_chan_rx *rx);
bool dj_chan_rx_publish(struct dj_chan_rx *rx);
/* Messages waiting as far as this side can tell (reads the producer's
 * index). */
uint32_t dj_chan_rx_pending(struct dj_chan_rx *rx);
/* Before sleeping for data: ask to be woken by the next message; false if
 * a message arrived meanwhile or the ring is broken (do not sleep).
 * Publish releases before arming. */
bool dj_chan_rx_arm(struct dj_chan_rx *rx);

/* ---- Channels with doorbells (lib/channel.c) ---------------------------- */

struct dj_chan {
    struct dj_chan_tx tx;
    struct dj_chan_rx rx;
    uint64_t own_sm;  /* this side's doorbell: the peer ups it */
    uint64_t peer_sm; /* the peer's doorbell */
    uint64_t mem_va;  /* the shared region */
    size_t mem_bytes; /* the region's bytes (whole pages) */
    unsigned mem_order; /* the region lies within 2^mem_order pages from mem_va */
    bool owner;       /* this side allocated the region and the doorbells */
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
 *   DJ_CHAN_OP_CONNECT   [1] slots, [2] slot_size, [3] the page number
 *                        where the region lands in the client (its receive
 *                        window) -> reply: [0] status, [1] region bytes,
 *                        the region as memory items (RW) there: one per
 *                        set bit of its page count, largest first (the
 *                        kernel moves at most 2^10 pages per item)
 *   DJ_CHAN_OP_DOORBELLS [1] the first of two selectors in the client ->
 *                        reply: [0] status, two semaphores there: the
 *                        client's own doorbell (up, down), then the
 *                        server's (up)
 * dj_chan_connect does both and attaches the client's ends (it produces on
 * ring 0 and consumes ring 1 of the region). */
#define DJ_CHAN_OP_CONNECT 0x200
#define DJ_CHAN_OP_DOORBELLS 0x201
#define DJ_CHAN_CONNECT_WORDS 4
#define DJ_CHAN_DOORBELLS_WORDS 2
/* Bytes of the region (both rings); 0 for a bad geometry. */
size_t dj_chan_region_bytes(struct dj_chan_geom geom);
/* The order (log2 of pages) of the receive window that holds the region;
 * -1 for a bad geometry or a region above DJ_CHAN_MAX_REGION_PAGES. */
int dj_chan_region_order(struct dj_chan_geom geom);
/* va: 2^dj_chan_region_order(geom) free pages from a page-aligned
 * address, in the shared window [DJ_CHILD_SHARED_VA, DJ_CHILD_SHARED_END)
 * for a component started by init (elsewhere the server's death makes the
 * client's next access fault, which kills it); sm_sel: two free
 * selectors. Uses the calling EC's UTCB
 * (dj_utcb()). DJ_OK, the call's status, or the server's; on failure
 * nothing of the attempt stays at va and sm_sel. */
enum dj_status dj_chan_connect(struct dj_chan *c, uint64_t pt, struct dj_chan_geom geom, uint64_t va, uint64_t sm_sel);

/* The accepting side's state for one channel and one client. The server
 * fills in the first four fields and optionally wake_sm (the rest zero)
 * before serving. */
enum dj_chan_server_state { DJ_CHAN_IDLE, DJ_CHAN_HALF_OPEN, DJ_CHAN_CONNECTED };
struct dj_chan_server {
    uint64_t pd_sel;              /* the server's own PD (creates the doorbells) */
    uint64_t va;                  /* where to allocate the region: free and page
                                     aligned, room for the largest `max` allows */
    uint64_t sm_sel;              /* two free selectors for the doorbells */
    struct dj_chan_geom max;      /* the largest geometry it accepts */
    uint64_t wake_sm;             /* optional (0: none): an existing semaphore of
                                     the server that the client's doorbell ups,
                                     so one thread can sleep for several
                                     channels (own_sm is then wake_sm; a reset
                                     does not take the client's up right back:
                                     it goes with the client's PD) */
    struct dj_chan chan;          /* use only while connected */
    volatile bool connected;      /* both calls done: chan is usable */
    /* Kept by the library: */
    volatile enum dj_chan_server_state state;
    uint64_t badge;               /* the client's (set by its CONNECT) */
    unsigned region_pages;        /* allocated at va so far */
    bool doorbells_made;
};
/* Optional, from the server's main thread before serving: creates the
 * doorbells now, so the thread can wait on s->chan.own_sm before a client
 * connects (and bind device interrupts to it: one semaphore then wakes it
 * for both). dj_chan_serve creates them on first use otherwise. Until
 * s->connected, wait with dj_sm_down(s->chan.own_sm), not dj_chan_wait. */
enum dj_status dj_chan_server_init(struct dj_chan_server *s);
/* Handles a DJ_CHAN_OP_* request in u from the portal handler (one client
 * per dj_chan_server: the badge of the first CONNECT); writes the reply,
 * returns its MTD. When the channel opens, the server's own doorbell is
 * rung once, so a main thread waiting on it sees s->connected. A CONNECT
 * while connected is refused (DJ_E_BUSY) until dj_chan_server_reset. */
uint64_t dj_chan_serve(struct dj_chan_server *s, struct dj_utcb *u);
/* From the server's main thread (never while a handler could be using the
 * channel): takes the region and the doorbells away from the client and
 * accepts a new CONNECT (the region is reused if the new geometry fits). */
void dj_chan_server_reset(struct dj_chan_server *s);

/* Blocking copies: write waits for space, read for a message. Errors:
 * DJ_E_ABORTED when the peer broke the ring (or the channel is closed),
 * DJ_E_OVERFLOW for a message longer than the slot's payload (write) or
 * than cap (read: *len gets its length, it stays in the ring). Each call
 * publishes at once and rings the doorbell if the peer asked. The
 * non-blocking forms return DJ_E_TIMEOUT instead of waiting. */
enum dj_status dj_chan_write(struct dj_chan *c, const void *msg, size_t len);
enum dj_status dj_chan_try_write(struct dj_chan *c, const void *msg, size_t len);
enum dj_status dj_chan_read(struct dj_chan *c, void *buf, size_t cap, size_t *len);
enum dj_status dj_chan_try_read(struct dj_chan *c, void *buf, size_t cap, size_t *len);
/* Publishes both directions (after batches of reserve/commit or
 * peek/release) and rings the peer's doorbell if it asked. */
void dj_chan_flush(struct dj_chan *c);
/* Flushes, then waits until the doorbell rings (data or space may have
 * arrived: check, arm, check again, then wait). Not DJ_OK when the
 * doorbell is gone (the channel was closed, or the peer that made it
 * died: a sleeper wakes with DJ_E_ABORTED): the ends are broken then. */
enum dj_status dj_chan_wait(struct dj_chan *c);
/* Ring the peer's doorbell if the last publishes asked for it. */
void dj_chan_kick(struct dj_chan *c, bool needed);
/* The owner (server) takes the region and the doorbells away from the
 * peer and keeps them (a server uses dj_chan_server_reset, which also
 * accepts the next client); the other side gives up its own copies.
 * Either way this side's ends are broken afterwards (DJ_E_ABORTED). The
 * peer is not told: a client whose region lies in its shared window
 * finds its ends broken at its next look (zeroed pages, see above); a
 * peer asleep on its doorbell stays asleep until it is rung or the
 * doorbell is destroyed. */
void dj_chan_close(struct dj_chan *c);
