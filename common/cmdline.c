/* SPDX-License-Identifier: BSD-2-Clause */
#include "common/cmdline.h"
#include "common/string.h"

/* Finds the word that is key or starts with "key="; returns its value
 * (after '=') or an empty string for a bare key, NULL when absent. */
static const char *find_key(const char *cmdline, const char *key, size_t *value_len)
{
    size_t klen = strlen(key);
    const char *p = cmdline;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *word = p;
        while (*p && *p != ' ')
            p++;
        size_t wlen = (size_t)(p - word);
        if (wlen >= klen && strncmp(word, key, klen) == 0) {
            if (wlen == klen) {
                *value_len = 0;
                return word + wlen;
            }
            if (word[klen] == '=') {
                *value_len = wlen - klen - 1;
                return word + klen + 1;
            }
        }
    }
    return NULL;
}

bool cmdline_has(const char *cmdline, const char *key)
{
    size_t n;
    return find_key(cmdline, key, &n) != NULL;
}

bool cmdline_value(const char *cmdline, const char *key, char *out, size_t out_len)
{
    size_t n;
    const char *v = find_key(cmdline, key, &n);
    if (!v || out_len == 0)
        return false;
    if (n >= out_len)
        n = out_len - 1;
    memcpy(out, v, n);
    out[n] = '\0';
    return true;
}
