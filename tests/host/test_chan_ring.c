// host-test-sources: lib/chan_ring.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The channel ring layer (lib/chan_ring.c): ordering, wrap-around of the
 * slots and of the 32-bit indices, full and empty, batching, event-index
 * doorbell suppression (doorbells counted, lost wakeups searched for by a
 * model of two sleeping sides and by two real threads with semaphores),
 * and hostile peers: indices moved backwards or far forward, lengths too
 * large, random scribbling over the control block and the slots, also
 * from a second thread while the honest side runs, and a ring whose
 * memory was replaced by zeroed pages (a dead peer's). The ring memory is
 * malloc'ed at its exact size, so ASan catches any access outside it. */
#include <pthread.h>
#include <semaphore.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lib/channel.h"

#define SMALL_SLOTS 8
#define SMALL_SLOT_SIZE 64
#define PAGE 4096u
#define CONTROL_BYTES 128
#define CONSUMER_LINE 64
#define SEQ_BYTES sizeof(uint64_t)

/* The control block, as chan_ring.c lays it out (docs/channels.md). */
struct control {
    uint32_t head, space_event, producer_mark;
    uint8_t pad0[CONSUMER_LINE - 12];
    uint32_t tail, data_event, consumer_mark;
    uint8_t pad1[CONSUMER_LINE - 12];
};

struct ring {
    void *mem;
    size_t bytes;
    uint32_t slots, slot_size;
    struct dj_chan_tx tx;
    struct dj_chan_rx rx;
};

static void ring_open(struct ring *r, uint32_t slots, uint32_t slot_size)
{
    r->slots = slots;
    r->slot_size = slot_size;
    r->bytes = dj_chan_ring_bytes(slots, slot_size);
    assert_true(r->bytes > 0);
    r->mem = malloc(r->bytes);
    assert_non_null(r->mem);
    memset(r->mem, 0xa5, r->bytes); /* the producer's attach must clear what matters */
    assert_int_equal(dj_chan_tx_attach(&r->tx, r->mem, r->bytes, slots, slot_size), DJ_OK);
    assert_int_equal(dj_chan_rx_attach(&r->rx, r->mem, r->bytes, slots, slot_size), DJ_OK);
}

static void ring_close(struct ring *r)
{
    free(r->mem);
    r->mem = NULL;
}

static volatile struct control *control(struct ring *r)
{
    return (volatile struct control *)((uint8_t *)r->mem + (size_t)r->slots * r->slot_size);
}

static volatile uint32_t *slot_len(struct ring *r, uint32_t index)
{
    return (volatile uint32_t *)((uint8_t *)r->mem + (size_t)(index % r->slots) * r->slot_size);
}

/* A deterministic generator (xorshift64), so failures repeat. */
static uint64_t rng_state;
static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Message n: its length and a byte pattern derived from n. */
static size_t msg_len(uint64_t n, size_t max)
{
    return SEQ_BYTES + (size_t)((n * 2654435761u) % (max - SEQ_BYTES + 1));
}

static void msg_fill(uint8_t *p, uint64_t n, size_t len)
{
    memcpy(p, &n, SEQ_BYTES);
    for (size_t i = SEQ_BYTES; i < len; i++)
        p[i] = (uint8_t)(n * 31 + i);
}

static bool msg_ok(const uint8_t *p, uint64_t n, size_t len)
{
    uint64_t seq;
    if (len < SEQ_BYTES)
        return false;
    memcpy(&seq, p, SEQ_BYTES);
    if (seq != n)
        return false;
    for (size_t i = SEQ_BYTES; i < len; i++)
        if (p[i] != (uint8_t)(n * 31 + i))
            return false;
    return true;
}

/* Producer side: one message n; false when the ring is full. */
static bool send_one(struct dj_chan_tx *tx, uint64_t n, size_t len)
{
    uint8_t *p = dj_chan_tx_reserve(tx, len);
    if (!p)
        return false;
    msg_fill(p, n, len);
    assert_true(dj_chan_tx_commit(tx, len));
    return true;
}

/* Consumer side: the next message must be n. */
static void expect_one(struct dj_chan_rx *rx, uint64_t n)
{
    size_t len = 0;
    const uint8_t *p = dj_chan_rx_peek(rx, &len);
    assert_non_null(p);
    assert_true(msg_ok(p, n, len));
    assert_true(dj_chan_rx_release(rx));
}

/* Both ends as if 'start' messages had already gone through. */
static void start_at(struct ring *r, uint32_t start)
{
    r->tx.head = r->tx.published = r->tx.tail_seen = start;
    r->rx.tail = r->rx.released = r->rx.head_seen = start;
    control(r)->head = control(r)->tail = control(r)->data_event = start;
    control(r)->space_event = start - r->slots;
}

/* ---- Geometry and attach --------------------------------------------------- */

static void geometry_limits(void **state)
{
    (void)state;
    assert_int_equal(dj_chan_ring_bytes(8, 64), PAGE);
    assert_int_equal(dj_chan_ring_bytes(2, 2048), 2 * PAGE); /* 4096 of slots + the control block */
    assert_int_equal(dj_chan_ring_bytes(256, 2048), 129 * PAGE);
    assert_int_equal(dj_chan_ring_bytes(0, 64), 0);
    assert_int_equal(dj_chan_ring_bytes(1, 64), 0);
    assert_int_equal(dj_chan_ring_bytes(6, 64), 0);
    assert_int_equal(dj_chan_ring_bytes(8, 8), 0);
    assert_int_equal(dj_chan_ring_bytes(8, 96), 0);
    assert_int_equal(dj_chan_ring_bytes(DJ_CHAN_MAX_SLOTS * 2, 64), 0);
    assert_int_equal(dj_chan_ring_bytes(8, DJ_CHAN_MAX_SLOT_SIZE * 2), 0);
    assert_int_equal(dj_chan_payload_max(64), 56);
}

static void attach_refuses_bad_memory(void **state)
{
    (void)state;
    static _Alignas(16) uint8_t mem[2 * PAGE];
    struct dj_chan_tx tx;
    struct dj_chan_rx rx;
    assert_int_equal(dj_chan_tx_attach(&tx, mem, PAGE - 1, 8, 64), DJ_E_BAD_PARAM);
    assert_true(tx.broken);
    assert_null(dj_chan_tx_reserve(&tx, 1));
    assert_int_equal(dj_chan_rx_attach(&rx, mem + 1, PAGE, 8, 64), DJ_E_BAD_PARAM);
    size_t len;
    assert_null(dj_chan_rx_peek(&rx, &len));
    assert_int_equal(dj_chan_rx_attach(&rx, NULL, PAGE, 8, 64), DJ_E_BAD_PARAM);
    assert_int_equal(dj_chan_tx_attach(&tx, mem, PAGE, 8, 63), DJ_E_BAD_PARAM);
    assert_int_equal(dj_chan_tx_attach(&tx, mem, PAGE, 8, 64), DJ_OK);
}

/* A zeroed end (never attached, as in a fresh server struct) is dead, not
 * a null pointer waiting to be used. */
static void unattached_ends_are_dead(void **state)
{
    (void)state;
    struct dj_chan_tx tx = {0};
    struct dj_chan_rx rx = {0};
    size_t len;
    assert_null(dj_chan_tx_reserve(&tx, 1));
    assert_false(dj_chan_tx_commit(&tx, 0));
    assert_false(dj_chan_tx_publish(&tx));
    assert_false(dj_chan_tx_arm(&tx));
    assert_int_equal(dj_chan_tx_space(&tx), 0);
    assert_null(dj_chan_rx_peek(&rx, &len));
    assert_false(dj_chan_rx_release(&rx));
    assert_false(dj_chan_rx_publish(&rx));
    assert_false(dj_chan_rx_arm(&rx));
    assert_int_equal(dj_chan_rx_pending(&rx), 0);
}

/* ---- Normal operation ------------------------------------------------------- */

static void messages_arrive_in_order(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    size_t max = dj_chan_payload_max(SMALL_SLOT_SIZE);
    uint64_t sent = 0, got = 0;
    rng_state = 1;
    while (got < 1000) {
        unsigned burst = rnd() % (SMALL_SLOTS + 2);
        for (unsigned i = 0; i < burst && send_one(&r.tx, sent, msg_len(sent, max)); i++)
            sent++;
        dj_chan_tx_publish(&r.tx);
        unsigned take = rnd() % (SMALL_SLOTS + 2);
        for (unsigned i = 0; i < take && got < sent; i++)
            expect_one(&r.rx, got++);
        dj_chan_rx_publish(&r.rx);
    }
    assert_false(r.tx.broken);
    assert_false(r.rx.broken);
    ring_close(&r);
}

static void indices_wrap_around_2_32(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    uint32_t start = UINT32_MAX - 20;
    start_at(&r, start);
    for (uint64_t n = 0; n < 100; n++) {
        assert_true(send_one(&r.tx, n, SEQ_BYTES + n % 40));
        dj_chan_tx_publish(&r.tx);
        expect_one(&r.rx, n);
        dj_chan_rx_publish(&r.rx);
    }
    assert_int_equal(r.tx.head, (uint32_t)(start + 100));
    assert_int_equal(control(&r)->tail, (uint32_t)(start + 100));
    /* A full ring across the wrap. */
    start_at(&r, UINT32_MAX - 3);
    for (uint64_t n = 0; n < SMALL_SLOTS; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    assert_null(dj_chan_tx_reserve(&r.tx, 1));
    dj_chan_tx_publish(&r.tx);
    assert_int_equal(dj_chan_rx_pending(&r.rx), SMALL_SLOTS);
    for (uint64_t n = 0; n < SMALL_SLOTS; n++)
        expect_one(&r.rx, n);
    dj_chan_rx_publish(&r.rx);
    assert_int_equal(dj_chan_tx_space(&r.tx), SMALL_SLOTS);
    assert_false(r.tx.broken || r.rx.broken);
    ring_close(&r);
}

static void full_and_empty(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    size_t len = 1;
    assert_null(dj_chan_rx_peek(&r.rx, &len));
    assert_int_equal(len, 0);
    assert_false(dj_chan_rx_release(&r.rx));
    assert_int_equal(dj_chan_tx_space(&r.tx), SMALL_SLOTS);
    for (uint64_t n = 0; n < SMALL_SLOTS; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    assert_int_equal(dj_chan_tx_space(&r.tx), 0);
    assert_null(dj_chan_tx_reserve(&r.tx, 1));
    dj_chan_tx_publish(&r.tx);
    expect_one(&r.rx, 0);
    assert_null(dj_chan_tx_reserve(&r.tx, 1)); /* released but not yet published */
    dj_chan_rx_publish(&r.rx);
    assert_int_equal(dj_chan_tx_space(&r.tx), 1);
    assert_true(send_one(&r.tx, SMALL_SLOTS, SEQ_BYTES));
    assert_int_equal(dj_chan_tx_in_flight(&r.tx), SMALL_SLOTS);
    assert_false(r.tx.broken || r.rx.broken);
    ring_close(&r);
}

static void reserve_and_commit_rules(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    size_t max = dj_chan_payload_max(SMALL_SLOT_SIZE);
    assert_false(dj_chan_tx_commit(&r.tx, 0)); /* nothing reserved */
    assert_null(dj_chan_tx_reserve(&r.tx, max + 1));
    assert_non_null(dj_chan_tx_reserve(&r.tx, 10));
    assert_false(dj_chan_tx_commit(&r.tx, 11)); /* more than reserved */
    assert_true(dj_chan_tx_commit(&r.tx, 0));   /* an empty message is a message */
    assert_false(dj_chan_tx_commit(&r.tx, 0));  /* once per reserve */
    uint8_t *p = dj_chan_tx_reserve(&r.tx, max);
    assert_non_null(p);
    memset(p, 0x5a, max);
    assert_true(dj_chan_tx_commit(&r.tx, max));
    dj_chan_tx_publish(&r.tx);
    size_t len = 99;
    assert_non_null(dj_chan_rx_peek(&r.rx, &len));
    assert_int_equal(len, 0);
    assert_true(dj_chan_rx_release(&r.rx));
    const uint8_t *q = dj_chan_rx_peek(&r.rx, &len);
    assert_non_null(q);
    assert_int_equal(len, max);
    assert_int_equal(q[max - 1], 0x5a);
    /* Peeking again gives the same message until it is released. */
    assert_ptr_equal(dj_chan_rx_peek(&r.rx, &len), q);
    assert_true(dj_chan_rx_release(&r.rx));
    assert_false(dj_chan_rx_release(&r.rx));
    ring_close(&r);
}

static void batches_are_invisible_until_published(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    size_t len;
    for (uint64_t n = 0; n < 5; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    assert_null(dj_chan_rx_peek(&r.rx, &len));
    assert_int_equal(control(&r)->head, 0);
    dj_chan_tx_publish(&r.tx);
    assert_int_equal(control(&r)->head, 5);
    for (uint64_t n = 0; n < 5; n++)
        expect_one(&r.rx, n);
    assert_int_equal(control(&r)->tail, 0);
    assert_int_equal(dj_chan_tx_in_flight(&r.tx), 5);
    dj_chan_rx_publish(&r.rx);
    assert_int_equal(control(&r)->tail, 5);
    assert_int_equal(dj_chan_tx_in_flight(&r.tx), 0);
    assert_false(dj_chan_tx_publish(&r.tx)); /* nothing new: no store, no doorbell */
    assert_false(dj_chan_rx_publish(&r.rx));
    ring_close(&r);
}

/* ---- Doorbells ------------------------------------------------------------- */

static void doorbell_only_when_the_consumer_waits(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    /* Initially the consumer may be waiting for message 0. */
    assert_true(send_one(&r.tx, 0, SEQ_BYTES));
    assert_true(dj_chan_tx_publish(&r.tx));
    assert_true(send_one(&r.tx, 1, SEQ_BYTES));
    assert_false(dj_chan_tx_publish(&r.tx)); /* it has not slept since */
    expect_one(&r.rx, 0);
    expect_one(&r.rx, 1);
    dj_chan_rx_publish(&r.rx);
    assert_true(dj_chan_rx_arm(&r.rx)); /* empty: it may sleep */
    assert_true(send_one(&r.tx, 2, SEQ_BYTES));
    assert_true(send_one(&r.tx, 3, SEQ_BYTES));
    assert_true(dj_chan_tx_publish(&r.tx)); /* one doorbell for the batch */
    assert_true(send_one(&r.tx, 4, SEQ_BYTES));
    assert_false(dj_chan_tx_publish(&r.tx));
    /* Arming with data waiting says: do not sleep. */
    assert_false(dj_chan_rx_arm(&r.rx));
    ring_close(&r);
}

static void doorbell_only_when_the_producer_waits(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    for (uint64_t n = 0; n < SMALL_SLOTS; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    dj_chan_tx_publish(&r.tx);
    expect_one(&r.rx, 0);
    assert_false(dj_chan_rx_publish(&r.rx)); /* the producer is not waiting */
    assert_false(dj_chan_tx_arm(&r.tx));     /* a slot is free: no sleep */
    assert_true(send_one(&r.tx, SMALL_SLOTS, SEQ_BYTES));
    dj_chan_tx_publish(&r.tx);
    assert_true(dj_chan_tx_arm(&r.tx)); /* full: it may sleep */
    expect_one(&r.rx, 1);
    expect_one(&r.rx, 2);
    assert_true(dj_chan_rx_publish(&r.rx)); /* frees a slot: wake it, once */
    expect_one(&r.rx, 3);
    assert_false(dj_chan_rx_publish(&r.rx));
    ring_close(&r);
}

/* A model of two sides that sleep on semaphores (counts) and run in a
 * random order, one loop step at a time; each publishes every `batch`
 * messages. A lost wakeup shows as both asleep with messages left. Each
 * arm asks for at most one doorbell (plus the initial one for message 0),
 * so the doorbells are counted against the arms. */
struct side {
    bool asleep;
    unsigned sem, arms, sleeps, rung;
};

static void ring_bell(struct side *s)
{
    s->sem++;
    s->rung++;
}

static void producer_step(struct ring *r, struct side *p, struct side *c, uint64_t *sent, uint64_t total,
                          unsigned batch)
{
    if (*sent < total && send_one(&r->tx, *sent, SEQ_BYTES)) {
        if (++*sent % batch == 0 && dj_chan_tx_publish(&r->tx))
            ring_bell(c);
        return;
    }
    if (dj_chan_tx_publish(&r->tx))
        ring_bell(c);
    if (*sent == total)
        return;
    p->arms++;
    if (dj_chan_tx_arm(&r->tx)) {
        p->asleep = true;
        p->sleeps++;
    }
}

static void consumer_step(struct ring *r, struct side *p, struct side *c, uint64_t *got, unsigned batch)
{
    size_t len;
    if (dj_chan_rx_peek(&r->rx, &len)) {
        expect_one(&r->rx, *got);
        if (++*got % batch == 0 && dj_chan_rx_publish(&r->rx))
            ring_bell(p);
        return;
    }
    if (dj_chan_rx_publish(&r->rx))
        ring_bell(p);
    c->arms++;
    if (dj_chan_rx_arm(&r->rx)) {
        c->asleep = true;
        c->sleeps++;
    }
}

static void wake_if_rung(struct side *s)
{
    if (s->asleep && s->sem > 0) {
        s->sem--;
        s->asleep = false;
    }
}

static void model_run(unsigned batch, uint64_t seed, unsigned *sleeps, unsigned *rung)
{
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    struct side p = {0}, c = {0};
    uint64_t sent = 0, got = 0, total = 20000;
    rng_state = seed;
    while (got < total) {
        wake_if_rung(&p);
        wake_if_rung(&c);
        assert_true(!p.asleep || !c.asleep); /* both asleep: a lost wakeup */
        if (!p.asleep && (c.asleep || rnd() % 2))
            producer_step(&r, &p, &c, &sent, total, batch);
        else
            consumer_step(&r, &p, &c, &got, batch);
    }
    assert_true(p.rung <= p.arms);
    assert_true(c.rung <= c.arms + 1);
    *sleeps += p.sleeps + c.sleeps;
    *rung += p.rung + c.rung;
    ring_close(&r);
}

static void no_lost_wakeup_in_any_order(void **state)
{
    (void)state;
    unsigned sleeps = 0, rung = 0;
    for (uint64_t seed = 1; seed <= 20; seed++) {
        model_run(1, seed, &sleeps, &rung);
        model_run(3, seed * 7919, &sleeps, &rung);
        model_run(SMALL_SLOTS, seed * 104729, &sleeps, &rung);
    }
    /* 60 runs of 20000 messages: doorbells are far fewer than messages. */
    assert_true(rung < 60 * 20000 / 2);
    assert_true(sleeps <= rung + 60);
}

/* Two real threads, POSIX semaphores as doorbells, varied sizes. */
#define THREAD_MESSAGES 200000
#define THREAD_SLOTS 64
#define THREAD_SLOT_SIZE 256
#define THREAD_BATCH 4

struct duplex {
    struct ring r;
    sem_t producer_bell, consumer_bell;
    uint64_t bad, producer_sleeps, consumer_sleeps;
};

static void *producer_thread(void *arg)
{
    struct duplex *d = arg;
    size_t max = dj_chan_payload_max(THREAD_SLOT_SIZE);
    for (uint64_t n = 0; n < THREAD_MESSAGES;) {
        if (send_one(&d->r.tx, n, msg_len(n, max))) {
            if (++n % THREAD_BATCH == 0 && dj_chan_tx_publish(&d->r.tx))
                sem_post(&d->consumer_bell);
            continue;
        }
        if (dj_chan_tx_publish(&d->r.tx))
            sem_post(&d->consumer_bell);
        if (dj_chan_tx_arm(&d->r.tx)) {
            d->producer_sleeps++;
            sem_wait(&d->producer_bell);
        }
    }
    if (dj_chan_tx_publish(&d->r.tx))
        sem_post(&d->consumer_bell);
    return NULL;
}

static void *consumer_thread(void *arg)
{
    struct duplex *d = arg;
    static uint8_t copy[THREAD_SLOT_SIZE];
    for (uint64_t n = 0; n < THREAD_MESSAGES;) {
        size_t len;
        const uint8_t *p = dj_chan_rx_peek(&d->r.rx, &len);
        if (p) {
            memcpy(copy, p, len);
            d->bad += !msg_ok(copy, n, len);
            dj_chan_rx_release(&d->r.rx);
            if (++n % THREAD_BATCH == 0 && dj_chan_rx_publish(&d->r.rx))
                sem_post(&d->producer_bell);
            continue;
        }
        if (dj_chan_rx_publish(&d->r.rx))
            sem_post(&d->producer_bell);
        if (dj_chan_rx_arm(&d->r.rx)) {
            d->consumer_sleeps++;
            sem_wait(&d->consumer_bell);
        }
    }
    return NULL;
}

static void two_threads_stream_with_checks(void **state)
{
    (void)state;
    static struct duplex d;
    ring_open(&d.r, THREAD_SLOTS, THREAD_SLOT_SIZE);
    sem_init(&d.producer_bell, 0, 0);
    sem_init(&d.consumer_bell, 0, 0);
    pthread_t p, c;
    assert_int_equal(pthread_create(&c, NULL, consumer_thread, &d), 0);
    assert_int_equal(pthread_create(&p, NULL, producer_thread, &d), 0);
    pthread_join(p, NULL);
    pthread_join(c, NULL);
    assert_int_equal(d.bad, 0);
    assert_false(d.r.tx.broken || d.r.rx.broken);
    print_message("# %d messages, producer slept %lu times, consumer %lu times\n", THREAD_MESSAGES,
                  (unsigned long)d.producer_sleeps, (unsigned long)d.consumer_sleeps);
    sem_destroy(&d.producer_bell);
    sem_destroy(&d.consumer_bell);
    ring_close(&d.r);
}

/* ---- Hostile peers ----------------------------------------------------------- */

/* Once broken, every operation fails at once and nothing asks to sleep. */
static void assert_tx_dead(struct dj_chan_tx *tx)
{
    assert_true(tx->broken);
    assert_null(dj_chan_tx_reserve(tx, 1));
    assert_false(dj_chan_tx_publish(tx));
    assert_false(dj_chan_tx_arm(tx));
    assert_int_equal(dj_chan_tx_space(tx), 0);
}

static void assert_rx_dead(struct dj_chan_rx *rx)
{
    size_t len = 7;
    assert_true(rx->broken);
    assert_null(dj_chan_rx_peek(rx, &len));
    assert_int_equal(len, 0);
    assert_false(dj_chan_rx_release(rx));
    assert_false(dj_chan_rx_publish(rx));
    assert_false(dj_chan_rx_arm(rx));
    assert_int_equal(dj_chan_rx_pending(rx), 0);
}

/* The producer has published 5 of a full ring: the consumer's index may
 * be anywhere in [0, 5]; everything else is corrupt. */
static void hostile_consumer_tail(uint32_t tail, bool valid)
{
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    start_at(&r, 1000);
    for (uint64_t n = 0; n < 5; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    dj_chan_tx_publish(&r.tx);
    control(&r)->tail = 1000 + tail;
    dj_chan_tx_space(&r.tx);
    if (valid) {
        assert_false(r.tx.broken);
        assert_int_equal(dj_chan_tx_space(&r.tx), SMALL_SLOTS - 5 + tail);
    } else {
        assert_tx_dead(&r.tx);
    }
    ring_close(&r);
}

static void consumer_index_checked(void **state)
{
    (void)state;
    hostile_consumer_tail(0, true);
    hostile_consumer_tail(5, true);
    hostile_consumer_tail(6, false);              /* releases what was never published */
    hostile_consumer_tail(SMALL_SLOTS, false);
    hostile_consumer_tail(UINT32_MAX, false);     /* one backwards */
    hostile_consumer_tail(UINT32_MAX / 2, false); /* far forward */
}

static void consumer_index_backwards_after_progress(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    for (uint64_t n = 0; n < SMALL_SLOTS; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    dj_chan_tx_publish(&r.tx);
    for (uint64_t n = 0; n < 4; n++)
        expect_one(&r.rx, n);
    dj_chan_rx_publish(&r.rx);
    assert_int_equal(dj_chan_tx_space(&r.tx), 4);
    control(&r)->tail = 2; /* takes back two releases */
    assert_int_equal(dj_chan_tx_space(&r.tx), 0);
    assert_tx_dead(&r.tx);
    ring_close(&r);
}

static void hostile_producer_head(uint32_t head, bool valid)
{
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    start_at(&r, 77);
    control(&r)->head = 77 + head;
    uint32_t pending = dj_chan_rx_pending(&r.rx);
    if (valid) {
        assert_false(r.rx.broken);
        assert_int_equal(pending, head);
    } else {
        assert_rx_dead(&r.rx);
    }
    ring_close(&r);
}

static void producer_index_checked(void **state)
{
    (void)state;
    hostile_producer_head(0, true);
    hostile_producer_head(SMALL_SLOTS, true);
    hostile_producer_head(SMALL_SLOTS + 1, false); /* more than the ring holds */
    hostile_producer_head(UINT32_MAX, false);      /* backwards */
    hostile_producer_head(0x80000000u, false);     /* far forward */
}

static void producer_index_backwards_after_progress(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    for (uint64_t n = 0; n < 3; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    dj_chan_tx_publish(&r.tx);
    expect_one(&r.rx, 0);
    expect_one(&r.rx, 1);
    expect_one(&r.rx, 2);
    control(&r)->head = 1; /* takes back messages already read */
    size_t len;
    assert_null(dj_chan_rx_peek(&r.rx, &len));
    assert_rx_dead(&r.rx);
    ring_close(&r);
}

static void slot_length_checked(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    size_t max = dj_chan_payload_max(SMALL_SLOT_SIZE), len;
    for (uint64_t n = 0; n < 3; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    dj_chan_tx_publish(&r.tx);
    *slot_len(&r, 0) = (uint32_t)max; /* the largest length is fine */
    assert_non_null(dj_chan_rx_peek(&r.rx, &len));
    assert_int_equal(len, max);
    assert_true(dj_chan_rx_release(&r.rx));
    *slot_len(&r, 1) = (uint32_t)max + 1;
    assert_null(dj_chan_rx_peek(&r.rx, &len));
    assert_rx_dead(&r.rx);
    ring_close(&r);

    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    assert_true(send_one(&r.tx, 0, SEQ_BYTES));
    dj_chan_tx_publish(&r.tx);
    *slot_len(&r, 0) = UINT32_MAX;
    assert_null(dj_chan_rx_peek(&r.rx, &len));
    assert_true(r.rx.broken);
    ring_close(&r);
}

/* The events are the peer's business: garbage there costs at most a
 * spurious or a missing doorbell for the peer, never a broken ring. */
static void garbage_events_are_harmless(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    rng_state = 99;
    for (uint64_t n = 0; n < 500; n++) {
        control(&r)->data_event = (uint32_t)rnd();
        control(&r)->space_event = (uint32_t)rnd();
        assert_true(send_one(&r.tx, n, SEQ_BYTES + n % 16));
        dj_chan_tx_publish(&r.tx);
        expect_one(&r.rx, n);
        dj_chan_rx_publish(&r.rx);
    }
    assert_false(r.tx.broken || r.rx.broken);
    ring_close(&r);
}

/* Random bytes written over the control block and the slots between the
 * honest side's operations: whatever it reads, it stays inside the ring
 * (ASan), every call returns, and every length it reports fits a slot. */
static void scribble(struct ring *r, unsigned writes)
{
    uint8_t *m = r->mem;
    size_t span = (size_t)r->slots * r->slot_size + CONTROL_BYTES;
    for (unsigned i = 0; i < writes; i++) {
        size_t at = rnd() % (span - sizeof(uint32_t) + 1);
        uint32_t v = (uint32_t)rnd();
        if (rnd() % 4 == 0) /* near-valid values are the interesting ones */
            v = v % (4 * r->slots) - 2 * r->slots;
        memcpy(m + (at & ~(size_t)3), &v, sizeof(v));
    }
}

static void fuzz_against_honest_producer(void **state)
{
    (void)state;
    size_t max = dj_chan_payload_max(SMALL_SLOT_SIZE);
    unsigned broken = 0;
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct ring r;
        ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
        rng_state = seed;
        for (unsigned step = 0; step < 400; step++) {
            uint8_t *p = dj_chan_tx_reserve(&r.tx, rnd() % (max + 1));
            if (p) {
                memset(p, 0x3c, 1);
                dj_chan_tx_commit(&r.tx, 1);
            }
            dj_chan_tx_publish(&r.tx);
            dj_chan_tx_arm(&r.tx);
            assert_true(dj_chan_tx_space(&r.tx) <= SMALL_SLOTS);
            scribble(&r, 1 + rnd() % 3);
        }
        broken += r.tx.broken;
        ring_close(&r);
    }
    assert_true(broken > 0); /* random tails are mostly out of range */
}

static void fuzz_against_honest_consumer(void **state)
{
    (void)state;
    size_t max = dj_chan_payload_max(SMALL_SLOT_SIZE);
    unsigned broken = 0;
    uint8_t copy[SMALL_SLOT_SIZE];
    for (uint64_t seed = 1; seed <= 200; seed++) {
        struct ring r;
        ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
        rng_state = seed;
        for (unsigned step = 0; step < 400; step++) {
            size_t len = SIZE_MAX;
            const uint8_t *p = dj_chan_rx_peek(&r.rx, &len);
            assert_true(len <= max);
            if (p) {
                memcpy(copy, p, len); /* ASan checks every byte is inside the ring */
                dj_chan_rx_release(&r.rx);
            }
            dj_chan_rx_publish(&r.rx);
            dj_chan_rx_arm(&r.rx);
            assert_true(dj_chan_rx_pending(&r.rx) <= SMALL_SLOTS);
            scribble(&r, 1 + rnd() % 3);
        }
        broken += r.rx.broken;
        ring_close(&r);
    }
    assert_true(broken > 0);
}

/* What a side sees when the peer died and its memory was replaced by
 * zeroed pages (init does that in the shared window): a broken ring at
 * the next look, in either direction, whether or not messages had gone
 * through (a fresh ring's indices are 0 too: the marks tell them apart). */
static void zeroed_ring_is_broken(uint32_t progress)
{
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    for (uint32_t n = 0; n < progress; n++) {
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
        dj_chan_tx_publish(&r.tx);
        expect_one(&r.rx, n);
        dj_chan_rx_publish(&r.rx);
    }
    assert_true(send_one(&r.tx, progress, SEQ_BYTES)); /* one in flight: nothing is empty or full */
    dj_chan_tx_publish(&r.tx);
    struct dj_chan_tx tx_copy = r.tx; /* the same state, for the second look */
    struct dj_chan_rx rx_copy = r.rx;
    memset(r.mem, 0, r.bytes);
    /* The consumer's look for data, and its look before sleeping. */
    assert_int_equal(dj_chan_rx_pending(&r.rx), 0);
    assert_true(r.rx.broken);
    assert_false(dj_chan_rx_arm(&rx_copy));
    assert_true(rx_copy.broken);
    /* The producer's look for space, and its look before sleeping. */
    assert_int_equal(dj_chan_tx_space(&r.tx), 0);
    assert_true(r.tx.broken);
    assert_false(dj_chan_tx_arm(&tx_copy));
    assert_true(tx_copy.broken);
    ring_close(&r);
}

static void zeroed_fresh_ring_is_broken(void **state)
{
    (void)state;
    zeroed_ring_is_broken(0);
}

static void zeroed_ring_after_traffic_is_broken(void **state)
{
    (void)state;
    zeroed_ring_is_broken(3 * SMALL_SLOTS + 1);
}

/* An empty consumer asleep-to-be and a full producer, each finding the
 * control block zeroed while it arms. */
static void zeroed_ring_stops_sleepers(void **state)
{
    (void)state;
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    for (uint32_t n = 0; n < SMALL_SLOTS; n++)
        assert_true(send_one(&r.tx, n, SEQ_BYTES));
    dj_chan_tx_publish(&r.tx);
    assert_null(dj_chan_tx_reserve(&r.tx, SEQ_BYTES)); /* full */
    struct ring empty;
    ring_open(&empty, SMALL_SLOTS, SMALL_SLOT_SIZE);
    size_t len;
    assert_null(dj_chan_rx_peek(&empty.rx, &len)); /* empty */
    memset((void *)control(&r), 0, CONTROL_BYTES);
    memset((void *)control(&empty), 0, CONTROL_BYTES);
    assert_false(dj_chan_tx_arm(&r.tx));
    assert_true(r.tx.broken);
    assert_false(dj_chan_rx_arm(&empty.rx));
    assert_true(empty.rx.broken);
    ring_close(&r);
    ring_close(&empty);
}

/* A hostile peer thread scribbling while the honest side runs. */
struct scribbler {
    struct ring *r;
    volatile bool stop;
    uint64_t seed;
};

static void *scribbler_thread(void *arg)
{
    struct scribbler *s = arg;
    uint64_t x = s->seed;
    uint8_t *m = s->r->mem;
    size_t span = (size_t)s->r->slots * s->r->slot_size + CONTROL_BYTES;
    while (!s->stop) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        volatile uint32_t *w = (volatile uint32_t *)(m + ((x >> 32) % (span / 4)) * 4);
        *w = (uint32_t)x % (4 * s->r->slots);
    }
    return NULL;
}

static void concurrent_scribbler(bool honest_producer)
{
    struct ring r;
    ring_open(&r, SMALL_SLOTS, SMALL_SLOT_SIZE);
    struct scribbler s = {.r = &r, .seed = honest_producer ? 12345 : 54321};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, scribbler_thread, &s), 0);
    size_t max = dj_chan_payload_max(SMALL_SLOT_SIZE);
    uint8_t copy[SMALL_SLOT_SIZE];
    for (unsigned round = 0; round < 50; round++) {
        dj_chan_tx_attach(&r.tx, r.mem, r.bytes, r.slots, r.slot_size);
        dj_chan_rx_attach(&r.rx, r.mem, r.bytes, r.slots, r.slot_size);
        for (unsigned step = 0; step < 2000; step++) {
            if (honest_producer) {
                if (dj_chan_tx_reserve(&r.tx, step % (max + 1)))
                    dj_chan_tx_commit(&r.tx, step % (max + 1));
                dj_chan_tx_publish(&r.tx);
                dj_chan_tx_arm(&r.tx);
            } else {
                size_t len;
                const uint8_t *p = dj_chan_rx_peek(&r.rx, &len);
                assert_true(len <= max);
                if (p) {
                    memcpy(copy, p, len);
                    dj_chan_rx_release(&r.rx);
                }
                dj_chan_rx_publish(&r.rx);
                dj_chan_rx_arm(&r.rx);
            }
        }
    }
    s.stop = true;
    pthread_join(t, NULL);
    ring_close(&r);
}

static void concurrent_scribbler_vs_producer(void **state)
{
    (void)state;
    concurrent_scribbler(true);
}

static void concurrent_scribbler_vs_consumer(void **state)
{
    (void)state;
    concurrent_scribbler(false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(geometry_limits),
        cmocka_unit_test(attach_refuses_bad_memory),
        cmocka_unit_test(unattached_ends_are_dead),
        cmocka_unit_test(messages_arrive_in_order),
        cmocka_unit_test(indices_wrap_around_2_32),
        cmocka_unit_test(full_and_empty),
        cmocka_unit_test(reserve_and_commit_rules),
        cmocka_unit_test(batches_are_invisible_until_published),
        cmocka_unit_test(doorbell_only_when_the_consumer_waits),
        cmocka_unit_test(doorbell_only_when_the_producer_waits),
        cmocka_unit_test(no_lost_wakeup_in_any_order),
        cmocka_unit_test(two_threads_stream_with_checks),
        cmocka_unit_test(consumer_index_checked),
        cmocka_unit_test(consumer_index_backwards_after_progress),
        cmocka_unit_test(producer_index_checked),
        cmocka_unit_test(producer_index_backwards_after_progress),
        cmocka_unit_test(slot_length_checked),
        cmocka_unit_test(garbage_events_are_harmless),
        cmocka_unit_test(zeroed_fresh_ring_is_broken),
        cmocka_unit_test(zeroed_ring_after_traffic_is_broken),
        cmocka_unit_test(zeroed_ring_stops_sleepers),
        cmocka_unit_test(fuzz_against_honest_producer),
        cmocka_unit_test(fuzz_against_honest_consumer),
        cmocka_unit_test(concurrent_scribbler_vs_producer),
        cmocka_unit_test(concurrent_scribbler_vs_consumer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
