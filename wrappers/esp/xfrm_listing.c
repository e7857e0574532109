/* SPDX-License-Identifier: GPL-2.0-only */
/* The listing form of `ip xfrm state` and `ip xfrm policy` (xfrm_listing.h). */
#include "xfrm_listing.h"

#include <stdint.h>
#include <string.h>

#include "xfrm_config.h"

#define FIRST_WORD "src"

static bool is_space(char c)
{
    return c == ' ' || c == '\t';
}

bool xfrm_listing_starts(const char *text, size_t n)
{
    size_t i = 0, k = sizeof(FIRST_WORD) - 1;
    while (i < n && is_space(text[i]))
        i++;
    return n - i > k && memcmp(text + i, FIRST_WORD, k) == 0 && is_space(text[i + k]);
}

bool xfrm_listing_continues(const char *text, size_t n)
{
    return n > 0 && is_space(text[0]);
}

bool xfrm_listing_kind(struct xfrm_line *line, bool *policy, struct xfrm_error *err)
{
    *policy = false;
    for (size_t i = 0; i < line->count; i++) {
        const struct xfrm_word *w = &line->words[i];
        if (xfrm_word_is(w, "lifetime") || xfrm_word_is(w, "stats:")) {
            xfrm_error_for_line(err, line,
                                "this is the listing of `ip -s xfrm state`: copy the one of `ip xfrm state` "
                                "(without -s); it has",
                                w);
            return false;
        }
    }
    static const char *const policy_words[] = {"dir", "socket", "tmpl", "action", "priority"};
    for (size_t i = 0; i < line->count; i++) {
        if (xfrm_word_is(&line->words[i], "esp"))
            return true;
        for (size_t k = 0; k < sizeof(policy_words) / sizeof(policy_words[0]); k++)
            if (xfrm_word_is(&line->words[i], policy_words[k])) {
                *policy = true;
                return true;
            }
    }
    return true;
}

/* The number after name, a trailing comma allowed ("0x0,"). */
static bool take_value(struct xfrm_line *line, const struct xfrm_word *name, uint64_t *v,
                       struct xfrm_error *err)
{
    const struct xfrm_word *w = xfrm_line_next(line);
    if (!w) {
        xfrm_error_for_line(err, line, "missing value after", name);
        return false;
    }
    struct xfrm_word bare = *w;
    if (bare.n > 1 && bare.p[bare.n - 1] == ',')
        bare.n--;
    if (!xfrm_word_number(&bare, v)) {
        xfrm_error_for_line(err, line, "bad number", w);
        return false;
    }
    return true;
}

static bool is_sequence_number(const struct xfrm_word *w)
{
    return xfrm_word_is(w, "seq") || xfrm_word_is(w, "oseq") || xfrm_word_is(w, "seq-hi") ||
           xfrm_word_is(w, "oseq-hi");
}

/* The bitmap words of an ESN context: count words of hex digits. */
static bool skip_bitmap(struct xfrm_line *line, uint64_t count, struct xfrm_error *err)
{
    for (uint64_t i = 0; i < count; i++) {
        const struct xfrm_word *w = xfrm_line_next(line);
        if (!w) {
            xfrm_error_for_line(err, line, "the anti-replay bitmap ends early", NULL);
            return false;
        }
        for (size_t k = 0; k < w->n; k++) {
            if (xfrm_hex_digit(w->p[k]) < 0) {
                xfrm_error_for_line(err, line, "bad anti-replay bitmap word", w);
                return false;
            }
        }
    }
    return true;
}

bool xfrm_listing_replay_context(struct xfrm_line *line, struct xfrm_error *err)
{
    const struct xfrm_word *key = xfrm_line_current(line), *w = xfrm_line_next(line);
    if (w && xfrm_word_is(w, "esn"))
        w = xfrm_line_next(line);
    if (!w || !xfrm_word_is(w, "context:")) {
        xfrm_error_for_line(err, line, "expected 'context:' or 'esn context:' after", key);
        return false;
    }
    const struct xfrm_word *name;
    while ((name = xfrm_line_peek(line)) != NULL) {
        uint64_t v;
        bool counter = is_sequence_number(name), length = xfrm_word_is(name, "bitmap-length");
        if (!counter && !length && !xfrm_word_is(name, "bitmap") && !xfrm_word_is(name, "replay_window"))
            return true;
        xfrm_line_next(line);
        if (!take_value(line, name, &v, err))
            return false;
        if (counter && v != 0) {
            xfrm_error_for_line(err, line,
                                "this SA has carried packets (a sequence number is not 0): taken over here, "
                                "its key would repeat IVs or take replays; give both sides a fresh key and "
                                "SPI, not",
                                name);
            return false;
        }
        if (length && !skip_bitmap(line, v, err)) /* stops at the statement's end */
            return false;
    }
    return true;
}
