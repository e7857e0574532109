// host-test-sources: wrappers/esp/component/esp_selftest.c wrappers/policy/policy.c wrappers/esp/xfrm_config.c wrappers/esp/xfrm_listing.c wrappers/esp/xfrm_text.c wrappers/esp/esp_addr.c wrappers/esp/esp_aead.c wrappers/esp/esp_drop.c wrappers/esp/esp_ip.c wrappers/esp/esp_packet.c wrappers/esp/esp_replay.c wrappers/esp/esp_sa.c
/* SPDX-License-Identifier: GPL-2.0-only */
// host-test-libs: -lsodium
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "test_esp_util.h"
#include "wrappers/esp/component/esp_selftest.h"

static uint8_t inner[T_BUF], outer[T_BUF], plain[T_BUF], body[T_BUF];

static bool skip_gcm(enum esp_aead aead)
{
    return aead == ESP_AEAD_AES256GCM && !esp_aes256gcm_available();
}

static int setup(void **state)
{
    (void)state;
    return esp_crypto_init() ? 0 : -1;
}

/* Encrypts with the wrapper, then checks every field by offset and opens
 * the payload with the tests' own libsodium call. */
static void check_layout(enum esp_aead aead)
{
    struct esp_sa sa;
    struct t_store st = {0};
    t_sa(&sa, aead, T_OUTER_A, T_OUTER_B, 1);
    assert_int_equal(t_start_out(&sa, &st), ESP_START_OK);
    for (size_t payload = 0; payload < 8; payload++) {
        size_t len = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, payload, 0xab);
        size_t out_len;
        assert_int_equal(esp_encapsulate(&sa, inner, len, outer, sizeof(outer), &out_len),
                         ESP_DROP_NONE);
        uint64_t seq = payload + 1;
        size_t pad = (4 - (len + 2) % 4) % 4;
        assert_int_equal(out_len, 20 + 8 + 8 + len + pad + 2 + 16);
        assert_int_equal(outer[0], 0x45);
        assert_int_equal(outer[1], 0x10); /* TOS copied */
        assert_int_equal(get_be16(outer + 2), out_len);
        assert_int_equal(get_be16(outer + 4), payload); /* IP id counts */
        assert_int_equal(get_be16(outer + 6), IPV4_FLAG_DF); /* DF copied */
        assert_int_equal(outer[8], ESP_TTL);
        assert_int_equal(outer[9], 50);
        assert_int_equal(esp_ip_checksum(outer, 20), 0);
        assert_int_equal(get_be32(outer + 12), T_OUTER_A);
        assert_int_equal(get_be32(outer + 16), T_OUTER_B);
        assert_int_equal(get_be32(outer + 20), T_SPI);
        assert_int_equal(get_be32(outer + 24), seq);
        assert_int_equal(get_be32(outer + 28), 0); /* IV = 64-bit seq */
        assert_int_equal(get_be32(outer + 32), seq);
        uint8_t nonce[12];
        memcpy(nonce, sa.keymat + 32, 4);
        memcpy(nonce + 4, outer + 28, 8);
        size_t clen = out_len - 36;
        assert_int_equal(t_aead_decrypt(aead, sa.keymat, plain, outer + 36, clen, outer + 20, nonce), 0);
        size_t plen = clen - 16;
        assert_memory_equal(plain, inner, len);
        for (size_t i = 0; i < pad; i++)
            assert_int_equal(plain[len + i], i + 1);
        assert_int_equal(plain[plen - 2], pad);
        assert_int_equal(plain[plen - 1], ESP_NH_IPV4);
    }
    assert_int_equal(sa.count.packets, 8);
}

static void esp_layout_chacha(void **state)
{
    (void)state;
    check_layout(ESP_AEAD_CHACHA20POLY1305);
}

static void esp_layout_gcm(void **state)
{
    (void)state;
    if (skip_gcm(ESP_AEAD_AES256GCM))
        skip();
    check_layout(ESP_AEAD_AES256GCM);
}

/* The tests' own ESP packet goes in through the wrapper. */
static void check_foreign_decap(enum esp_aead aead)
{
    struct esp_sa sa;
    t_sa(&sa, aead, T_OUTER_B, T_OUTER_A, 2);
    assert_int_equal(esp_sa_start_inbound(&sa), ESP_START_OK);
    size_t len = t_ipv4(inner, T_INNER_B, T_INNER_A, 6, 1379, 0x5c);
    size_t blen = t_body(body, inner, len, (4 - (len + 2) % 4) % 4, ESP_NH_IPV4);
    size_t olen = t_build_esp(aead, sa.keymat, T_OUTER_B, T_OUTER_A, T_SPI, 77, body, blen, outer);
    struct esp_outer_view v;
    assert_int_equal(esp_outer_parse(outer, olen, &v), ESP_DROP_NONE);
    size_t out_len;
    assert_int_equal(esp_decapsulate(&sa, &v, plain, sizeof(plain), &out_len), ESP_DROP_NONE);
    assert_int_equal(out_len, len);
    assert_memory_equal(plain, inner, len);
    assert_int_equal(sa.replay.top, 77);
    assert_int_equal(sa.count.bytes, len);
}

static void esp_foreign_decap_chacha(void **state)
{
    (void)state;
    check_foreign_decap(ESP_AEAD_CHACHA20POLY1305);
}

static void esp_foreign_decap_gcm(void **state)
{
    (void)state;
    if (skip_gcm(ESP_AEAD_AES256GCM))
        skip();
    check_foreign_decap(ESP_AEAD_AES256GCM);
}

static void esp_roundtrip_ipv6_both_aeads(void **state)
{
    (void)state;
    enum esp_aead aeads[] = {ESP_AEAD_CHACHA20POLY1305, ESP_AEAD_AES256GCM};
    for (int a = 0; a < 2; a++) {
        if (skip_gcm(aeads[a]))
            continue;
        struct esp_sa tx, rx;
        struct t_store st = {0};
        t_sa(&tx, aeads[a], T_OUTER_A, T_OUTER_B, 3);
        t_sa(&rx, aeads[a], T_OUTER_A, T_OUTER_B, 3);
        assert_int_equal(t_start_out(&tx, &st), ESP_START_OK);
        assert_int_equal(esp_sa_start_inbound(&rx), ESP_START_OK);
        size_t len = t_ipv6(inner, 1, 2, 1000, 0x66), olen, ilen;
        assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &olen), ESP_DROP_NONE);
        assert_int_equal(get_be16(outer + 6), IPV4_FLAG_DF);
        struct esp_outer_view v;
        assert_int_equal(esp_outer_parse(outer, olen, &v), ESP_DROP_NONE);
        assert_int_equal(esp_decapsulate(&rx, &v, plain, sizeof(plain), &ilen), ESP_DROP_NONE);
        assert_int_equal(ilen, len);
        assert_memory_equal(plain, inner, len);
    }
}

/* One authentic packet with a given body, decapsulated by a fresh SA. */
static enum esp_drop decap_body(const uint8_t *b, size_t blen, uint32_t seq, struct esp_sa *sa)
{
    t_sa(sa, ESP_AEAD_CHACHA20POLY1305, T_OUTER_B, T_OUTER_A, 4);
    assert_int_equal(esp_sa_start_inbound(sa), ESP_START_OK);
    size_t olen = t_build_esp(sa->aead, sa->keymat, T_OUTER_B, T_OUTER_A, T_SPI, seq, b, blen, outer);
    struct esp_outer_view v;
    enum esp_drop why = esp_outer_parse(outer, olen, &v);
    if (why != ESP_DROP_NONE)
        return why;
    size_t out_len = 99;
    why = esp_decapsulate(sa, &v, plain, sizeof(plain), &out_len);
    if (why != ESP_DROP_NONE) {
        assert_int_equal(out_len, 0);
        assert_int_equal(sa->count.drops[why], 1);
    }
    return why;
}

static void esp_rejects_bad_trailers(void **state)
{
    (void)state;
    struct esp_sa sa;
    size_t len = t_ipv4(inner, T_INNER_B, T_INNER_A, 17, 9, 1); /* 29: pad 1 */
    size_t blen = t_body(body, inner, len, 1, ESP_NH_IPV4);
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_NONE);

    body[len] = 2; /* padding must be 1,2,3... */
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_BAD_PAD);
    assert_int_equal(sa.replay.top, 1); /* authentic: the window moved */
    t_body(body, inner, len, 1, ESP_NH_IPV4);
    body[blen - 2] = (uint8_t)(blen - 1); /* pad length beyond the payload */
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_BAD_PAD);
    t_body(body, inner, len, 1, 17);
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_BAD_NEXT_HEADER);
    t_body(body, inner, len, 1, ESP_NH_IPV6); /* nh says IPv6, packet is IPv4 */
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_BAD_NEXT_HEADER);
    t_body(body, inner, len, 1, ESP_NH_DUMMY);
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_DUMMY);
    /* empty inner packet: only padding */
    size_t only = t_body(body, inner, 0, 2, ESP_NH_IPV4);
    assert_int_equal(decap_body(body, only, 1, &sa), ESP_DROP_BAD_NEXT_HEADER);
    /* inner header checksum and length */
    t_body(body, inner, len, 1, ESP_NH_IPV4);
    body[10] ^= 1;
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_INNER_MALFORMED);
    t_body(body, inner, len, 1, ESP_NH_IPV4);
    put_be16(body + 2, (uint16_t)(len - 4));
    put_be16(body + 10, 0);
    put_be16(body + 10, esp_ip_checksum(body, 20));
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_INNER_MALFORMED);
    /* ciphertext length not a multiple of 4 */
    blen = t_body(body, inner, len, 0, ESP_NH_IPV4);
    assert_int_equal(decap_body(body, blen, 1, &sa), ESP_DROP_BAD_LENGTH);
}

static void esp_selector_on_state(void **state)
{
    (void)state;
    struct esp_sa sa;
    size_t len = t_ipv4(inner, T_INNER_B, T_INNER_A, 17, 10, 1);
    size_t blen = t_body(body, inner, len, 0, ESP_NH_IPV4);
    t_sa(&sa, ESP_AEAD_CHACHA20POLY1305, T_OUTER_B, T_OUTER_A, 4);
    sa.has_selector = true;
    assert_true(esp_prefix_parse("10.2.0.0/16", 11, &sa.selector.src));
    assert_true(esp_prefix_parse("10.1.0.0/16", 11, &sa.selector.dst));
    assert_int_equal(esp_sa_start_inbound(&sa), ESP_START_OK);
    struct esp_outer_view v;
    size_t olen = t_build_esp(sa.aead, sa.keymat, T_OUTER_B, T_OUTER_A, T_SPI, 1, body, blen, outer), n;
    assert_int_equal(esp_outer_parse(outer, olen, &v), ESP_DROP_NONE);
    assert_int_equal(esp_decapsulate(&sa, &v, plain, sizeof(plain), &n), ESP_DROP_NONE);
    t_ipv4(inner, T_INNER_B, 0x0a030001, 17, 10, 1); /* to 10.3.0.1: outside */
    t_body(body, inner, len, 0, ESP_NH_IPV4);
    olen = t_build_esp(sa.aead, sa.keymat, T_OUTER_B, T_OUTER_A, T_SPI, 2, body, blen, outer);
    assert_int_equal(esp_outer_parse(outer, olen, &v), ESP_DROP_NONE);
    assert_int_equal(esp_decapsulate(&sa, &v, plain, sizeof(plain), &n), ESP_DROP_SELECTOR);
    assert_int_equal(n, 0);
}

/* A valid packet from sa_tx for the outer-side tests. */
static size_t valid_packet(struct esp_sa *tx, struct esp_sa *rx, uint8_t *pkt)
{
    struct t_store st = {0};
    t_sa(tx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 5);
    t_sa(rx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 5);
    assert_int_equal(t_start_out(tx, &st), ESP_START_OK);
    assert_int_equal(esp_sa_start_inbound(rx), ESP_START_OK);
    size_t len = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 100, 3), olen;
    assert_int_equal(esp_encapsulate(tx, inner, len, pkt, T_BUF, &olen), ESP_DROP_NONE);
    return olen;
}

static enum esp_drop try_decap(struct esp_sa *rx, const uint8_t *pkt, size_t len)
{
    struct esp_outer_view v;
    enum esp_drop why = esp_outer_parse(pkt, len, &v);
    if (why != ESP_DROP_NONE)
        return why;
    size_t n;
    return esp_decapsulate(rx, &v, plain, sizeof(plain), &n);
}

static void fix_checksum(uint8_t *pkt)
{
    put_be16(pkt + 10, 0);
    put_be16(pkt + 10, esp_ip_checksum(pkt, 20));
}

static void esp_rejects_bad_outer_packets(void **state)
{
    (void)state;
    struct esp_sa tx, rx;
    static uint8_t pkt[T_BUF];
    size_t len = valid_packet(&tx, &rx, pkt);
    /* every truncation */
    for (size_t cut = 0; cut < len; cut++) {
        enum esp_drop why = try_decap(&rx, pkt, cut);
        assert_true(why == ESP_DROP_TRUNCATED || why == ESP_DROP_OUTER_HEADER);
    }
    /* truncated but with a consistent IP header: too short for ESP */
    memcpy(outer, pkt, 20);
    put_be16(outer + 2, 20 + 8 + 8 + 4 + 15);
    fix_checksum(outer);
    assert_int_equal(try_decap(&rx, outer, 55), ESP_DROP_TRUNCATED);
    memcpy(outer, pkt, len);
    outer[10] ^= 0xff;
    assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_OUTER_HEADER);
    memcpy(outer, pkt, len);
    outer[0] = 0x65;
    assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_OUTER_HEADER);
    /* trailing bytes after the IP total length */
    memcpy(outer, pkt, len);
    assert_int_equal(try_decap(&rx, outer, len + 1), ESP_DROP_OUTER_HEADER);
    memcpy(outer, pkt, len);
    put_be16(outer + 6, IPV4_FLAG_MF);
    fix_checksum(outer);
    assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_FRAGMENT);
    memcpy(outer, pkt, len);
    outer[9] = 4; /* IP-in-IP: plaintext */
    fix_checksum(outer);
    assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_NOT_ESP);
    memcpy(outer, pkt, len);
    put_be32(outer + 16, 0xc0000209);
    fix_checksum(outer);
    assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_WRONG_OUTER_DST);
    memcpy(outer, pkt, len);
    put_be32(outer + 12, 0xc0000209);
    fix_checksum(outer);
    assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_WRONG_OUTER_SRC);
    memcpy(outer, pkt, len);
    put_be32(outer + 20, 0x2000);
    assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_UNKNOWN_SPI);
    memcpy(outer, pkt, len);
    put_be32(outer + 24, 0);
    assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_SEQ_ZERO);
    /* bad ICV: a flipped bit anywhere the ICV covers, or in the ICV */
    size_t spots[] = {24, 28, 36, len / 2, len - 17, len - 1};
    for (size_t i = 0; i < sizeof(spots) / sizeof(spots[0]); i++) {
        memcpy(outer, pkt, len);
        outer[spots[i]] ^= 0x01;
        assert_int_equal(try_decap(&rx, outer, len), ESP_DROP_ICV);
    }
    assert_int_equal(rx.count.drops[ESP_DROP_ICV], 6);
    assert_int_equal(rx.replay.top, 0); /* forgeries moved nothing */
    /* output buffer too small */
    struct esp_outer_view v;
    size_t n;
    assert_int_equal(esp_outer_parse(pkt, len, &v), ESP_DROP_NONE);
    assert_int_equal(esp_decapsulate(&rx, &v, plain, 50, &n), ESP_DROP_TOO_BIG);
    /* finally the original still goes in, once */
    assert_int_equal(try_decap(&rx, pkt, len), ESP_DROP_NONE);
    assert_int_equal(try_decap(&rx, pkt, len), ESP_DROP_REPLAY);
}

static void esp_forged_far_ahead_does_not_move_window(void **state)
{
    (void)state;
    struct esp_sa sa;
    t_sa(&sa, ESP_AEAD_CHACHA20POLY1305, T_OUTER_B, T_OUTER_A, 6);
    assert_int_equal(esp_sa_start_inbound(&sa), ESP_START_OK);
    size_t len = t_ipv4(inner, T_INNER_B, T_INNER_A, 17, 2, 1);
    size_t blen = t_body(body, inner, len, 0, ESP_NH_IPV4);
    uint8_t wrong_key[ESP_KEYMAT_BYTES];
    t_keymat(wrong_key, 99);
    size_t olen = t_build_esp(sa.aead, wrong_key, T_OUTER_B, T_OUTER_A, T_SPI, 100000, body, blen, outer);
    assert_int_equal(try_decap(&sa, outer, olen), ESP_DROP_ICV);
    olen = t_build_esp(sa.aead, sa.keymat, T_OUTER_B, T_OUTER_A, T_SPI, 5, body, blen, outer);
    assert_int_equal(try_decap(&sa, outer, olen), ESP_DROP_NONE);
    olen = t_build_esp(sa.aead, sa.keymat, T_OUTER_B, T_OUTER_A, T_SPI, 3000, body, blen, outer);
    assert_int_equal(try_decap(&sa, outer, olen), ESP_DROP_NONE);
    olen = t_build_esp(sa.aead, sa.keymat, T_OUTER_B, T_OUTER_A, T_SPI, 5, body, blen, outer);
    assert_int_equal(try_decap(&sa, outer, olen), ESP_DROP_TOO_OLD);
    olen = t_build_esp(sa.aead, sa.keymat, T_OUTER_B, T_OUTER_A, T_SPI, 3000 - 1023, body, blen, outer);
    assert_int_equal(try_decap(&sa, outer, olen), ESP_DROP_NONE);
}

static void esp_lifetimes(void **state)
{
    (void)state;
    struct esp_sa tx;
    struct t_store st = {0};
    t_sa(&tx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 7);
    tx.life.packet_soft = 2;
    tx.life.packet_hard = 3;
    assert_int_equal(t_start_out(&tx, &st), ESP_START_OK);
    size_t len = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 10, 1), n;
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
    assert_false(tx.count.soft_expired);
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
    assert_true(tx.count.soft_expired);
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_SA_EXPIRED);
    assert_int_equal(n, 0);
    assert_true(tx.dead);
    assert_int_equal(tx.count.drops[ESP_DROP_SA_EXPIRED], 1);

    /* bytes, inbound */
    struct esp_sa tx2, rx;
    st = (struct t_store){0};
    t_sa(&tx2, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 8);
    t_sa(&rx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 8);
    rx.life.byte_soft = 31; /* crossed by the second packet */
    rx.life.byte_hard = 2 * len;
    assert_int_equal(t_start_out(&tx2, &st), ESP_START_OK);
    assert_int_equal(esp_sa_start_inbound(&rx), ESP_START_OK);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(esp_encapsulate(&tx2, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
        assert_int_equal(try_decap(&rx, outer, n), i < 2 ? ESP_DROP_NONE : ESP_DROP_SA_EXPIRED);
        assert_int_equal(rx.count.soft_expired, i >= 1);
    }
}

static void esp_sequence_never_wraps(void **state)
{
    (void)state;
    struct esp_sa tx, rx;
    struct t_store st = {.present = true, .mark = ESP_SEQ_MAX - 1};
    t_sa(&tx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 9);
    t_sa(&rx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 9);
    assert_int_equal(t_start_out(&tx, &st), ESP_START_OK);
    assert_int_equal(esp_sa_start_inbound(&rx), ESP_START_OK);
    size_t len = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 10, 1), n;
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
    assert_int_equal(get_be32(outer + 24), ESP_SEQ_MAX);
    assert_int_equal(try_decap(&rx, outer, n), ESP_DROP_NONE);
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_SEQ_EXHAUSTED);
    assert_true(tx.dead);
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_SA_EXPIRED);
    st.mark = ESP_SEQ_MAX;
    assert_int_equal(t_start_out(&tx, &st), ESP_START_SEQ_EXHAUSTED);
}

static void esp_reservations_survive_restart(void **state)
{
    (void)state;
    struct esp_sa tx;
    struct t_store st = {0};
    struct esp_seq_store store = {.reserve = t_store_reserve, .ctx = &st};
    struct esp_seq_record rec = {.key_fresh = true};
    t_sa(&tx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 10);
    assert_int_equal(esp_sa_start_outbound(&tx, &store, &rec, 4), ESP_START_OK);
    assert_int_equal(st.mark, 4); /* written ahead, before the first packet */
    assert_int_equal(st.calls, 1);
    size_t len = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 10, 1), n;
    uint32_t highest = 0;
    for (int i = 0; i < 6; i++) {
        assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
        highest = get_be32(outer + 24);
        assert_true(highest <= st.mark); /* never above the durable mark */
    }
    assert_int_equal(st.mark, 8);
    uint8_t id[ESP_KEY_ID_BYTES];
    esp_sa_key_id(&tx, id);
    assert_memory_equal(id, st.id, ESP_KEY_ID_BYTES);
    /* the wrapper restarts: a new SA from the same configuration */
    rec = (struct esp_seq_record){.present = st.present, .mark = st.mark};
    t_sa(&tx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 10);
    assert_int_equal(esp_sa_start_outbound(&tx, &store, &rec, 4), ESP_START_OK);
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
    assert_true(get_be32(outer + 24) > highest);
    assert_int_equal(get_be32(outer + 24), 9);
    /* the store refuses: nothing is sent and no number is burnt */
    for (int i = 0; i < 3; i++)
        assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
    st.refuse = true;
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_SEQ_RESERVE);
    assert_int_equal(n, 0);
    st.refuse = false;
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
    assert_int_equal(get_be32(outer + 24), 13);
    /* static key, store lost with a reboot, nobody vouches: refused */
    rec = (struct esp_seq_record){0};
    assert_int_equal(esp_sa_start_outbound(&tx, &store, &rec, 4), ESP_START_SEQ_STATE_LOST);
    rec.store_persistent = true;
    assert_int_equal(esp_sa_start_outbound(&tx, &store, &rec, 4), ESP_START_OK);
    st.refuse = true;
    assert_int_equal(esp_sa_start_outbound(&tx, &store, &rec, 4), ESP_START_RESERVE_FAILED);
}

static void esp_key_id_names_key_not_spi(void **state)
{
    (void)state;
    struct esp_sa a, b;
    uint8_t ia[ESP_KEY_ID_BYTES], ib[ESP_KEY_ID_BYTES];
    t_sa(&a, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 11);
    t_sa(&b, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 11);
    b.spi = 0x9999;
    esp_sa_key_id(&a, ia);
    esp_sa_key_id(&b, ib);
    assert_memory_equal(ia, ib, sizeof(ia));
    b.keymat[35] ^= 1; /* the salt is part of the nonce, so of the key */
    esp_sa_key_id(&b, ib);
    assert_memory_not_equal(ia, ib, sizeof(ia));
    assert_memory_not_equal(ia, a.keymat, sizeof(ia));
}

static void esp_encap_checks_input(void **state)
{
    (void)state;
    struct esp_sa tx, rx;
    struct t_store st = {0};
    t_sa(&tx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 12);
    t_sa(&rx, ESP_AEAD_CHACHA20POLY1305, T_OUTER_A, T_OUTER_B, 12);
    assert_int_equal(t_start_out(&tx, &st), ESP_START_OK);
    assert_int_equal(esp_sa_start_inbound(&rx), ESP_START_OK);
    size_t len = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 10, 1), n;
    assert_int_equal(esp_encapsulate(&tx, inner, len - 1, outer, sizeof(outer), &n), ESP_DROP_INNER_MALFORMED);
    assert_int_equal(esp_encapsulate(&tx, inner, 0, outer, sizeof(outer), &n), ESP_DROP_INNER_MALFORMED);
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, len + 40, &n), ESP_DROP_TOO_BIG);
    size_t big = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 65535 - 20, 1);
    assert_int_equal(esp_encapsulate(&tx, inner, big, outer, sizeof(outer), &n), ESP_DROP_TOO_BIG);
    /* outer = 52 + a multiple of 4: the largest is 65532 bytes */
    big = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 65459, 1);
    assert_int_equal(esp_encapsulate(&tx, inner, big, outer, sizeof(outer), &n), ESP_DROP_TOO_BIG);
    big = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 65458, 1);
    assert_int_equal(esp_encapsulate(&tx, inner, big, outer, sizeof(outer), &n), ESP_DROP_NONE);
    assert_int_equal(n, 65532);
    assert_int_equal(try_decap(&rx, outer, n), ESP_DROP_NONE);
    /* an inbound SA does not encrypt; an outbound one does not decrypt */
    len = t_ipv4(inner, T_INNER_A, T_INNER_B, 17, 10, 1);
    assert_int_equal(esp_encapsulate(&rx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NO_SA);
    assert_int_equal(esp_encapsulate(&tx, inner, len, outer, sizeof(outer), &n), ESP_DROP_NONE);
    assert_int_equal(try_decap(&tx, outer, n), ESP_DROP_UNKNOWN_SPI);
    assert_string_equal(esp_drop_name(ESP_DROP_ICV), "bad_icv");
    assert_string_equal(esp_drop_name(ESP_DROP_COUNT), "?");
}

static void esp_gcm_availability_is_reported(void **state)
{
    (void)state;
    print_message("AES-256-GCM (AES-NI) on this CPU: %s\n",
                  esp_aes256gcm_available() ? "available" : "NOT available");
    struct esp_sa sa;
    t_sa(&sa, ESP_AEAD_AES256GCM, T_OUTER_A, T_OUTER_B, 13);
    enum esp_start_result r = esp_sa_start_inbound(&sa);
    assert_int_equal(r, esp_aes256gcm_available() ? ESP_START_OK : ESP_START_NO_AEAD);
    sa.aead = ESP_AEAD_NONE;
    assert_int_equal(esp_sa_start_inbound(&sa), ESP_START_NO_AEAD);
    esp_sa_wipe(&sa);
    for (size_t i = 0; i < sizeof(sa); i++)
        assert_int_equal(((uint8_t *)&sa)[i], 0);
}

static void kat_report(enum esp_selftest_result r, const char *name, const char *why)
{
    print_message("%s %s%s%s\n", r == ESP_SELFTEST_PASS ? "PASS" : r == ESP_SELFTEST_FAIL ? "FAIL" : "SKIP",
                  name, why ? ": " : "", why ? why : "");
}

/* Vectors from Scapy (an independent ESP): decrypt, encrypt byte for
 * byte, tamper and replay; the same code runs in the Donjon component. */
static void esp_known_answers_from_scapy(void **state)
{
    (void)state;
    assert_int_equal(esp_selftest_run(kat_report), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(esp_layout_chacha),
        cmocka_unit_test(esp_layout_gcm),
        cmocka_unit_test(esp_foreign_decap_chacha),
        cmocka_unit_test(esp_foreign_decap_gcm),
        cmocka_unit_test(esp_roundtrip_ipv6_both_aeads),
        cmocka_unit_test(esp_rejects_bad_trailers),
        cmocka_unit_test(esp_selector_on_state),
        cmocka_unit_test(esp_rejects_bad_outer_packets),
        cmocka_unit_test(esp_forged_far_ahead_does_not_move_window),
        cmocka_unit_test(esp_lifetimes),
        cmocka_unit_test(esp_sequence_never_wraps),
        cmocka_unit_test(esp_reservations_survive_restart),
        cmocka_unit_test(esp_key_id_names_key_not_spi),
        cmocka_unit_test(esp_encap_checks_input),
        cmocka_unit_test(esp_gcm_availability_is_reported),
        cmocka_unit_test(esp_known_answers_from_scapy),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
