/* SPDX-License-Identifier: BSD-2-Clause */
/* Fatal errors of the user runtime. */
#include <stdarg.h>
#include "lib/runtime.h"
#include "stdio.h"
#include "stdlib.h"

void dj_panic(const char *fmt, ...)
{
    char msg[DJ_PRINTF_MAX - 16];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("panic: %s\n", msg);
    dj_idle();
}

void dj_heap_error(const char *what, void *p)
{
    dj_panic("heap: %s (%p)", what, p);
}
