/* SPDX-License-Identifier: BSD-2-Clause */
/* printf on top of the kernel's formatter (common/format.c is compiled
 * into the library rather than copied). */
#include "stdio.h"
#include "string.h"
#include "lib/syscall.h"
#include "common/format.h"

static void debug_output(const char *s, size_t len)
{
    dj_debug_write(s, len);
}

static dj_output_fn output = debug_output;

void dj_set_output(dj_output_fn fn)
{
    output = fn ? fn : debug_output;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    return kvsnprintf(buf, size, fmt, ap);
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* A cut-off line stays a whole line for line-oriented consoles. */
static void keep_newline(char *buf, size_t len, const char *fmt)
{
    size_t flen = strlen(fmt);
    if (len && flen && fmt[flen - 1] == '\n')
        buf[len - 1] = '\n';
}

int vprintf(const char *fmt, va_list ap)
{
    char buf[DJ_PRINTF_MAX];
    int n = kvsnprintf(buf, sizeof(buf), fmt, ap);
    if (n < 0)
        return n;
    size_t len = (size_t)n;
    if (len >= sizeof(buf)) {
        len = sizeof(buf) - 1;
        keep_newline(buf, len, fmt);
    }
    output(buf, len);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

/* One output call for the whole line, so no other writer's text can land
 * between the text and its newline. */
int puts(const char *s)
{
    return printf("%s\n", s) < 0 ? -1 : 0;
}
