/* SPDX-License-Identifier: GPL-2.0-only */
#include "esp_aead.h"

#include <string.h>

#include <sodium/core.h>
#include <sodium/crypto_aead_aes256gcm.h>
#include <sodium/crypto_aead_chacha20poly1305.h>
#include <sodium/crypto_generichash.h>
#include <sodium/utils.h>

#include "esp.h"

_Static_assert(ESP_KEY_BYTES == crypto_aead_aes256gcm_KEYBYTES, "AES-256 key size");
_Static_assert(ESP_KEY_BYTES == crypto_aead_chacha20poly1305_ietf_KEYBYTES, "ChaCha20 key size");
_Static_assert(ESP_SALT_BYTES + ESP_IV_BYTES == crypto_aead_aes256gcm_NPUBBYTES, "GCM nonce");
_Static_assert(ESP_SALT_BYTES + ESP_IV_BYTES == crypto_aead_chacha20poly1305_ietf_NPUBBYTES,
               "ChaCha20-Poly1305 nonce");
_Static_assert(ESP_ICV_BYTES == crypto_aead_aes256gcm_ABYTES, "GCM tag");
_Static_assert(ESP_ICV_BYTES == crypto_aead_chacha20poly1305_ietf_ABYTES, "Poly1305 tag");
_Static_assert(sizeof(((struct esp_sa *)0)->aead_state) >= sizeof(crypto_aead_aes256gcm_state),
               "room for the AES-GCM state");

static bool initialized;

bool esp_crypto_init(void)
{
    if (!initialized)
        initialized = sodium_init() >= 0;
    return initialized;
}

bool esp_crypto_started(void)
{
    return initialized;
}

#ifdef HOST_TEST
bool esp_test_hide_aesni;
#endif

bool esp_aes256gcm_available(void)
{
#ifdef HOST_TEST
    if (esp_test_hide_aesni)
        return false;
#endif
    return initialized && crypto_aead_aes256gcm_is_available() == 1;
}

static crypto_aead_aes256gcm_state *gcm_state(struct esp_sa *sa)
{
    return (crypto_aead_aes256gcm_state *)(void *)sa->aead_state;
}

bool esp_aead_prepare(struct esp_sa *sa)
{
    if (!initialized)
        return false;
    switch (sa->aead) {
    case ESP_AEAD_AES256GCM:
        if (!esp_aes256gcm_available())
            return false;
        return crypto_aead_aes256gcm_beforenm(gcm_state(sa), sa->keymat) == 0;
    case ESP_AEAD_CHACHA20POLY1305:
        return true;
    default:
        return false;
    }
}

static void make_nonce(const struct esp_sa *sa, const uint8_t iv[8], uint8_t nonce[12])
{
    memcpy(nonce, sa->keymat + ESP_KEY_BYTES, ESP_SALT_BYTES);
    memcpy(nonce + ESP_SALT_BYTES, iv, ESP_IV_BYTES);
}

bool esp_aead_seal(struct esp_sa *sa, const uint8_t aad[8], const uint8_t iv[8],
                   const uint8_t *plain, size_t len, uint8_t *cipher, uint8_t *icv)
{
    uint8_t nonce[12];
    make_nonce(sa, iv, nonce);
    switch (sa->aead) {
    case ESP_AEAD_AES256GCM:
        return crypto_aead_aes256gcm_encrypt_detached_afternm(cipher, icv, NULL, plain, len, aad, 8,
                                                              NULL, nonce, gcm_state(sa)) == 0;
    case ESP_AEAD_CHACHA20POLY1305:
        return crypto_aead_chacha20poly1305_ietf_encrypt_detached(cipher, icv, NULL, plain, len,
                                                                  aad, 8, NULL, nonce,
                                                                  sa->keymat) == 0;
    default:
        return false;
    }
}

bool esp_aead_open(struct esp_sa *sa, const uint8_t aad[8], const uint8_t iv[8],
                   const uint8_t *cipher, size_t len, const uint8_t *icv, uint8_t *plain)
{
    uint8_t nonce[12];
    make_nonce(sa, iv, nonce);
    switch (sa->aead) {
    case ESP_AEAD_AES256GCM:
        return crypto_aead_aes256gcm_decrypt_detached_afternm(plain, NULL, cipher, len, icv, aad,
                                                              8, nonce, gcm_state(sa)) == 0;
    case ESP_AEAD_CHACHA20POLY1305:
        return crypto_aead_chacha20poly1305_ietf_decrypt_detached(plain, NULL, cipher, len, icv,
                                                                  aad, 8, nonce,
                                                                  sa->keymat) == 0;
    default:
        return false;
    }
}

void esp_aead_wipe(void *p, size_t len)
{
    sodium_memzero(p, len);
}

void esp_sa_key_id(const struct esp_sa *sa, uint8_t id[ESP_KEY_ID_BYTES])
{
    static const uint8_t label[] = "donjon esp sequence store key id";
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, ESP_KEY_ID_BYTES);
    crypto_generichash_update(&h, label, sizeof(label));
    crypto_generichash_update(&h, sa->keymat, ESP_KEYMAT_BYTES);
    crypto_generichash_final(&h, id, ESP_KEY_ID_BYTES);
    sodium_memzero(&h, sizeof(h));
}
