/* SPDX-License-Identifier: GPL-2.0-only */
/* The driver's portal (lib/nic_proto.h): device information, counters,
 * and the channel set-up, which lib/channel.c does (dj_chan_serve). Runs
 * in the handler EC on the caller's time; it never touches the device's
 * rings or the channel's rings (the loop's), only reads the counters and
 * asks the device whether its link is up (a read without side effects).
 *
 * Callers: init (badge DJ_BADGE_PARENT) announcing clients, and the
 * clients themselves. Any client may ask for INFO and STATS; the channel
 * belongs to the first client that connects (the library keeps its
 * badge). When init announces that client again, it was restarted: the
 * loop drops the old channel before the reply, so the new instance can
 * connect. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/component.h"
#include "lib/proto.h"
#include "lib/syscall.h"
#include "nic_driver.h"

#define INFO_REPLY_WORDS DJ_NIC_INFO_WORDS
#define STATS_REPLY_WORDS (1 + DJ_NIC_STAT_COUNT)
#define REQUEST_WORDS 1 /* INFO and STATS: the operation only */
#define BITS_PER_BYTE 8

static uint64_t reply(struct dj_utcb *u, enum dj_status st, unsigned words)
{
    u->words[0] = st;
    return DJ_MTD(words, 0);
}

static uint64_t mac_word(const uint8_t *mac)
{
    uint64_t w = 0;
    for (unsigned i = 0; i < sizeof(nic.env.mac); i++)
        w |= (uint64_t)mac[i] << (BITS_PER_BYTE * i);
    return w;
}

static uint64_t info(struct dj_utcb *u)
{
    u->words[1] = mac_word(nic.env.mac);
    u->words[2] = nic_hw.link_up() ? 1 : 0;
    u->words[3] = DJ_NIC_FRAME_MAX;
    return reply(u, DJ_OK, INFO_REPLY_WORDS);
}

static uint64_t stats(struct dj_utcb *u)
{
    for (unsigned i = 0; i < DJ_NIC_STAT_COUNT; i++)
        u->words[1 + i] = nic.stats[i];
    return reply(u, DJ_OK, STATS_REPLY_WORDS);
}

/* The loop owns the channel once it is open: it does the reset, between
 * two rounds, and says when it is done. */
static void drop_old_channel(void)
{
    nic.reset_requested = true;
    dj_sm_up(nic.env.wake_sm);
    dj_sm_down(NIC_SEL_RESET_DONE_SM);
}

static uint64_t announce(struct dj_utcb *u)
{
    if (!dj_is_client_announcement(u))
        return reply(u, DJ_E_BAD_PARAM, 1);
    if (nic.ready && nic.server.state != DJ_CHAN_IDLE && u->words[1] == nic.server.badge)
        drop_old_channel();
    return reply(u, DJ_OK, 1);
}

/* A slot must hold the largest frame, or received frames would be lost. */
static bool slots_too_small(struct dj_utcb *u)
{
    return u->words[0] == DJ_CHAN_OP_CONNECT && DJ_MTD_UNTYPED(u->mtd) >= DJ_CHAN_CONNECT_WORDS &&
           u->words[2] < DJ_CHAN_SLOT_HEADER + DJ_NIC_FRAME_MAX;
}

uint64_t nic_service_handler(uint64_t badge, struct dj_utcb *u)
{
    uint64_t mtd = u->mtd, op = DJ_MTD_UNTYPED(mtd) ? u->words[0] : 0;
    if (badge == DJ_BADGE_PARENT)
        return announce(u);
    if (!nic.ready)
        return reply(u, DJ_E_ABORTED, 1); /* the device could not be brought up */
    if (op == DJ_NIC_OP_INFO && mtd == DJ_MTD(REQUEST_WORDS, 0))
        return info(u);
    if (op == DJ_NIC_OP_STATS && mtd == DJ_MTD(REQUEST_WORDS, 0))
        return stats(u);
    if (op == DJ_CHAN_OP_CONNECT || op == DJ_CHAN_OP_DOORBELLS) {
        if (slots_too_small(u))
            return reply(u, DJ_E_BAD_PARAM, 1);
        return dj_chan_serve(&nic.server, u);
    }
    return reply(u, DJ_E_BAD_PARAM, 1);
}
