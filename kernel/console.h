/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel console: every message goes to every registered sink (serial,
 * framebuffer) as whole lines, serialized across CPUs. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

typedef void (*console_sink_fn)(const char *s, size_t n);

void console_add_sink(console_sink_fn fn);
/* Formats and prints; callers pass complete lines ending in '\n'. */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void kvprintf(const char *fmt, va_list ap);
/* Lock-free path for panics: writes even if another CPU holds the lock. */
void console_panic_write(const char *s, size_t n);
