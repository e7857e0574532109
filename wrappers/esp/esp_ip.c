/* SPDX-License-Identifier: GPL-2.0-only */
#include "esp_ip.h"

#include <string.h>

#include "esp.h"

uint16_t esp_ip_checksum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += get_be16(p + i);
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

enum esp_drop esp_outer_parse(const uint8_t *pkt, size_t len, struct esp_outer_view *view)
{
    if (len < IPV4_HDR_MIN)
        return ESP_DROP_TRUNCATED;
    if (pkt[0] >> 4 != 4)
        return ESP_DROP_OUTER_HEADER;
    size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
    size_t total = get_be16(pkt + 2);
    if (ihl < IPV4_HDR_MIN || total < ihl)
        return ESP_DROP_OUTER_HEADER;
    if (len < total)
        return ESP_DROP_TRUNCATED;
    if (len > total || esp_ip_checksum(pkt, ihl) != 0)
        return ESP_DROP_OUTER_HEADER;
    if (get_be16(pkt + 6) & (IPV4_FLAG_MF | IPV4_FRAG_OFFSET_MASK))
        return ESP_DROP_FRAGMENT;
    if (pkt[9] != ESP_PROTO)
        return ESP_DROP_NOT_ESP;
    size_t esp_len = total - ihl;
    /* header, IV, at least the 2 trailer bytes padded to 4, ICV */
    if (esp_len < ESP_HDR_BYTES + ESP_IV_BYTES + ESP_ALIGN + ESP_ICV_BYTES)
        return ESP_DROP_TRUNCATED;
    view->src = get_be32(pkt + 12);
    view->dst = get_be32(pkt + 16);
    view->esp = pkt + ihl;
    view->esp_len = esp_len;
    view->spi = get_be32(view->esp);
    view->seq = get_be32(view->esp + 4);
    return ESP_DROP_NONE;
}

static enum esp_drop inner_v4(const uint8_t *pkt, size_t len, struct esp_inner_view *view)
{
    if (len < IPV4_HDR_MIN)
        return ESP_DROP_INNER_MALFORMED;
    size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
    if (ihl < IPV4_HDR_MIN || ihl > len || get_be16(pkt + 2) != len ||
        esp_ip_checksum(pkt, ihl) != 0)
        return ESP_DROP_INNER_MALFORMED;
    memset(view, 0, sizeof(*view));
    view->src.family = view->dst.family = ESP_AF_INET;
    memcpy(view->src.bytes, pkt + 12, 4);
    memcpy(view->dst.bytes, pkt + 16, 4);
    view->proto = pkt[9];
    return ESP_DROP_NONE;
}

static enum esp_drop inner_v6(const uint8_t *pkt, size_t len, struct esp_inner_view *view)
{
    if (len < IPV6_HDR_BYTES || (size_t)get_be16(pkt + 4) + IPV6_HDR_BYTES != len)
        return ESP_DROP_INNER_MALFORMED;
    memset(view, 0, sizeof(*view));
    view->src.family = view->dst.family = ESP_AF_INET6;
    memcpy(view->src.bytes, pkt + 8, 16);
    memcpy(view->dst.bytes, pkt + 24, 16);
    view->proto = pkt[6];
    return ESP_DROP_NONE;
}

enum esp_drop esp_inner_parse(const uint8_t *pkt, size_t len, struct esp_inner_view *view)
{
    if (len == 0)
        return ESP_DROP_INNER_MALFORMED;
    switch (pkt[0] >> 4) {
    case 4:
        return inner_v4(pkt, len, view);
    case 6:
        return inner_v6(pkt, len, view);
    default:
        return ESP_DROP_INNER_MALFORMED;
    }
}
