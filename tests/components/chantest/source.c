/* SPDX-License-Identifier: GPL-2.0-only */
/* The connecting side of the channel test: connects to the sink's portal
 * and sends the stream, alternating between dj_chan_write copies and
 * messages built in place and published in batches; then reads the
 * sink's totals and compares them with its own. */
#include "lib/component.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "chantest.h"
#include "stream.h"

#define USER_PAGES (1ull << 35)

static uint8_t buf[CHANTEST_SLOT_SIZE] __attribute__((aligned(8)));

struct source {
    struct dj_chan c;
    size_t max;
    struct chantest_totals totals;
    uint64_t sleeps;
};

static void account(struct source *s, const void *msg, uint64_t n, size_t len)
{
    uint64_t sum = 0;
    stream_check(msg, n, len, s->max, &sum); /* its own message: only the sum is wanted */
    s->totals.messages++;
    s->totals.bytes += len;
    s->totals.sum_of_sums += sum;
}

static enum dj_status send_copy(struct source *s, uint64_t n)
{
    size_t len = stream_len(n, s->max);
    stream_fill(buf, n, len);
    account(s, buf, n, len);
    return dj_chan_write(&s->c, buf, len);
}

/* Built in the slot; published once per batch (and before sleeping). */
static enum dj_status send_in_place(struct source *s, uint64_t n)
{
    size_t len = stream_len(n, s->max);
    void *slot;
    while (!(slot = dj_chan_tx_reserve(&s->c.tx, len))) {
        if (s->c.tx.broken)
            return DJ_E_ABORTED;
        dj_chan_flush(&s->c);
        if (dj_chan_tx_arm(&s->c.tx)) {
            s->sleeps++;
            if (dj_chan_wait(&s->c) != DJ_OK)
                return DJ_E_ABORTED;
        }
    }
    stream_fill(slot, n, len);
    account(s, slot, n, len);
    dj_chan_tx_commit(&s->c.tx, len);
    if ((n + 1) % CHANTEST_BATCH == 0)
        dj_chan_kick(&s->c, dj_chan_tx_publish(&s->c.tx));
    return DJ_OK;
}

static bool confirmed(struct source *s)
{
    struct chantest_totals back;
    size_t len = 0;
    enum dj_status st = dj_chan_read(&s->c, &back, sizeof(back), &len);
    if (st != DJ_OK || len != sizeof(back)) {
        printf("no totals from the sink (status %d, %u bytes)\n", st, (unsigned)len);
        return false;
    }
    if (memcmp(&back, &s->totals, sizeof(back)) != 0) {
        printf("the sink counted %llu messages, %llu bytes; %llu and %llu were sent\n",
               (unsigned long long)back.messages, (unsigned long long)back.bytes,
               (unsigned long long)s->totals.messages, (unsigned long long)s->totals.bytes);
        return false;
    }
    return true;
}

/* A set-up request as given; the status the sink replies (or the call's). */
static enum dj_status raw_request(uint64_t pt, const uint64_t *w, unsigned n, uint64_t mtd)
{
    struct dj_utcb *u = dj_utcb();
    for (unsigned i = 0; i < n; i++)
        u->words[i] = w[i];
    uint64_t out = 0;
    u->recv_window = 0; /* nothing may land here */
    enum dj_status st = dj_call(pt, mtd, &out);
    if (st != DJ_OK)
        return st;
    return DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
}

struct bad_request {
    const char *what;
    uint64_t words[4];
    unsigned n;
    enum dj_status want;
};

/* Malformed set-up requests the sink must refuse, changing nothing. */
static bool refuses_malformed(uint64_t pt, unsigned *count)
{
    static const struct bad_request bad[] = {
        {"doorbells before connect", {DJ_CHAN_OP_DOORBELLS, CHANTEST_SEL_DOORBELLS}, 2, DJ_E_BAD_PARAM},
        {"unknown operation", {0x2ff, 0, 0, 0}, 4, DJ_E_BAD_PARAM},
        {"connect without its page", {DJ_CHAN_OP_CONNECT, CHANTEST_SLOTS, CHANTEST_SLOT_SIZE}, 3, DJ_E_BAD_PARAM},
        {"slots not a power of two", {DJ_CHAN_OP_CONNECT, 3, CHANTEST_SLOT_SIZE, 0}, 4, DJ_E_BAD_PARAM},
        {"slot size too small", {DJ_CHAN_OP_CONNECT, CHANTEST_SLOTS, 8, 0}, 4, DJ_E_BAD_PARAM},
        {"more slots than the sink allows", {DJ_CHAN_OP_CONNECT, 2 * CHANTEST_SLOTS, CHANTEST_SLOT_SIZE, 0}, 4,
         DJ_E_BAD_PARAM},
        {"a 2^32 + 256 slot count", {DJ_CHAN_OP_CONNECT, (1ull << 32) + CHANTEST_SLOTS, CHANTEST_SLOT_SIZE, 0}, 4,
         DJ_E_BAD_PARAM},
        {"a region beyond the user half", {DJ_CHAN_OP_CONNECT, CHANTEST_SLOTS, CHANTEST_SLOT_SIZE, USER_PAGES - 1}, 4,
         DJ_E_BAD_PARAM},
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        enum dj_status st = raw_request(pt, bad[i].words, bad[i].n, DJ_MTD(bad[i].n, 0));
        if (st != bad[i].want) {
            printf("the sink answered '%s' with status %d, not %d\n", bad[i].what, st, bad[i].want);
            return false;
        }
    }
    *count = sizeof(bad) / sizeof(bad[0]);
    return true;
}

/* Once connected, a second connection is refused and the first goes on. */
static bool refuses_second_connect(uint64_t pt)
{
    uint64_t again[4] = {DJ_CHAN_OP_CONNECT, CHANTEST_SLOTS, CHANTEST_SLOT_SIZE, (CHANTEST_REGION_VA >> 12) + 4096};
    enum dj_status st = raw_request(pt, again, 4, DJ_MTD(4, 0));
    if (st != DJ_E_BUSY) {
        printf("a second connect got status %d, not %d\n", st, DJ_E_BUSY);
        return false;
    }
    return true;
}

int chantest_source(void)
{
    static struct source s;
    uint64_t pt;
    if (!dj_start_cap("chansink", &pt)) {
        puts("no portal to chansink");
        return 1;
    }
    unsigned refused = 0;
    if (!refuses_malformed(pt, &refused))
        return 1;
    struct dj_chan_geom geom = {CHANTEST_SLOTS, CHANTEST_SLOT_SIZE};
    enum dj_status st = dj_chan_connect(&s.c, pt, geom, CHANTEST_REGION_VA, CHANTEST_SEL_DOORBELLS);
    if (st != DJ_OK) {
        printf("cannot connect to chansink (status %d)\n", st);
        return 1;
    }
    if (!refuses_second_connect(pt))
        return 1;
    printf("the sink refused %u malformed set-up requests and a second connect\n", refused);
    s.max = dj_chan_payload_max(CHANTEST_SLOT_SIZE);
    for (uint64_t n = 0; n < CHANTEST_MESSAGES; n++) {
        bool copying = (n / CHANTEST_SOURCE_MODE_PERIOD) % 2 == 0;
        st = copying ? send_copy(&s, n) : send_in_place(&s, n);
        if (st != DJ_OK) {
            printf("sending message %llu failed (status %d)\n", (unsigned long long)n, st);
            return 1;
        }
    }
    dj_chan_flush(&s.c);
    if (!confirmed(&s))
        return 1;
    printf("%llu messages sent; the sink confirmed count, bytes and checksums; slept %llu times in place\n",
           (unsigned long long)s.totals.messages, (unsigned long long)s.sleeps);
    return 0;
}
