/* SPDX-License-Identifier: GPL-2.0-only */
/* Cost of one 1400-byte packet through the wrapper and policy, each AEAD,
 * each way: "BENCH esp_encrypt_1400B_<aead> N tsc" lines (under QEMU's
 * -icount shift=0 the TSC counts instructions, as tools/bench reads it). */
#include <stdio.h>
#include <string.h>

#include "../../policy/policy.h"
#include "../esp_ip.h"
#include "esp_bench.h"

#define BENCH_PACKETS 64
#define BENCH_INNER 1400
#define BENCH_BUF 1600

static struct xfrm_config cfg_tx, cfg_rx;
static struct gateway gw_tx, gw_rx;
static uint8_t inner[BENCH_INNER], packets[BENCH_PACKETS][BENCH_BUF], out[BENCH_BUF];
static size_t packet_len[BENCH_PACKETS];

static uint64_t tsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

static bool reserve(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], uint64_t mark)
{
    (void)ctx, (void)id, (void)mark;
    return true;
}

static void fresh(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], struct esp_seq_record *r)
{
    (void)ctx, (void)id;
    r->key_fresh = true;
}

static bool load(struct xfrm_config *cfg, struct gateway *gw, const char *text)
{
    static struct xfrm_error err;
    size_t n = 0;
    while (text[n])
        n++;
    if (!xfrm_config_parse(text, n, cfg, &err)) {
        printf("esp: bench configuration: %s\n", err.message);
        return false;
    }
    struct esp_seq_store store = {.reserve = reserve};
    size_t bad;
    return gw_start(gw, cfg, &store, fresh, NULL, 0, &bad) == ESP_START_OK;
}

static void make_inner(void)
{
    memset(inner, 0x5a, sizeof(inner));
    inner[0] = 0x45;
    put_be16(inner + 2, BENCH_INNER);
    inner[8] = 64;
    inner[9] = 17;
    put_be32(inner + 12, 0x0a010005);
    put_be32(inner + 16, 0x0a020007);
    put_be16(inner + 10, 0);
    put_be16(inner + 10, esp_ip_checksum(inner, 20));
}

#define STATE(aead, key)                                                                     \
    "state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel aead '" \
    aead "' " key " 128\n"
#define POLICY(dir)                                                                          \
    "policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir " dir " tmpl src 192.0.2.1 dst 192.0.2.2 " \
    "proto esp reqid 1 mode tunnel\n"
#define BENCH_KEY "0x" "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff01020304"

static void bench_one(const char *short_name, const char *tx_text, const char *rx_text)
{
    if (!load(&cfg_tx, &gw_tx, tx_text) || !load(&cfg_rx, &gw_rx, rx_text)) {
        printf("esp: bench %s: the SAs did not start\n", short_name);
        return;
    }
    uint64_t start = tsc();
    for (int i = 0; i < BENCH_PACKETS; i++)
        gw_from_inner(&gw_tx, inner, sizeof(inner), packets[i], BENCH_BUF, &packet_len[i]);
    uint64_t encrypt = (tsc() - start) / BENCH_PACKETS;
    unsigned ok = 0;
    size_t n;
    start = tsc();
    for (int i = 0; i < BENCH_PACKETS; i++)
        ok += gw_from_outer(&gw_rx, packets[i], packet_len[i], out, sizeof(out), &n) == ESP_DROP_NONE;
    uint64_t decrypt = (tsc() - start) / BENCH_PACKETS;
    if (ok != BENCH_PACKETS) {
        printf("esp: bench %s: only %u of %d packets decrypted\n", short_name, ok, BENCH_PACKETS);
        return;
    }
    printf("BENCH esp_encrypt_1400B_%s %llu tsc\n", short_name, (unsigned long long)encrypt);
    printf("BENCH esp_decrypt_1400B_%s %llu tsc\n", short_name, (unsigned long long)decrypt);
}

void esp_bench_run(void)
{
    make_inner();
    if (esp_aes256gcm_available())
        bench_one("gcm", STATE("rfc4106(gcm(aes))", BENCH_KEY) POLICY("out"),
                  STATE("rfc4106(gcm(aes))", BENCH_KEY) POLICY("in"));
    bench_one("chacha", STATE("rfc7539esp(chacha20,poly1305)", BENCH_KEY) POLICY("out"),
              STATE("rfc7539esp(chacha20,poly1305)", BENCH_KEY) POLICY("in"));
    struct xfrm_error err; /* wipe the keys */
    xfrm_config_parse("", 0, &cfg_tx, &err);
    xfrm_config_parse("", 0, &cfg_rx, &err);
}
