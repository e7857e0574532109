/* SPDX-License-Identifier: GPL-2.0-only */
/* Where the outbound SAs' sequence marks live (docs/gateway.md, "No key
 * and IV twice"). This version keeps them in the component itself, which
 * is durable exactly as long as this instance: so a key may start at
 * number 1 only in the first instance of a boot (generation 0) and only if
 * the operator vouched that the configured keys were made for this boot
 * ("gateway keys fresh"). A restarted instance (generation > 0) has no
 * record it could trust: its outbound SAs refuse to start
 * (ESP_START_SEQ_STATE_LOST, "rekey") rather than risk a nonce twice. */
#include "gw.h"

static bool reserve_in_instance(void *ctx, const uint8_t key_id[ESP_KEY_ID_BYTES], uint64_t mark)
{
    (void)ctx;
    (void)key_id;
    (void)mark;
    return true; /* the SA keeps its own reserved_mark: nothing else outlives it */
}

const struct esp_seq_store gw_seq_store = {.reserve = reserve_in_instance, .ctx = 0};

void gw_seq_record_load(void *ctx, const uint8_t key_id[ESP_KEY_ID_BYTES], struct esp_seq_record *record)
{
    const struct dj_start_info *si = ctx;
    (void)key_id;
    record->present = false;
    record->store_persistent = false;
    record->key_fresh = gws.set.keys_fresh && si->generation == 0;
}
