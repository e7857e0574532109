/* SPDX-License-Identifier: GPL-2.0-only */
/* Known-answer self-test of the wrapper and policy against vectors from an
 * independent implementation (esp_kat.h). Runs on the host (test) and in
 * the Donjon component at boot. */
#ifndef ESP_SELFTEST_H
#define ESP_SELFTEST_H

#include <stdbool.h>

enum esp_selftest_result { ESP_SELFTEST_PASS, ESP_SELFTEST_FAIL, ESP_SELFTEST_SKIP };

typedef void (*esp_selftest_report)(enum esp_selftest_result r, const char *name, const char *why);

/* Needs esp_crypto_init() first. Returns the number of failures. */
unsigned esp_selftest_run(esp_selftest_report report);

#endif
