/* SPDX-License-Identifier: GPL-2.0-only */
/* The outer side's test client: the remote peer gateway. It holds the
 * peer's view of the gateway's SAs (the same ip xfrm lines: the gateway's
 * inbound SA is its outbound one and the other way round) and the same
 * ESP library. It checks that only ESP to the peer leaves the outer side
 * (and no LAN plaintext in any frame), that the LAN's packets decrypt,
 * then sends hostile ESP of each kind and checks with DJ_GW_OP_STATS that
 * each is dropped under its reason and nothing more reaches the inner
 * side; last, PEER_PACKETS authentic packets and the end mark. */
#include "lib/component.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"

#include "gwpeer.h"
#include "wrappers/esp/esp.h"
#include "wrappers/esp/esp_aead.h"
#include "wrappers/esp/xfrm_config.h"
#include "wrappers/esp/component/esp_component.h"

#define ETH_TYPE_IPV4 0x0800
#define IPV4_HEADER 20
#define CONFIG_MAX 16384
#define WAIT_STEP_MS 100
#define HELLO_EVERY_MS 300
#define PHASE_MS 30000
#define STATS_POLL_MS 50
#define STATS_POLLS 60
#define OVERSIZED_FRAME 1900
#define BAD_PAD_BYTE 9
#define CANARY_PAGE_VA 0

static struct xfrm_config cfg;
static struct esp_sa *peer_out, *peer_in; /* the gateway's inbound and outbound SA */
static char text[CONFIG_MAX];
static uint8_t gw_mac[MAC_BYTES];
static uint8_t frame[FRAME_CAP], rx[FRAME_CAP], inner[FRAME_CAP], hello_copy[FRAME_CAP];
static size_t hello_len;
static unsigned lan_ok, lan_order_bad, not_esp, plaintext_seen, esp_bad;
static uint32_t first_seq; /* of the gateway's first ESP packet */

static bool store_reserve(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], uint64_t mark)
{
    (void)ctx, (void)id, (void)mark;
    return true;
}

/* The gateway's own lines ("gateway ...") are not ip xfrm: comments here. */
static bool load_peer_view(void)
{
    const struct dj_start_info *si = dj_start();
    if (!si->data.size || si->data.size > CONFIG_MAX)
        return false;
    memcpy(text, (const void *)(uintptr_t)si->data.va, si->data.size);
    for (size_t i = 0; i < si->data.size; i++)
        if ((i == 0 || text[i - 1] == '\n') && strncmp(text + i, "gateway", 7) == 0)
            text[i] = '#';
    struct xfrm_error err;
    if (!xfrm_config_parse(text, si->data.size, &cfg, &err)) {
        printf("gwout: config: %s\n", err.message);
        return false;
    }
    static const struct esp_seq_store store = {.reserve = store_reserve};
    struct esp_seq_record fresh = {.key_fresh = true};
    for (size_t i = 0; i < cfg.sa_count; i++) {
        if (cfg.sa_inbound[i] && !peer_out) {
            peer_out = &cfg.sas[i];
            if (esp_sa_start_outbound(peer_out, &store, &fresh, ESP_SEQ_BLOCK_DEFAULT) != ESP_START_OK)
                return false;
        } else if (cfg.sa_outbound[i] && !peer_in) {
            peer_in = &cfg.sas[i];
            if (esp_sa_start_inbound(peer_in) != ESP_START_OK)
                return false;
        }
    }
    return peer_out && peer_in;
}

static bool start_crypto(void)
{
    return dj_mem_alloc(CANARY_PAGE_VA, 0, DJ_MEM_R) == DJ_OK && esp_random_install() && esp_crypto_init();
}

/* An ESP frame from the peer to the gateway carrying src -> LAN_HOST text. */
static size_t esp_frame(uint32_t src, const char *payload, size_t payload_len)
{
    size_t n = build_udp(inner, src, LAN_HOST, payload, payload_len), out = 0;
    if (esp_encapsulate(peer_out, inner, n, frame + ETH_HEADER, sizeof(frame) - ETH_HEADER, &out) != ESP_DROP_NONE)
        return 0;
    return eth_wrap(frame, gw_mac, frame + MAC_BYTES, ETH_TYPE_IPV4, out);
}

static size_t esp_text(const char *t)
{
    return esp_frame(REMOTE_HOST, t, strlen(t));
}

static bool send_frame(struct link *l, size_t len)
{
    memcpy(frame + MAC_BYTES, l->mac, MAC_BYTES);
    return len && link_send(l, frame, len);
}

/* Everything the gateway sends on the outer side. */
static void examine(const uint8_t *f, size_t len)
{
    if (contains(f, len, MARK_LAN) || contains(f, len, MARK_SECRET))
        plaintext_seen++;
    if (len >= ETH_HEADER && get16(f + 12) == 0x0806)
        return;
    const uint8_t *ip = f + ETH_HEADER;
    if (len < ETH_HEADER + IPV4_HEADER || get16(f + 12) != ETH_TYPE_IPV4 || ip[9] != ESP_PROTO ||
        get32(ip + 12) != GW_OUTER_ADDR || get32(ip + 16) != PEER_ADDR) {
        not_esp++;
        return;
    }
    size_t ip_len = get16(ip + 2);
    struct esp_outer_view v;
    size_t out = 0;
    if (ip_len <= len - ETH_HEADER && esp_outer_parse(ip, ip_len, &v) == ESP_DROP_NONE && !first_seq)
        first_seq = v.seq;
    if (ip_len > len - ETH_HEADER || esp_outer_parse(ip, ip_len, &v) != ESP_DROP_NONE ||
        esp_decapsulate(peer_in, &v, inner, sizeof(inner), &out) != ESP_DROP_NONE) {
        esp_bad++;
        return;
    }
    size_t m = strlen(MARK_LAN);
    const uint8_t *p = inner + IPV4_HEADER + 8;
    if (out >= IPV4_HEADER + 8 + m + 2 && memcmp(p, MARK_LAN, m) == 0 && get32(inner + 12) == LAN_HOST &&
        get32(inner + 16) == REMOTE_HOST) {
        unsigned idx = (unsigned)(p[m] - '0') * 10 + (unsigned)(p[m + 1] - '0');
        lan_order_bad += idx != lan_ok;
        lan_ok++;
    } else {
        esp_bad++;
    }
}

/* HELLO until the LAN's packets flow, then all of them. */
static void exchange(struct link *l)
{
    unsigned since_hello = HELLO_EVERY_MS;
    for (unsigned waited = 0; lan_ok < LAN_PACKETS && waited < PHASE_MS;) {
        if (lan_ok == 0 && since_hello >= HELLO_EVERY_MS) {
            size_t n = esp_text(MARK_HELLO);
            if (!hello_len) {
                memcpy(hello_copy, frame, n);
                memcpy(hello_copy + MAC_BYTES, l->mac, MAC_BYTES);
                hello_len = n;
            }
            send_frame(l, n);
            since_hello = 0;
        }
        size_t len = link_receive(l, rx, sizeof(rx), WAIT_STEP_MS);
        if (len) {
            examine(rx, len);
            continue;
        }
        waited += WAIT_STEP_MS;
        since_hello += WAIT_STEP_MS;
    }
}

static uint64_t stats[DJ_GW_STATS_WORDS], before[DJ_GW_STATS_WORDS];

static uint64_t drops(const uint64_t *s, enum esp_drop d)
{
    return s[DJ_GW_STATS_FIRST_DROP + d];
}

/* Sends one hostile frame; the reason's counter must go up by one and
 * nothing more may reach the inner side. */
static void hostile(struct link *l, const char *name, size_t len, enum esp_drop expect)
{
    link_gw_stats(l, before);
    bool sent = send_frame(l, len);
    bool counted = false;
    for (unsigned i = 0; i < STATS_POLLS && sent && !counted; i++) {
        pause_ms(STATS_POLL_MS);
        counted = link_gw_stats(l, stats) && drops(stats, expect) > drops(before, expect);
    }
    char why[128];
    snprintf(why, sizeof(why), "sent %s, %s %lu -> %lu, to_inner %lu -> %lu", sent ? "yes" : "no",
             esp_drop_name(expect), (unsigned long)drops(before, expect), (unsigned long)drops(stats, expect),
             (unsigned long)before[2], (unsigned long)stats[2]);
    check(counted && drops(stats, expect) == drops(before, expect) + 1 && stats[2] == before[2], name, why);
}

/* Valid ICV, padding 1 2 changed: re-sealed with the peer's key. */
static size_t bad_padding_frame(void)
{
    size_t n = esp_frame(REMOTE_HOST, MARK_HOSTILE "-pad", 12); /* inner 40 bytes: padding 2 */
    uint8_t *esp = frame + ETH_HEADER + IPV4_HEADER, *iv = esp + 8, *body = iv + 8;
    size_t plain_len = 40 + 2 + 2;
    static uint8_t plain[64];
    if (!n || !esp_aead_open(peer_out, esp, iv, body, plain_len, body + plain_len, plain))
        return 0;
    plain[40] = BAD_PAD_BYTE;
    return esp_aead_seal(peer_out, esp, iv, plain, plain_len, body, body + plain_len) ? n : 0;
}

static size_t truncated_frame(void)
{
    size_t n = esp_text(MARK_HOSTILE "-truncated");
    uint8_t *ip = frame + ETH_HEADER;
    put16(ip + 2, IPV4_HEADER + 8 + 8 + 4); /* ESP header and IV, no ICV */
    ip_fix_checksum(ip);
    return n ? ETH_HEADER + IPV4_HEADER + 20 : 0;
}

static void hostile_traffic(struct link *l)
{
    memcpy(frame, hello_copy, hello_len);
    hostile(l, "gw_outer_hostile_replay", hello_len, ESP_DROP_REPLAY);
    size_t n = esp_text(MARK_HOSTILE "-icv");
    frame[n - 1] ^= 1; /* the ICV ends the IP packet, which ends the frame */
    hostile(l, "gw_outer_hostile_bad_icv", n, ESP_DROP_ICV);
    n = esp_text(MARK_HOSTILE "-spi");
    put32(frame + ETH_HEADER + IPV4_HEADER, 0x3000);
    hostile(l, "gw_outer_hostile_unknown_spi", n, ESP_DROP_UNKNOWN_SPI);
    hostile(l, "gw_outer_hostile_truncated", truncated_frame(), ESP_DROP_TRUNCATED);
    n = esp_text(MARK_HOSTILE "-oversized");
    memset(frame + n, 0, OVERSIZED_FRAME - n);
    hostile(l, "gw_outer_hostile_oversized", OVERSIZED_FRAME, ESP_DROP_TOO_BIG);
    hostile(l, "gw_outer_hostile_bad_padding", bad_padding_frame(), ESP_DROP_BAD_PAD);
    n = esp_frame(FOREIGN_HOST, MARK_HOSTILE "-selector", 16);
    hostile(l, "gw_outer_hostile_selector", n, ESP_DROP_SELECTOR);
    n = build_udp(frame + ETH_HEADER, PEER_ADDR, GW_OUTER_ADDR, MARK_HOSTILE "-plain", 13);
    hostile(l, "gw_outer_hostile_not_esp", eth_wrap(frame, gw_mac, l->mac, ETH_TYPE_IPV4, n), ESP_DROP_NOT_ESP);
}

static void check_inner_hostile(struct link *l)
{
    bool ok = link_gw_stats(l, stats);
    char why[200];
    snprintf(why, sizeof(why), "to_outer %lu no_policy %lu not_for_us %lu not_ip_frame %lu too_big %lu inner_malformed %lu",
             (unsigned long)stats[1], (unsigned long)drops(stats, ESP_DROP_NO_POLICY),
             (unsigned long)drops(stats, ESP_DROP_LINK_NOT_OURS), (unsigned long)drops(stats, ESP_DROP_LINK_NOT_IP),
             (unsigned long)drops(stats, ESP_DROP_TOO_BIG), (unsigned long)drops(stats, ESP_DROP_INNER_MALFORMED));
    printf("gwout: gateway counters after the LAN phase: %s\n", why);
    check(ok && stats[1] == LAN_PACKETS && drops(stats, ESP_DROP_NO_POLICY) == 1 &&
              drops(stats, ESP_DROP_LINK_NOT_OURS) == 1 && drops(stats, ESP_DROP_LINK_NOT_IP) == 1 &&
              drops(stats, ESP_DROP_TOO_BIG) == 1 && drops(stats, ESP_DROP_INNER_MALFORMED) == 1,
          "gw_inner_hostile_dropped", why);
}

static void send_peer_packets(struct link *l)
{
    link_gw_stats(l, before);
    for (unsigned i = 0; i < PEER_PACKETS; i++) {
        char t[32];
        snprintf(t, sizeof(t), MARK_PEER "%02u", i);
        send_frame(l, esp_text(t));
    }
    send_frame(l, esp_text(MARK_DONE));
    bool all = false;
    for (unsigned i = 0; i < STATS_POLLS && !all; i++) {
        pause_ms(STATS_POLL_MS);
        all = link_gw_stats(l, stats) && stats[2] >= before[2] + PEER_PACKETS + 1;
    }
    char why[64];
    snprintf(why, sizeof(why), "to_inner %lu -> %lu", (unsigned long)before[2], (unsigned long)stats[2]);
    check(all && stats[2] == before[2] + PEER_PACKETS + 1, "gw_outer_peer_delivered", why);
}

int outer_main(struct link *l)
{
    if (!start_crypto() || !load_peer_view()) {
        check(false, "gw_outer_setup", "libsodium or the peer's view of the SAs did not start");
        return 1;
    }
    check(link_learn_gateway(l, PEER_ADDR, GW_OUTER_ADDR, gw_mac), "gw_outer_arp",
          "the gateway did not answer ARP for its outer address");
    exchange(l);
    char why[128];
    snprintf(why, sizeof(why), "%u of %u decrypted, %u out of order, %u ESP that did not decrypt", lan_ok,
             LAN_PACKETS, lan_order_bad, esp_bad);
    check(lan_ok == LAN_PACKETS && lan_order_bad == 0 && esp_bad == 0, "gw_outer_lan_packets", why);
    snprintf(why, sizeof(why), "%u frames neither ESP to the peer nor ARP", not_esp);
    check(not_esp == 0, "gw_outer_only_esp", why);
    snprintf(why, sizeof(why), "%u frames carry LAN plaintext", plaintext_seen);
    check(plaintext_seen == 0, "gw_outer_no_plaintext", why);
    /* A key vouched fresh, with no mark in init: it starts at 1. */
    snprintf(why, sizeof(why), "first sequence number %u, expected 1", first_seq);
    check(first_seq == 1, "gw_outer_seq_starts_at_1", why);
    check_inner_hostile(l);
    hostile_traffic(l);
    send_peer_packets(l);
    /* Anything the gateway sent meanwhile is checked too. */
    size_t len;
    while ((len = link_receive(l, rx, sizeof(rx), WAIT_STEP_MS)) != 0)
        examine(rx, len);
    snprintf(why, sizeof(why), "%u non-ESP, %u plaintext frames", not_esp, plaintext_seen);
    check(not_esp == 0 && plaintext_seen == 0, "gw_outer_only_esp_to_the_end", why);
    return 0;
}
