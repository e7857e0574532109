/* SPDX-License-Identifier: BSD-2-Clause */
/* Client side of the console protocol (lib/proto.h): sends bytes to the
 * console server's portal, which prints them as "[name] text" lines. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

/* Sends len bytes through portal pt using UTCB u (the calling EC's own:
 * the message words are overwritten). Long output goes in several
 * messages. DJ_OK, or the first failing call's or reply's status. */
enum dj_status dj_console_write(uint64_t pt, struct dj_utcb *u, const char *s, size_t len);

/* The same without the console's "[name] " lines: the bytes reach the
 * terminal as they are (a guest's serial console, docs/vmm.md). */
enum dj_status dj_console_write_raw(uint64_t pt, struct dj_utcb *u, const char *s, size_t len);
/* Up to max bytes (at most DJ_CONSOLE_READ_MAX) that arrived on the
 * console's serial line; *got 0 when none. Never waits. */
enum dj_status dj_console_read(uint64_t pt, struct dj_utcb *u, char *buf, size_t max, size_t *got);

/* Makes printf/puts of this program go to the console portal pt. They
 * then use the main EC's UTCB (dj_utcb()). printf from a portal handler
 * (whose UTCB holds its own message) is queued instead and sent when the
 * main EC flushes it (lib/handler_output.h; dj_block_forever does). */
void dj_console_attach(uint64_t pt);
/* Main EC: sends what handlers printed meanwhile (nothing if not attached). */
void dj_console_flush_handlers(void);
