/* SPDX-License-Identifier: GPL-2.0-only */
/* The only door to libsodium: seal and open one ESP payload with the SA's
 * AEAD. nonce = salt (last 4 bytes of the key material) || explicit IV;
 * AAD = SPI || sequence number (RFC 4106 5, RFC 7634 2-3). */
#ifndef ESP_AEAD_H
#define ESP_AEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct esp_sa;

/* Precomputes the SA's cipher state; false if its AEAD cannot run here. */
bool esp_aead_prepare(struct esp_sa *sa);
/* Encrypts plain[0..len) to cipher (may be the same buffer) and writes the
 * 16-byte ICV. */
bool esp_aead_seal(struct esp_sa *sa, const uint8_t aad[8], const uint8_t iv[8],
                   const uint8_t *plain, size_t len, uint8_t *cipher, uint8_t *icv);
/* Verifies icv over aad and cipher and only then decrypts to plain;
 * false (and plain untouched by anything usable) if the ICV is wrong. */
bool esp_aead_open(struct esp_sa *sa, const uint8_t aad[8], const uint8_t iv[8],
                   const uint8_t *cipher, size_t len, const uint8_t *icv, uint8_t *plain);
void esp_aead_wipe(void *p, size_t len);

#endif
