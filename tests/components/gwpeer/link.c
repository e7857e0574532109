/* SPDX-License-Identifier: GPL-2.0-only */
/* The test clients' side of the gateway's NIC protocol (lib/nic_proto.h):
 * INFO for the MAC, the channel, DJ_GW_OP_STATS, and the gateway's MAC by
 * ARP. */
#include "lib/component.h"
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"

#include "gwpeer.h"

#define CHANNEL_VA DJ_CHILD_SHARED_VA
#define CHANNEL_SM (DJ_CHILD_FIRST_FREE + 2)
#define PAUSE_SM DJ_CHILD_FIRST_FREE
#define US_PER_MS 1000

void pause_ms(unsigned ms)
{
    static bool made;
    if (!made)
        made = dj_create_sm(PAUSE_SM, DJ_SEL_SELF_PD, 0) == DJ_OK;
    dj_sm_down_timeout(PAUSE_SM, (uint64_t)ms * US_PER_MS);
}

#define OPEN_TRIES 100
#define OPEN_RETRY_MS 100

static bool try_open(struct link *l)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_NIC_OP_INFO;
    uint64_t out = 0;
    if (dj_call(l->pt, DJ_MTD(1, 0), &out) != DJ_OK || DJ_MTD_UNTYPED(out) != DJ_NIC_INFO_WORDS ||
        u->words[0] != DJ_OK)
        return false;
    for (unsigned i = 0; i < MAC_BYTES; i++)
        l->mac[i] = (uint8_t)(u->words[1] >> (8 * i));
    struct dj_chan_geom geom = {DJ_NIC_SLOTS, DJ_NIC_SLOT_SIZE};
    return dj_chan_connect(&l->chan, l->pt, geom, CHANNEL_VA, CHANNEL_SM) == DJ_OK;
}

/* The gateway may be between two instances (the restart test): its
 * portal fails until init has put the new one's there. */
bool link_open(struct link *l)
{
    if (!dj_start_cap("esp", &l->pt))
        return false;
    for (unsigned t = 0; t < OPEN_TRIES; t++) {
        if (try_open(l))
            return true;
        pause_ms(OPEN_RETRY_MS);
    }
    return false;
}

bool link_send(struct link *l, const uint8_t *frame, size_t len)
{
    return dj_chan_write(&l->chan, frame, len) == DJ_OK;
}

size_t link_receive(struct link *l, uint8_t *buf, size_t cap, unsigned timeout_ms)
{
    for (unsigned waited = 0;;) {
        size_t len = 0;
        enum dj_status st = dj_chan_try_read(&l->chan, buf, cap, &len);
        if (st == DJ_OK)
            return len;
        if (st != DJ_E_TIMEOUT || waited >= timeout_ms)
            return 0;
        dj_chan_flush(&l->chan);
        if (!dj_chan_rx_arm(&l->chan.rx))
            continue;
        dj_sm_down_timeout(l->chan.own_sm, 10 * US_PER_MS);
        waited += 10;
    }
}

bool link_gw_stats(struct link *l, uint64_t words[DJ_GW_STATS_WORDS])
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_GW_OP_STATS;
    uint64_t out = 0;
    if (dj_call(l->pt, DJ_MTD(1, 0), &out) != DJ_OK || DJ_MTD_UNTYPED(out) != DJ_GW_STATS_WORDS ||
        u->words[0] != DJ_OK)
        return false;
    for (unsigned i = 0; i < DJ_GW_STATS_WORDS; i++)
        words[i] = u->words[i];
    return true;
}

#define ARP_TRIES 50
#define ARP_WAIT_MS 100

bool link_learn_gateway(struct link *l, uint32_t ours, uint32_t gateway, uint8_t gw_mac[MAC_BYTES])
{
    static uint8_t request[FRAME_CAP], reply[FRAME_CAP];
    for (unsigned t = 0; t < ARP_TRIES; t++) {
        link_send(l, request, arp_request(request, l->mac, ours, gateway));
        size_t len = link_receive(l, reply, sizeof(reply), ARP_WAIT_MS);
        if (len && arp_reply_from(reply, len, gateway, gw_mac))
            return true;
    }
    return false;
}
