/* SPDX-License-Identifier: GPL-2.0-only */
/* The reference monitor between the inner (plaintext) and the outer (ESP)
 * side of the gateway. From the inner side only packets that match an out
 * policy leave, and only as ESP to that policy's SA peer. From the outer
 * side only ESP for a known inbound SA goes in, and only decrypted packets
 * that match an in/fwd policy tied to that SA reach the inner side.
 * Everything else is dropped and counted; nothing passes in the clear. */
#ifndef POLICY_H
#define POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "../esp/esp.h"
#include "../esp/xfrm_config.h"

struct gw_counters {
    uint64_t to_outer, to_inner; /* packets passed each way */
    uint64_t drops[ESP_DROP_COUNT]; /* every drop, with or without an SA */
};

struct gateway {
    struct xfrm_config *cfg;
    struct gw_counters count;
};

/* Reads the sequence record the store holds for a key (see esp.h). */
typedef void (*gw_seq_load)(void *ctx, const uint8_t key_id[ESP_KEY_ID_BYTES],
                            struct esp_seq_record *record);

/* Starts every SA of cfg in the direction its policies give it; SAs that
 * no policy names stay stopped, and so do SAs whose AEAD this CPU cannot
 * run (AES-256-GCM without AES-NI: gw_sa_off). On failure *bad is the
 * index of the SA that did not start. */
enum esp_start_result gw_start(struct gateway *gw, struct xfrm_config *cfg,
                               const struct esp_seq_store *store, gw_seq_load load,
                               void *load_ctx, uint32_t seq_block, size_t *bad);

/* SA i has a direction but did not start: off on this CPU (gw_start). */
bool gw_sa_off(const struct gateway *gw, size_t i);

/* A packet from the inner side: on ESP_DROP_NONE, out holds the ESP
 * packet for the outer side. */
enum esp_drop gw_from_inner(struct gateway *gw, const uint8_t *pkt, size_t len, uint8_t *out,
                            size_t out_cap, size_t *out_len);
/* A packet from the outer side: on ESP_DROP_NONE, out holds the inner
 * packet for the inner side. */
enum esp_drop gw_from_outer(struct gateway *gw, const uint8_t *pkt, size_t len, uint8_t *out,
                            size_t out_cap, size_t *out_len);

#endif
