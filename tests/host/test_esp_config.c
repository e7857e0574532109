// host-test-sources: wrappers/esp/xfrm_config.c wrappers/esp/xfrm_listing.c wrappers/esp/xfrm_text.c wrappers/esp/esp_addr.c wrappers/esp/esp_aead.c wrappers/esp/esp_drop.c wrappers/esp/esp_ip.c wrappers/esp/esp_packet.c wrappers/esp/esp_replay.c wrappers/esp/esp_sa.c
/* SPDX-License-Identifier: GPL-2.0-only */
// host-test-libs: -lsodium
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "wrappers/esp/xfrm_config.h"

#define KEY1 "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20c0ffee01"
#define KEY2 "0xa1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0deadbeef"
#define KEY3 "0x5152535455565758595a5b5c5d5e5f606162636465666768696a6b6c6d6e6f7012345678"
#define KEY_SHORT "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20"

/* Gateway A's side: A = 192.0.2.1 (LAN 10.1/16), B = 192.0.2.2 (LAN 10.2/16). */
static const char good[] =
    "# copied from the peer's `ip xfrm` lines, src and dst as seen from A\n"
    "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x00001000 reqid 1 mode tunnel "
    "aead 'rfc4106(gcm(aes))' " KEY1 " 128\n"
    "\n"
    "  ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x00002000 reqid 1 mode tunnel"
    " aead \"rfc7539esp(chacha20,poly1305)\" " KEY2 " 128 replay-window 64 limit packet-hard"
    " 1000000 limit byte-soft 5000 flag align4 nopmtudisc sel src 10.2.0.0/16 dst 10.1.0.0/16 # in\n"
    "xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 10 tmpl src 192.0.2.1 dst "
    "192.0.2.2 proto esp reqid 1 mode tunnel\n"
    "policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir in ptype main tmpl src 192.0.2.2 dst "
    "192.0.2.1 proto esp reqid 1 mode tunnel level required\n"
    "ip xfrm policy add src 10.2.0.0/16 dst 10.1.0.0/16 dir fwd tmpl src 192.0.2.2 dst 192.0.2.1 "
    "proto esp reqid 1 mode tunnel\r\n"
    "ip xfrm policy add src 10.1.0.0/16 dst 10.9.0.0/16 proto udp dir out action block\n"
    "ip xfrm policy add src 2001:db8:1::/48 dst 2001:db8:2::/48 dir out tmpl src 192.0.2.1 dst "
    "192.0.2.2 proto esp reqid 1 mode tunnel\n";
#define GOOD_LINES 9

static struct xfrm_config cfg;
static struct xfrm_error err;

static void config_parses_linux_lines(void **state)
{
    (void)state;
    assert_true(xfrm_config_parse(good, sizeof(good) - 1, &cfg, &err));
    assert_int_equal(cfg.sa_count, 2);
    assert_int_equal(cfg.policy_count, 5);
    const struct esp_sa *a = &cfg.sas[0], *b = &cfg.sas[1];
    assert_int_equal(a->spi, 0x1000);
    assert_int_equal(a->reqid, 1);
    assert_int_equal(a->outer_src, 0xc0000201);
    assert_int_equal(a->outer_dst, 0xc0000202);
    assert_int_equal(a->aead, ESP_AEAD_AES256GCM);
    assert_int_equal(a->keymat[0], 0x01);
    assert_int_equal(a->keymat[31], 0x20);
    assert_int_equal(a->keymat[32], 0xc0); /* salt: the last 4 bytes */
    assert_int_equal(a->keymat[35], 0x01);
    assert_int_equal(b->aead, ESP_AEAD_CHACHA20POLY1305);
    assert_int_equal(b->life.packet_hard, 1000000);
    assert_int_equal(b->life.byte_soft, 5000);
    assert_int_equal(b->df, ESP_DF_CLEAR);
    assert_true(b->has_selector);
    assert_int_equal(b->selector.src.len, 16);
    assert_true(cfg.sa_outbound[0] && !cfg.sa_inbound[0]);
    assert_true(cfg.sa_inbound[1] && !cfg.sa_outbound[1]);
    assert_int_equal(cfg.sa_line[1], 4);
    const struct xfrm_policy *p = &cfg.policies[0];
    assert_int_equal(p->dir, XFRM_DIR_OUT);
    assert_int_equal(p->priority, 10);
    assert_int_equal(p->tmpl.reqid, 1);
    assert_int_equal(p->line, 5);
    assert_int_equal(cfg.policies[1].dir, XFRM_DIR_IN);
    assert_int_equal(cfg.policies[2].dir, XFRM_DIR_FWD);
    assert_true(cfg.policies[3].block);
    assert_int_equal(cfg.policies[3].sel.proto, 17);
    assert_int_equal(cfg.policies[4].sel.src.addr.family, ESP_AF_INET6);
    assert_int_equal(cfg.policies[4].sel.src.addr.bytes[5], 1);
}

#define TEN_WORDS "a a a a a a a a a a "

struct bad_case {
    const char *line;
    const char *expect; /* part of the message */
};

static const struct bad_case bad[] = {
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto ah spi 0x3000 mode tunnel aead "
     "'rfc4106(gcm(aes))' " KEY3 " 128", "only proto esp is supported, not 'ah'"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode transport aead "
     "'rfc4106(gcm(aes))' " KEY3 " 128", "only mode tunnel is supported, not 'transport'"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel aead "
     "'gcm(aes)' " KEY3 " 128", "unsupported aead"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel aead "
     "'rfc4106(gcm(aes))' " KEY_SHORT " 128", "must be 36 bytes"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel aead "
     "'rfc4106(gcm(aes))' 0x0102zz 128", "0x followed by hex digits"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel aead "
     "'rfc4106(gcm(aes))' " KEY3 " 96", "ICV length must be 128 bits, not '96'"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel enc "
     "'cbc(aes)' " KEY3, "only AEAD algorithms are supported (aead ...), not 'enc'"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 5 mode tunnel aead "
     "'rfc4106(gcm(aes))' " KEY3 " 128", "reserved"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp mode tunnel aead "
     "'rfc4106(gcm(aes))' " KEY3 " 128", "missing spi"},
    {"ip xfrm state add src 300.1.1.1 dst 192.0.2.3 proto esp spi 0x3000", "bad address '300.1.1.1'"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 foo proto esp", "unknown word 'foo'"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 flag esn", "extended sequence numbers"},
    {"ip xfrm state add src 192.0.2.1 limit time-hard 10", "unsupported limit"},
    {"ip xfrm state add src 192.0.2.1 replay-window 4096", "above the wrapper's 1024"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 aead 'rfc4106(gcm(aes)) " KEY3 " 128",
     "unterminated quote"},
    {"ip xfrm state delete src 192.0.2.1", "only 'add' is understood here, not 'delete'"},
    {"ip route add 10.0.0.0/8 via 192.0.2.9", "expected state or policy, not 'route'"},
    {"ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 tmpl src 192.0.2.1 dst 192.0.2.2 proto "
     "esp reqid 1 mode tunnel", "needs dir"},
    {"ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir in", "needs a tmpl"},
    {"ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out tmpl src 192.0.2.1 dst 192.0.2.2 "
     "proto esp reqid 7 mode tunnel", "no SA (state line) matches"},
    {"ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 proto tcp sport 22 dir out action block",
     "selector word not supported"},
    {"ip xfrm policy add src 10.1.0.0/33 dst 10.2.0.0/16 dir out action block",
     "bad address or prefix '10.1.0.0/33'"},
    {"ip xfrm policy add src 10.1.0.0/16 dst 2001:db8::/32 dir out action block",
     "different address families"},
    {"ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir sideways action block",
     "dir must be out, in or fwd, not 'sideways'"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel aead "
     "'rfc4106(gcm(aes))' " KEY1 " 128", "key repeats an earlier SA's key"},
    {"ip xfrm state add src 2001:db8::1 dst 192.0.2.3", "tunnel end points must be IPv4"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel aead "
     KEY3 " 128", "unsupported aead"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi", "missing value after 'spi'"},
    {"ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2000 mode tunnel aead "
     "'rfc4106(gcm(aes))' " KEY3 " 128", "spi and dst repeat an earlier SA"},
    {"ip xfrm policy add src 10.3.0.0/16 dst 10.1.0.0/16 dir in tmpl src 192.0.2.1 dst 192.0.2.2 "
     "proto esp reqid 1 mode tunnel", "a policy of the other direction"},
    {"ip xfrm state add " TEN_WORDS TEN_WORDS TEN_WORDS TEN_WORDS TEN_WORDS TEN_WORDS TEN_WORDS TEN_WORDS
         TEN_WORDS TEN_WORDS TEN_WORDS TEN_WORDS TEN_WORDS, "too many words (at most 128)"},
    /* the listing form (what `ip xfrm state` prints) */
    {"src 192.0.2.1 dst 192.0.2.3\tproto esp spi 0x3000 anti-replay seq 0x0", "expected 'context:'"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel aead rfc4106(gcm(aes)) " KEY3
     " 128 anti-replay context: seq 0x0, oseq 0x2a, bitmap 0x00000000", "has carried packets"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 anti-replay esn context: seq-hi 0x1,",
     "has carried packets"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 anti-replay esn context: replay_window 64, "
     "bitmap-length 2 00000000", "bitmap ends early"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 anti-replay esn context: bitmap-length 1 0000zz00",
     "bad anti-replay bitmap word"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 anti-replay esn context: bitmap-length "
     "99999999999999999999", "bad number"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 anti-replay esn context: bitmap-length "
     "18446744073709551615 00000000", "bitmap ends early"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 anti-replay context: seq", "missing value after 'seq'"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x00003000(12288) reqid 7 lifetime config:", "without -s"},
    {"src 10.1.0.0/16 dst 10.2.0.0/16 dir out priority 0 ptype main tmpl src 192.0.2.1 dst 192.0.2.2 "
     "proto esp reqid 9 mode tunnel", "no SA (state line) matches"},
    {"src 0.0.0.0/0 dst 0.0.0.0/0 socket in priority 0 ptype main", "per-socket policy"},
    /* what strongSwan's SAs may list */
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0xc1234567 reqid 1 mode tunnel encap type espinudp sport "
     "4500 dport 4500 addr 0.0.0.0", "NAT traversal"},
    {"src 192.0.2.1 dst 192.0.2.3 proto esp spi 0xc1234567 reqid 1 mode tunnel if_id 0x2a", "XFRM interfaces"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mark 7", "marks"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 flag noecn", "unsupported flag 'noecn'"},
    {"ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 mode tunnel aead "
     "'rfc4106(gcm(aes))' " KEY3 " 128 spi 99999999999999999999", "bad number"},
};

/* No 16-digit piece of any key may appear in a message. */
static void assert_no_key_in(const char *msg)
{
    const char *keys[] = {KEY1, KEY2, KEY3, KEY_SHORT};
    for (size_t k = 0; k < 4; k++) {
        size_t n = strlen(keys[k]);
        for (size_t i = 2; i + 16 <= n; i++) {
            char piece[17];
            memcpy(piece, keys[k] + i, 16);
            piece[16] = '\0';
            if (strstr(msg, piece))
                fail_msg("key material in the message: %s", msg);
        }
    }
}

static void config_rejects_bad_lines(void **state)
{
    (void)state;
    static char text[8192];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "%s%s\n", good, bad[i].line);
        bool ok = xfrm_config_parse(text, strlen(text), &cfg, &err);
        print_message("%s\n", err.message);
        if (ok)
            fail_msg("accepted: %s", bad[i].line);
        if (!strstr(err.message, bad[i].expect))
            fail_msg("case %zu: '%s' not in '%s'", i, bad[i].expect, err.message);
        assert_int_equal(err.line, GOOD_LINES + 1);
        char prefix[32];
        snprintf(prefix, sizeof(prefix), "line %d: ", GOOD_LINES + 1);
        assert_true(strncmp(err.message, prefix, strlen(prefix)) == 0);
        assert_no_key_in(err.message);
        /* a failed load keeps no key */
        assert_int_equal(cfg.sa_count, 0);
        for (size_t s = 0; s < XFRM_MAX_SAS; s++)
            for (size_t b = 0; b < ESP_KEYMAT_BYTES; b++)
                assert_int_equal(cfg.sas[s].keymat[b], 0);
    }
}

/* What Debian's kernel 6.1 and iproute2 list (`ip xfrm state`, then
 * `ip xfrm policy`) for SAs added with a 1024-packet window (an ESN-style
 * context) and with none, keys replaced, the second SA with the flag
 * af-unspec that strongSwan's tunnel SAs carry: a peer's listing copied
 * as is. */
static const char listing[] =
    "src 192.0.2.9 dst 192.0.2.8\n"
    "\tproto esp spi 0x00007007 reqid 7 mode tunnel\n"
    "\treplay-window 0 flag align4\n"
    "\taead rfc4106(gcm(aes)) " KEY1 " 128\n"
    "\tanti-replay esn context:\n"
    "\t seq-hi 0x0, seq 0x0, oseq-hi 0x0, oseq 0x0\n"
    "\t replay_window 1024, bitmap-length 32\n"
    "\t 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 \n"
    "\t 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 \n"
    "\t 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 \n"
    "\t 00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000 \n"
    "\tsel src 10.9.0.0/16 dst 10.8.0.0/16 \n"
    "src 192.0.2.8 dst 192.0.2.9\n"
    "\tproto esp spi 0x00006006 reqid 8 mode tunnel\n"
    "\treplay-window 0 flag af-unspec\n"
    "\taead rfc7539esp(chacha20,poly1305) " KEY2 " 128\n"
    "\tanti-replay context: seq 0x0, oseq 0x0, bitmap 0x00000000\n"
    "\tsel src 0.0.0.0/0 dst 0.0.0.0/0 \n"
    "src 10.9.0.0/16 dst 10.8.0.0/16 \n"
    "\tdir out priority 0 ptype main \n"
    "\ttmpl src 192.0.2.9 dst 192.0.2.8\n"
    "\t\tproto esp reqid 7 mode tunnel\n"
    "src 10.8.0.0/16 dst 10.9.0.0/16 \n"
    "\tdir in priority 0 ptype main \n"
    "\ttmpl src 192.0.2.8 dst 192.0.2.9\n"
    "\t\tproto esp reqid 8 mode tunnel\n"
    "# and a command line after the listing, indented: a statement of its own\n"
    "  ip xfrm policy add src 10.9.0.0/16 dst 10.7.0.0/16 dir out action block\n";

static void config_reads_linux_listing(void **state)
{
    (void)state;
    if (!xfrm_config_parse(listing, sizeof(listing) - 1, &cfg, &err))
        fail_msg("refused: %s", err.message);
    assert_int_equal(cfg.sa_count, 2);
    assert_int_equal(cfg.policy_count, 3);
    const struct esp_sa *a = &cfg.sas[0], *b = &cfg.sas[1];
    assert_int_equal(a->spi, 0x7007);
    assert_int_equal(a->reqid, 7);
    assert_int_equal(a->outer_src, 0xc0000209);
    assert_int_equal(a->outer_dst, 0xc0000208);
    assert_int_equal(a->aead, ESP_AEAD_AES256GCM);
    assert_int_equal(a->keymat[0], 0x01);
    assert_int_equal(a->keymat[35], 0x01);
    assert_true(a->has_selector);
    assert_int_equal(a->selector.src.len, 16);
    assert_int_equal(b->spi, 0x6006);
    assert_int_equal(b->aead, ESP_AEAD_CHACHA20POLY1305);
    assert_int_equal(b->keymat[0], 0xa1);
    assert_int_equal(b->selector.src.len, 0);
    assert_int_equal(cfg.sa_line[0], 1); /* a listed statement is numbered by its first line */
    assert_int_equal(cfg.sa_line[1], 13);
    assert_true(cfg.sa_outbound[0] && !cfg.sa_inbound[0]);
    assert_true(cfg.sa_inbound[1] && !cfg.sa_outbound[1]);
    assert_int_equal(cfg.policies[0].dir, XFRM_DIR_OUT);
    assert_int_equal(cfg.policies[0].line, 19);
    assert_int_equal(cfg.policies[1].dir, XFRM_DIR_IN);
    assert_int_equal(cfg.policies[1].line, 23);
    assert_true(cfg.policies[2].block);
    assert_int_equal(cfg.policies[2].line, 28);
}

/* A listed SA that has carried packets is refused, named by its first
 * line, its key hidden. */
static void config_listing_in_use_refused(void **state)
{
    (void)state;
    static char text[sizeof(listing) + 16];
    const char *at = strstr(listing, "seq 0x0, oseq 0x0, bitmap");
    assert_non_null(at);
    size_t head = (size_t)(at - listing);
    snprintf(text, sizeof(text), "%.*sseq 0x1f, %s", (int)head, listing, at + strlen("seq 0x0, "));
    assert_false(xfrm_config_parse(text, strlen(text), &cfg, &err));
    assert_non_null(strstr(err.message, "has carried packets"));
    assert_int_equal(err.line, 13);
    assert_no_key_in(err.message);
    assert_int_equal(cfg.sa_count, 0);
}

static void config_error_quotes_line_without_key(void **state)
{
    (void)state;
    const char text[] = "ip xfrm state add src 192.0.2.1 dst 192.0.2.3 proto esp spi 0x3000 "
                        "mode tunnel aead 'rfc4106(gcm(aes))' " KEY3 " 128 bogus 1\n";
    assert_false(xfrm_config_parse(text, sizeof(text) - 1, &cfg, &err));
    assert_string_equal(err.message,
                        "line 1: unknown word 'bogus' in: ip xfrm state add src 192.0.2.1 dst "
                        "192.0.2.3 proto esp spi 0x3000 mode tunnel aead rfc4106(gcm(aes)) "
                        "<key hidden> 128 bogus 1");
}

static void config_empty_and_comments(void **state)
{
    (void)state;
    const char text[] = "# nothing\n\n   \t\n# more";
    assert_true(xfrm_config_parse(text, sizeof(text) - 1, &cfg, &err));
    assert_int_equal(cfg.sa_count + cfg.policy_count, 0);
    assert_true(xfrm_config_parse("", 0, &cfg, &err));
}

static void config_addresses(void **state)
{
    (void)state;
    struct esp_prefix p;
    struct esp_addr a;
    assert_true(esp_prefix_parse("::/0", 4, &p));
    assert_int_equal(p.len, 0);
    assert_true(esp_addr_parse("::1", 3, &a));
    assert_int_equal(a.bytes[15], 1);
    assert_true(esp_addr_parse("fe80::1:2", 9, &a));
    assert_int_equal(a.bytes[0], 0xfe);
    assert_int_equal(a.bytes[13], 1);
    assert_int_equal(a.bytes[15], 2);
    assert_true(esp_addr_parse("1:2:3:4:5:6:7:8", 15, &a));
    assert_int_equal(a.bytes[15], 8);
    assert_false(esp_addr_parse("1:2:3:4:5:6:7:8:9", 17, &a));
    assert_false(esp_addr_parse("1::2::3", 7, &a));
    assert_false(esp_addr_parse("12345::", 7, &a));
    assert_false(esp_addr_parse("1.2.3", 5, &a));
    assert_false(esp_addr_parse("1.2.3.4.5", 9, &a));
    assert_false(esp_addr_parse("", 0, &a));
    assert_false(esp_prefix_parse("1.2.3.4/", 8, &p));
    assert_true(esp_prefix_parse("10.1.2.3/15", 11, &p));
    esp_addr_parse("10.0.9.9", 8, &a);
    assert_true(esp_prefix_contains(&p, &a));
    esp_addr_parse("10.2.0.0", 8, &a);
    assert_false(esp_prefix_contains(&p, &a));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(config_parses_linux_lines),
        cmocka_unit_test(config_rejects_bad_lines),
        cmocka_unit_test(config_reads_linux_listing),
        cmocka_unit_test(config_listing_in_use_refused),
        cmocka_unit_test(config_error_quotes_line_without_key),
        cmocka_unit_test(config_empty_and_comments),
        cmocka_unit_test(config_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
