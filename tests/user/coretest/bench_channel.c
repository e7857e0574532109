/* SPDX-License-Identifier: GPL-2.0-only */
/* Channel benchmarks (docs/channels.md, docs/benchmarks.md): the same
 * payload moved from this PD to another on the same CPU
 *   - over a channel, built and read in place, batched:   channel_msg_*
 *   - over a channel with dj_chan_write/dj_chan_read:     channel_copy_*
 *   - by IPC, the words copied into the UTCB and out:     ipc_copy_*
 * as TSC ticks per message (instructions under tools/bench's -icount),
 * end to end: the producer, the consumer, the kernel and every switch
 * between them, divided by the messages; the fastest of a few trials.
 * channel_rate_1500B turns the in-place figure into messages per second
 * with the TSC frequency measured against PIT channel 2 (meaningful in
 * tools/bench's run without -icount only).
 *
 * The consumer is a thread in a child PD that shares this program's image
 * (shared.h child_pd_create); the channel region and the doorbells are
 * set up here directly (the set-up protocol is exercised by chantest). */
#include <stdbool.h>
#include "lib/channel.h"
#include "echo_server.h"
#include "lib/server.h"
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"
#include "lib/x86.h"

#define MESSAGES 20000    /* per channel trial: ~80 rounds of the ring */
#define IPC_MESSAGES 4000 /* per IPC trial (cross-PD calls are slow in plain TCG) */
#define TRIALS 5
#define BATCH 32
#define SLOTS 256
#define SMALL_SLOT_SIZE 128  /* a 64-byte message and its header fit */
#define LARGE_SLOT_SIZE 2048 /* a 1500-byte one */
#define SMALL_MSG 64
#define LARGE_MSG 1500
#define WORD 8
#define CHILD_EVENT_BASE 64  /* selectors in the child PDs */
#define CHILD_SEL_GO 130
#define CHILD_SEL_OWN 131
#define CHILD_SEL_PEER 132
#define CHILD_SEL_DONE 133
#define CONSUMER_PRIO DJ_ROOT_PRIO /* the root's: the two take turns */
#define CALL_FRAME 8         /* a thread starts as if called: RSP = 16n + 8 */
#define HANDLER_STACK_PAGES 2

/* PIT channel 2, gated through port B (as the kernel's calibration). */
#define PIT_HZ 1193182ull
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_MODE0_LOHI 0xb0
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define PIT_TICKS 0xffffu
#define PIT_TSC_BUDGET 10000000000ull /* seconds of TSC on any host: reached only if the PIT is dead */

enum consume_mode { CONSUME_IN_PLACE, CONSUME_COPY };

/* The root's request to the consumer thread (this program's data, which
 * the child shares). */
static struct {
    volatile enum consume_mode mode;
    volatile uint64_t messages, len, errors;
    struct dj_chan *volatile chan;
    uint64_t stack_top;
} job;

struct bench_chan {
    struct dj_chan producer, consumer; /* this PD's end, the child's end */
};

static struct bench_chan small_chan, large_chan;
static uint64_t go_sm, done_sm, producer_sm, consumer_sm; /* this PD's selectors */
static uint64_t ipc_pt;
static uint64_t copy_buf[LARGE_SLOT_SIZE / WORD], ipc_sink_buf[DJ_UTCB_WORDS];
static bool setup_done, setup_ok;

/* 8 bytes per instruction: under -icount each rep iteration counts. */
static void copy_words(uint64_t *dst, const uint64_t *src, size_t words)
{
    __asm__ volatile("rep movsq" : "+D"(dst), "+S"(src), "+c"(words) : : "memory");
}

/* ---- The consumer thread (in the child PD) --------------------------------- */

static uint64_t consume_in_place(struct dj_chan *c, uint64_t n)
{
    size_t len;
    const uint64_t *p;
    while (!(p = dj_chan_rx_peek(&c->rx, &len))) {
        if (c->rx.broken)
            return 1;
        dj_chan_flush(c);
        if (dj_chan_rx_arm(&c->rx) && dj_chan_wait(c) != DJ_OK)
            return 1;
    }
    uint64_t bad = len != job.len || p[0] != n;
    dj_chan_rx_release(&c->rx);
    if ((n + 1) % BATCH == 0)
        dj_chan_kick(c, dj_chan_rx_publish(&c->rx));
    return bad;
}

static uint64_t consume_copy(struct dj_chan *c, uint64_t n)
{
    static uint64_t buf[LARGE_SLOT_SIZE / WORD];
    size_t len = 0;
    if (dj_chan_read(c, buf, sizeof(buf), &len) != DJ_OK)
        return 1;
    return len != job.len || buf[0] != n;
}

static __attribute__((noreturn)) void consumer_main(void)
{
    for (;;) {
        dj_sm_down(CHILD_SEL_GO);
        struct dj_chan *c = job.chan;
        uint64_t errors = 0;
        for (uint64_t n = 0; n < job.messages; n++)
            errors += job.mode == CONSUME_COPY ? consume_copy(c, n) : consume_in_place(c, n);
        dj_chan_flush(c);
        job.errors = errors;
        dj_sm_up(CHILD_SEL_DONE);
    }
}

static uint64_t consumer_startup(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->arch.rip = (uint64_t)consumer_main;
    u->arch.rsp = job.stack_top - CALL_FRAME;
    return DJ_MTD(0, 0);
}

/* ---- The IPC sink (a handler in another child PD) ------------------------- */

static uint64_t ipc_sink(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    copy_words(ipc_sink_buf, u->words, DJ_MTD_UNTYPED(u->mtd));
    return DJ_MTD(0, 0);
}

/* ---- Set-up ---------------------------------------------------------------- */

static bool give(uint64_t pd, uint64_t crd, uint64_t to)
{
    return dj_delegate(pd, crd, to) == DJ_OK;
}

static bool new_sm(uint64_t *sel)
{
    *sel = utest_selector();
    return dj_create_sm(*sel, DJ_SEL_SELF_PD, 0) == DJ_OK;
}

/* Both ends of one channel: this PD produces on ring 0, the child
 * consumes it (ring 1 is attached but unused). */
static bool chan_create(struct bench_chan *b, uint64_t child, uint32_t slot_size)
{
    size_t ring = dj_chan_ring_bytes(SLOTS, slot_size), pages = 2 * ring / UTEST_PAGE;
    uint8_t *mem = utest_pages(pages);
    if (!mem)
        return false;
    for (size_t i = 0; i < pages; i++) {
        uint64_t page = (uint64_t)(mem + i * UTEST_PAGE) / UTEST_PAGE;
        if (!give(child, DJ_CRD(DJ_CRD_MEM, page, 0, DJ_MEM_R | DJ_MEM_W), page))
            return false;
    }
    struct dj_chan *p = &b->producer, *c = &b->consumer;
    *p = (struct dj_chan){.own_sm = producer_sm, .peer_sm = consumer_sm};
    *c = (struct dj_chan){.own_sm = CHILD_SEL_OWN, .peer_sm = CHILD_SEL_PEER};
    return dj_chan_tx_attach(&p->tx, mem, ring, SLOTS, slot_size) == DJ_OK &&
           dj_chan_rx_attach(&c->rx, mem, ring, SLOTS, slot_size) == DJ_OK &&
           dj_chan_tx_attach(&c->tx, mem + ring, ring, SLOTS, slot_size) == DJ_OK &&
           dj_chan_rx_attach(&p->rx, mem + ring, ring, SLOTS, slot_size) == DJ_OK;
}

static bool consumer_thread_create(uint64_t child, void *stack)
{
    job.stack_top = (uint64_t)stack + ECHO_STACK_PAGES * UTEST_PAGE;
    void *hstack = utest_pages(HANDLER_STACK_PAGES);
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = utest_selector(), .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = hstack, .stack_size = HANDLER_STACK_PAGES * UTEST_PAGE,
        .handler = consumer_startup, .mtd = DJ_MTD_RIP_RSP,
    };
    uint64_t ec = utest_selector();
    return hstack && dj_server_create(&s) == DJ_OK &&
           give(child, DJ_CRD(DJ_CRD_OBJ, s.pt_sel, 0, DJ_PT_CALL), CHILD_EVENT_BASE + DJ_EV_STARTUP) &&
           give(child, DJ_CRD(DJ_CRD_OBJ, go_sm, 0, DJ_SM_DOWN), CHILD_SEL_GO) &&
           give(child, DJ_CRD(DJ_CRD_OBJ, consumer_sm, 0, DJ_SM_DOWN | DJ_SM_UP), CHILD_SEL_OWN) &&
           give(child, DJ_CRD(DJ_CRD_OBJ, producer_sm, 0, DJ_SM_UP), CHILD_SEL_PEER) &&
           give(child, DJ_CRD(DJ_CRD_OBJ, done_sm, 0, DJ_SM_UP), CHILD_SEL_DONE) &&
           dj_create_ec(ec, child, dj_boot_cpu, utest_va(1), 0, CHILD_EVENT_BASE, true) == DJ_OK &&
           dj_create_sc(utest_selector(), child, ec, CONSUMER_PRIO, 0) == DJ_OK;
}

static bool ipc_sink_create(void)
{
    void *stack;
    uint64_t child = child_pd_create(&stack);
    if (!child)
        return false;
    struct dj_server s = {
        .pd_sel = child, .ec_sel = utest_selector(), .pt_sel = utest_selector(), .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = ECHO_STACK_PAGES * UTEST_PAGE,
        .handler = ipc_sink,
    };
    ipc_pt = s.pt_sel;
    return dj_server_create(&s) == DJ_OK;
}

static bool setup(void)
{
    if (setup_done)
        return setup_ok;
    setup_done = true;
    void *stack;
    uint64_t child = child_pd_create(&stack);
    setup_ok = child && new_sm(&go_sm) && new_sm(&done_sm) && new_sm(&producer_sm) && new_sm(&consumer_sm) &&
               chan_create(&small_chan, child, SMALL_SLOT_SIZE) && chan_create(&large_chan, child, LARGE_SLOT_SIZE) &&
               consumer_thread_create(child, stack) && ipc_sink_create();
    return setup_ok;
}

/* ---- The producer side and the timing ------------------------------------- */

static bool produce_in_place(struct dj_chan *c, size_t len)
{
    for (uint64_t n = 0; n < MESSAGES; n++) {
        uint64_t *p;
        while (!(p = dj_chan_tx_reserve(&c->tx, len))) {
            if (c->tx.broken)
                return false;
            dj_chan_flush(c);
            if (dj_chan_tx_arm(&c->tx) && dj_chan_wait(c) != DJ_OK)
                return false;
        }
        p[0] = n;
        dj_chan_tx_commit(&c->tx, len);
        if ((n + 1) % BATCH == 0)
            dj_chan_kick(c, dj_chan_tx_publish(&c->tx));
    }
    dj_chan_flush(c);
    return true;
}

static bool produce_copy(struct dj_chan *c, size_t len)
{
    for (uint64_t n = 0; n < MESSAGES; n++) {
        copy_buf[0] = n;
        if (dj_chan_write(c, copy_buf, len) != DJ_OK)
            return false;
    }
    return true;
}

/* TSC ticks per message of one trial; 0 when something failed. */
static uint64_t chan_trial(struct bench_chan *b, size_t len, enum consume_mode mode)
{
    job.chan = &b->consumer;
    job.mode = mode;
    job.len = len;
    job.messages = MESSAGES;
    job.errors = 0;
    dj_sm_up(go_sm); /* the consumer is ready; it runs when this side waits */
    uint64_t t0 = utest_rdtsc();
    bool ok = mode == CONSUME_COPY ? produce_copy(&b->producer, len) : produce_in_place(&b->producer, len);
    ok = ok && dj_sm_down(done_sm) == DJ_OK && job.errors == 0;
    uint64_t t = utest_rdtsc() - t0;
    return ok ? t / MESSAGES : 0;
}

static uint64_t ipc_trial(size_t len)
{
    struct dj_utcb *u = dj_utcb();
    size_t words = (len + WORD - 1) / WORD;
    uint64_t t0 = utest_rdtsc();
    for (uint64_t n = 0; n < IPC_MESSAGES; n++) {
        copy_buf[0] = n;
        copy_words(u->words, copy_buf, words);
        if (dj_call(ipc_pt, DJ_MTD(words, 0), 0) != DJ_OK)
            return 0;
    }
    uint64_t t = utest_rdtsc() - t0;
    return ipc_sink_buf[0] == IPC_MESSAGES - 1 ? t / IPC_MESSAGES : 0;
}

/* The fastest trial (a host hiccup only ever adds time); 0 if any failed. */
static uint64_t fastest_chan(struct bench_chan *b, size_t len, enum consume_mode mode)
{
    uint64_t best = ~0ull;
    for (unsigned t = 0; t < TRIALS; t++) {
        uint64_t v = chan_trial(b, len, mode);
        if (v == 0)
            return 0;
        best = v < best ? v : best;
    }
    return best;
}

static uint64_t fastest_ipc(size_t len)
{
    uint64_t best = ~0ull;
    for (unsigned t = 0; t < TRIALS; t++) {
        uint64_t v = ipc_trial(len);
        if (v == 0)
            return 0;
        best = v < best ? v : best;
    }
    return best;
}

/* ---- TSC frequency, for the rate -------------------------------------------- */

/* TSC ticks per second over PIT_TICKS of PIT channel 2 (55 ms); 0 if it
 * did not run out within the budget. */
static uint64_t tsc_hz_measured(void)
{
    uint8_t b = inb(PORT_B) & ~(PORT_B_GATE2 | PORT_B_SPEAKER);
    outb(PORT_B, b);
    outb(PIT_COMMAND, PIT_CH2_MODE0_LOHI);
    outb(PIT_CH2_DATA, PIT_TICKS & 0xff);
    outb(PIT_CH2_DATA, PIT_TICKS >> 8);
    uint64_t t0 = utest_rdtsc();
    outb(PORT_B, b | PORT_B_GATE2); /* counting starts with the gate */
    bool done = false;
    uint64_t t = 0;
    while (!done && t < PIT_TSC_BUDGET) {
        done = inb(PORT_B) & PORT_B_OUT2;
        t = utest_rdtsc() - t0;
    }
    outb(PORT_B, b);
    return done ? t * PIT_HZ / PIT_TICKS : 0;
}

static void bench_rate(const char *name, uint64_t value, const char *unit)
{
    char line[96];
    snprintf(line, sizeof(line), "BENCH %s %llu %s\n", name, (unsigned long long)value, unit);
    dj_debug_puts(line);
}

UTEST(bench_channel)
{
    UTEST_REQUIRE(setup(), "setting up the child PDs, the channels or the consumer thread failed");
    uint64_t msg64 = fastest_chan(&small_chan, SMALL_MSG, CONSUME_IN_PLACE);
    uint64_t msg1500 = fastest_chan(&large_chan, LARGE_MSG, CONSUME_IN_PLACE);
    uint64_t copy64 = fastest_chan(&small_chan, SMALL_MSG, CONSUME_COPY);
    uint64_t copy1500 = fastest_chan(&large_chan, LARGE_MSG, CONSUME_COPY);
    UTEST_REQUIRE(msg64 && msg1500 && copy64 && copy1500, "a channel trial failed or the consumer saw wrong messages");
    uint64_t ipc64 = fastest_ipc(SMALL_MSG), ipc1500 = fastest_ipc(LARGE_MSG);
    UTEST_REQUIRE(ipc64 && ipc1500, "an IPC trial failed");
    utest_bench("channel_msg_64B", msg64);
    utest_bench("channel_msg_1500B", msg1500);
    utest_bench("channel_copy_64B", copy64);
    utest_bench("channel_copy_1500B", copy1500);
    utest_bench("ipc_copy_64B", ipc64);
    utest_bench("ipc_copy_1500B", ipc1500);
    uint64_t hz = tsc_hz_measured();
    UTEST_REQUIRE(hz, "PIT channel 2 did not run out: no TSC frequency for the rate");
    bench_rate("channel_rate_1500B", hz / msg1500, "msgs/s");
    return true;
}
