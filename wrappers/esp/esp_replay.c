/* SPDX-License-Identifier: GPL-2.0-only */
#include "esp_replay.h"

#include <stdbool.h>
#include <string.h>

static bool bit_get(const struct esp_replay *r, uint64_t seq)
{
    uint64_t i = seq % ESP_REPLAY_WINDOW;
    return (r->bits[i / 64] >> (i % 64)) & 1;
}

static void bit_set(struct esp_replay *r, uint64_t seq)
{
    uint64_t i = seq % ESP_REPLAY_WINDOW;
    r->bits[i / 64] |= (uint64_t)1 << (i % 64);
}

static void bit_clear(struct esp_replay *r, uint64_t seq)
{
    uint64_t i = seq % ESP_REPLAY_WINDOW;
    r->bits[i / 64] &= ~((uint64_t)1 << (i % 64));
}

void esp_replay_init(struct esp_replay *r)
{
    memset(r, 0, sizeof(*r));
}

enum esp_drop esp_replay_check(const struct esp_replay *r, uint32_t seq)
{
    if (seq == 0)
        return ESP_DROP_SEQ_ZERO;
    if (seq > r->top)
        return ESP_DROP_NONE;
    if (r->top - seq >= ESP_REPLAY_WINDOW)
        return ESP_DROP_TOO_OLD;
    return bit_get(r, seq) ? ESP_DROP_REPLAY : ESP_DROP_NONE;
}

void esp_replay_update(struct esp_replay *r, uint32_t seq)
{
    if (seq > r->top) {
        uint64_t ahead = seq - r->top;
        if (ahead >= ESP_REPLAY_WINDOW) {
            memset(r->bits, 0, sizeof(r->bits));
        } else {
            /* the numbers that slide into the window were never seen */
            for (uint64_t s = r->top + 1; s < seq; s++)
                bit_clear(r, s);
        }
        r->top = seq;
    }
    bit_set(r, seq);
}
