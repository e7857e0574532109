/* SPDX-License-Identifier: GPL-2.0-only */
/* Internal SA helpers shared by esp_sa.c and esp_packet.c. */
#ifndef ESP_SA_H
#define ESP_SA_H

#include "esp.h"

/* Makes sure seq is under a durable reservation (reserving the next block
 * if needed). */
enum esp_drop esp_sa_reserve_through(struct esp_sa *sa, uint64_t seq);
/* Counts a drop on the SA and returns the reason. */
enum esp_drop esp_sa_drop(struct esp_sa *sa, enum esp_drop why);
/* False if the SA is dead or a hard lifetime is reached (then it dies). */
bool esp_sa_usable(struct esp_sa *sa);
/* Counts one packet of inner_len bytes and notes soft lifetimes. */
void esp_sa_account(struct esp_sa *sa, size_t inner_len);

#endif
