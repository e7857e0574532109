/* SPDX-License-Identifier: GPL-2.0-only */
#include "esp_selftest.h"

#include <string.h>

#include "../../policy/policy.h"
#include "esp_kat.h"

#define KAT_MAX 128
#define OUTER_HDR 20

static struct xfrm_config kat_cfg;
static struct gateway kat_gw;

static size_t strlen_local(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    for (; s[0] && s[1] && n < cap; s += 2) {
        uint8_t v = 0;
        for (int i = 0; i < 2; i++) {
            char c = s[i];
            v = (uint8_t)(v << 4 | (c >= 'a' ? c - 'a' + 10 : c - '0'));
        }
        out[n++] = v;
    }
    return n;
}

static bool always_reserve(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], uint64_t mark)
{
    (void)ctx, (void)id, (void)mark;
    return true;
}

static void fresh(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], struct esp_seq_record *r)
{
    (void)ctx, (void)id;
    r->key_fresh = true; /* test keys: this run is their only use */
}

static const char *load(const char *text)
{
    static struct xfrm_error err;
    if (!xfrm_config_parse(text, strlen_local(text), &kat_cfg, &err))
        return err.message;
    struct esp_seq_store store = {.reserve = always_reserve};
    size_t bad;
    enum esp_start_result r = gw_start(&kat_gw, &kat_cfg, &store, fresh, NULL, 0, &bad);
    return r == ESP_START_OK ? NULL : esp_start_result_name(r);
}

struct kat {
    const char *name_decrypt, *name_encrypt, *name_tamper;
    const char *config_in, *config_out, *esp_hex;
    bool needs_aesni;
};

static const struct kat kats[] = {
    {"esp_kat_gcm_decrypt", "esp_kat_gcm_encrypt", "esp_kat_gcm_tamper_and_replay",
     ESP_KAT_STATE("rfc4106(gcm(aes))", ESP_KAT_GCM_KEY) ESP_KAT_POLICY("in"),
     ESP_KAT_STATE("rfc4106(gcm(aes))", ESP_KAT_GCM_KEY) ESP_KAT_POLICY("out"),
     ESP_KAT_GCM_ESP_HEX, true},
    {"esp_kat_chacha_decrypt", "esp_kat_chacha_encrypt", "esp_kat_chacha_tamper_and_replay",
     ESP_KAT_STATE("rfc7539esp(chacha20,poly1305)", ESP_KAT_CHACHA_KEY) ESP_KAT_POLICY("in"),
     ESP_KAT_STATE("rfc7539esp(chacha20,poly1305)", ESP_KAT_CHACHA_KEY) ESP_KAT_POLICY("out"),
     ESP_KAT_CHACHA_ESP_HEX, false},
};

static unsigned run_one(const struct kat *k, esp_selftest_report report)
{
    static uint8_t inner[KAT_MAX], esp[KAT_MAX], out[KAT_MAX], copy[KAT_MAX];
    size_t inner_len = unhex(ESP_KAT_INNER_HEX, inner, sizeof(inner));
    size_t esp_len = unhex(k->esp_hex, esp, sizeof(esp));
    size_t n = 0;
    unsigned failures = 0;
    const char *why;
    if (k->needs_aesni && !esp_aes256gcm_available()) {
        report(ESP_SELFTEST_SKIP, k->name_decrypt, "no AES-NI: crypto_aead_aes256gcm_is_available() is 0");
        report(ESP_SELFTEST_SKIP, k->name_encrypt, "no AES-NI");
        report(ESP_SELFTEST_SKIP, k->name_tamper, "no AES-NI");
        return 0;
    }
    /* a forgery first: it must not move the window */
    enum esp_drop forged = ESP_DROP_NONE;
    why = load(k->config_in);
    if (!why) {
        memcpy(copy, esp, esp_len);
        copy[esp_len - 1] ^= 0x80;
        forged = gw_from_outer(&kat_gw, copy, esp_len, out, sizeof(out), &n);
    }
    /* then the independent implementation's packet */
    if (!why) {
        enum esp_drop d = gw_from_outer(&kat_gw, esp, esp_len, out, sizeof(out), &n);
        if (d != ESP_DROP_NONE)
            why = esp_drop_name(d);
        else if (n != inner_len || memcmp(out, inner, n) != 0)
            why = "the decrypted packet differs from the vector";
    }
    report(why ? ESP_SELFTEST_FAIL : ESP_SELFTEST_PASS, k->name_decrypt, why);
    failures += why != NULL;
    if (!why) {
        enum esp_drop replayed = gw_from_outer(&kat_gw, esp, esp_len, out, sizeof(out), &n);
        if (forged != ESP_DROP_ICV)
            why = "a flipped ICV bit was not dropped as bad_icv";
        else if (replayed != ESP_DROP_REPLAY)
            why = "the replayed vector was not dropped as replay";
    } else {
        why = "decryption failed first";
    }
    report(why ? ESP_SELFTEST_FAIL : ESP_SELFTEST_PASS, k->name_tamper, why);
    failures += why != NULL;
    /* encrypt: with sequence 1 (IV 00..01) the ESP part must be identical */
    why = load(k->config_out);
    if (!why) {
        enum esp_drop d = gw_from_inner(&kat_gw, inner, inner_len, out, sizeof(out), &n);
        if (d != ESP_DROP_NONE)
            why = esp_drop_name(d);
        else if (n != esp_len || memcmp(out + OUTER_HDR, esp + OUTER_HDR, n - OUTER_HDR) != 0)
            why = "ESP header, ciphertext or ICV differ from the vector";
    }
    report(why ? ESP_SELFTEST_FAIL : ESP_SELFTEST_PASS, k->name_encrypt, why);
    failures += why != NULL;
    return failures;
}

unsigned esp_selftest_run(esp_selftest_report report)
{
    unsigned failures = 0;
    for (size_t i = 0; i < sizeof(kats) / sizeof(kats[0]); i++)
        failures += run_one(&kats[i], report);
    /* no key stays in memory after the test */
    struct xfrm_error err;
    xfrm_config_parse("", 0, &kat_cfg, &err);
    return failures;
}
