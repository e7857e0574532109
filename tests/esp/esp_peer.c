/* SPDX-License-Identifier: GPL-2.0-only */
/* A host program around the wrapper and policy for interoperability
 * tests: loads an `ip xfrm` configuration and turns stdin lines into
 * stdout lines:
 *     inner HEX  ->  esp HEX    | drop REASON    (gw_from_inner)
 *     outer HEX  ->  inner HEX  | drop REASON    (gw_from_outer)
 *     stats      ->  one "sa SPI packets N bytes N drop:REASON N ..." line per SA
 * Usage: esp_peer CONFIG */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../wrappers/policy/policy.h"

#define MAX_PACKET 70000

static bool ram_reserve(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], uint64_t mark)
{
    (void)ctx, (void)id, (void)mark;
    return true;
}

static void fresh_keys(void *ctx, const uint8_t id[ESP_KEY_ID_BYTES], struct esp_seq_record *r)
{
    (void)ctx, (void)id;
    r->key_fresh = true; /* the test writes new keys for every run */
}

static size_t from_hex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;
    while (s[0] && s[1] && n < cap) {
        unsigned v;
        if (sscanf(s, "%2x", &v) != 1)
            break;
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static void put_hex(const char *tag, const uint8_t *p, size_t n)
{
    printf("%s ", tag);
    for (size_t i = 0; i < n; i++)
        printf("%02x", p[i]);
    printf("\n");
}

static void stats(const struct xfrm_config *cfg)
{
    for (size_t i = 0; i < cfg->sa_count; i++) {
        const struct esp_sa *sa = &cfg->sas[i];
        printf("sa 0x%x packets %llu bytes %llu", sa->spi, (unsigned long long)sa->count.packets,
               (unsigned long long)sa->count.bytes);
        for (int d = 1; d < ESP_DROP_COUNT; d++)
            if (sa->count.drops[d])
                printf(" drop:%s %llu", esp_drop_name(d), (unsigned long long)sa->count.drops[d]);
        printf("\n");
    }
}

int main(int argc, char **argv)
{
    static char text[65536], line[2 * MAX_PACKET + 64];
    static uint8_t in[MAX_PACKET], out[MAX_PACKET];
    static struct xfrm_config cfg;
    static struct gateway gw;
    if (argc != 2) {
        fprintf(stderr, "usage: esp_peer CONFIG\n");
        return 2;
    }
    FILE *f = fopen(argv[1], "r");
    if (!f) {
        perror(argv[1]);
        return 2;
    }
    size_t len = fread(text, 1, sizeof(text), f);
    fclose(f);
    struct xfrm_error err;
    if (!esp_crypto_init() || !xfrm_config_parse(text, len, &cfg, &err)) {
        fprintf(stderr, "esp_peer: %s\n", err.message);
        return 1;
    }
    struct esp_seq_store store = {.reserve = ram_reserve};
    size_t bad = 0;
    enum esp_start_result r = gw_start(&gw, &cfg, &store, fresh_keys, NULL, 0, &bad);
    if (r != ESP_START_OK) {
        fprintf(stderr, "esp_peer: SA on line %u: %s\n", cfg.sa_line[bad], esp_start_result_name(r));
        return 1;
    }
    printf("ready aes256gcm=%s\n", esp_aes256gcm_available() ? "yes" : "no");
    fflush(stdout);
    while (fgets(line, sizeof(line), stdin)) {
        size_t n, o;
        enum esp_drop why;
        if (strncmp(line, "inner ", 6) == 0) {
            n = from_hex(line + 6, in, sizeof(in));
            why = gw_from_inner(&gw, in, n, out, sizeof(out), &o);
            if (why == ESP_DROP_NONE)
                put_hex("esp", out, o);
        } else if (strncmp(line, "outer ", 6) == 0) {
            n = from_hex(line + 6, in, sizeof(in));
            why = gw_from_outer(&gw, in, n, out, sizeof(out), &o);
            if (why == ESP_DROP_NONE)
                put_hex("inner", out, o);
        } else if (strncmp(line, "stats", 5) == 0) {
            stats(&cfg);
            printf("end\n");
            fflush(stdout);
            continue;
        } else {
            printf("error unknown command\n");
            fflush(stdout);
            continue;
        }
        if (why != ESP_DROP_NONE)
            printf("drop %s\n", esp_drop_name(why));
        fflush(stdout);
    }
    return 0;
}
