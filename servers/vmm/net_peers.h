/* SPDX-License-Identifier: GPL-2.0-only */
/* Which of a VM line's portals are network peers (docs/boot-config.md,
 * "Virtual machines"): every pt= name but console and parent is a
 * NIC-protocol server (a NIC driver, the ESP gateway's side, another VM's
 * VMM), and each becomes one virtio-net device, in the order written:
 * the first at PCI 00:01.0, the next at 00:02.0, ... Pure C. */
#pragma once
#include <stdint.h>
#include "lib/startinfo.h"

#define NET_MAX_DEVICES 4

struct net_peer {
    const char *name;
    uint64_t sel; /* the portal */
};

/* Fills out[] in pt= order; returns how many (0: no network), or -1 with
 * *why set (more than NET_MAX_DEVICES peers, a peer named twice). */
int net_peers_choose(const struct dj_start_cap *caps, unsigned ncaps, struct net_peer out[NET_MAX_DEVICES],
                     const char **why);
