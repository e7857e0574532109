/* SPDX-License-Identifier: GPL-2.0-only */
/* netself's configuration (args.h). */
#include "args.h"
#include <stdio.h>
#include <string.h>

#define IPV4_OCTETS 4
#define OCTET_MAX 255
#define OCTET_DIGITS_MAX 3

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool netself_parse_ipv4(const char *s, size_t len, uint32_t *ip)
{
    uint32_t value = 0;
    size_t i = 0;
    for (unsigned octet = 0; octet < IPV4_OCTETS; octet++) {
        if (octet > 0) {
            if (i >= len || s[i] != '.')
                return false;
            i++;
        }
        unsigned n = 0, digits = 0;
        while (i < len && is_digit(s[i]) && digits < OCTET_DIGITS_MAX) {
            n = n * 10 + (unsigned)(s[i] - '0');
            i++;
            digits++;
        }
        if (digits == 0 || n > OCTET_MAX)
            return false;
        value = value << 8 | n;
    }
    if (i != len)
        return false;
    *ip = value;
    return true;
}

void netself_format_ipv4(uint32_t ip, char *buf)
{
    snprintf(buf, NETSELF_IPV4_TEXT_MAX, "%u.%u.%u.%u", (unsigned)(ip >> 24), (unsigned)(ip >> 16 & 0xff),
             (unsigned)(ip >> 8 & 0xff), (unsigned)(ip & 0xff));
}

/* A component name as init allows it: a lower-case letter, then
 * lower-case letters, digits, '_' and '-'. */
static bool name_valid(const char *s, size_t len)
{
    if (len == 0 || len >= NETSELF_NAME_MAX || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (size_t i = 1; i < len; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || is_digit(c) || c == '_' || c == '-'))
            return false;
    }
    return true;
}

/* The first c in [s, s + len), or NULL (the runtime has no memchr). */
static const char *find_char(const char *s, size_t len, char c)
{
    for (size_t i = 0; i < len; i++)
        if (s[i] == c)
            return s + i;
    return NULL;
}

static bool key_is(const char *key, size_t key_len, const char *want)
{
    return key_len == strlen(want) && memcmp(key, want, key_len) == 0;
}

/* One KEY=VALUE item; *seen_* catch repeats. */
static bool parse_item(const char *item, size_t len, struct netself_args *out, bool *seen_ip, bool *seen_nic,
                       char *why, size_t why_len)
{
    const char *eq = find_char(item, len, '=');
    if (!eq) {
        snprintf(why, why_len, "'%.*s': not KEY=VALUE", (int)len, item);
        return false;
    }
    size_t key_len = (size_t)(eq - item), value_len = len - key_len - 1;
    const char *value = eq + 1;
    if (key_is(item, key_len, "ip")) {
        if (*seen_ip || !netself_parse_ipv4(value, value_len, &out->ip)) {
            snprintf(why, why_len, *seen_ip ? "ip given twice" : "ip=%.*s: not an IPv4 address A.B.C.D",
                     (int)value_len, value);
            return false;
        }
        *seen_ip = true;
        return true;
    }
    if (key_is(item, key_len, "nic")) {
        if (*seen_nic || !name_valid(value, value_len)) {
            snprintf(why, why_len, *seen_nic ? "nic given twice" : "nic=%.*s: not a component name",
                     (int)value_len, value);
            return false;
        }
        memcpy(out->nic, value, value_len);
        out->nic[value_len] = '\0';
        *seen_nic = true;
        return true;
    }
    snprintf(why, why_len, "unknown key '%.*s'", (int)key_len, item);
    return false;
}

bool netself_parse_args(const char *arg, size_t len, struct netself_args *out, char *why, size_t why_len)
{
    bool seen_ip = false, seen_nic = false;
    *out = (struct netself_args){0};
    len = strnlen(arg, len);
    size_t start = 0;
    while (start <= len && len > 0) {
        const char *comma = find_char(arg + start, len - start, ',');
        size_t end = comma ? (size_t)(comma - arg) : len;
        if (end == start) {
            snprintf(why, why_len, "empty item in '%.*s'", (int)len, arg);
            return false;
        }
        if (!parse_item(arg + start, end - start, out, &seen_ip, &seen_nic, why, why_len))
            return false;
        start = end + 1;
    }
    if (!seen_ip) {
        snprintf(why, why_len, "no ip=A.B.C.D in arg=");
        return false;
    }
    return true;
}
