/* SPDX-License-Identifier: GPL-2.0-only */
/* netself's connection to its NIC driver (driver_link.h). */
#include "driver_link.h"
#include "layout.h"
#include "lib/component.h"
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"

#define MAC_BYTES 6
#define PAGE_SIZE 4096ull

bool driver_link_find(struct driver_link *l, const char *want)
{
    const struct dj_start_info *si = dj_start();
    if (!si)
        return false;
    for (uint32_t i = 0; i < si->ncaps && i < DJ_CHILD_MAX_GRANTS; i++) {
        const char *name = si->caps[i].name;
        bool match = want[0] ? strncmp(name, want, DJ_START_NAME_MAX) == 0
                             : strcmp(name, "console") != 0 && strcmp(name, "parent") != 0;
        if (match && strnlen(name, DJ_START_NAME_MAX) < sizeof(l->name)) {
            memcpy(l->name, name, strnlen(name, DJ_START_NAME_MAX) + 1);
            l->pt = si->caps[i].sel;
            return true;
        }
    }
    return false;
}

/* DJ_NIC_OP_INFO: the MAC address and the link state. */
static enum dj_status ask_info(struct driver_link *l)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_NIC_OP_INFO;
    uint64_t out = 0;
    enum dj_status st = dj_call(l->pt, DJ_MTD(1, 0), &out);
    if (st != DJ_OK)
        return st;
    if (DJ_MTD_UNTYPED(out) != DJ_NIC_INFO_WORDS || DJ_MTD_TYPED(out) != 0)
        return DJ_E_BAD_PARAM; /* a reply of the wrong shape is not trusted */
    if (u->words[0] != DJ_OK)
        return (enum dj_status)u->words[0];
    uint64_t mac = u->words[1];
    for (unsigned i = 0; i < MAC_BYTES; i++)
        l->mac[i] = (uint8_t)(mac >> (8 * i));
    l->link_up = u->words[2] == 1;
    return DJ_OK;
}

enum dj_status driver_link_connect(struct driver_link *l, const char **step)
{
    *step = "INFO";
    enum dj_status st = ask_info(l);
    if (st != DJ_OK)
        return st;
    unsigned g = l->generation++;
    uint64_t va = NETSELF_CHANNEL_VA + (g % NETSELF_CHANNEL_VA_SLOTS) * NETSELF_CHANNEL_VA_SLOT;
    uint64_t sm = NETSELF_SEL_CHANNELS + 2 * (g % NETSELF_CHANNEL_SEL_PAIRS);
    struct dj_chan_geom geom = {DJ_NIC_SLOTS, DJ_NIC_SLOT_SIZE};
    *step = "channel connect";
    int order = dj_chan_region_order(geom);
    if (order < 0 || (PAGE_SIZE << order) > NETSELF_CHANNEL_VA_SLOT)
        return DJ_E_BAD_PARAM;
    st = dj_chan_connect(&l->chan, l->pt, geom, va, sm);
    l->connected = st == DJ_OK;
    return st;
}

enum dj_status driver_link_stats(struct driver_link *l, uint64_t stats[DJ_NIC_STAT_COUNT])
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_NIC_OP_STATS;
    uint64_t out = 0;
    enum dj_status st = dj_call(l->pt, DJ_MTD(1, 0), &out);
    if (st != DJ_OK)
        return st;
    if (DJ_MTD_UNTYPED(out) != 1 + DJ_NIC_STAT_COUNT || DJ_MTD_TYPED(out) != 0)
        return DJ_E_BAD_PARAM;
    if (u->words[0] != DJ_OK)
        return (enum dj_status)u->words[0];
    for (unsigned i = 0; i < DJ_NIC_STAT_COUNT; i++)
        stats[i] = u->words[1 + i];
    return DJ_OK;
}

void driver_link_drop(struct driver_link *l)
{
    if (l->connected)
        dj_chan_close(&l->chan);
    l->connected = false;
}
