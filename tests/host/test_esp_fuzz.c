// host-test-sources: wrappers/policy/policy.c wrappers/esp/xfrm_config.c wrappers/esp/xfrm_listing.c wrappers/esp/xfrm_text.c wrappers/esp/esp_addr.c wrappers/esp/esp_aead.c wrappers/esp/esp_drop.c wrappers/esp/esp_ip.c wrappers/esp/esp_packet.c wrappers/esp/esp_replay.c wrappers/esp/esp_sa.c
/* SPDX-License-Identifier: GPL-2.0-only */
// host-test-libs: -lsodium
/* Hostile input against the wrapper: random and mutated packets on both
 * sides, mutated configuration text. Nothing may crash or read out of
 * bounds (ASan), and nothing but an authentic, unreplayed packet may get
 * through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "test_esp_util.h"
#include "wrappers/policy/policy.h"

#define ORIGINALS 64

static struct xfrm_config cfg_a, cfg_b;
static struct gateway gw_a, gw_b;
static struct t_store st_a, st_b;
static uint64_t rng = 0x9e3779b97f4a7c15u;

static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void load(struct xfrm_config *cfg, struct gateway *gw, struct t_store *st, bool a)
{
    char text[4096];
    struct xfrm_error err;
    size_t n = t_gateway_config(text, sizeof(text), a);
    if (!xfrm_config_parse(text, n, cfg, &err))
        fail_msg("%s", err.message);
    memset(st, 0, sizeof(*st));
    struct esp_seq_store store = {.reserve = t_store_reserve, .ctx = st};
    size_t bad;
    assert_int_equal(gw_start(gw, cfg, &store, t_load_fresh, NULL, 0, &bad), ESP_START_OK);
}

static int setup(void **state)
{
    (void)state;
    if (!esp_crypto_init())
        return -1;
    load(&cfg_a, &gw_a, &st_a, true);
    load(&cfg_b, &gw_b, &st_b, false);
    return 0;
}

/* Exact-size heap copies so that ASan sees every overread. */
static enum esp_drop outer_exact(const uint8_t *p, size_t n, uint8_t *out, size_t cap, size_t *o)
{
    uint8_t *copy = malloc(n ? n : 1);
    memcpy(copy, p, n);
    enum esp_drop why = gw_from_outer(&gw_b, copy, n, out, cap, o);
    free(copy);
    return why;
}

static void fuzz_random_packets_both_sides(void **state)
{
    (void)state;
    static uint8_t buf[2048], out[T_BUF];
    for (int i = 0; i < 20000; i++) {
        size_t n = rnd() % sizeof(buf);
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)rnd();
        if (n >= 20 && (i & 1)) { /* a plausible outer header */
            buf[0] = 0x45;
            put_be16(buf + 2, (uint16_t)n);
            put_be16(buf + 6, 0);
            buf[9] = 50;
            put_be32(buf + 12, T_OUTER_A);
            put_be32(buf + 16, T_OUTER_B);
            put_be32(buf + 20, (i & 2) ? 0x1000 : rnd());
            put_be16(buf + 10, 0);
            put_be16(buf + 10, esp_ip_checksum(buf, 20));
        }
        size_t o = 1;
        assert_int_not_equal(outer_exact(buf, n, out, sizeof(out), &o), ESP_DROP_NONE);
        assert_int_equal(o, 0);
        uint8_t *copy = malloc(n ? n : 1);
        memcpy(copy, buf, n);
        enum esp_drop why = gw_from_inner(&gw_a, copy, n, out, sizeof(out), &o);
        free(copy);
        if (why == ESP_DROP_NONE)
            assert_int_equal(out[9], ESP_PROTO);
    }
}

static void fuzz_mutated_esp(void **state)
{
    (void)state;
    static uint8_t inner[ORIGINALS][1600], esp[ORIGINALS][1700], mut[1800], out[T_BUF];
    static size_t inner_len[ORIGINALS], esp_len[ORIGINALS];
    static bool delivered[ORIGINALS];
    for (int k = 0; k < ORIGINALS; k++) {
        inner_len[k] = t_ipv4(inner[k], T_INNER_A, T_INNER_B, 6, 1 + rnd() % 1400, (uint8_t)k);
        assert_int_equal(gw_from_inner(&gw_a, inner[k], inner_len[k], esp[k], sizeof(esp[k]),
                                       &esp_len[k]), ESP_DROP_NONE);
    }
    unsigned accepted = 0;
    for (int i = 0; i < 30000; i++) {
        int k = (int)(rnd() % ORIGINALS);
        size_t n = esp_len[k];
        memcpy(mut, esp[k], n);
        unsigned kind = rnd() % 5;
        if (kind == 0) {
            n = rnd() % n; /* truncate */
        } else if (kind == 1) {
            size_t extra = 1 + rnd() % 64; /* extend, keeping the IP length right */
            for (size_t j = 0; j < extra; j++)
                mut[n + j] = (uint8_t)rnd();
            n += extra;
            put_be16(mut + 2, (uint16_t)n);
            put_be16(mut + 10, 0);
            put_be16(mut + 10, esp_ip_checksum(mut, 20));
        } else if (kind <= 3) {
            unsigned flips = 1 + rnd() % 4;
            for (unsigned j = 0; j < flips; j++)
                mut[rnd() % n] ^= (uint8_t)(1 + rnd() % 255);
            if (kind == 3) { /* past the outer checks, into the ESP ones */
                put_be16(mut + 10, 0);
                put_be16(mut + 10, esp_ip_checksum(mut, 20));
            }
        } /* kind 4: unchanged (a replay after the first time) */
        size_t o = 0;
        enum esp_drop why = outer_exact(mut, n, out, sizeof(out), &o);
        if (why == ESP_DROP_NONE) {
            /* only an original, and only once */
            assert_int_equal(o, inner_len[k]);
            assert_memory_equal(out, inner[k], o);
            assert_false(delivered[k]);
            delivered[k] = true;
            accepted++;
        } else {
            assert_int_equal(o, 0);
        }
    }
    print_message("%u of 30000 mutated packets delivered (each original at most once)\n",
                  accepted);
    assert_true(accepted <= ORIGINALS);
    const struct esp_sa *in = &cfg_b.sas[0];
    assert_true(in->count.drops[ESP_DROP_ICV] > 0);
    assert_true(in->count.drops[ESP_DROP_REPLAY] > 0);
}

static const char *const words[] = {
    "ip", "xfrm", "state", "policy", "add", "src", "dst", "proto", "esp", "spi", "0x1000",
    "mode", "tunnel", "aead", "'rfc4106(gcm(aes))'", T_KEY_AB, "128", "reqid", "1", "dir",
    "out", "in", "fwd", "tmpl", "10.1.0.0/16", "192.0.2.1", "::", "'", "\"", "#", "limit",
    "packet-hard", "sel", "flag", "esn", "0x", "99999999999999999999999", "level", "/", "\n",
    "\n\t", "anti-replay", "context:", "seq", "oseq", "0x0,", "0x1,", "bitmap", "bitmap-length", "32",
    "replay_window", "lifetime", "socket", "priority",
};

/* Gateway A's configuration as `ip xfrm state` and `ip xfrm policy`
 * list it (the listing form: statements over lines). */
static const char listing[] =
    "src 192.0.2.1 dst 192.0.2.2\n"
    "\tproto esp spi 0x00001000 reqid 1 mode tunnel\n"
    "\treplay-window 0 flag align4\n"
    "\taead rfc7539esp(chacha20,poly1305) " T_KEY_AB " 128\n"
    "\tanti-replay esn context:\n"
    "\t seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x0\n"
    "\t replay_window 64, bitmap-length 2\n"
    "\t 00000000 00000000 \n"
    "\tsel src 10.1.0.0/16 dst 10.2.0.0/16 \n"
    "src 192.0.2.2 dst 192.0.2.1\n"
    "\tproto esp spi 0x00002000 reqid 2 mode tunnel\n"
    "\treplay-window 0 \n"
    "\taead rfc7539esp(chacha20,poly1305) " T_KEY_BA " 128\n"
    "\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
    "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n"
    "src 10.1.0.0/16 dst 10.2.0.0/16 \n"
    "\tdir out priority 0 ptype main \n"
    "\ttmpl src 192.0.2.1 dst 192.0.2.2\n"
    "\t\tproto esp reqid 1 mode tunnel\n"
    "src 10.2.0.0/16 dst 10.1.0.0/16 \n"
    "\tdir in priority 0 ptype main \n"
    "\ttmpl src 192.0.2.2 dst 192.0.2.1\n"
    "\t\tproto esp reqid 2 mode tunnel\n";

/* rounds random edits of base[0..base_len): nothing crashes, reads
 * outside the text or shows a key; returns how many still parsed. */
static unsigned mutate_configurations(const char *base, size_t base_len, unsigned rounds)
{
    static char text[8192];
    static struct xfrm_config cfg;
    struct xfrm_error err;
    unsigned ok = 0;
    for (unsigned i = 0; i < rounds; i++) {
        size_t n = base_len;
        memcpy(text, base, n);
        unsigned edits = 1 + rnd() % 4;
        for (unsigned e = 0; e < edits; e++) {
            size_t at = rnd() % (n + 1);
            unsigned kind = rnd() % 3;
            if (kind == 0 && n > 0 && at < n) { /* delete a run */
                size_t len = 1 + rnd() % 12;
                if (at + len > n)
                    len = n - at;
                memmove(text + at, text + at + len, n - at - len);
                n -= len;
            } else if (kind == 1 && n > 0 && at < n) {
                text[at] = (char)rnd();
            } else { /* insert a word */
                const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
                size_t len = strlen(w) + 1;
                if (n + len >= sizeof(text))
                    continue;
                memmove(text + at + len, text + at, n - at);
                memcpy(text + at, w, len - 1);
                text[at + len - 1] = ' ';
                n += len;
            }
        }
        char *exact = malloc(n ? n : 1);
        memcpy(exact, text, n);
        bool parsed = xfrm_config_parse(exact, n, &cfg, &err);
        free(exact);
        if (parsed) {
            ok++;
            continue;
        }
        assert_true(strlen(err.message) < sizeof(err.message));
        if (strstr(err.message, T_KEY_AB + 2) || strstr(err.message, "1112131415161718") ||
            strstr(err.message, "c0ffee01") || strstr(err.message, "b1b2b3b4b5b6b7b8") ||
            strstr(err.message, "c0deadbeef"))
            fail_msg("key in message: %s", err.message);
    }
    return ok;
}

static void fuzz_configuration_text(void **state)
{
    (void)state;
    static char base[4096];
    size_t base_len = t_gateway_config(base, sizeof(base), true);
    unsigned ok = mutate_configurations(base, base_len, 4000);
    print_message("%u of 4000 mutated configurations still parsed\n", ok);
}

static void fuzz_configuration_listing(void **state)
{
    (void)state;
    static struct xfrm_config cfg;
    struct xfrm_error err;
    if (!xfrm_config_parse(listing, sizeof(listing) - 1, &cfg, &err))
        fail_msg("the listing itself is refused: %s", err.message);
    unsigned ok = mutate_configurations(listing, sizeof(listing) - 1, 3000);
    print_message("%u of 3000 mutated listings still parsed\n", ok);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fuzz_random_packets_both_sides),
        cmocka_unit_test(fuzz_mutated_esp),
        cmocka_unit_test(fuzz_configuration_text),
        cmocka_unit_test(fuzz_configuration_listing),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
