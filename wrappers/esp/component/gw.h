/* SPDX-License-Identifier: GPL-2.0-only */
/* The ESP gateway component: the wrapper and policy between two NIC-protocol
 * sides it serves (docs/gateway.md, "The gateway component").
 *   gw_config.c   the data= module: "gateway" lines and ip xfrm lines
 *   gw_link.c     Ethernet on each side: ARP, neighbor, frame checks
 *   gw_service.c  the portal: announcements, channel set-up, INFO, STATS
 *   gw_loop.c     the forwarding loop and the status line
 *   gw_seq.c      where outbound sequence marks are kept */
#ifndef GW_H
#define GW_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/channel.h"
#include "lib/nic_proto.h"
#include "lib/startinfo.h"

#include "../../policy/policy.h"
#include "../esp.h"
#include "../xfrm_config.h"

#define GW_MAC_BYTES 6
#define GW_CLIENT_NAME_MAX DJ_START_NAME_MAX

enum gw_side { GW_INNER, GW_OUTER, GW_SIDES };

/* Selectors (from DJ_CHILD_FIRST_FREE) and addresses (DJ_CHILD_FREE_VA on). */
#define GW_SEL_SLEEP_SM DJ_CHILD_FIRST_FREE
#define GW_SEL_WAKE_SM (DJ_CHILD_FIRST_FREE + 1)      /* the loop's one wake-up */
#define GW_SEL_RESET_DONE_SM (DJ_CHILD_FIRST_FREE + 2)
#define GW_SEL_CHAN_SM(side) (DJ_CHILD_FIRST_FREE + 4 + 2 * (side)) /* two per side */
#define GW_VA_HANDLER_UTCB DJ_CHILD_FREE_VA
#define GW_VA_CHANNEL_SLOT (1ull << 24)
#define GW_VA_CHANNEL(side) (DJ_CHILD_FREE_VA + (1 + (side)) * GW_VA_CHANNEL_SLOT)

struct gw_link {
    const char *name;                  /* "inner", "outer" */
    char client[GW_CLIENT_NAME_MAX];   /* the component that connects here */
    uint64_t badge;                    /* its badge, once init announced it (0: not yet) */
    uint8_t own_mac[GW_MAC_BYTES], client_mac[GW_MAC_BYTES];
    uint32_t own_addr;                 /* answered in ARP (host order; 0: none) */
    uint32_t neighbor;                 /* the next hop on this side (host order) */
    uint8_t neighbor_mac[GW_MAC_BYTES];
    bool neighbor_known;
    struct dj_chan_server server;
    bool attached;                     /* the loop saw server.connected */
    bool given_up;                     /* the client broke the ring */
    volatile bool reset_requested;     /* the handler: the client was restarted */
    /* counters (the loop writes, the handler reads whole words) */
    volatile uint64_t stats[DJ_NIC_STAT_COUNT];
    uint64_t arp_replies, arp_requests;
};

struct gw_settings {
    bool keys_fresh;          /* the operator vouches: keys made for this boot */
    uint32_t status_seconds;  /* 0: no status line */
    uint32_t seq_block;
};

struct gw_state {
    struct gw_link side[GW_SIDES];
    struct gw_settings set;
    struct xfrm_config cfg;
    struct gateway gw;
    bool running;             /* the SAs started: the loop forwards */
    uint64_t tsc_hz;
};

extern struct gw_state gws;

/* gw_config.c: reads the data= module (text, size bytes) into gws.cfg
 * and gws.set; false with a message printed (no key in it). */
bool gw_config_load(const char *text, uint64_t size);

/* gw_link.c: a frame the client of `from` sent (copied out of the ring,
 * len bytes). Answers ARP on that side; for IP returns the packet inside
 * (trimmed to its IP length) in *pkt and *pkt_len, and true. */
bool gw_link_receive(enum gw_side from, uint8_t *frame, size_t len, const uint8_t **pkt, size_t *pkt_len);
/* Sends len bytes of IP packet (already at frame + 14) to the neighbor of
 * `to` (ethertype from its version); counts the drop when it cannot. */
void gw_link_send_ip(enum gw_side to, uint8_t *frame, size_t ip_len);
/* Counts a drop in the gateway's counters. */
void gw_count_drop(enum esp_drop why);
/* Publishes what the loop wrote and released, ringing doorbells. */
void gw_link_flush(enum gw_side s);

/* gw_service.c */
uint64_t gw_service_handler(uint64_t badge, struct dj_utcb *u);

/* gw_loop.c */
__attribute__((noreturn)) void gw_loop_run(void);
void gw_status_print(void);

/* arg=crash_after=N: the first instance dies after forwarding N packets
 * (gw_fault.c, the restart test). */
void gw_fault_configure(const struct dj_start_info *si);
void gw_fault_count_forwarded(void);

/* gw_seq.c: the outbound sequence store (docs/gateway.md, "No key and IV
 * twice") and the record it had at start. */
extern const struct esp_seq_store gw_seq_store;
void gw_seq_record_load(void *ctx, const uint8_t key_id[ESP_KEY_ID_BYTES], struct esp_seq_record *record);

#endif
