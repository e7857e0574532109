/* SPDX-License-Identifier: BSD-2-Clause */
/* A small printf formatter: no floating point, no locale, bounded output. */
#include <stdbool.h>
#include <stdint.h>
#include "common/format.h"

struct out {
    char *buf;
    size_t size;
    size_t len; /* characters produced so far (may exceed size) */
};

static void put(struct out *o, char c)
{
    if (o->len + 1 < o->size)
        o->buf[o->len] = c;
    o->len++;
}

static void put_repeat(struct out *o, char c, int n)
{
    while (n-- > 0)
        put(o, c);
}

struct spec {
    bool left, zero, plus, space, alt;
    int width;
    int precision; /* -1 when absent */
    int length;    /* 0, 'h', 'H' (hh), 'l', 'L' (ll), 'z' */
};

static const char *parse_spec(const char *f, va_list *ap, struct spec *s)
{
    *s = (struct spec){.precision = -1};
    for (;; f++) {
        if (*f == '-') s->left = true;
        else if (*f == '0') s->zero = true;
        else if (*f == '+') s->plus = true;
        else if (*f == ' ') s->space = true;
        else if (*f == '#') s->alt = true;
        else break;
    }
    if (*f == '*') {
        s->width = va_arg(*ap, int);
        if (s->width < 0) { s->left = true; s->width = -s->width; }
        f++;
    }
    while (*f >= '0' && *f <= '9')
        s->width = s->width * 10 + (*f++ - '0');
    if (*f == '.') {
        f++;
        s->precision = 0;
        if (*f == '*') { s->precision = va_arg(*ap, int); f++; }
        while (*f >= '0' && *f <= '9')
            s->precision = s->precision * 10 + (*f++ - '0');
    }
    if (*f == 'h') { f++; s->length = 'h'; if (*f == 'h') { f++; s->length = 'H'; } }
    else if (*f == 'l') { f++; s->length = 'l'; if (*f == 'l') { f++; s->length = 'L'; } }
    else if (*f == 'z') { f++; s->length = 'z'; }
    return f;
}

static void emit_string(struct out *o, const char *str, const struct spec *s)
{
    if (!str)
        str = "(null)";
    int n = 0;
    while (str[n] && (s->precision < 0 || n < s->precision))
        n++;
    if (!s->left) put_repeat(o, ' ', s->width - n);
    for (int i = 0; i < n; i++) put(o, str[i]);
    if (s->left) put_repeat(o, ' ', s->width - n);
}

static void emit_number(struct out *o, uint64_t v, bool negative, unsigned base, bool upper, const struct spec *s)
{
    char digits[24];
    int nd = 0;
    const char *set = upper ? "0123456789ABCDEF" : "0123456789abcdef";
    while (v) { digits[nd++] = set[v % base]; v /= base; }
    int zeros = s->precision > nd ? s->precision - nd : 0;
    if (nd == 0 && s->precision != 0) zeros = zeros ? zeros : 1;

    char prefix[3] = {0};
    int np = 0;
    if (negative) prefix[np++] = '-';
    else if (s->plus && base == 10) prefix[np++] = '+';
    else if (s->space && base == 10) prefix[np++] = ' ';
    if (s->alt && base == 16) { prefix[np++] = '0'; prefix[np++] = upper ? 'X' : 'x'; }
    if (s->alt && base == 8 && zeros == 0) prefix[np++] = '0';

    int body = np + zeros + nd;
    int pad = s->width > body ? s->width - body : 0;
    if (s->zero && !s->left && s->precision < 0) { zeros += pad; pad = 0; }
    if (!s->left) put_repeat(o, ' ', pad);
    for (int i = 0; i < np; i++) put(o, prefix[i]);
    put_repeat(o, '0', zeros);
    while (nd) put(o, digits[--nd]);
    if (s->left) put_repeat(o, ' ', pad);
}

static uint64_t fetch_unsigned(va_list *ap, int length)
{
    switch (length) {
    case 'H': return (unsigned char)va_arg(*ap, unsigned int);
    case 'h': return (unsigned short)va_arg(*ap, unsigned int);
    case 'l': return va_arg(*ap, unsigned long);
    case 'L': return va_arg(*ap, unsigned long long);
    case 'z': return va_arg(*ap, size_t);
    default: return va_arg(*ap, unsigned int);
    }
}

static int64_t fetch_signed(va_list *ap, int length)
{
    switch (length) {
    case 'H': return (signed char)va_arg(*ap, int);
    case 'h': return (short)va_arg(*ap, int);
    case 'l': return va_arg(*ap, long);
    case 'L': return va_arg(*ap, long long);
    case 'z': return (int64_t)va_arg(*ap, size_t);
    default: return va_arg(*ap, int);
    }
}

static void emit_conversion(struct out *o, char conv, struct spec *s, va_list *ap)
{
    switch (conv) {
    case 'd':
    case 'i': {
        int64_t v = fetch_signed(ap, s->length);
        uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        emit_number(o, mag, v < 0, 10, false, s);
        break;
    }
    case 'u': emit_number(o, fetch_unsigned(ap, s->length), false, 10, false, s); break;
    case 'x': emit_number(o, fetch_unsigned(ap, s->length), false, 16, false, s); break;
    case 'X': emit_number(o, fetch_unsigned(ap, s->length), false, 16, true, s); break;
    case 'o': emit_number(o, fetch_unsigned(ap, s->length), false, 8, false, s); break;
    case 'p':
        s->alt = true;
        emit_number(o, (uint64_t)(uintptr_t)va_arg(*ap, void *), false, 16, false, s);
        break;
    case 's': emit_string(o, va_arg(*ap, const char *), s); break;
    case 'c': {
        char c[2] = {(char)va_arg(*ap, int), 0};
        s->precision = 1;
        emit_string(o, c, s);
        break;
    }
    case '%': put(o, '%'); break;
    default: /* unknown conversion: show it literally */
        put(o, '%');
        if (conv) put(o, conv);
        break;
    }
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap_in)
{
    struct out o = {buf, size, 0};
    va_list ap;
    va_copy(ap, ap_in);
    for (const char *f = fmt; *f; f++) {
        if (*f != '%') { put(&o, *f); continue; }
        struct spec s;
        f = parse_spec(f + 1, &ap, &s);
        emit_conversion(&o, *f, &s, &ap);
        if (!*f) break;
    }
    va_end(ap);
    if (size)
        buf[o.len < size ? o.len : size - 1] = '\0';
    return (int)o.len;
}

void format_to_sink(void (*sink)(const char *line), const char *fmt, ...)
{
    if (!sink)
        return;
    char line[FORMAT_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    sink(line);
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
