/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef ESP_BENCH_H
#define ESP_BENCH_H

/* Prints BENCH lines for 1400-byte packets, each AEAD, each way. */
void esp_bench_run(void);

#endif
