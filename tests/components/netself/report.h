/* SPDX-License-Identifier: GPL-2.0-only */
/* netself's counter lines: its own counts and the driver's
 * (DJ_NIC_OP_STATS), as "key=value" words a test can pick apart. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "lib/nic_proto.h"
#include "responder.h"

/* "rx=.. rx_bytes=.. arp=.. echo=.. stats=.. tx=.. tx_full=.. ignored=.."
 * then "ign_<reason>=n" for every reason seen. Returns the length
 * (cut to cap - 1, always terminated when cap > 0). */
size_t netself_format_counts(char *buf, size_t cap, const struct netself_counts *c);

/* "nic_rx=.. nic_rx_bytes=.. nic_rx_dropped=.. nic_rx_errors=.. nic_tx=..
 * nic_tx_bytes=.. nic_tx_dropped=.. nic_irqs=.. nic_work_tsc=.." */
size_t netself_format_nic_stats(char *buf, size_t cap, const uint64_t stats[DJ_NIC_STAT_COUNT]);

/* Console lines are short (the console cuts them): splits every line of
 * text ("keyword k=v k=v ...", lines separated by '\n') at word
 * boundaries into pieces of at most width bytes (at most
 * NETSELF_WRAP_MAX), each starting with the line's keyword again so it
 * reads alone, and hands each piece to emit. A single word longer than
 * the room goes out cut. */
#define NETSELF_WRAP_MAX 256
void netself_wrap_report(const char *text, size_t width, void (*emit)(const char *piece, size_t len, void *ctx),
                         void *ctx);
