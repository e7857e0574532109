/* String functions of the user runtime. The byte loops use `rep` string
 * instructions, which are fast on current CPUs (ERMS) and cannot be turned
 * back into calls to themselves by the compiler. */
#include <stdint.h>
#include "string.h"

void *memset(void *d, int c, size_t n)
{
    void *ret = d;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return ret;
}

void *memcpy(void *restrict d, const void *restrict s, size_t n)
{
    void *ret = d;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return ret;
}

/* Overlapping with the destination above the source: copy from the end,
 * with the direction flag set only for the duration of the copy. */
void *memmove(void *d, const void *s, size_t n)
{
    if ((uintptr_t)d - (uintptr_t)s >= n)
        return memcpy(d, s, n);
    void *ret = d;
    const char *src_last = (const char *)s + n - 1;
    char *dst_last = (char *)d + n - 1;
    __asm__ volatile("std; rep movsb; cld" : "+D"(dst_last), "+S"(src_last), "+c"(n) : : "memory");
    return ret;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const unsigned char *x = a, *y = b;
    for (size_t i = 0; i < n; i++) {
        if (x[i] != y[i])
            return x[i] < y[i] ? -1 : 1;
    }
    return 0;
}

size_t strlen(const char *s)
{
    const char *p = s;
    while (*p)
        p++;
    return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    while (*x && *x == *y) {
        x++;
        y++;
    }
    return *x - *y;
}

int strncmp(const char *a, const char *b, size_t n)
{
    const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
    for (; n; n--, x++, y++) {
        if (*x != *y || !*x)
            return *x - *y;
    }
    return 0;
}

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
