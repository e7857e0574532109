// host-test-sources: tests/components/netself/args.c tests/components/netself/report.c tests/components/netself/responder.c tests/components/netself/inet_checksum.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* netself's configuration (arg=) and its counter lines: strict parsing of
 * hostile text, bounded output. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "tests/components/netself/args.h"
#include "tests/components/netself/report.h"

#define WHY_MAX 96

static bool parse(const char *s, struct netself_args *a, char *why)
{
    return netself_parse_args(s, strlen(s), a, why, WHY_MAX);
}

static void args_valid(void **state)
{
    (void)state;
    struct netself_args a;
    char why[WHY_MAX];
    assert_true(parse("ip=10.0.1.2", &a, why));
    assert_int_equal(a.ip, 0x0a000102);
    assert_string_equal(a.nic, "");
    assert_true(parse("nic=nic-virtio,ip=192.168.255.0", &a, why));
    assert_int_equal(a.ip, 0xc0a8ff00);
    assert_string_equal(a.nic, "nic-virtio");
    assert_true(parse("ip=0.0.0.0,nic=a", &a, why));
    assert_true(parse("ip=255.255.255.255,nic=abcdefghijklmno", &a, why)); /* 15 characters */
    assert_string_equal(a.nic, "abcdefghijklmno");
}

static void args_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", ",", "ip", "ip=", "ip=10.0.1", "ip=10.0.1.2.3", "ip=10.0.1.256", "ip=1000.0.1.2", "ip=10..1.2",
        "ip=10.0.1.2 ", " ip=10.0.1.2", "ip=+1.0.1.2", "ip=10.0.1.-2", "ip=a.b.c.d", "ip=10.0.1.2,",
        ",ip=10.0.1.2", "ip=10.0.1.2,,nic=x", "ip=10.0.1.2,ip=10.0.1.3", "nic=x", "ip=10.0.1.2,nic=",
        "ip=10.0.1.2,nic=Upper", "ip=10.0.1.2,nic=1abc", "ip=10.0.1.2,nic=abcdefghijklmnop",
        "ip=10.0.1.2,nic=a b", "ip=10.0.1.2,nic=x,nic=y", "ip=10.0.1.2,colour=blue", "=10.0.1.2",
        "ip=10.0.1.2,mtu", "IP=10.0.1.2", "ip=0x0a.0.1.2",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct netself_args a;
        char why[WHY_MAX] = "";
        if (parse(bad[i], &a, why))
            fail_msg("'%s' accepted", bad[i]);
        assert_true(strlen(why) > 0);
    }
}

static void args_bounded_by_length(void **state)
{
    (void)state;
    /* not NUL-terminated within len: only len bytes count */
    static const char text[] = "ip=10.0.1.29999";
    struct netself_args a;
    char why[WHY_MAX];
    assert_true(netself_parse_args(text, strlen("ip=10.0.1.2"), &a, why, WHY_MAX));
    assert_int_equal(a.ip, 0x0a000102);
    /* a NUL before len ends the text */
    assert_true(netself_parse_args("ip=1.2.3.4\0junk", 15, &a, why, WHY_MAX));
    assert_int_equal(a.ip, 0x01020304);
    /* a tiny reason buffer still gets a terminated reason */
    char small[4];
    assert_false(netself_parse_args("bogus", 5, &a, small, sizeof(small)));
    assert_int_equal(small[3], '\0');
}

static void ipv4_text_round_trip(void **state)
{
    (void)state;
    static const uint32_t ips[] = {0, 0x0a000102, 0xffffffff, 0x7f000001, 0xc0a80164};
    for (size_t i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
        char buf[NETSELF_IPV4_TEXT_MAX];
        uint32_t back = 1;
        netself_format_ipv4(ips[i], buf);
        assert_true(netself_parse_ipv4(buf, strlen(buf), &back));
        assert_int_equal(back, ips[i]);
    }
    char buf[NETSELF_IPV4_TEXT_MAX];
    netself_format_ipv4(0xffffffff, buf);
    assert_string_equal(buf, "255.255.255.255");
}

static void counts_line(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    c.rx_frames = 1003;
    c.rx_bytes = 99999;
    c.arp_replies = 1;
    c.echo_replies = 1000;
    c.stats_requests = 2;
    c.tx_frames = 1003;
    c.ignored[NETSELF_IGN_ETHERTYPE] = 3;
    c.ignored[NETSELF_IGN_IP_CHECKSUM] = 4;
    char buf[512];
    size_t n = netself_format_counts(buf, sizeof(buf), &c);
    assert_int_equal(n, strlen(buf));
    assert_string_equal(buf, "rx=1003 rx_bytes=99999 arp=1 echo=1000 stats=2 tx=1003 tx_full=0 ignored=7 "
                             "ign_ethertype=3 ign_ip_checksum=4");
}

static void lines_cut_to_buffer(void **state)
{
    (void)state;
    struct netself_counts c = {0};
    for (unsigned i = 0; i < NETSELF_IGN_COUNT; i++)
        c.ignored[i] = UINT64_MAX / NETSELF_IGN_COUNT;
    uint64_t stats[DJ_NIC_STAT_COUNT];
    for (unsigned i = 0; i < DJ_NIC_STAT_COUNT; i++)
        stats[i] = UINT64_MAX - i;
    for (size_t cap = 0; cap < 64; cap++) {
        char *buf = malloc(cap ? cap : 1);
        size_t n = netself_format_counts(buf, cap, &c);
        if (cap) {
            assert_true(n < cap);
            assert_int_equal(strlen(buf), n);
        } else {
            assert_int_equal(n, 0);
        }
        n = netself_format_nic_stats(buf, cap, stats);
        if (cap)
            assert_int_equal(strlen(buf), n);
        free(buf);
    }
}

static void nic_stats_line(void **state)
{
    (void)state;
    uint64_t s[DJ_NIC_STAT_COUNT] = {0};
    s[DJ_NIC_STAT_RX_FRAMES] = 5;
    s[DJ_NIC_STAT_TX_FRAMES] = 4;
    s[DJ_NIC_STAT_WORK_TSC] = 123456;
    char buf[512];
    netself_format_nic_stats(buf, sizeof(buf), s);
    assert_string_equal(buf, "nic_rx=5 nic_rx_bytes=0 nic_rx_dropped=0 nic_rx_errors=0 nic_tx=4 nic_tx_bytes=0 "
                             "nic_tx_dropped=0 nic_irqs=0 nic_work_tsc=123456");
}

/* Collects the pieces netself_wrap_report hands out, one per line. */
struct pieces {
    char all[4096];
    size_t len;
    unsigned count;
    size_t longest;
};

static void collect(const char *piece, size_t len, void *ctx)
{
    struct pieces *p = ctx;
    assert_true(p->len + len + 1 < sizeof(p->all));
    memcpy(p->all + p->len, piece, len);
    p->len += len;
    p->all[p->len++] = '\n';
    p->all[p->len] = '\0';
    p->count++;
    if (len > p->longest)
        p->longest = len;
}

static void report_wrapped_at_words(void **state)
{
    (void)state;
    struct pieces p = {0};
    netself_wrap_report("counts a=1 bb=22 ccc=333\nnic x=1 y=2", 16, collect, &p);
    assert_string_equal(p.all, "counts a=1 bb=22\ncounts ccc=333\nnic x=1 y=2\n");
    assert_int_equal(p.count, 3);

    /* a real report: every piece within the width, every word kept */
    struct netself_counts c = {0};
    for (unsigned i = 0; i < NETSELF_IGN_COUNT; i++)
        c.ignored[i] = 1000000007ull * (i + 1);
    uint64_t stats[DJ_NIC_STAT_COUNT];
    for (unsigned i = 0; i < DJ_NIC_STAT_COUNT; i++)
        stats[i] = UINT64_MAX - i;
    char text[2048] = "counts ";
    size_t n = strlen(text);
    n += netself_format_counts(text + n, sizeof(text) - n, &c);
    n += (size_t)snprintf(text + n, sizeof(text) - n, "\nnic ");
    netself_format_nic_stats(text + n, sizeof(text) - n, stats);
    memset(&p, 0, sizeof(p));
    netself_wrap_report(text, 140, collect, &p);
    assert_true(p.longest <= 140);
    assert_true(p.count > 2);
    char *words = strdup(text), *save = NULL;
    for (char *w = strtok_r(words, " \n", &save); w; w = strtok_r(NULL, " \n", &save))
        assert_non_null(strstr(p.all, w));
    free(words);
}

static void report_wrap_edge_cases(void **state)
{
    (void)state;
    struct pieces p = {0};
    netself_wrap_report("", 16, collect, &p);
    assert_int_equal(p.count, 0);
    netself_wrap_report("\n\n", 16, collect, &p);
    assert_int_equal(p.count, 0);
    netself_wrap_report("kw averyveryverylongword z=1", 10, collect, &p);
    assert_string_equal(p.all, "kw averyve\nkw z=1\n"); /* a word too long for a piece goes out cut */
    memset(&p, 0, sizeof(p));
    netself_wrap_report("keywordtoolong a=1", 5, collect, &p);
    assert_string_equal(p.all, "keywo\n");
    memset(&p, 0, sizeof(p));
    netself_wrap_report("kw   a=1  ", 1000, collect, &p); /* width clamped to NETSELF_WRAP_MAX */
    assert_string_equal(p.all, "kw a=1\n");
    memset(&p, 0, sizeof(p));
    netself_wrap_report("kw a=1", 1, collect, &p);
    assert_int_equal(p.count, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(args_valid),
        cmocka_unit_test(args_invalid),
        cmocka_unit_test(args_bounded_by_length),
        cmocka_unit_test(ipv4_text_round_trip),
        cmocka_unit_test(counts_line),
        cmocka_unit_test(lines_cut_to_buffer),
        cmocka_unit_test(nic_stats_line),
        cmocka_unit_test(report_wrapped_at_words),
        cmocka_unit_test(report_wrap_edge_cases),
    };
    return cmocka_run_group_tests_name("netself_args", tests, NULL, NULL);
}
