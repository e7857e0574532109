/* SPDX-License-Identifier: GPL-2.0-only */
#include "xfrm_text.h"

#include <string.h>

#include "xfrm_config.h"

#define KEY_HIDDEN "<key hidden>"
#define SPI_HEX_DIGITS 8 /* longer 0x words may be keys */
#define BARE_HEX_SUSPECT 16
#define BARE_HEX_RUN_SUSPECT 7 /* "rfc4106" has a run of 6 */

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int xfrm_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static bool has_hex_prefix(const struct xfrm_word *w)
{
    return w->n > 2 && w->p[0] == '0' && (w->p[1] == 'x' || w->p[1] == 'X');
}

bool xfrm_line_split(struct xfrm_line *line, const char *text, size_t n, unsigned number,
                     struct xfrm_error *err)
{
    memset(line, 0, sizeof(*line));
    line->number = number;
    size_t i = 0;
    while (i < n) {
        if (is_blank(text[i]) || text[i] == '\n') {
            i++;
            continue;
        }
        if (text[i] == '#') {
            while (i < n && text[i] != '\n')
                i++;
            continue;
        }
        if (line->count == XFRM_MAX_WORDS) {
            xfrm_error_for_line(err, line, "too many words (at most 128)", NULL);
            return false;
        }
        struct xfrm_word *w = &line->words[line->count];
        if (text[i] == '\'' || text[i] == '"') {
            char quote = text[i++];
            size_t start = i;
            while (i < n && text[i] != quote && text[i] != '\n')
                i++;
            if (i == n || text[i] == '\n') {
                xfrm_error_for_line(err, line, "unterminated quote", NULL);
                return false;
            }
            w->p = text + start;
            w->n = i - start;
            i++;
        } else {
            size_t start = i;
            while (i < n && !is_blank(text[i]) && text[i] != '\n' && text[i] != '#')
                i++;
            w->p = text + start;
            w->n = i - start;
        }
        line->count++;
    }
    return true;
}

struct xfrm_word *xfrm_line_next(struct xfrm_line *line)
{
    if (line->pos >= line->count)
        return NULL;
    return &line->words[line->pos++];
}

struct xfrm_word *xfrm_line_peek(struct xfrm_line *line)
{
    return line->pos < line->count ? &line->words[line->pos] : NULL;
}

struct xfrm_word *xfrm_line_current(struct xfrm_line *line)
{
    return line->pos > 0 ? &line->words[line->pos - 1] : NULL;
}

bool xfrm_word_is(const struct xfrm_word *w, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return w && w->n == n && memcmp(w->p, s, n) == 0;
}

bool xfrm_word_number(const struct xfrm_word *w, uint64_t *v)
{
    uint64_t value = 0;
    size_t i = 0;
    unsigned base = 10;
    if (has_hex_prefix(w)) {
        base = 16;
        i = 2;
    }
    if (i >= w->n)
        return false;
    for (; i < w->n; i++) {
        int d = base == 16 ? xfrm_hex_digit(w->p[i]) : (w->p[i] >= '0' && w->p[i] <= '9' ? w->p[i] - '0' : -1);
        if (d < 0 || value > (UINT64_MAX - (uint64_t)d) / base)
            return false;
        value = value * base + (uint64_t)d;
    }
    *v = value;
    return true;
}

bool xfrm_word_hex_bytes(const struct xfrm_word *w, uint8_t *out, size_t cap, size_t *got)
{
    *got = 0;
    if (!has_hex_prefix(w))
        return false;
    size_t digits = w->n - 2;
    for (size_t i = 0; i < digits; i++) {
        if (xfrm_hex_digit(w->p[2 + i]) < 0)
            return false;
    }
    if (digits % 2 != 0)
        return false;
    /* too long: report the size without keeping anything */
    *got = digits / 2;
    if (*got > cap)
        return true;
    for (size_t i = 0; i < *got; i++)
        out[i] = (uint8_t)(xfrm_hex_digit(w->p[2 + 2 * i]) << 4 | xfrm_hex_digit(w->p[3 + 2 * i]));
    return true;
}

/* -------------------------------------------------------------- messages */

struct msg {
    char *p;
    size_t cap, len;
};

static void put_n(struct msg *m, const char *s, size_t n)
{
    for (size_t i = 0; i < n && m->len + 1 < m->cap; i++) {
        char c = s[i];
        m->p[m->len++] = (c >= ' ' && c <= '~') ? c : '?';
    }
    m->p[m->len] = '\0';
}

static void put(struct msg *m, const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    put_n(m, s, n);
}

static void put_uint(struct msg *m, unsigned v)
{
    char digits[12];
    size_t n = 0;
    do {
        digits[sizeof(digits) - 1 - n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put_n(m, digits + sizeof(digits) - n, n);
}

/* Keys may sit anywhere in a wrong line: hide the key word and any word
 * that could be key material, such as a piece of a key that a stray blank
 * or character split off (a run of hex digits longer than any address,
 * algorithm name or small number has). */
static bool looks_secret(const struct xfrm_line *line, const struct xfrm_word *w)
{
    if (line && line->secret && w->p == line->secret->p)
        return true;
    size_t start = has_hex_prefix(w) ? 2 : 0, hex = 0, run = 0, longest = 0;
    for (size_t i = start; i < w->n; i++) {
        bool digit = xfrm_hex_digit(w->p[i]) >= 0;
        hex += digit;
        run = digit ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    if (start == 2)
        return hex > SPI_HEX_DIGITS;
    return hex >= BARE_HEX_SUSPECT || longest >= BARE_HEX_RUN_SUSPECT;
}

static void put_word(struct msg *m, const struct xfrm_line *line, const struct xfrm_word *w)
{
    if (looks_secret(line, w))
        put(m, KEY_HIDDEN);
    else
        put_n(m, w->p, w->n);
}

static void start(struct msg *m, struct xfrm_error *err, unsigned line)
{
    m->p = err->message;
    m->cap = sizeof(err->message);
    m->len = 0;
    err->message[0] = '\0';
    err->line = line;
    if (line) {
        put(m, "line ");
        put_uint(m, line);
        put(m, ": ");
    }
}

static void put_line(struct msg *m, const struct xfrm_line *line)
{
    put(m, " in: ");
    for (size_t i = 0; i < line->count; i++) {
        if (i)
            put(m, " ");
        put_word(m, line, &line->words[i]);
    }
}

void xfrm_error_for_line(struct xfrm_error *err, const struct xfrm_line *line, const char *what,
                         const struct xfrm_word *w)
{
    struct msg m;
    start(&m, err, line->number);
    put(&m, what);
    if (w) {
        put(&m, " '");
        put_word(&m, line, w);
        put(&m, "'");
    }
    put_line(&m, line);
}

void xfrm_error_missing(struct xfrm_error *err, const struct xfrm_line *line, const char *what)
{
    struct msg m;
    start(&m, err, line->number);
    put(&m, "missing ");
    put(&m, what);
    put_line(&m, line);
}

void xfrm_error_plain(struct xfrm_error *err, unsigned line, const char *what)
{
    struct msg m;
    start(&m, err, line);
    put(&m, what);
}
