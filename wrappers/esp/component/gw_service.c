/* SPDX-License-Identifier: GPL-2.0-only */
/* The gateway's portal (gw_proto.h), on its callers' time in the handler
 * EC. init announces the two clients by name (DJ_SERVICE_OP_CLIENT): the
 * configuration says which name is the inner and which the outer side,
 * and from then on the badge alone decides the side; any other client is
 * refused every channel. Like a NIC driver (servers/nic/nic_service.c),
 * the handler only sets a channel up; once it is open the loop owns it,
 * and a restarted client's old channel is dropped by the loop. */
#include <string.h>

#include <component.h>
#include <proto.h>
#include <syscall.h>

#include "gw.h"
#include "gw_proto.h"

#define REQUEST_WORDS 1
#define BITS_PER_BYTE 8
#define NAME_WORD 2

static uint64_t reply(struct dj_utcb *u, enum dj_status st, unsigned words)
{
    u->words[0] = st;
    return DJ_MTD(words, 0);
}

static struct gw_link *side_of(uint64_t badge)
{
    for (unsigned s = 0; s < GW_SIDES; s++)
        if (gws.side[s].badge && gws.side[s].badge == badge)
            return &gws.side[s];
    return NULL;
}

static uint64_t announce(struct dj_utcb *u)
{
    if (!dj_is_client_announcement(u))
        return reply(u, DJ_E_BAD_PARAM, 1);
    char name[DJ_START_NAME_MAX];
    memcpy(name, &u->words[NAME_WORD], sizeof(name));
    name[sizeof(name) - 1] = '\0';
    uint64_t badge = u->words[1];
    for (unsigned s = 0; s < GW_SIDES; s++) {
        struct gw_link *l = &gws.side[s];
        if (strcmp(name, l->client) != 0)
            continue;
        if (l->badge == badge && l->server.state != DJ_CHAN_IDLE) {
            /* The client was restarted: the loop drops its old channel. */
            l->reset_requested = true;
            dj_sm_up(GW_SEL_WAKE_SM);
            dj_sm_down(GW_SEL_RESET_DONE_SM);
        }
        l->badge = badge;
    }
    return reply(u, DJ_OK, 1);
}

static uint64_t info(struct gw_link *l, struct dj_utcb *u)
{
    uint64_t w = 0;
    for (unsigned i = 0; i < GW_MAC_BYTES; i++)
        w |= (uint64_t)l->client_mac[i] << (BITS_PER_BYTE * i);
    u->words[1] = w;
    u->words[2] = gws.running ? 1 : 0;
    u->words[3] = DJ_NIC_FRAME_MAX;
    return reply(u, DJ_OK, DJ_NIC_INFO_WORDS);
}

static uint64_t side_stats(struct gw_link *l, struct dj_utcb *u)
{
    for (unsigned i = 0; i < DJ_NIC_STAT_COUNT; i++)
        u->words[1 + i] = l->stats[i];
    return reply(u, DJ_OK, 1 + DJ_NIC_STAT_COUNT);
}

static uint64_t gateway_stats(struct dj_utcb *u)
{
    u->words[1] = gws.gw.count.to_outer;
    u->words[2] = gws.gw.count.to_inner;
    for (unsigned i = 0; i < ESP_DROP_COUNT; i++)
        u->words[DJ_GW_STATS_FIRST_DROP + i] = gws.gw.count.drops[i];
    return reply(u, DJ_OK, DJ_GW_STATS_WORDS);
}

uint64_t gw_service_handler(uint64_t badge, struct dj_utcb *u)
{
    uint64_t mtd = u->mtd, op = DJ_MTD_UNTYPED(mtd) ? u->words[0] : 0;
    if (badge == DJ_BADGE_PARENT)
        return announce(u);
    struct gw_link *l = side_of(badge);
    if (!l)
        return reply(u, DJ_E_BAD_PARAM, 1); /* neither side's client */
    if (op == DJ_NIC_OP_INFO && mtd == DJ_MTD(REQUEST_WORDS, 0))
        return info(l, u);
    if (op == DJ_NIC_OP_STATS && mtd == DJ_MTD(REQUEST_WORDS, 0))
        return side_stats(l, u);
    if (op == DJ_GW_OP_STATS && mtd == DJ_MTD(REQUEST_WORDS, 0))
        return gateway_stats(u);
    if (op == DJ_CHAN_OP_CONNECT || op == DJ_CHAN_OP_DOORBELLS) {
        if (op == DJ_CHAN_OP_CONNECT && DJ_MTD_UNTYPED(mtd) >= DJ_CHAN_CONNECT_WORDS &&
            u->words[2] < DJ_CHAN_SLOT_HEADER + DJ_NIC_FRAME_MAX)
            return reply(u, DJ_E_BAD_PARAM, 1); /* a slot must hold the largest frame */
        return dj_chan_serve(&l->server, u);
    }
    return reply(u, DJ_E_BAD_PARAM, 1);
}
