/* SPDX-License-Identifier: GPL-2.0-only */
/* The gateway's one forwarding thread. Both channels' doorbells are
 * copies of one semaphore (dj_chan_server.wake_sm), so the thread sleeps
 * for both sides at once; it owns both channels once they are open (the
 * handler only sets them up), so every ring has one producer and one
 * consumer thread. Each round moves up to BATCH frames per side, copying
 * each out of shared memory before anything looks at it (the client may
 * change it under us), then publishes once per side. It never waits for
 * space: a full ring on the other side drops the frame (ring_full), so a
 * stuck client costs only its own traffic. Every STATUS seconds (TSC) it
 * prints one status line per SA and the gateway's drops. */
#include <stdio.h>
#include <string.h>

#include <syscall.h>
#include <x86.h>

#include "gw.h"

#define BATCH 32
#define ETH_HEADER 14
#define US_PER_SECOND 1000000ull
#define DROPS_PER_LINE 5 /* of at most 31 characters each */

static uint8_t in_frame[DJ_NIC_FRAME_MAX];
static uint8_t out_frame[DJ_NIC_FRAME_MAX + 64];
static uint64_t next_status_tsc;

static void take_over(struct gw_link *l)
{
    if (l->reset_requested) {
        if (l->attached || l->server.state != DJ_CHAN_IDLE)
            dj_chan_server_reset(&l->server);
        l->attached = false;
        l->neighbor_known = false; /* a new instance may have another MAC */
        l->reset_requested = false;
        l->given_up = false;
        dj_sm_up(GW_SEL_RESET_DONE_SM);
    }
    if (!l->attached && !l->given_up && l->server.connected) {
        l->attached = true;
        printf("esp: %s side: %s connected\n", l->name, l->client);
    }
}

/* One frame from side `from`, through the policy, to the other side. */
static void forward(enum gw_side from, size_t len)
{
    const uint8_t *pkt;
    size_t pkt_len, out_len = 0;
    if (!gw_link_receive(from, in_frame, len, &pkt, &pkt_len))
        return;
    enum esp_drop why;
    if (!gws.running)
        why = ESP_DROP_SA_EXPIRED; /* no SA started: nothing passes */
    else if (from == GW_INNER)
        why = gw_from_inner(&gws.gw, pkt, pkt_len, out_frame + ETH_HEADER, DJ_NIC_FRAME_MAX - ETH_HEADER, &out_len);
    else
        why = gw_from_outer(&gws.gw, pkt, pkt_len, out_frame + ETH_HEADER, DJ_NIC_FRAME_MAX - ETH_HEADER, &out_len);
    if (why != ESP_DROP_NONE) {
        if (!gws.running)
            gw_count_drop(why); /* the policy counts its own */
        return;
    }
    gw_link_send_ip(from == GW_INNER ? GW_OUTER : GW_INNER, out_frame, out_len);
    gw_fault_count_forwarded();
}

/* Up to BATCH frames from one side; how many were there. */
static unsigned pump(enum gw_side s)
{
    struct gw_link *l = &gws.side[s];
    if (!l->attached)
        return 0;
    unsigned n = 0;
    size_t len;
    const void *msg;
    while (n < BATCH && (msg = dj_chan_rx_peek(&l->server.chan.rx, &len)) != NULL) {
        size_t copy = len <= sizeof(in_frame) ? len : 0;
        memcpy(in_frame, msg, copy);
        dj_chan_rx_release(&l->server.chan.rx);
        n++;
        if (copy == 0 && len != 0) {
            l->stats[DJ_NIC_STAT_TX_DROPPED]++;
            gw_count_drop(ESP_DROP_TOO_BIG);
            continue;
        }
        forward(s, len);
    }
    return n;
}

/* Before sleeping; false: look again. A ring the client broke (or left
 * broken by dying) is given up until init announces its new instance. */
static bool arm(struct gw_link *l)
{
    if (!l->attached)
        return true;
    if (l->server.chan.rx.broken || l->server.chan.tx.broken) {
        printf("esp: %s side: %s broke its channel: given up until it is restarted\n", l->name, l->client);
        l->attached = false;
        l->given_up = true;
        return true;
    }
    return dj_chan_rx_arm(&l->server.chan.rx);
}

static uint64_t status_period_tsc(void)
{
    return gws.set.status_seconds * gws.tsc_hz;
}

void gw_status_print(void)
{
    const struct gw_counters *c = &gws.gw.count;
    printf("esp: status: to_outer %lu to_inner %lu\n", (unsigned long)c->to_outer, (unsigned long)c->to_inner);
    for (size_t i = 0; i < gws.cfg.sa_count; i++) {
        const struct esp_sa *sa = &gws.cfg.sas[i];
        uint64_t drops = 0;
        for (unsigned d = 1; d < ESP_DROP_COUNT; d++)
            drops += sa->count.drops[d];
        printf("esp: status: sa spi 0x%x %s packets %lu bytes %lu drops %lu%s\n", sa->spi,
               gws.cfg.sa_outbound[i] ? "out" : gws.cfg.sa_inbound[i] ? "in" : "unused",
               (unsigned long)sa->count.packets, (unsigned long)sa->count.bytes, (unsigned long)drops,
               sa->dead ? " dead" : sa->count.soft_expired ? " soft-expired (rekey)" : "");
    }
    /* Drops by reason, a few per line (the console splits long writes). */
    char line[160];
    unsigned shown = 0, on_line = 0;
    int n = 0;
    for (unsigned d = 1; d < ESP_DROP_COUNT; d++) {
        if (!c->drops[d])
            continue;
        if (on_line == 0)
            n = snprintf(line, sizeof(line), "esp: status: drops");
        n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %lu", esp_drop_name((enum esp_drop)d),
                      (unsigned long)c->drops[d]);
        shown++;
        if (++on_line == DROPS_PER_LINE) {
            printf("%s\n", line);
            on_line = 0;
        }
    }
    if (on_line)
        printf("%s\n", line);
    if (!shown)
        printf("esp: status: drops none\n");
}

static uint64_t until_status_us(void)
{
    if (!gws.set.status_seconds)
        return 0;
    uint64_t now = rdtsc();
    if (now >= next_status_tsc) {
        gw_status_print();
        next_status_tsc = now + status_period_tsc();
    }
    uint64_t left = next_status_tsc - now;
    return left / (gws.tsc_hz / US_PER_SECOND) + 1;
}

void gw_loop_run(void)
{
    next_status_tsc = rdtsc() + status_period_tsc();
    for (;;) {
        unsigned work = 0;
        for (unsigned s = 0; s < GW_SIDES; s++)
            take_over(&gws.side[s]);
        for (unsigned s = 0; s < GW_SIDES; s++)
            work += pump((enum gw_side)s);
        for (unsigned s = 0; s < GW_SIDES; s++)
            gw_link_flush((enum gw_side)s);
        uint64_t wait_us = until_status_us();
        if (work)
            continue;
        if (!arm(&gws.side[GW_INNER]) || !arm(&gws.side[GW_OUTER]))
            continue;
        if (wait_us)
            dj_sm_down_timeout(GW_SEL_WAKE_SM, wait_us);
        else
            dj_sm_down(GW_SEL_WAKE_SM);
    }
}
