/* SPDX-License-Identifier: GPL-2.0-only */
/* RFC 4303 3.4.3 anti-replay window over 32-bit sequence numbers: a
 * 1,024-bit ring bitmap (bit s % W stands for number s while s is inside
 * the window). Check before the ICV, update only after it verified. */
#ifndef ESP_REPLAY_H
#define ESP_REPLAY_H

#include <stdint.h>

#include "esp_drop.h"

#define ESP_REPLAY_WINDOW 1024u
#define ESP_REPLAY_WORDS (ESP_REPLAY_WINDOW / 64)

struct esp_replay {
    uint64_t top; /* highest number accepted; 0: none yet */
    uint64_t bits[ESP_REPLAY_WORDS];
};

void esp_replay_init(struct esp_replay *r);
/* ESP_DROP_NONE if seq may be new; SEQ_ZERO, TOO_OLD or REPLAY if not. */
enum esp_drop esp_replay_check(const struct esp_replay *r, uint32_t seq);
/* Marks seq as received (call only after esp_replay_check passed and the
 * ICV verified). */
void esp_replay_update(struct esp_replay *r, uint32_t seq);

#endif
