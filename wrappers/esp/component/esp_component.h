/* SPDX-License-Identifier: GPL-2.0-only */
/* Pieces of the Donjon component around the wrapper. */
#ifndef ESP_COMPONENT_H
#define ESP_COMPONENT_H

/* Makes RDSEED or RDRAND libsodium's random source, or on a CPU with
 * neither a source that serves libsodium's start only (rdrand.c); returns
 * its name, or NULL if libsodium refused it. Call before esp_crypto_init. */
const char *esp_random_install(void);

/* The start is over: from now on the start-only source stops the wrapper
 * when asked for bytes. */
void esp_random_started(void);

#endif
