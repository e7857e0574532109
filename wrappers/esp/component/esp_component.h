/* SPDX-License-Identifier: GPL-2.0-only */
/* Pieces of the Donjon component around the wrapper. */
#ifndef ESP_COMPONENT_H
#define ESP_COMPONENT_H

#include <stdbool.h>

/* A read-only zero page: libsodium's stack canary (%fs is 0, the canary
 * is read at 0x28), and a write through it faults on purpose. */
#define ESP_CANARY_PAGE_VA 0

/* Makes RDSEED or RDRAND libsodium's random source, or on a CPU with
 * neither a source that serves libsodium's start only (rdrand.c); returns
 * its name, or NULL if libsodium refused it. Call before esp_crypto_init. */
const char *esp_random_install(void);

/* The start is over: from now on the start-only source stops the wrapper
 * when asked for bytes. */
void esp_random_started(void);

/* Maps the canary page, installs the random source and starts libsodium,
 * printing PASS/FAIL esp_component_sodium_init (crypto_start.c). */
bool esp_component_crypto_start(void);

/* The known-answer self-test with a PASS/FAIL line per check and a
 * summary line; whether every check passed. */
bool esp_component_selftest(void);

#endif
