/* SPDX-License-Identifier: GPL-2.0-only */
/* Pieces of the Donjon component around the wrapper. */
#ifndef ESP_COMPONENT_H
#define ESP_COMPONENT_H

/* Makes RDSEED or RDRAND libsodium's random source; returns its name, or
 * NULL if the CPU has neither. Call before esp_crypto_init. */
const char *esp_random_install(void);

#endif
