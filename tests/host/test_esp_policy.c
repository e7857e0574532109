// host-test-sources: wrappers/policy/policy.c wrappers/esp/xfrm_config.c wrappers/esp/xfrm_listing.c wrappers/esp/xfrm_text.c wrappers/esp/esp_addr.c wrappers/esp/esp_aead.c wrappers/esp/esp_drop.c wrappers/esp/esp_ip.c wrappers/esp/esp_packet.c wrappers/esp/esp_replay.c wrappers/esp/esp_sa.c
/* SPDX-License-Identifier: GPL-2.0-only */
// host-test-libs: -lsodium
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "test_esp_util.h"
#include "wrappers/policy/policy.h"

static struct xfrm_config cfg_a, cfg_b;
static struct gateway gw_a, gw_b;
static struct t_store store_a, store_b;
static uint8_t pkt[T_BUF], esp[T_BUF], out[T_BUF];

static void load(struct xfrm_config *cfg, struct gateway *gw, struct t_store *st, bool a)
{
    char text[4096];
    struct xfrm_error err;
    size_t n = t_gateway_config(text, sizeof(text), a);
    assert_true(n > 0);
    if (!xfrm_config_parse(text, n, cfg, &err))
        fail_msg("%s", err.message);
    memset(st, 0, sizeof(*st));
    struct esp_seq_store store = {.reserve = t_store_reserve, .ctx = st};
    size_t bad = 99;
    assert_int_equal(gw_start(gw, cfg, &store, t_load_fresh, NULL, 0, &bad), ESP_START_OK);
}

static int setup(void **state)
{
    (void)state;
    if (!esp_crypto_init())
        return -1;
    load(&cfg_a, &gw_a, &store_a, true);
    load(&cfg_b, &gw_b, &store_b, false);
    return 0;
}

static size_t inner4(uint32_t src, uint32_t dst, uint8_t proto, size_t payload)
{
    return t_ipv4(pkt, src, dst, proto, payload, 0x42);
}

static void policy_tunnel_both_ways(void **state)
{
    (void)setup(state);
    size_t n, e, o;
    n = inner4(T_INNER_A, T_INNER_B, 6, 1400);
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NONE);
    assert_int_equal(esp[9], ESP_PROTO);
    assert_int_equal(get_be32(esp + 12), T_OUTER_A);
    assert_int_equal(get_be32(esp + 16), T_OUTER_B);
    assert_int_equal(get_be32(esp + 20), 0x1000);
    assert_int_equal(gw_from_outer(&gw_b, esp, e, out, sizeof(out), &o), ESP_DROP_NONE);
    assert_int_equal(o, n);
    assert_memory_equal(out, pkt, n);
    n = inner4(T_INNER_B, T_INNER_A, 1, 56);
    assert_int_equal(gw_from_inner(&gw_b, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NONE);
    assert_int_equal(get_be32(esp + 20), 0x2000);
    assert_int_equal(gw_from_outer(&gw_a, esp, e, out, sizeof(out), &o), ESP_DROP_NONE);
    assert_memory_equal(out, pkt, n);
    n = t_ipv6(pkt, 1, 2, 300, 0x66);
    pkt[8 + 5] = 1, pkt[24 + 5] = 2; /* 2001:db8:1:: -> 2001:db8:2:: */
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NONE);
    assert_int_equal(gw_from_outer(&gw_b, esp, e, out, sizeof(out), &o), ESP_DROP_NONE);
    assert_memory_equal(out, pkt, n);
    assert_int_equal(gw_a.count.to_outer, 2);
    assert_int_equal(gw_b.count.to_inner, 2);
}

static void policy_inner_side_drops(void **state)
{
    (void)setup(state);
    size_t n, e = 7;
    n = inner4(T_INNER_A, 0x0a070001, 6, 10); /* 10.7/16: no policy */
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NO_POLICY);
    assert_int_equal(e, 0);
    n = inner4(0x0a050001, T_INNER_B, 6, 10); /* source outside 10.1/16 */
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NO_POLICY);
    n = inner4(T_INNER_A, 0x0a020901, 17, 10); /* udp to 10.2.9/24: blocked first */
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_POLICY_BLOCK);
    n = inner4(T_INNER_A, 0x0a020901, 6, 10); /* tcp there: allowed */
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NONE);
    n = inner4(T_INNER_A, T_INNER_B, 6, 10);
    pkt[12] ^= 0x80; /* checksum now wrong */
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_INNER_MALFORMED);
    memset(pkt, 0xff, 64); /* broadcast-ish garbage */
    assert_int_equal(gw_from_inner(&gw_a, pkt, 64, esp, sizeof(esp), &e), ESP_DROP_INNER_MALFORMED);
    assert_int_equal(gw_from_inner(&gw_a, pkt, 0, esp, sizeof(esp), &e), ESP_DROP_INNER_MALFORMED);
    /* B's in-policy for 2001:db8 exists but B has no out policy for it */
    n = t_ipv6(pkt, 1, 2, 10, 0);
    assert_int_equal(gw_from_inner(&gw_b, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NO_POLICY);
    assert_int_equal(gw_a.count.drops[ESP_DROP_NO_POLICY], 2);
    assert_int_equal(gw_a.count.drops[ESP_DROP_POLICY_BLOCK], 1);
    assert_int_equal(gw_a.count.drops[ESP_DROP_INNER_MALFORMED], 3);
    assert_int_equal(gw_a.count.to_outer, 1);
}

static void fix_checksum(uint8_t *p)
{
    put_be16(p + 10, 0);
    put_be16(p + 10, esp_ip_checksum(p, 20));
}

static void policy_outer_side_drops(void **state)
{
    (void)setup(state);
    size_t n, e, o = 7;
    /* plaintext from the WAN, even addressed to the LAN */
    n = inner4(T_INNER_B, T_INNER_A, 6, 40);
    assert_int_equal(gw_from_outer(&gw_a, pkt, n, out, sizeof(out), &o), ESP_DROP_NOT_ESP);
    assert_int_equal(o, 0);
    /* a valid packet from A to B, then abused */
    n = inner4(T_INNER_A, T_INNER_B, 6, 100);
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NONE);
    /* A's own SA is outbound: A does not take its own packets back */
    assert_int_equal(gw_from_outer(&gw_a, esp, e, out, sizeof(out), &o), ESP_DROP_UNKNOWN_SPI);
    uint8_t copy[2048];
    memcpy(copy, esp, e);
    put_be32(copy + 20, 0x7777);
    assert_int_equal(gw_from_outer(&gw_b, copy, e, out, sizeof(out), &o), ESP_DROP_UNKNOWN_SPI);
    memcpy(copy, esp, e);
    put_be32(copy + 16, 0xc0000263);
    fix_checksum(copy);
    assert_int_equal(gw_from_outer(&gw_b, copy, e, out, sizeof(out), &o), ESP_DROP_WRONG_OUTER_DST);
    memcpy(copy, esp, e);
    copy[e - 1] ^= 1;
    assert_int_equal(gw_from_outer(&gw_b, copy, e, out, sizeof(out), &o), ESP_DROP_ICV);
    assert_int_equal(gw_from_outer(&gw_b, esp, e, out, sizeof(out), &o), ESP_DROP_NONE);
    assert_int_equal(gw_from_outer(&gw_b, esp, e, out, sizeof(out), &o), ESP_DROP_REPLAY);
    /* authentic, but B has no in policy for 10.3/16 */
    n = inner4(T_INNER_A, 0x0a030001, 6, 100);
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NONE);
    assert_int_equal(gw_from_outer(&gw_b, esp, e, out, sizeof(out), &o), ESP_DROP_SELECTOR);
    assert_int_equal(o, 0);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(out[i], 0); /* and nothing of it left behind */
    const struct esp_sa *in_sa = &cfg_b.sas[0];
    assert_int_equal(in_sa->spi, 0x1000);
    assert_int_equal(in_sa->count.drops[ESP_DROP_ICV], 1);
    assert_int_equal(in_sa->count.drops[ESP_DROP_REPLAY], 1);
    assert_int_equal(in_sa->count.drops[ESP_DROP_SELECTOR], 1);
    assert_int_equal(gw_b.count.drops[ESP_DROP_UNKNOWN_SPI], 1);
    assert_int_equal(gw_b.count.to_inner, 1);
}

/* Whatever the inner side sends, the outer side sees only ESP to B
 * without the plaintext marker. */
static void policy_nothing_leaves_in_clear(void **state)
{
    (void)setup(state);
    static const uint8_t marker[16] = "LAN-SECRET-MARK";
    uint32_t x = 99;
    unsigned sent = 0;
    for (int i = 0; i < 3000; i++) {
        x ^= x << 13, x ^= x >> 17, x ^= x << 5;
        uint32_t dst = (x & 1) ? T_INNER_B + (x >> 16) : x;
        uint32_t src = (x & 2) ? T_INNER_A : x * 7;
        size_t n = inner4(src, dst, (uint8_t)(x >> 8), 16 + x % 1400);
        memcpy(pkt + 20, marker, 16);
        if (x & 4) /* sometimes garbage */
            pkt[(x >> 4) % n] ^= (uint8_t)(x >> 24);
        size_t e;
        if (gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e) != ESP_DROP_NONE) {
            assert_int_equal(e, 0);
            continue;
        }
        sent++;
        assert_int_equal(esp[9], ESP_PROTO);
        assert_int_equal(get_be32(esp + 16), T_OUTER_B);
        for (size_t k = 0; k + 16 <= e; k++)
            assert_false(memcmp(esp + k, marker, 16) == 0);
    }
    assert_true(sent > 100);
    print_message("%u of 3000 hostile-inner packets left, all as ESP to the peer\n", sent);
}

/* A store that lost everything in a reboot and vouches for nothing. */
static void load_lost(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], struct esp_seq_record *rec)
{
    (void)ctx, (void)id, (void)rec;
}

static void policy_start_refuses_lost_state(void **state)
{
    (void)state;
    char text[4096];
    struct xfrm_error err;
    size_t n = t_gateway_config(text, sizeof(text), true);
    assert_true(xfrm_config_parse(text, n, &cfg_a, &err));
    struct t_store st = {0};
    struct esp_seq_store store = {.reserve = t_store_reserve, .ctx = &st};
    size_t bad = 99;
    assert_int_equal(gw_start(&gw_a, &cfg_a, &store, load_lost, NULL, 0, &bad),
                     ESP_START_SEQ_STATE_LOST);
    assert_int_equal(bad, 0);
    assert_int_equal(st.calls, 0);
}

/* Parses a gateway's configuration (written while AES-NI is visible, so
 * A->B is AES-256-GCM) and starts it as on a CPU without AES-NI. */
static void start_without_aesni(struct xfrm_config *cfg, struct gateway *gw, struct t_store *st, bool a)
{
    char text[4096];
    struct xfrm_error err;
    size_t n = t_gateway_config(text, sizeof(text), a);
    assert_true(xfrm_config_parse(text, n, cfg, &err));
    memset(st, 0, sizeof(*st));
    struct esp_seq_store store = {.reserve = t_store_reserve, .ctx = st};
    size_t bad = 99;
    esp_test_hide_aesni = true;
    enum esp_start_result r = gw_start(gw, cfg, &store, t_load_fresh, NULL, 0, &bad);
    esp_test_hide_aesni = false;
    assert_int_equal(r, ESP_START_OK);
    assert_int_equal(bad, 99);
}

/* On a CPU without AES-NI only the AES-256-GCM SA (spi 0x1000, index 0)
 * is off: the ChaCha20-Poly1305 direction runs; what needs the off SA is
 * dropped (no_sa outbound, unknown_spi inbound), never sent in the clear,
 * and it reserves no sequence numbers. */
static void policy_aes_sa_off_without_aesni(void **state)
{
    (void)setup(state);
    if (!esp_aes256gcm_available())
        skip(); /* then the configuration holds no AES SA */
    static struct xfrm_config cfg_a_off, cfg_b_off;
    static struct gateway gw_a_off, gw_b_off;
    static struct t_store st_a_off, st_b_off;
    start_without_aesni(&cfg_a_off, &gw_a_off, &st_a_off, true);
    start_without_aesni(&cfg_b_off, &gw_b_off, &st_b_off, false);
    assert_true(gw_sa_off(&gw_a_off, 0) && gw_sa_off(&gw_b_off, 0));
    assert_false(gw_sa_off(&gw_a_off, 1) || gw_sa_off(&gw_b_off, 1));
    assert_int_equal(st_a_off.calls, 0); /* B->A is inbound at A: only B reserves */
    size_t n = inner4(T_INNER_A, T_INNER_B, 6, 200), e = 99, o = 99;
    assert_int_equal(gw_from_inner(&gw_a_off, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NO_SA);
    assert_int_equal(e, 0);
    /* AES ESP from a gateway that has AES-NI: unknown at the one without */
    assert_int_equal(gw_from_inner(&gw_a, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NONE);
    assert_int_equal(gw_from_outer(&gw_b_off, esp, e, out, sizeof(out), &o), ESP_DROP_UNKNOWN_SPI);
    assert_int_equal(o, 0);
    /* the other direction still works end to end */
    n = inner4(T_INNER_B, T_INNER_A, 17, 300);
    assert_int_equal(gw_from_inner(&gw_b_off, pkt, n, esp, sizeof(esp), &e), ESP_DROP_NONE);
    assert_int_equal(gw_from_outer(&gw_a_off, esp, e, out, sizeof(out), &o), ESP_DROP_NONE);
    assert_int_equal(o, n);
    assert_memory_equal(out, pkt, n);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(policy_tunnel_both_ways),
        cmocka_unit_test(policy_inner_side_drops),
        cmocka_unit_test(policy_outer_side_drops),
        cmocka_unit_test(policy_nothing_leaves_in_clear),
        cmocka_unit_test(policy_start_refuses_lost_state),
        cmocka_unit_test(policy_aes_sa_off_without_aesni),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
