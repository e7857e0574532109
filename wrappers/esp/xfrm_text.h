/* SPDX-License-Identifier: GPL-2.0-only */
/* Words of one configuration line, numbers, hex keys and error messages
 * that never show key material. */
#ifndef XFRM_TEXT_H
#define XFRM_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of hex digit c (either case), or -1 when c is none. */
int xfrm_hex_digit(char c);

#define XFRM_MAX_WORDS 128 /* a listing with a 1024-packet window has about 75 */

struct xfrm_error;

struct xfrm_word {
    const char *p; /* inside the line, without quotes */
    size_t n;
};

struct xfrm_line {
    struct xfrm_word words[XFRM_MAX_WORDS];
    size_t count, pos;
    unsigned number;               /* 1-based */
    const struct xfrm_word *secret; /* the key word: shown as <key hidden> */
};

/* Splits text[0..n) at blanks and newlines (a statement of a listing
 * spans lines); '...' and "..." make one word; '#' outside quotes starts a
 * comment up to the end of its line. False (err filled) on an unterminated
 * quote or too many words. */
bool xfrm_line_split(struct xfrm_line *line, const char *text, size_t n, unsigned number,
                     struct xfrm_error *err);
struct xfrm_word *xfrm_line_next(struct xfrm_line *line);
struct xfrm_word *xfrm_line_peek(struct xfrm_line *line);
/* The word last returned by xfrm_line_next. */
struct xfrm_word *xfrm_line_current(struct xfrm_line *line);

bool xfrm_word_is(const struct xfrm_word *w, const char *s);
/* Decimal or 0x hexadecimal, up to UINT64_MAX. */
bool xfrm_word_number(const struct xfrm_word *w, uint64_t *v);
/* "0x" and an even number of hex digits into out (at most cap bytes). */
bool xfrm_word_hex_bytes(const struct xfrm_word *w, uint8_t *out, size_t cap, size_t *got);

/* "line N: WHAT 'WORD' in: <the line, keys hidden>" (WORD may be NULL). */
void xfrm_error_for_line(struct xfrm_error *err, const struct xfrm_line *line, const char *what,
                         const struct xfrm_word *w);
/* "line N: missing WHAT in: <the line, keys hidden>" */
void xfrm_error_missing(struct xfrm_error *err, const struct xfrm_line *line, const char *what);
/* "line N: WHAT" */
void xfrm_error_plain(struct xfrm_error *err, unsigned line, const char *what);

#endif
