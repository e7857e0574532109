/* SPDX-License-Identifier: BSD-2-Clause */
/* String functions the user runtime has beyond the kernel's own
 * (common/string.c, which the runtime library compiles in as well). */
#include "string.h"

/* Like the C standard: the terminator counts, so strchr(s, 0) finds the end. */
char *strchr(const char *s, int c)
{
    for (;; s++) {
        if (*s == (char)c)
            return (char *)s;
        if (!*s)
            return NULL;
    }
}
