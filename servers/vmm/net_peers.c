/* SPDX-License-Identifier: GPL-2.0-only */
/* A VM line's network peers (net_peers.h). */
#include "net_peers.h"
#include <stdbool.h>
#include <string.h>

static bool is_peer(const char *name)
{
    return strcmp(name, "console") != 0 && strcmp(name, "parent") != 0;
}

int net_peers_choose(const struct dj_start_cap *caps, unsigned ncaps, struct net_peer out[NET_MAX_DEVICES],
                     const char **why)
{
    int n = 0;
    if (ncaps > DJ_CHILD_MAX_GRANTS)
        ncaps = DJ_CHILD_MAX_GRANTS;
    for (unsigned i = 0; i < ncaps; i++) {
        if (!is_peer(caps[i].name))
            continue;
        if (n == NET_MAX_DEVICES) {
            *why = "more than 4 network peers in pt= (a VM has at most 4 network devices)";
            return -1;
        }
        for (int j = 0; j < n; j++)
            if (strcmp(out[j].name, caps[i].name) == 0) {
                *why = "a network peer is named twice in pt=";
                return -1;
            }
        out[n++] = (struct net_peer){caps[i].name, caps[i].sel};
    }
    return n;
}
