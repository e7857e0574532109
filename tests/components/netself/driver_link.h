/* SPDX-License-Identifier: GPL-2.0-only */
/* netself's connection to its NIC driver: the driver's portal (granted
 * by init, named after the driver), its MAC address, and the frame
 * channel (lib/channel.h, geometry of lib/nic_proto.h).
 *
 * A driver can die and be restarted by init, which then puts a portal to
 * the new instance at the same selector. Each connection therefore takes
 * fresh addresses and selectors (generation, layout.h), so nothing of a
 * dead channel can be mistaken for the new one. The region lies in the
 * shared window: when the driver dies, its pages are replaced by zeroed
 * ones (init) and the channel reads as broken instead of faulting. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/channel.h"
#include "lib/nic_proto.h"

struct driver_link {
    char name[16];     /* the driver's portal name */
    uint64_t pt;       /* its portal */
    uint8_t mac[6];
    bool link_up;
    struct dj_chan chan;
    bool connected;
    unsigned generation; /* connection attempts so far (each gets fresh addresses) */
};

/* Finds the driver's portal: the one named want, or (want empty) the
 * first granted portal that is neither the console nor the parent. */
bool driver_link_find(struct driver_link *l, const char *want);

/* Asks the driver for its MAC address and connects a new channel.
 * DJ_OK, or the failing step's status with *step naming it. */
enum dj_status driver_link_connect(struct driver_link *l, const char **step);

/* The driver's counters (DJ_NIC_OP_STATS). */
enum dj_status driver_link_stats(struct driver_link *l, uint64_t stats[DJ_NIC_STAT_COUNT]);

/* Gives up the channel (after the driver died or broke it). */
void driver_link_drop(struct driver_link *l);
