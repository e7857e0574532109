/* SPDX-License-Identifier: BSD-2-Clause */
/* crash_after=N: lib/crash_after.h. */
#include <string.h>
#include "lib/crash_after.h"

#define CRASH_KEY "crash_after="
#define MAX_DIGITS 12 /* up to 10^12 events: more than a test moves */

/* The decimal number in [s, end): false for anything else (empty, a sign,
 * another character, too many digits, zero). */
static bool parse_count(const char *s, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    if (s == end || end - s > MAX_DIGITS)
        return false;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return v > 0;
}

bool crash_after_find(const char *arg, size_t len, uint64_t *n)
{
    const char *p = arg, *end = arg + strnlen(arg, len);
    size_t key_len = strlen(CRASH_KEY);
    while (p < end) {
        const char *item_end = p;
        while (item_end < end && *item_end != ',')
            item_end++;
        if ((size_t)(item_end - p) > key_len && strncmp(p, CRASH_KEY, key_len) == 0 &&
            parse_count(p + key_len, item_end, n))
            return true;
        p = item_end + 1;
    }
    return false;
}

bool crash_after_arm(struct crash_after *c, const struct dj_start_info *si)
{
    uint64_t n;
    c->left = 0;
    if (!crash_after_find(si->arg, sizeof(si->arg), &n))
        return false;
    if (si->generation == 0)
        c->left = n;
    return true;
}

bool crash_after_due(struct crash_after *c, uint64_t events)
{
    if (c->left == 0 || events == 0)
        return false;
    if (events < c->left) {
        c->left -= events;
        return false;
    }
    c->left = 0;
    return true;
}
