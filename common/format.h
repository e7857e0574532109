/* SPDX-License-Identifier: BSD-2-Clause */
/* printf-style formatting into a buffer (freestanding, host-testable).
 * Supports %d %i %u %x %X %o %p %s %c %%, flags '-' '0' ' ' '+', width,
 * precision (for strings and integers), and the l, ll, z, h, hh length modifiers. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Format one line of at most FORMAT_LINE_MAX bytes and hand it to sink;
 * nothing when sink is NULL (the boot parsers' warnings). */
#define FORMAT_LINE_MAX 160
void format_to_sink(void (*sink)(const char *line), const char *fmt, ...) __attribute__((format(printf, 2, 3)));
