/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the ESP wrapper's host tests: inner packets, SAs, a
 * RAM sequence store and an ESP construction of the tests' own (straight
 * libsodium, fixed offsets) to check the wrapper against. */
#ifndef TEST_ESP_UTIL_H
#define TEST_ESP_UTIL_H

#include <sodium.h>
#include <string.h>

#include "wrappers/esp/esp.h"
#include "wrappers/esp/esp_ip.h"

#define T_OUTER_A 0xc0000201u /* 192.0.2.1 */
#define T_OUTER_B 0xc0000202u /* 192.0.2.2 */
#define T_INNER_A 0x0a010005u /* 10.1.0.5 */
#define T_INNER_B 0x0a020007u /* 10.2.0.7 */
#define T_SPI 0x1000u
#define T_BUF 70000

static inline void t_keymat(uint8_t k[ESP_KEYMAT_BYTES], uint8_t seed)
{
    for (int i = 0; i < ESP_KEYMAT_BYTES; i++)
        k[i] = (uint8_t)(seed + 7 * i);
}

/* A valid IPv4 packet src->dst, protocol proto, payload of `payload`
 * bytes filled with `fill`. Returns its length. */
static inline size_t t_ipv4(uint8_t *p, uint32_t src, uint32_t dst, uint8_t proto, size_t payload,
                            uint8_t fill)
{
    size_t len = 20 + payload;
    memset(p, 0, 20);
    p[0] = 0x45;
    p[1] = 0x10;
    put_be16(p + 2, (uint16_t)len);
    put_be16(p + 4, 0x1234);
    put_be16(p + 6, IPV4_FLAG_DF);
    p[8] = 63;
    p[9] = proto;
    put_be32(p + 12, src);
    put_be32(p + 16, dst);
    put_be16(p + 10, esp_ip_checksum(p, 20));
    memset(p + 20, fill, payload);
    return len;
}

static inline size_t t_ipv6(uint8_t *p, uint8_t src_last, uint8_t dst_last, size_t payload,
                            uint8_t fill)
{
    memset(p, 0, 40);
    p[0] = 0x60;
    put_be16(p + 4, (uint16_t)payload);
    p[6] = 17;
    p[7] = 64;
    p[8] = 0x20, p[9] = 0x01, p[10] = 0x0d, p[11] = 0xb8, p[23] = src_last;
    p[24] = 0x20, p[25] = 0x01, p[26] = 0x0d, p[27] = 0xb8, p[39] = dst_last;
    memset(p + 40, fill, payload);
    return 40 + payload;
}

/* A RAM store that records every reservation. */
struct t_store {
    uint8_t id[ESP_KEY_ID_BYTES];
    bool present;
    uint64_t mark;
    unsigned calls;
    bool refuse;
};

static inline bool t_store_reserve(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], uint64_t mark)
{
    struct t_store *s = ctx;
    if (s->refuse)
        return false;
    memcpy(s->id, id, ESP_KEY_ID_BYTES);
    s->present = true;
    s->mark = mark;
    s->calls++;
    return true;
}

static inline void t_sa(struct esp_sa *sa, enum esp_aead aead, uint32_t src, uint32_t dst,
                        uint8_t key_seed)
{
    memset(sa, 0, sizeof(*sa));
    sa->spi = T_SPI;
    sa->outer_src = src;
    sa->outer_dst = dst;
    sa->aead = aead;
    t_keymat(sa->keymat, key_seed);
}

static inline enum esp_start_result t_start_out(struct esp_sa *sa, struct t_store *st)
{
    struct esp_seq_store store = {.reserve = t_store_reserve, .ctx = st};
    struct esp_seq_record rec = {.present = st->present, .mark = st->mark, .key_fresh = true};
    return esp_sa_start_outbound(sa, &store, &rec, 0);
}

/* The tests' own ESP: fixed offsets, combined-mode libsodium calls. */
static inline int t_aead_encrypt(enum esp_aead aead, const uint8_t *keymat, uint8_t *c,
                                 const uint8_t *m, size_t mlen, const uint8_t *ad,
                                 const uint8_t *nonce)
{
    unsigned long long clen;
    if (aead == ESP_AEAD_AES256GCM)
        return crypto_aead_aes256gcm_encrypt(c, &clen, m, mlen, ad, 8, NULL, nonce, keymat);
    return crypto_aead_chacha20poly1305_ietf_encrypt(c, &clen, m, mlen, ad, 8, NULL, nonce,
                                                     keymat);
}

static inline int t_aead_decrypt(enum esp_aead aead, const uint8_t *keymat, uint8_t *m,
                                 const uint8_t *c, size_t clen, const uint8_t *ad,
                                 const uint8_t *nonce)
{
    unsigned long long mlen;
    if (aead == ESP_AEAD_AES256GCM)
        return crypto_aead_aes256gcm_decrypt(m, &mlen, NULL, c, clen, ad, 8, nonce, keymat);
    return crypto_aead_chacha20poly1305_ietf_decrypt(m, &mlen, NULL, c, clen, ad, 8, nonce,
                                                     keymat);
}

/* Builds an ESP packet by hand: the plaintext body (inner, padding,
 * trailer) is given whole so that tests can make bad padding. */
static inline size_t t_build_esp(enum esp_aead aead, const uint8_t *keymat, uint32_t src,
                                 uint32_t dst, uint32_t spi, uint32_t seq, const uint8_t *body,
                                 size_t body_len, uint8_t *out)
{
    size_t total = 20 + 8 + 8 + body_len + 16;
    memset(out, 0, 20);
    out[0] = 0x45;
    put_be16(out + 2, (uint16_t)total);
    out[8] = 64;
    out[9] = 50;
    put_be32(out + 12, src);
    put_be32(out + 16, dst);
    put_be16(out + 10, esp_ip_checksum(out, 20));
    put_be32(out + 20, spi);
    put_be32(out + 24, seq);
    uint8_t iv[8] = {0xa5, 0x5a, 0, 0, 0, 0, 0, 0}; /* any IV: the receiver must take it */
    put_be32(iv + 4, seq);
    memcpy(out + 28, iv, 8);
    uint8_t nonce[12];
    memcpy(nonce, keymat + 32, 4);
    memcpy(nonce + 4, iv, 8);
    t_aead_encrypt(aead, keymat, out + 36, body, body_len, out + 20, nonce);
    return total;
}

/* Body = inner || 1,2,..,pad || pad || nh */
static inline size_t t_body(uint8_t *body, const uint8_t *inner, size_t len, size_t pad,
                            uint8_t nh)
{
    memcpy(body, inner, len);
    for (size_t i = 0; i < pad; i++)
        body[len + i] = (uint8_t)(i + 1);
    body[len + pad] = (uint8_t)pad;
    body[len + pad + 1] = nh;
    return len + pad + 2;
}

#endif

/* Mirrored configurations of two gateways: A = 192.0.2.1 with LAN
 * 10.1/16 and 2001:db8:1::/48, B = 192.0.2.2 with LAN 10.2/16 and
 * 2001:db8:2::/48. A->B uses AES-256-GCM (or ChaCha20-Poly1305 if the CPU
 * lacks AES-NI), B->A ChaCha20-Poly1305. */
#define T_KEY_AB "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20c0ffee01"
#define T_KEY_BA "0xa1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0deadbeef"
#define T_STATE_AB(aead) \
    "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel " \
    "aead '" aead "' " T_KEY_AB " 128\n"
#define T_STATE_BA \
    "ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2000 reqid 2 mode tunnel " \
    "aead 'rfc7539esp(chacha20,poly1305)' " T_KEY_BA " 128\n"
#define T_TMPL_AB "tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel\n"
#define T_TMPL_BA "tmpl src 192.0.2.2 dst 192.0.2.1 proto esp reqid 2 mode tunnel\n"

static inline const char *t_aead_ab(void)
{
    return esp_aes256gcm_available() ? "rfc4106(gcm(aes))" : "rfc7539esp(chacha20,poly1305)";
}

/* Writes gateway A's (a = true) or B's configuration into buf. */
static inline size_t t_gateway_config(char *buf, size_t cap, bool a)
{
    const char *aead = t_aead_ab();
    size_t n = 0;
    const char *parts[16];
    int k = 0;
    parts[k++] = "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 "
                 "mode tunnel aead '";
    parts[k++] = aead;
    parts[k++] = "' " T_KEY_AB " 128\n";
    parts[k++] = T_STATE_BA;
    if (a) {
        parts[k++] = "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 100 "
                     T_TMPL_AB;
        /* A also sends 10.3/16 through the tunnel; B has no policy for it */
        parts[k++] = "ip xfrm policy add src 10.1.0.0/16 dst 10.3.0.0/16 dir out " T_TMPL_AB;
        parts[k++] = "ip xfrm policy add src 2001:db8:1::/48 dst 2001:db8:2::/48 dir out " T_TMPL_AB;
        parts[k++] = "ip xfrm policy add src 10.1.0.0/16 dst 10.2.9.0/24 proto udp dir out "
                     "priority 10 action block\n"; /* lower number wins */
        parts[k++] = "ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir in " T_TMPL_BA;
        parts[k++] = "ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir fwd " T_TMPL_BA;
    } else {
        parts[k++] = "ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir out " T_TMPL_BA;
        parts[k++] = "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir in " T_TMPL_AB;
        parts[k++] = "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir fwd " T_TMPL_AB;
        parts[k++] = "ip xfrm policy add src 2001:db8:1::/48 dst 2001:db8:2::/48 dir in " T_TMPL_AB;
    }
    for (int i = 0; i < k; i++) {
        size_t l = strlen(parts[i]);
        if (n + l + 1 > cap)
            return 0;
        memcpy(buf + n, parts[i], l);
        n += l;
    }
    buf[n] = '\0';
    return n;
}

static inline void t_load_fresh(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES],
                                struct esp_seq_record *rec)
{
    (void)ctx, (void)id;
    rec->key_fresh = true;
}
