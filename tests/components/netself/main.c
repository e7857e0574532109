/* SPDX-License-Identifier: GPL-2.0-only */
/* netself: the network self-test. It connects to one NIC driver's frame
 * channel and answers ARP requests for its IPv4 address, ICMP echo
 * requests and stats requests (UDP to NETSELF_STATS_PORT: its counters
 * and the driver's, on the console and back to the sender). A test on
 * the other end of the wire (tests/net/run) pings it.
 *
 * Configuration (servers/init/net.conf): pt=<driver>[,console] and
 * arg=ip=A.B.C.D[,nic=<driver>] (args.h). When the driver dies, init
 * restarts it and puts a portal to the new instance at the same selector;
 * netself survives and connects again by itself: the channel's region
 * lies in the shared window, where init replaces the vanished pages by
 * zeroed ones, so netself sees a broken ring or its doorbell gone (never
 * a fault), gives the channel up and waits for the new portal
 * (retry_wait.h). */
#include <stdbool.h>
#include <stdint.h>
#include "lib/channel.h"
#include "lib/component.h"
#include "lib/console_client.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "args.h"
#include "driver_link.h"
#include "layout.h"
#include "report.h"
#include "responder.h"
#include "retry_wait.h"

#define FRAME_BUF_MAX (DJ_NIC_SLOT_SIZE - DJ_CHAN_SLOT_HEADER) /* any message the channel can carry */
#define PUBLISH_EVERY 32        /* frames between handing slots back to the driver */
#define TEXT_MAX 1024
#define CONSOLE_TEXT_MAX 140    /* the console cuts lines at 160 bytes; "netself: " goes first */
#define REPORT_RETRY_EVERY 64   /* attempts between "still retrying" lines */

static struct netself_args args;
static struct netself_addr self;
static struct netself_counts counts;
static struct driver_link drv;
static uint8_t frame[FRAME_BUF_MAX];
static uint8_t reply[NETSELF_REPLY_MAX];
static char text[TEXT_MAX];

_Static_assert(FRAME_BUF_MAX >= NETSELF_FRAME_MAX, "a frame fits the private copy");

static void print_ready(void)
{
    char ip[NETSELF_IPV4_TEXT_MAX];
    netself_format_ipv4(self.ip, ip);
    printf("netself: ready on %s ip %s mac %02x:%02x:%02x:%02x:%02x:%02x link %s (connection %u)\n", drv.name, ip,
           self.mac[0], self.mac[1], self.mac[2], self.mac[3], self.mac[4], self.mac[5],
           drv.link_up ? "up" : "down", drv.generation);
}

static void connect_driver(void)
{
    for (unsigned attempt = 0;; attempt++) {
        const char *step = "";
        enum dj_status st = driver_link_connect(&drv, &step);
        if (st == DJ_OK)
            break;
        if (attempt % REPORT_RETRY_EVERY == 0)
            printf("netself: %s: %s failed (status %d), retrying\n", drv.name, step, st);
        retry_wait(attempt);
    }
    memcpy(self.mac, drv.mac, sizeof(self.mac));
    print_ready();
}

/* The counters as text: ours, then the driver's (or why not). */
static size_t format_report(void)
{
    uint64_t stats[DJ_NIC_STAT_COUNT];
    size_t n = (size_t)snprintf(text, TEXT_MAX, "counts ");
    n += netself_format_counts(text + n, TEXT_MAX - n, &counts);
    enum dj_status st = driver_link_stats(&drv, stats);
    if (n < TEXT_MAX - 1 && st == DJ_OK) {
        n += (size_t)snprintf(text + n, TEXT_MAX - n, "\nnic ");
        n = n < TEXT_MAX ? n : TEXT_MAX - 1;
        n += netself_format_nic_stats(text + n, TEXT_MAX - n, stats);
    } else if (n < TEXT_MAX - 1) {
        n += (size_t)snprintf(text + n, TEXT_MAX - n, "\nnic unavailable (status %d)", st);
    }
    return n < TEXT_MAX ? n : TEXT_MAX - 1;
}

static void print_piece(const char *piece, size_t len, void *ctx)
{
    (void)ctx;
    printf("netself: %.*s\n", (int)len, piece);
}

/* The report on the console, in lines it does not cut, each prefixed so
 * a test can find it. */
static void print_report(void)
{
    netself_wrap_report(text, CONSOLE_TEXT_MAX, print_piece, NULL);
}

static void send_frame(const uint8_t *f, size_t len)
{
    void *slot = dj_chan_tx_reserve(&drv.chan.tx, len);
    if (!slot) {
        counts.tx_full++; /* the driver is behind: the peer will retry */
        return;
    }
    memcpy(slot, f, len);
    if (dj_chan_tx_commit(&drv.chan.tx, len))
        counts.tx_frames++;
    else
        counts.tx_full++; /* cannot happen after a successful reserve; counted, not hidden */
}

static void answer(size_t len)
{
    size_t out_len = 0;
    switch (netself_handle(&self, &counts, frame, len, reply, sizeof(reply), &out_len)) {
    case NETSELF_REPLY:
        send_frame(reply, out_len);
        break;
    case NETSELF_STATS: {
        size_t n = format_report();
        print_report();
        out_len = netself_udp_reply(&self, frame, len, text, n, reply, sizeof(reply));
        if (out_len)
            send_frame(reply, out_len);
        break;
    }
    case NETSELF_IGNORE:
        break;
    }
}

/* Hands consumed slots back and sent frames over; rings the driver if it
 * asked to be woken. */
static void publish(void)
{
    bool wake = dj_chan_rx_publish(&drv.chan.rx);
    wake |= dj_chan_tx_publish(&drv.chan.tx);
    dj_chan_kick(&drv.chan, wake);
}

/* Answers every frame waiting in the channel. Frames are copied out of
 * the shared slot first: the driver could change the slot while they
 * are parsed. */
static void serve_batch(void)
{
    const void *msg;
    size_t len;
    unsigned n = 0;
    while ((msg = dj_chan_rx_peek(&drv.chan.rx, &len)) != NULL) {
        if (len > sizeof(frame))
            len = sizeof(frame); /* the ring layer bounds it already; belt and braces */
        memcpy(frame, msg, len);
        dj_chan_rx_release(&drv.chan.rx);
        answer(len);
        if (++n % PUBLISH_EVERY == 0)
            publish();
    }
    publish();
}

static void drop_driver(const char *why, int status)
{
    printf("netself: lost %s: %s (status %d); reconnecting\n", drv.name, why, status);
    format_report();
    print_report();
    driver_link_drop(&drv);
}

static __attribute__((noreturn)) void serve(void)
{
    for (;;) {
        if (!drv.connected)
            connect_driver();
        serve_batch();
        if (drv.chan.rx.broken || drv.chan.tx.broken) {
            drop_driver("the driver broke the channel", DJ_E_ABORTED);
            continue;
        }
        if (!dj_chan_rx_arm(&drv.chan.rx))
            continue; /* a frame arrived meanwhile */
        enum dj_status st = dj_sm_down(drv.chan.own_sm);
        if (st != DJ_OK)
            drop_driver("its doorbell is gone", st);
    }
}

int main(void)
{
    const struct dj_start_info *si = dj_start_with_console();
    if (!si)
        return 1;
    char why[96];
    if (!netself_parse_args(si->arg, sizeof(si->arg), &args, why, sizeof(why))) {
        printf("netself: arg=%.*s: %s\n", (int)sizeof(si->arg), si->arg, why);
        dj_block_forever(NETSELF_SEL_SLEEP_SM);
    }
    self.ip = args.ip;
    if (!driver_link_find(&drv, args.nic)) {
        printf("netself: no driver portal %s granted (pt=)\n", args.nic[0] ? args.nic : "besides console/parent");
        dj_block_forever(NETSELF_SEL_SLEEP_SM);
    }
    if (!retry_wait_init(drv.pt))
        printf("netself: no low-priority retry thread: retries spin at netself's priority\n");
    serve();
}
