/* SPDX-License-Identifier: GPL-2.0-only */
/* SA start, sequence-number reservation and lifetimes. */
#include <string.h>

#include "esp.h"
#include "esp_aead.h"
#include "esp_sa.h"

const char *esp_start_result_name(enum esp_start_result r)
{
    switch (r) {
    case ESP_START_OK:
        return "ok";
    case ESP_START_NO_AEAD:
        return "no AEAD (libsodium not started)";
    case ESP_START_AEAD_NOT_ON_CPU:
        return "AES-256-GCM needs AES-NI and PCLMUL, which this CPU lacks";
    case ESP_START_SEQ_STATE_LOST:
        return "sequence state lost: static key without a persistent counter; rekey";
    case ESP_START_SEQ_EXHAUSTED:
        return "sequence numbers of this key used up; rekey";
    case ESP_START_RESERVE_FAILED:
        return "the sequence store refused the first reservation";
    }
    return "?";
}

/* Keys the AEAD; a CPU that cannot run it is told apart, as the gateway
 * keeps the other SAs running then. */
static enum esp_start_result prepare(struct esp_sa *sa)
{
    if (esp_aead_prepare(sa))
        return ESP_START_OK;
    if (sa->aead == ESP_AEAD_AES256GCM && esp_crypto_started() && !esp_aes256gcm_available())
        return ESP_START_AEAD_NOT_ON_CPU;
    return ESP_START_NO_AEAD;
}

static void reset_state(struct esp_sa *sa)
{
    sa->started = sa->outbound = sa->dead = false;
    sa->next_seq = sa->reserved_mark = 0;
    sa->ip_id = 0;
    memset(&sa->count, 0, sizeof(sa->count));
    esp_replay_init(&sa->replay);
}

enum esp_drop esp_sa_reserve_through(struct esp_sa *sa, uint64_t seq)
{
    if (seq <= sa->reserved_mark)
        return ESP_DROP_NONE;
    uint64_t mark = sa->reserved_mark + sa->seq_block;
    if (mark < seq)
        mark = seq;
    if (mark > ESP_SEQ_MAX)
        mark = ESP_SEQ_MAX;
    uint8_t id[ESP_KEY_ID_BYTES];
    esp_sa_key_id(sa, id);
    /* write ahead: the mark is durable before any number under it is used */
    if (!sa->store.reserve || !sa->store.reserve(sa->store.ctx, id, mark))
        return ESP_DROP_SEQ_RESERVE;
    sa->reserved_mark = mark;
    return ESP_DROP_NONE;
}

enum esp_start_result esp_sa_start_outbound(struct esp_sa *sa, const struct esp_seq_store *store,
                                            const struct esp_seq_record *record, uint32_t seq_block)
{
    reset_state(sa);
    enum esp_start_result keyed = prepare(sa);
    if (keyed != ESP_START_OK)
        return keyed;
    uint64_t first;
    if (record->present)
        first = record->mark + 1;
    else if (record->store_persistent || record->key_fresh)
        first = 1;
    else
        return ESP_START_SEQ_STATE_LOST;
    if (first > ESP_SEQ_MAX)
        return ESP_START_SEQ_EXHAUSTED;
    sa->store = *store;
    sa->seq_block = seq_block ? seq_block : ESP_SEQ_BLOCK_DEFAULT;
    sa->reserved_mark = first - 1;
    sa->next_seq = first;
    if (esp_sa_reserve_through(sa, first) != ESP_DROP_NONE)
        return ESP_START_RESERVE_FAILED;
    sa->outbound = true;
    sa->started = true;
    return ESP_START_OK;
}

enum esp_start_result esp_sa_start_inbound(struct esp_sa *sa)
{
    reset_state(sa);
    enum esp_start_result keyed = prepare(sa);
    if (keyed != ESP_START_OK)
        return keyed;
    sa->started = true;
    return ESP_START_OK;
}

void esp_sa_wipe(struct esp_sa *sa)
{
    esp_aead_wipe(sa, sizeof(*sa));
}

enum esp_drop esp_sa_drop(struct esp_sa *sa, enum esp_drop why)
{
    if (why != ESP_DROP_NONE && why < ESP_DROP_COUNT)
        sa->count.drops[why]++;
    return why;
}

/* Hard limits: reached means the SA is dead for good. */
bool esp_sa_usable(struct esp_sa *sa)
{
    const struct esp_lifetime *l = &sa->life;
    if (!sa->started || sa->dead)
        return false;
    if ((l->packet_hard && sa->count.packets >= l->packet_hard) ||
        (l->byte_hard && sa->count.bytes >= l->byte_hard)) {
        sa->dead = true;
        return false;
    }
    return true;
}

void esp_sa_account(struct esp_sa *sa, size_t inner_len)
{
    const struct esp_lifetime *l = &sa->life;
    sa->count.packets++;
    sa->count.bytes += inner_len;
    if ((l->packet_soft && sa->count.packets >= l->packet_soft) ||
        (l->byte_soft && sa->count.bytes >= l->byte_soft))
        sa->count.soft_expired = true;
}
