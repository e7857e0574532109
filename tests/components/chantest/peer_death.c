/* SPDX-License-Identifier: GPL-2.0-only */
/* The peer-death variant of the channel test (chantest.h): "chandie"
 * serves a channel and, in its first instance, faults on purpose in the
 * middle of the stream; init restarts it (restart=yes). "chanorph" is
 * its client, with the region in its shared window (lib/startinfo.h): it
 * must see errors, never a fault that kills it, and connect again to the
 * restarted server by itself:
 *   1. dj_chan_write fails with DJ_E_ABORTED after the server died (a
 *      broken ring or the doorbell gone), never blocks for good;
 *   2. a sleep on the dead doorbell returns an error at once or when the
 *      kernel destroys it;
 *   3. both ends as they were before the death, looked at again after the
 *      region went away, read as broken (init maps zeroed pages there;
 *      those ends had seen index 0 only, so only the ring marks can tell);
 *   4. it connects to the new instance and streams again, confirmed. */
#include "lib/component.h"
#include "lib/proto.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "chantest.h"
#include "stream.h"
#include "lib/x86.h"

#define DIE_AFTER 5000          /* messages the first instance reads before it faults */
#define AFTER_RESTART 1000      /* messages streamed through the new connection */
#define HANDLER_STACK_BYTES 8192
#define HANDLER_UTCB_VA DJ_CHILD_FREE_VA
#define ORPHAN_SEL_DOORBELLS (DJ_CHILD_FIRST_FREE + 4) /* two per connection */
#define ORPHAN_REGION_SLOT (1ull << 24)
#define CONNECT_TRIES 200000    /* attempts while the server restarts */
#define CONNECT_SPIN 2048       /* pause instructions between attempts */

static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint8_t buf[CHANTEST_SLOT_SIZE] __attribute__((aligned(8)));
static struct dj_chan_server server = {
    .pd_sel = DJ_SEL_SELF_PD,
    .va = CHANTEST_REGION_VA,
    .sm_sel = CHANTEST_SEL_DOORBELLS,
    .max = {CHANTEST_SLOTS, CHANTEST_SLOT_SIZE},
};

static uint64_t handler(uint64_t badge, struct dj_utcb *u)
{
    if (badge == DJ_BADGE_PARENT) { /* init announces the client: nothing to set up */
        u->words[0] = dj_is_client_announcement(u) ? DJ_OK : DJ_E_BAD_PARAM;
        return DJ_MTD(1, 0);
    }
    return dj_chan_serve(&server, u);
}

/* Reads and checks messages 0..count-1; their totals. */
static bool receive(uint64_t count, struct chantest_totals *t)
{
    size_t max = dj_chan_payload_max(CHANTEST_SLOT_SIZE);
    for (uint64_t n = 0; n < count; n++) {
        size_t len = 0;
        uint64_t sum = 0;
        enum dj_status st = dj_chan_read(&server.chan, buf, sizeof(buf), &len);
        const char *why = st == DJ_OK ? stream_check(buf, n, len, max, &sum) : "read failed";
        if (why) {
            printf("FAIL chantest_peer_death: server at message %llu: %s (status %d)\n", (unsigned long long)n,
                   why, st);
            return false;
        }
        t->messages++;
        t->bytes += len;
        t->sum_of_sums += sum;
    }
    return true;
}

int chantest_dying_sink(void)
{
    const struct dj_start_info *si = dj_start();
    enum dj_status st = dj_chan_server_init(&server);
    if (st == DJ_OK)
        st = dj_serve(handler, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA);
    if (st != DJ_OK) {
        printf("FAIL chantest_peer_death: cannot offer the channel (status %d)\n", st);
        return 1;
    }
    while (!server.connected)
        dj_sm_down(server.chan.own_sm);
    struct chantest_totals t = {0};
    if (si->generation == 0) {
        if (receive(DIE_AFTER, &t))
            printf("%u messages read: faulting on purpose with the stream running\n", DIE_AFTER);
        __builtin_trap();
    }
    if (!receive(AFTER_RESTART, &t))
        return 1;
    st = dj_chan_write(&server.chan, &t, sizeof(t));
    printf("generation %u: %llu messages read, totals sent back (status %d)\n", si->generation,
           (unsigned long long)t.messages, st);
    return 0;
}

/* ---- The client ------------------------------------------------------------ */

static enum dj_status connect(struct dj_chan *c, uint64_t pt, unsigned generation)
{
    struct dj_chan_geom geom = {CHANTEST_SLOTS, CHANTEST_SLOT_SIZE};
    return dj_chan_connect(c, pt, geom, DJ_CHILD_SHARED_VA + generation * ORPHAN_REGION_SLOT,
                           ORPHAN_SEL_DOORBELLS + 2 * generation);
}

/* Streams until the channel fails; the status and the messages sent. */
static enum dj_status stream_until_error(struct dj_chan *c, uint64_t *sent)
{
    size_t max = dj_chan_payload_max(CHANTEST_SLOT_SIZE);
    for (uint64_t n = 0;; n++) {
        size_t len = stream_len(n, max);
        stream_fill(buf, n, len);
        enum dj_status st = dj_chan_write(c, buf, len);
        if (st != DJ_OK) {
            *sent = n;
            return st;
        }
    }
}

static bool check(bool ok, const char *name, const char *why)
{
    if (ok)
        printf("PASS %s\n", name);
    else
        printf("FAIL %s: %s\n", name, why);
    return ok;
}

/* The ends as they were right after connecting, looked at now. */
static bool stale_ends_broken(struct dj_chan *saved)
{
    bool rx = dj_chan_rx_pending(&saved->rx) == 0 && saved->rx.broken;
    bool tx = dj_chan_tx_space(&saved->tx) == 0 && saved->tx.broken;
    return check(rx && tx, "chantest_peer_death_stale_ends_broken",
                 rx ? "the producer end still looks usable" : "the consumer end still looks usable");
}

static bool reconnect(struct dj_chan *c, uint64_t pt)
{
    enum dj_status st = DJ_E_BAD_CAP;
    for (unsigned i = 0; i < CONNECT_TRIES && st != DJ_OK; i++) {
        st = connect(c, pt, 1);
        for (unsigned k = 0; st != DJ_OK && k < CONNECT_SPIN; k++)
            cpu_pause();
    }
    if (!check(st == DJ_OK, "chantest_peer_death_reconnect", "the restarted server never accepted"))
        return false;
    size_t max = dj_chan_payload_max(CHANTEST_SLOT_SIZE);
    struct chantest_totals mine = {0}, back = {0};
    for (uint64_t n = 0; n < AFTER_RESTART && st == DJ_OK; n++) {
        size_t len = stream_len(n, max);
        uint64_t sum = 0;
        stream_fill(buf, n, len);
        stream_check(buf, n, len, max, &sum);
        mine.messages++;
        mine.bytes += len;
        mine.sum_of_sums += sum;
        st = dj_chan_write(c, buf, len);
    }
    size_t len = 0;
    if (st == DJ_OK)
        st = dj_chan_read(c, &back, sizeof(back), &len);
    bool ok = st == DJ_OK && len == sizeof(back) && memcmp(&back, &mine, sizeof(back)) == 0;
    return check(ok, "chantest_peer_death_stream_resumes", "the new connection's stream was not confirmed");
}

int chantest_orphan_source(void)
{
    uint64_t pt;
    struct dj_chan c, saved;
    if (!dj_start_cap("chandie", &pt) || connect(&c, pt, 0) != DJ_OK) {
        printf("FAIL chantest_peer_death: cannot connect to chandie\n");
        return 1;
    }
    saved = c;
    uint64_t sent = 0;
    enum dj_status st = stream_until_error(&c, &sent);
    printf("the write of message %llu returned status %d\n", (unsigned long long)sent, st);
    bool ok = check(st == DJ_E_ABORTED && sent >= DIE_AFTER, "chantest_peer_death_write_aborted",
                    "not DJ_E_ABORTED after the server read its messages");
    st = dj_sm_down(saved.own_sm);
    ok &= check(st != DJ_OK, "chantest_peer_death_doorbell_error", "a down on the dead doorbell succeeded");
    dj_chan_close(&c); /* its copies go, zeroed pages included */
    ok &= stale_ends_broken(&saved);
    ok &= reconnect(&c, pt);
    return ok ? 0 : 1;
}
