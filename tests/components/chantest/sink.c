/* SPDX-License-Identifier: GPL-2.0-only */
/* The accepting side of the channel test: serves the channel set-up on
 * its portal, then checks every message of the stream (sequence, length,
 * checksum), alternating between dj_chan_read copies and in-place peeks
 * released in batches, and finally sends its totals back. */
#include "lib/component.h"
#include "lib/console_client.h"
#include "lib/proto.h"
#include <stdio.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "chantest.h"
#include "stream.h"
#include "lib/x86.h"

#define HANDLER_STACK_BYTES 8192
#define HANDLER_UTCB_VA DJ_CHILD_FREE_VA

static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint8_t copy[CHANTEST_SLOT_SIZE] __attribute__((aligned(8)));
static struct dj_chan_server server = {
    .pd_sel = DJ_SEL_SELF_PD,
    .va = CHANTEST_REGION_VA,
    .sm_sel = CHANTEST_SEL_DOORBELLS,
    .max = {CHANTEST_SLOTS, CHANTEST_SLOT_SIZE},
};

struct sink {
    struct dj_chan *c;
    size_t max;
    struct chantest_totals totals;
    uint64_t sleeps;
};

static uint64_t handler(uint64_t badge, struct dj_utcb *u)
{
    if (badge == DJ_BADGE_PARENT) { /* init announces the source: nothing to set up */
        u->words[0] = dj_is_client_announcement(u) ? DJ_OK : DJ_E_BAD_PARAM;
        return DJ_MTD(1, 0);
    }
    return dj_chan_serve(&server, u);
}

static bool accept(const char *why_prefix, const char *why, uint64_t n)
{
    if (!why)
        return true;
    printf("%s at message %llu: %s\n", why_prefix, (unsigned long long)n, why);
    return false;
}

static bool count(struct sink *k, const void *p, uint64_t n, size_t len)
{
    uint64_t sum = 0;
    if (!accept("stream FAILED", stream_check(p, n, len, k->max, &sum), n))
        return false;
    k->totals.messages++;
    k->totals.bytes += len;
    k->totals.sum_of_sums += sum;
    return true;
}

/* One message copied out with dj_chan_read. */
static bool read_copy(struct sink *k, uint64_t n)
{
    size_t len = 0;
    enum dj_status st = dj_chan_read(k->c, copy, sizeof(copy), &len);
    if (st != DJ_OK) {
        printf("stream FAILED at message %llu: read status %d\n", (unsigned long long)n, st);
        return false;
    }
    return count(k, copy, n, len);
}

/* One message checked in place; releases are published once per batch
 * (and always before sleeping: dj_chan_wait flushes). */
static bool read_in_place(struct sink *k, uint64_t n)
{
    size_t len;
    const void *p;
    while (!(p = dj_chan_rx_peek(&k->c->rx, &len))) {
        if (k->c->rx.broken)
            return accept("stream FAILED", "the source broke the ring", n);
        dj_chan_flush(k->c);
        if (dj_chan_rx_arm(&k->c->rx)) {
            k->sleeps++;
            if (dj_chan_wait(k->c) != DJ_OK)
                return accept("stream FAILED", "the doorbell is gone", n);
        }
    }
    bool ok = count(k, p, n, len);
    dj_chan_rx_release(&k->c->rx);
    if ((n + 1) % CHANTEST_BATCH == 0)
        dj_chan_kick(k->c, dj_chan_rx_publish(&k->c->rx));
    return ok;
}

static void wait_for_source(void)
{
    while (!server.connected)
        dj_sm_down(server.chan.own_sm);
}

int chantest_sink(void)
{
    enum dj_status st = dj_chan_server_init(&server);
    if (st == DJ_OK)
        st = dj_serve(handler, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA);
    if (st != DJ_OK) {
        printf("cannot offer the channel (status %d)\n", st);
        return 1;
    }
    wait_for_source();
    struct sink k = {.c = &server.chan, .max = dj_chan_payload_max(CHANTEST_SLOT_SIZE)};
    uint64_t t0 = rdtsc();
    for (uint64_t n = 0; n < CHANTEST_MESSAGES; n++) {
        bool copying = (n / CHANTEST_SINK_MODE_PERIOD) % 2 == 0;
        if (!(copying ? read_copy(&k, n) : read_in_place(&k, n)))
            return 1;
    }
    dj_chan_flush(k.c);
    uint64_t cycles = rdtsc() - t0;
    st = dj_chan_write(k.c, &k.totals, sizeof(k.totals));
    printf("%llu messages received in order, lengths and checksums correct\n",
           (unsigned long long)k.totals.messages);
    printf("%llu bytes in %llu M TSC cycles; slept %llu times in place; totals sent back (status %d)\n",
           (unsigned long long)k.totals.bytes, (unsigned long long)(cycles >> 20), (unsigned long long)k.sleeps,
           st);
    return 0;
}
