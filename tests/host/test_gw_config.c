// host-test-sources: wrappers/esp/component/gw_config.c wrappers/esp/xfrm_config.c wrappers/esp/xfrm_listing.c wrappers/esp/xfrm_text.c wrappers/esp/esp_addr.c wrappers/esp/esp_aead.c wrappers/esp/esp_drop.c wrappers/esp/esp_ip.c wrappers/esp/esp_packet.c wrappers/esp/esp_replay.c wrappers/esp/esp_sa.c
/* SPDX-License-Identifier: GPL-2.0-only */
// host-test-libs: -lsodium
/* The gateway component's configuration (wrappers/esp/component/
 * gw_config.c): its own "gateway" lines beside the ip xfrm lines. A valid
 * text fills the sides and settings; each kind of bad line is refused
 * with a message naming its line and what is wrong, and no message ever
 * holds key material; mutated texts (a deterministic fuzz run) never
 * crash, read out of bounds or leak a key. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "test_esp_util.h"
#include "wrappers/esp/component/gw.h"

struct gw_state gws; /* main.c's, which the test does not link */

#define XFRM_TEXT                                                                                   \
    "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel "    \
    "aead 'rfc4106(gcm(aes))' " T_KEY_AB " 128\n" T_STATE_BA                                      \
    "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out " T_TMPL_AB                        \
    "ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir in " T_TMPL_BA
#define INNER_OK "gateway inner client gwin address 10.1.255.1 neighbor 10.1.255.2\n"
#define OUTER_OK "gateway outer client gwout\n"
#define KEY_FRAGMENT "1112131415161718" /* from the middle of T_KEY_AB */

static char captured[4096];

/* gw_config_load with its stdout captured in `captured`. */
static bool load_captured(const char *text, size_t len)
{
    memset(&gws, 0, sizeof(gws));
    fflush(stdout);
    int saved = dup(STDOUT_FILENO);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    assert_true(saved >= 0);
    assert_true(dup2(fileno(tmp), STDOUT_FILENO) >= 0);
    bool ok = gw_config_load(text, len);
    fflush(stdout);
    assert_true(dup2(saved, STDOUT_FILENO) >= 0);
    close(saved);
    rewind(tmp);
    size_t n = fread(captured, 1, sizeof(captured) - 1, tmp);
    captured[n] = '\0';
    fclose(tmp);
    if (strstr(captured, KEY_FRAGMENT) || strstr(captured, "c0ffee01"))
        fail_msg("key material in a message: %s", captured);
    return ok;
}

static bool load_text(const char *text)
{
    return load_captured(text, strlen(text));
}

static void valid_configuration(void **state)
{
    (void)state;
    static const char text[] = "# the test gateway\n" INNER_OK "  gateway\touter client gwout # WAN\n"
                               "gateway keys fresh\r\ngateway status-every 30\n" XFRM_TEXT;
    assert_true(load_text(text));
    assert_string_equal(captured, "");
    const struct gw_link *in = &gws.side[GW_INNER], *out = &gws.side[GW_OUTER];
    assert_string_equal(in->client, "gwin");
    assert_int_equal(in->own_addr, 0x0a01ff01);
    assert_int_equal(in->neighbor, 0x0a01ff02);
    assert_string_equal(out->client, "gwout");
    /* The outer side's defaults: the outbound SA's end points. */
    assert_int_equal(out->own_addr, T_OUTER_A);
    assert_int_equal(out->neighbor, T_OUTER_B);
    assert_true(gws.set.keys_fresh);
    assert_int_equal(gws.set.status_seconds, 30);
    assert_int_equal(gws.set.seq_block, ESP_SEQ_BLOCK_DEFAULT);
    assert_int_equal(gws.cfg.sa_count, 2);
    assert_int_equal(gws.cfg.policy_count, 2);
}

static void defaults_and_explicit_outer(void **state)
{
    (void)state;
    static const char text[] = INNER_OK "gateway outer client gwout address 198.51.100.1 neighbor 198.51.100.254\n"
                               "gateway status-every 0\n" XFRM_TEXT;
    assert_true(load_text(text));
    assert_int_equal(gws.side[GW_OUTER].own_addr, 0xc6336401);
    assert_int_equal(gws.side[GW_OUTER].neighbor, 0xc63364fe);
    assert_false(gws.set.keys_fresh);
    assert_int_equal(gws.set.status_seconds, 0);
    /* Without a status-every line: every 5 seconds. */
    assert_true(load_text(INNER_OK OUTER_OK XFRM_TEXT));
    assert_int_equal(gws.set.status_seconds, 5);
}

struct bad_case {
    const char *text;     /* the whole configuration */
    const char *message;  /* expected in what it printed */
};

static void each_bad_line_kind_has_its_message(void **state)
{
    (void)state;
    static const struct bad_case cases[] = {
        {"gateway inner client\n" OUTER_OK XFRM_TEXT, "line 1: a gateway side word without its value"},
        {INNER_OK "gateway outer client 0123456789abcdef\n" XFRM_TEXT, "line 2: client: a component name of at most 15"},
        {"gateway inner client gwin address 10.1.255.300 neighbor 10.1.255.2\n" OUTER_OK XFRM_TEXT,
         "line 1: address: not an IPv4 address"},
        {"gateway inner client gwin address 2001:db8::1 neighbor 10.1.255.2\n" OUTER_OK XFRM_TEXT,
         "line 1: address: not an IPv4 address"},
        {"gateway inner client gwin address 10.1.255.1 neighbor 10.1.255\n" OUTER_OK XFRM_TEXT,
         "line 1: neighbor: not an IPv4 address"},
        {"gateway inner client gwin mtu 1500\n" OUTER_OK XFRM_TEXT, "line 1: unknown gateway side word"},
        {INNER_OK OUTER_OK "\ngateway lan client x\n" XFRM_TEXT, "line 4: unknown gateway line"},
        {INNER_OK OUTER_OK "gateway\n" XFRM_TEXT, "line 3: unknown gateway line"},
        {INNER_OK OUTER_OK "gateway keys stale\n" XFRM_TEXT, "line 3: unknown gateway line"},
        {INNER_OK OUTER_OK "gateway keys fresh now\n" XFRM_TEXT, "line 3: unknown gateway line"},
        {INNER_OK OUTER_OK "gateway status-every 3601\n" XFRM_TEXT, "line 3: status-every: seconds, 0..3600"},
        {INNER_OK OUTER_OK "gateway status-every -1\n" XFRM_TEXT, "line 3: status-every: seconds"},
        {INNER_OK OUTER_OK "gateway status-every 99999999999\n" XFRM_TEXT, "line 3: status-every: seconds"},
        {INNER_OK OUTER_OK "gateway status-every 1x\n" XFRM_TEXT, "line 3: status-every: seconds"},
        {INNER_OK OUTER_OK "gateway status-every\n" XFRM_TEXT, "line 3: unknown gateway line"},
        {"gateway inner client gwin address 10.1.255.1 neighbor 10.1.255.2 client a address 10.0.0.1 "
         "neighbor 10.0.0.2\n" OUTER_OK XFRM_TEXT,
         "line 1: too many words for a gateway line"},
        /* Whole-configuration checks */
        {OUTER_OK XFRM_TEXT, "both 'gateway inner client NAME' and 'gateway outer client NAME' are needed"},
        {INNER_OK XFRM_TEXT, "both 'gateway inner client NAME' and 'gateway outer client NAME' are needed"},
        {"gateway inner client gwin neighbor 10.1.255.2\n" OUTER_OK XFRM_TEXT,
         "the inner side needs 'address A.B.C.D' and 'neighbor A.B.C.D'"},
        {"gateway inner client gwin address 10.1.255.1\n" OUTER_OK XFRM_TEXT,
         "the inner side needs 'address A.B.C.D' and 'neighbor A.B.C.D'"},
        {INNER_OK OUTER_OK T_STATE_BA, "the outer side needs an outbound SA or its own"},
        /* The xfrm parser's errors come through, without the key. */
        {INNER_OK OUTER_OK "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 "
                           "mode tunnel aead 'rfc4106(gcm(aes))' 0x0102030405060708090a0b0c0d0e0f101112131415161718 128\n",
         "esp: config: "},
        {INNER_OK OUTER_OK "ip xfrm frobnicate\n", "esp: config: "},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (load_text(cases[i].text))
            fail_msg("case %zu accepted: %s", i, cases[i].text);
        if (!strstr(captured, cases[i].message))
            fail_msg("case %zu: expected \"%s\", printed \"%s\"", i, cases[i].message, captured);
        assert_non_null(strstr(captured, "esp: config"));
    }
}

static void oversized_text_refused(void **state)
{
    (void)state;
    size_t n = 16385;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, '#', n);
    assert_false(load_captured(big, n));
    assert_non_null(strstr(captured, "16385 bytes, more than 16384"));
    free(big);
}

/* ---- Fuzz: deterministic mutations of a valid text ---------------------- */

static uint64_t rng = 0x2545f4914f6cdd1du;

static uint32_t rnd(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static const char *const words[] = {
    "gateway", "inner", "outer", "client", "address", "neighbor", "keys", "fresh", "status-every",
    "3600", "3601", "0", "10.1.255.1", "255.255.255.255", "::1", "#", "\n", "\t", "gwin", "\r\n",
    "0123456789abcdefg", "ip xfrm state add", "aead", "spi", "0x", "\0",
};

static void mutate(char *text, size_t *np, size_t cap)
{
    size_t n = *np;
    unsigned edits = 1 + rnd() % 4;
    for (unsigned e = 0; e < edits; e++) {
        size_t at = rnd() % (n + 1);
        unsigned kind = rnd() % 3;
        if (kind == 0 && at < n) { /* delete a run */
            size_t len = 1 + rnd() % 12;
            if (at + len > n)
                len = n - at;
            memmove(text + at, text + at + len, n - at - len);
            n -= len;
        } else if (kind == 1 && at < n) {
            text[at] = (char)rnd();
        } else { /* insert a word */
            const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
            size_t len = strlen(w) + 1;
            if (n + len >= cap)
                continue;
            memmove(text + at + len, text + at, n - at);
            memcpy(text + at, w, len - 1);
            text[at + len - 1] = ' ';
            n += len;
        }
    }
    *np = n;
}

static void fuzz_mutated_configuration(void **state)
{
    (void)state;
    static const char base[] = INNER_OK OUTER_OK "gateway keys fresh\ngateway status-every 7\n" XFRM_TEXT;
    static char text[8192];
    unsigned ok = 0;
    for (int i = 0; i < 3000; i++) {
        size_t n = sizeof(base) - 1;
        memcpy(text, base, n);
        mutate(text, &n, sizeof(text));
        char *exact = malloc(n ? n : 1); /* exact size: ASan sees any overread */
        memcpy(exact, text, n);
        bool parsed = load_captured(exact, n); /* fails the test on a key in a message */
        free(exact);
        if (parsed) {
            ok++;
            /* What a parsed configuration promises the component. */
            assert_true(gws.side[GW_INNER].client[0] && gws.side[GW_OUTER].client[0]);
            assert_true(strlen(gws.side[GW_INNER].client) < GW_CLIENT_NAME_MAX);
            assert_true(gws.side[GW_INNER].own_addr && gws.side[GW_INNER].neighbor);
            assert_true(gws.side[GW_OUTER].own_addr && gws.side[GW_OUTER].neighbor);
            assert_true(gws.set.status_seconds <= 3600);
        } else if (!strstr(captured, "esp: config")) {
            fail_msg("refused without a message (mutation %d)", i);
        }
    }
    print_message("%u of 3000 mutated configurations still parsed\n", ok);
    assert_true(ok > 0 && ok < 3000);
}

/* Random bytes, and random lines of gateway words. */
static void fuzz_random_text(void **state)
{
    (void)state;
    static char text[2048];
    for (int i = 0; i < 2000; i++) {
        size_t n = 0;
        if (i & 1) {
            n = rnd() % sizeof(text);
            for (size_t k = 0; k < n; k++)
                text[k] = (char)rnd();
        } else {
            while (n < sizeof(text) - 64) {
                const char *w = words[rnd() % (sizeof(words) / sizeof(words[0]))];
                size_t len = strlen(w);
                memcpy(text + n, w, len);
                n += len;
                text[n++] = rnd() % 4 ? ' ' : '\n';
                if (rnd() % 64 == 0)
                    break;
            }
        }
        char *exact = malloc(n ? n : 1);
        memcpy(exact, text, n);
        if (!load_captured(exact, n) && !strstr(captured, "esp: config"))
            fail_msg("refused without a message (random text %d)", i);
        free(exact);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_configuration),
        cmocka_unit_test(defaults_and_explicit_outer),
        cmocka_unit_test(each_bad_line_kind_has_its_message),
        cmocka_unit_test(oversized_text_refused),
        cmocka_unit_test(fuzz_mutated_configuration),
        cmocka_unit_test(fuzz_random_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
