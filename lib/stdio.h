/* SPDX-License-Identifier: BSD-2-Clause */
/* Formatted output of the user runtime. The formatter is the kernel's
 * (common/format.c, built into the library): %d %i %u %x %X %o %p %s %c %%,
 * flags, width, precision, the hh h l ll z modifiers; no floating point. */
#pragma once
#include <stdarg.h>
#include <stddef.h>

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* printf formats into a DJ_PRINTF_MAX-byte buffer (longer output is cut
 * off, and then still ends in a newline if the format did) and hands it
 * to the output function: the kernel debug console until a program sets
 * another one (the console server's client, later). */
#define DJ_PRINTF_MAX 512
int vprintf(const char *fmt, va_list ap);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int puts(const char *s); /* s and a newline */

typedef void (*dj_output_fn)(const char *s, size_t len);
void dj_set_output(dj_output_fn fn);
