/* SPDX-License-Identifier: GPL-2.0-only */
/* RFC 4303 tunnel-mode encapsulation and decapsulation.
 *
 * Outer packet:  IPv4 header (20) | SPI (4) | seq (4) | IV (8) |
 *                encrypted [ inner packet | pad 1,2,3.. | pad len | next hdr ] | ICV (16)
 * The IV is the 64-bit sequence number, so one SA never repeats a nonce. */
#include <string.h>

#include "esp.h"
#include "esp_aead.h"
#include "esp_ip.h"
#include "esp_sa.h"

static size_t pad_length(size_t inner_len)
{
    return (ESP_ALIGN - (inner_len + ESP_TRAILER_BYTES) % ESP_ALIGN) % ESP_ALIGN;
}

/* TOS / traffic class and DF of the outer header from the inner packet. */
static void outer_tos_df(const struct esp_sa *sa, const uint8_t *inner, uint8_t *tos, bool *df)
{
    if (inner[0] >> 4 == 4) {
        *tos = inner[1];
        *df = (get_be16(inner + 6) & IPV4_FLAG_DF) != 0;
    } else {
        *tos = (uint8_t)((inner[0] & 0xf) << 4 | inner[1] >> 4);
        *df = true; /* IPv6 is never fragmented on the path */
    }
    if (sa->df == ESP_DF_SET)
        *df = true;
    else if (sa->df == ESP_DF_CLEAR)
        *df = false;
}

static void write_outer_header(struct esp_sa *sa, const uint8_t *inner, uint8_t *out, size_t total)
{
    uint8_t tos;
    bool df;
    outer_tos_df(sa, inner, &tos, &df);
    out[0] = 0x45;
    out[1] = tos;
    put_be16(out + 2, (uint16_t)total);
    put_be16(out + 4, sa->ip_id++);
    put_be16(out + 6, df ? IPV4_FLAG_DF : 0);
    out[8] = ESP_TTL;
    out[9] = ESP_PROTO;
    put_be16(out + 10, 0);
    put_be32(out + 12, sa->outer_src);
    put_be32(out + 16, sa->outer_dst);
    put_be16(out + 10, esp_ip_checksum(out, ESP_OUTER_HDR_BYTES));
}

static enum esp_drop take_sequence_number(struct esp_sa *sa, uint64_t *seq)
{
    if (sa->next_seq > ESP_SEQ_MAX) {
        sa->dead = true; /* RFC 4303 3.3.3: never cycle; rekey */
        return ESP_DROP_SEQ_EXHAUSTED;
    }
    enum esp_drop why = esp_sa_reserve_through(sa, sa->next_seq);
    if (why != ESP_DROP_NONE)
        return why;
    *seq = sa->next_seq++;
    return ESP_DROP_NONE;
}

enum esp_drop esp_encapsulate(struct esp_sa *sa, const uint8_t *inner, size_t inner_len,
                              uint8_t *out, size_t out_cap, size_t *out_len)
{
    *out_len = 0;
    if (!sa->outbound)
        return esp_sa_drop(sa, ESP_DROP_NO_SA);
    if (!esp_sa_usable(sa))
        return esp_sa_drop(sa, ESP_DROP_SA_EXPIRED);
    struct esp_inner_view view;
    enum esp_drop why = esp_inner_parse(inner, inner_len, &view);
    if (why != ESP_DROP_NONE)
        return esp_sa_drop(sa, why);
    size_t pad = pad_length(inner_len);
    size_t plain_len = inner_len + pad + ESP_TRAILER_BYTES;
    size_t total = ESP_OUTER_HDR_BYTES + ESP_HDR_BYTES + ESP_IV_BYTES + plain_len + ESP_ICV_BYTES;
    if (total > ESP_IP_MAX || total > out_cap)
        return esp_sa_drop(sa, ESP_DROP_TOO_BIG);
    uint64_t seq;
    why = take_sequence_number(sa, &seq);
    if (why != ESP_DROP_NONE)
        return esp_sa_drop(sa, why);

    uint8_t *esp = out + ESP_OUTER_HDR_BYTES;
    uint8_t *iv = esp + ESP_HDR_BYTES;
    uint8_t *body = iv + ESP_IV_BYTES;
    write_outer_header(sa, inner, out, total);
    put_be32(esp, sa->spi);
    put_be32(esp + 4, (uint32_t)seq);
    put_be32(iv, (uint32_t)(seq >> 32));
    put_be32(iv + 4, (uint32_t)seq);
    memcpy(body, inner, inner_len);
    for (size_t i = 0; i < pad; i++)
        body[inner_len + i] = (uint8_t)(i + 1);
    body[inner_len + pad] = (uint8_t)pad;
    body[inner_len + pad + 1] = view.src.family == ESP_AF_INET ? ESP_NH_IPV4 : ESP_NH_IPV6;
    if (!esp_aead_seal(sa, esp, iv, body, plain_len, body, body + plain_len)) {
        esp_aead_wipe(out, total);
        return esp_sa_drop(sa, ESP_DROP_NO_CRYPTO);
    }
    esp_sa_account(sa, inner_len);
    *out_len = total;
    return ESP_DROP_NONE;
}

/* Padding must be 1, 2, 3, ... (RFC 4303 2.4); next header must name the
 * inner packet's version. Returns the inner length through *inner_len. */
static enum esp_drop check_trailer(const uint8_t *plain, size_t plain_len, size_t *inner_len)
{
    size_t pad = plain[plain_len - 2];
    uint8_t next = plain[plain_len - 1];
    if (pad > plain_len - ESP_TRAILER_BYTES)
        return ESP_DROP_BAD_PAD;
    size_t len = plain_len - ESP_TRAILER_BYTES - pad;
    for (size_t i = 0; i < pad; i++) {
        if (plain[len + i] != (uint8_t)(i + 1))
            return ESP_DROP_BAD_PAD;
    }
    if (next == ESP_NH_DUMMY)
        return ESP_DROP_DUMMY;
    if (next != ESP_NH_IPV4 && next != ESP_NH_IPV6)
        return ESP_DROP_BAD_NEXT_HEADER;
    if (len == 0 || (plain[0] >> 4) != (next == ESP_NH_IPV4 ? 4 : 6))
        return ESP_DROP_BAD_NEXT_HEADER;
    *inner_len = len;
    return ESP_DROP_NONE;
}

static enum esp_drop check_inner(const struct esp_sa *sa, const uint8_t *inner, size_t len)
{
    struct esp_inner_view view;
    enum esp_drop why = esp_inner_parse(inner, len, &view);
    if (why != ESP_DROP_NONE)
        return why;
    if (sa->has_selector && !esp_selector_matches(&sa->selector, &view.src, &view.dst, view.proto))
        return ESP_DROP_SELECTOR;
    return ESP_DROP_NONE;
}

static enum esp_drop check_before_icv(struct esp_sa *sa, const struct esp_outer_view *v,
                                      size_t *cipher_len)
{
    if (sa->outbound || !sa->started)
        return ESP_DROP_UNKNOWN_SPI;
    if (v->spi != sa->spi)
        return ESP_DROP_UNKNOWN_SPI;
    if (v->dst != sa->outer_dst)
        return ESP_DROP_WRONG_OUTER_DST;
    if (v->src != sa->outer_src)
        return ESP_DROP_WRONG_OUTER_SRC;
    if (!esp_sa_usable(sa))
        return ESP_DROP_SA_EXPIRED;
    size_t fixed = ESP_HDR_BYTES + ESP_IV_BYTES + ESP_ICV_BYTES;
    if (v->esp_len < fixed + ESP_ALIGN)
        return ESP_DROP_TRUNCATED;
    size_t len = v->esp_len - fixed;
    if (len % ESP_ALIGN != 0)
        return ESP_DROP_BAD_LENGTH;
    *cipher_len = len;
    return esp_replay_check(&sa->replay, v->seq);
}

enum esp_drop esp_decapsulate(struct esp_sa *sa, const struct esp_outer_view *v, uint8_t *out,
                              size_t out_cap, size_t *out_len)
{
    *out_len = 0;
    size_t cipher_len = 0;
    enum esp_drop why = check_before_icv(sa, v, &cipher_len);
    if (why != ESP_DROP_NONE)
        return esp_sa_drop(sa, why);
    if (cipher_len > out_cap)
        return esp_sa_drop(sa, ESP_DROP_TOO_BIG);
    const uint8_t *iv = v->esp + ESP_HDR_BYTES;
    const uint8_t *cipher = iv + ESP_IV_BYTES;
    if (!esp_aead_open(sa, v->esp, iv, cipher, cipher_len, cipher + cipher_len, out))
        return esp_sa_drop(sa, ESP_DROP_ICV);
    /* authentic from here on: only now may the window move */
    esp_replay_update(&sa->replay, v->seq);
    size_t inner_len = 0;
    why = check_trailer(out, cipher_len, &inner_len);
    if (why == ESP_DROP_NONE)
        why = check_inner(sa, out, inner_len);
    if (why != ESP_DROP_NONE) {
        esp_aead_wipe(out, cipher_len);
        return esp_sa_drop(sa, why);
    }
    esp_sa_account(sa, inner_len);
    *out_len = inner_len;
    return ESP_DROP_NONE;
}
