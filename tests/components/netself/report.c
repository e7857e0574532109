/* SPDX-License-Identifier: GPL-2.0-only */
/* netself's counter lines (report.h). */
#include "report.h"
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Appends to buf at *pos; once full, *pos stays at cap - 1. */
__attribute__((format(printf, 4, 5))) static void append(char *buf, size_t cap, size_t *pos, const char *fmt, ...)
{
    if (cap == 0 || *pos >= cap - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *pos, cap - *pos, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    *pos = (size_t)n < cap - *pos ? *pos + (size_t)n : cap - 1;
}

size_t netself_format_counts(char *buf, size_t cap, const struct netself_counts *c)
{
    size_t pos = 0;
    uint64_t ignored = 0;
    for (unsigned i = 0; i < NETSELF_IGN_COUNT; i++)
        ignored += c->ignored[i];
    if (cap)
        buf[0] = '\0';
    append(buf, cap, &pos, "rx=%lu rx_bytes=%lu arp=%lu echo=%lu stats=%lu tx=%lu tx_full=%lu ignored=%lu",
           (unsigned long)c->rx_frames, (unsigned long)c->rx_bytes, (unsigned long)c->arp_replies,
           (unsigned long)c->echo_replies, (unsigned long)c->stats_requests, (unsigned long)c->tx_frames,
           (unsigned long)c->tx_full, (unsigned long)ignored);
    for (unsigned i = 0; i < NETSELF_IGN_COUNT; i++)
        if (c->ignored[i])
            append(buf, cap, &pos, " ign_%s=%lu", netself_ignore_name((enum netself_ignore)i),
                   (unsigned long)c->ignored[i]);
    return pos;
}

static const char *const nic_stat_names[DJ_NIC_STAT_COUNT] = {
    [DJ_NIC_STAT_RX_FRAMES] = "nic_rx",
    [DJ_NIC_STAT_RX_BYTES] = "nic_rx_bytes",
    [DJ_NIC_STAT_RX_DROPPED] = "nic_rx_dropped",
    [DJ_NIC_STAT_RX_ERRORS] = "nic_rx_errors",
    [DJ_NIC_STAT_TX_FRAMES] = "nic_tx",
    [DJ_NIC_STAT_TX_BYTES] = "nic_tx_bytes",
    [DJ_NIC_STAT_TX_DROPPED] = "nic_tx_dropped",
    [DJ_NIC_STAT_IRQS] = "nic_irqs",
    [DJ_NIC_STAT_WORK_TSC] = "nic_work_tsc",
};

size_t netself_format_nic_stats(char *buf, size_t cap, const uint64_t stats[DJ_NIC_STAT_COUNT])
{
    size_t pos = 0;
    if (cap)
        buf[0] = '\0';
    for (unsigned i = 0; i < DJ_NIC_STAT_COUNT; i++)
        append(buf, cap, &pos, "%s%s=%lu", i ? " " : "", nic_stat_names[i], (unsigned long)stats[i]);
    return pos;
}

static size_t word_len(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n] != ' ' && s[n] != '\n' && s[n] != '\0')
        n++;
    return n;
}

/* One line of len bytes: the keyword, then as many words per piece as fit. */
static void wrap_line(const char *line, size_t len, size_t width,
                      void (*emit)(const char *piece, size_t len, void *ctx), void *ctx)
{
    char piece[NETSELF_WRAP_MAX];
    size_t kw = word_len(line, len), pos = kw;
    if (kw >= width) {
        emit(line, width, ctx);
        return;
    }
    memcpy(piece, line, kw);
    size_t fill = kw;
    bool has_words = false;
    while (pos < len) {
        while (pos < len && line[pos] == ' ')
            pos++;
        size_t w = word_len(line + pos, len - pos);
        if (w == 0)
            break;
        if (has_words && fill + 1 + w > width) {
            emit(piece, fill, ctx);
            fill = kw;
            has_words = false;
        }
        size_t room = width - fill - 1, take = w < room ? w : room;
        piece[fill++] = ' ';
        memcpy(piece + fill, line + pos, take);
        fill += take;
        has_words = true;
        pos += w;
    }
    emit(piece, fill, ctx);
}

void netself_wrap_report(const char *text, size_t width, void (*emit)(const char *piece, size_t len, void *ctx),
                         void *ctx)
{
    if (width > NETSELF_WRAP_MAX)
        width = NETSELF_WRAP_MAX;
    if (width < 2)
        return;
    while (*text) {
        const char *end = strchr(text, '\n');
        size_t len = end ? (size_t)(end - text) : strlen(text);
        if (len)
            wrap_line(text, len, width, emit, ctx);
        text += len + (end ? 1 : 0);
    }
}
