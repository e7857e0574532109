/* SPDX-License-Identifier: GPL-2.0-only */
#include "esp_addr.h"
#include "xfrm_text.h"

#include <string.h>

static bool parse_v4(const char *t, size_t n, uint8_t out[4])
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part > 0) {
            if (i >= n || t[i] != '.')
                return false;
            i++;
        }
        unsigned v = 0, digits = 0;
        while (i < n && t[i] >= '0' && t[i] <= '9' && digits < 4) {
            v = v * 10 + (unsigned)(t[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || digits > 3 || v > 255)
            return false;
        out[part] = (uint8_t)v;
    }
    return i == n;
}

/* Parses groups "h:h:h" into words; returns the count or -1. */
static int parse_v6_groups(const char *t, size_t n, uint16_t *words, int max)
{
    int count = 0;
    size_t i = 0;
    if (n == 0)
        return 0;
    for (;;) {
        unsigned v = 0, digits = 0;
        while (i < n && xfrm_hex_digit(t[i]) >= 0) {
            v = v * 16 + (unsigned)xfrm_hex_digit(t[i]);
            i++;
            if (++digits > 4)
                return -1;
        }
        if (digits == 0 || count >= max)
            return -1;
        words[count++] = (uint16_t)v;
        if (i == n)
            return count;
        if (t[i] != ':')
            return -1;
        i++;
    }
}

static bool parse_v6(const char *t, size_t n, uint8_t out[16])
{
    uint16_t head[8], tail[8];
    int nh, nt = 0;
    size_t gap = n;
    for (size_t i = 0; i + 1 < n; i++) {
        if (t[i] == ':' && t[i + 1] == ':') {
            gap = i;
            break;
        }
    }
    if (gap == n) {
        nh = parse_v6_groups(t, n, head, 8);
        if (nh != 8)
            return false;
    } else {
        nh = parse_v6_groups(t, gap, head, 7);
        nt = parse_v6_groups(t + gap + 2, n - gap - 2, tail, 7);
        if (nh < 0 || nt < 0 || nh + nt > 7)
            return false;
    }
    memset(out, 0, 16);
    for (int k = 0; k < nh; k++) {
        out[2 * k] = (uint8_t)(head[k] >> 8);
        out[2 * k + 1] = (uint8_t)head[k];
    }
    for (int k = 0; k < nt; k++) {
        int w = 8 - nt + k;
        out[2 * w] = (uint8_t)(tail[k] >> 8);
        out[2 * w + 1] = (uint8_t)tail[k];
    }
    return true;
}

bool esp_addr_parse(const char *text, size_t n, struct esp_addr *out)
{
    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        if (text[i] == ':') {
            out->family = ESP_AF_INET6;
            return parse_v6(text, n, out->bytes);
        }
    }
    out->family = ESP_AF_INET;
    return parse_v4(text, n, out->bytes);
}

bool esp_prefix_parse(const char *text, size_t n, struct esp_prefix *out)
{
    size_t slash = n;
    for (size_t i = 0; i < n; i++) {
        if (text[i] == '/') {
            slash = i;
            break;
        }
    }
    if (!esp_addr_parse(text, slash, &out->addr))
        return false;
    unsigned max = out->addr.family == ESP_AF_INET ? 32 : 128;
    if (slash == n) {
        out->len = (uint8_t)max;
        return true;
    }
    unsigned v = 0;
    size_t digits = n - slash - 1;
    if (digits == 0 || digits > 3)
        return false;
    for (size_t i = slash + 1; i < n; i++) {
        if (text[i] < '0' || text[i] > '9')
            return false;
        v = v * 10 + (unsigned)(text[i] - '0');
    }
    if (v > max)
        return false;
    out->len = (uint8_t)v;
    /* ip xfrm keeps host bits as written; the match ignores them */
    return true;
}

bool esp_prefix_contains(const struct esp_prefix *p, const struct esp_addr *a)
{
    if (p->addr.family != a->family)
        return false;
    unsigned full = p->len / 8, rest = p->len % 8;
    if (memcmp(p->addr.bytes, a->bytes, full) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (p->addr.bytes[full] & mask) == (a->bytes[full] & mask);
}

bool esp_selector_matches(const struct esp_selector *s, const struct esp_addr *src,
                          const struct esp_addr *dst, uint8_t proto)
{
    if (s->proto != ESP_PROTO_ANY && s->proto != proto)
        return false;
    return esp_prefix_contains(&s->src, src) && esp_prefix_contains(&s->dst, dst);
}

uint32_t esp_addr_v4(const struct esp_addr *a)
{
    return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
           (uint32_t)a->bytes[2] << 8 | a->bytes[3];
}

void esp_addr_set_v4(struct esp_addr *a, uint32_t v)
{
    memset(a, 0, sizeof(*a));
    a->family = ESP_AF_INET;
    a->bytes[0] = (uint8_t)(v >> 24);
    a->bytes[1] = (uint8_t)(v >> 16);
    a->bytes[2] = (uint8_t)(v >> 8);
    a->bytes[3] = (uint8_t)v;
}
