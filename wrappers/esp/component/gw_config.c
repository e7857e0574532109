/* SPDX-License-Identifier: GPL-2.0-only */
/* The gateway's configuration: the text of its data= boot module
 * (docs/gateway.md, "The gateway component"). Lines starting with the
 * word "gateway" are the component's own; every other line goes to the
 * ip xfrm parser (xfrm_config.c). The text holds keys: it is copied once
 * into a private buffer, parsed, and the buffer wiped; no message quotes
 * a key (the xfrm parser hides them, the gateway lines hold none). */
#include <stdio.h>
#include <string.h>

#include "../esp_aead.h"
#include "gw.h"

#define CONFIG_MAX 16384
#define WORDS_MAX 12
#define STATUS_SECONDS_DEFAULT 5
#define STATUS_SECONDS_MAX 3600

static char text_copy[CONFIG_MAX + 1];

struct words {
    const char *w[WORDS_MAX];
    size_t len[WORDS_MAX];
    unsigned n;
    bool overflow; /* more than WORDS_MAX words: never silently cut */
};

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r';
}

static void split(const char *line, size_t len, struct words *ws)
{
    ws->n = 0;
    ws->overflow = false;
    size_t i = 0;
    while (i < len) {
        while (i < len && is_blank(line[i]))
            i++;
        if (i == len || line[i] == '#')
            break;
        if (ws->n == WORDS_MAX) {
            ws->overflow = true;
            break;
        }
        size_t start = i;
        while (i < len && !is_blank(line[i]))
            i++;
        ws->w[ws->n] = line + start;
        ws->len[ws->n++] = i - start;
    }
}

static bool word_is(const struct words *ws, unsigned i, const char *s)
{
    return i < ws->n && ws->len[i] == strlen(s) && memcmp(ws->w[i], s, ws->len[i]) == 0;
}

static bool ipv4_word(const struct words *ws, unsigned i, uint32_t *out)
{
    struct esp_addr a;
    if (i >= ws->n || !esp_addr_parse(ws->w[i], ws->len[i], &a) || a.family != ESP_AF_INET)
        return false;
    *out = esp_addr_v4(&a);
    return true;
}

static bool number_word(const struct words *ws, unsigned i, uint32_t max, uint32_t *out)
{
    if (i >= ws->n || ws->len[i] == 0 || ws->len[i] > 10)
        return false;
    uint64_t v = 0;
    for (size_t k = 0; k < ws->len[i]; k++) {
        char c = ws->w[i][k];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (uint64_t)(c - '0');
    }
    if (v > max)
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool fail(unsigned line, const char *why)
{
    printf("esp: config line %u: %s\n", line, why);
    return false;
}

/* gateway inner|outer client NAME [address A] [neighbor A] */
static bool side_line(const struct words *ws, unsigned line, enum gw_side s)
{
    struct gw_link *l = &gws.side[s];
    for (unsigned i = 2; i < ws->n; i += 2) {
        if (i + 1 >= ws->n)
            return fail(line, "a gateway side word without its value");
        if (word_is(ws, i, "client")) {
            if (ws->len[i + 1] == 0 || ws->len[i + 1] >= sizeof(l->client))
                return fail(line, "client: a component name of at most 15 characters");
            memcpy(l->client, ws->w[i + 1], ws->len[i + 1]);
            l->client[ws->len[i + 1]] = '\0';
        } else if (word_is(ws, i, "address")) {
            if (!ipv4_word(ws, i + 1, &l->own_addr))
                return fail(line, "address: not an IPv4 address");
        } else if (word_is(ws, i, "neighbor")) {
            if (!ipv4_word(ws, i + 1, &l->neighbor))
                return fail(line, "neighbor: not an IPv4 address");
        } else {
            return fail(line, "unknown gateway side word (client, address, neighbor)");
        }
    }
    return true;
}

static bool gateway_line(const struct words *ws, unsigned line)
{
    if (ws->overflow)
        return fail(line, "too many words for a gateway line");
    if (word_is(ws, 1, "inner"))
        return side_line(ws, line, GW_INNER);
    if (word_is(ws, 1, "outer"))
        return side_line(ws, line, GW_OUTER);
    if (word_is(ws, 1, "keys") && word_is(ws, 2, "fresh") && ws->n == 3) {
        gws.set.keys_fresh = true;
        return true;
    }
    if (word_is(ws, 1, "status-every") && ws->n == 3) {
        if (!number_word(ws, 2, STATUS_SECONDS_MAX, &gws.set.status_seconds))
            return fail(line, "status-every: seconds, 0..3600");
        return true;
    }
    return fail(line, "unknown gateway line (inner, outer, keys fresh, status-every)");
}

/* Takes the gateway lines out of the text (each becomes a comment). */
static bool gateway_lines(char *text, size_t len)
{
    unsigned line = 1;
    for (size_t i = 0; i < len; line++) {
        size_t end = i;
        while (end < len && text[end] != '\n')
            end++;
        struct words ws;
        split(text + i, end - i, &ws);
        if (word_is(&ws, 0, "gateway")) {
            if (!gateway_line(&ws, line))
                return false;
            text[ws.w[0] - text] = '#';
        }
        i = end + 1;
    }
    return true;
}

/* The outer side's defaults: the first outbound SA's end points. */
static bool complete_sides(void)
{
    struct gw_link *in = &gws.side[GW_INNER], *out = &gws.side[GW_OUTER];
    for (size_t i = 0; i < gws.cfg.sa_count; i++) {
        if (!gws.cfg.sa_outbound[i])
            continue;
        if (!out->own_addr)
            out->own_addr = gws.cfg.sas[i].outer_src;
        if (!out->neighbor)
            out->neighbor = gws.cfg.sas[i].outer_dst;
        break;
    }
    if (!in->client[0] || !out->client[0]) {
        printf("esp: config: both 'gateway inner client NAME' and 'gateway outer client NAME' are needed\n");
        return false;
    }
    /* Without its own address the inner side never learns its neighbor
     * (only ARP to that address teaches it): refuse rather than drop all. */
    if (!in->own_addr || !in->neighbor) {
        printf("esp: config: the inner side needs 'address A.B.C.D' and 'neighbor A.B.C.D'\n");
        return false;
    }
    if (!out->neighbor || !out->own_addr) {
        printf("esp: config: the outer side needs an outbound SA or its own 'address' and 'neighbor'\n");
        return false;
    }
    return true;
}

bool gw_config_load(const char *text, uint64_t size)
{
    gws.set.status_seconds = STATUS_SECONDS_DEFAULT;
    gws.set.seq_block = ESP_SEQ_BLOCK_DEFAULT;
    if (size > CONFIG_MAX) {
        printf("esp: config: %lu bytes, more than %u\n", (unsigned long)size, CONFIG_MAX);
        return false;
    }
    memcpy(text_copy, text, size);
    bool ok = gateway_lines(text_copy, size);
    struct xfrm_error err;
    if (ok && !xfrm_config_parse(text_copy, size, &gws.cfg, &err)) {
        printf("esp: config: %s\n", err.message);
        ok = false;
    }
    esp_aead_wipe(text_copy, sizeof(text_copy));
    return ok && complete_sides();
}
