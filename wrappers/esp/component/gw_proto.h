/* SPDX-License-Identifier: GPL-2.0-only */
/* The gateway component's portal (docs/gateway.md, "The gateway
 * component"). Each side (inner, outer) is served like a NIC driver
 * serves its client (lib/nic_proto.h): DJ_CHAN_OP_CONNECT/DOORBELLS,
 * DJ_NIC_OP_INFO (the MAC address the client should use, link up, the
 * largest frame) and DJ_NIC_OP_STATS. One more operation, for either
 * client (tests, monitoring), reveals no key and no traffic:
 *   DJ_GW_OP_STATS -> [0] status, [1] packets passed to the outer side,
 *                     [2] packets passed to the inner side,
 *                     [3 + reason] drops by reason (esp_drop.h), gateway-wide */
#ifndef GW_PROTO_H
#define GW_PROTO_H

#include "../esp_drop.h"

#define DJ_GW_OP_STATS 0x380
#define DJ_GW_STATS_FIRST_DROP 3
#define DJ_GW_STATS_WORDS (DJ_GW_STATS_FIRST_DROP + ESP_DROP_COUNT)

/* The MAC addresses of the gateway's two sides: the wrapper's own (it
 * answers ARP with it) and the one INFO gives the client (a VM's virtio-net
 * takes it as its own). Locally administered, fixed: each link is a
 * point-to-point wire between the wrapper and one client. */
#define GW_MAC_INNER_OWN {0x02, 0x44, 0x4a, 0x47, 0x01, 0x01}
#define GW_MAC_INNER_CLIENT {0x02, 0x44, 0x4a, 0x47, 0x01, 0x02}
#define GW_MAC_OUTER_OWN {0x02, 0x44, 0x4a, 0x47, 0x02, 0x01}
#define GW_MAC_OUTER_CLIENT {0x02, 0x44, 0x4a, 0x47, 0x02, 0x02}

#endif
