/* SPDX-License-Identifier: GPL-2.0-only */
/* Addresses and traffic selectors (IPv4 and IPv6) for the ESP wrapper. */
#ifndef ESP_ADDR_H
#define ESP_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESP_AF_INET 4
#define ESP_AF_INET6 6
#define ESP_PROTO_ANY 0 /* selector: any upper protocol */

struct esp_addr {
    uint8_t family;    /* ESP_AF_INET or ESP_AF_INET6 */
    uint8_t bytes[16]; /* network order; IPv4 in the first 4 */
};

struct esp_prefix {
    struct esp_addr addr;
    uint8_t len; /* prefix length in bits */
};

struct esp_selector {
    struct esp_prefix src, dst;
    uint8_t proto; /* ESP_PROTO_ANY or an IP protocol number */
};

/* Parses "a.b.c.d" or an IPv6 text address (with "::"), the whole of
 * text[0..n). */
bool esp_addr_parse(const char *text, size_t n, struct esp_addr *out);
/* "ADDR" or "ADDR/LEN"; without /LEN the prefix is the full address. */
bool esp_prefix_parse(const char *text, size_t n, struct esp_prefix *out);
bool esp_prefix_contains(const struct esp_prefix *p, const struct esp_addr *a);
bool esp_selector_matches(const struct esp_selector *s, const struct esp_addr *src,
                          const struct esp_addr *dst, uint8_t proto);
uint32_t esp_addr_v4(const struct esp_addr *a); /* host order */
void esp_addr_set_v4(struct esp_addr *a, uint32_t host_order);

#endif
