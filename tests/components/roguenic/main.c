/* SPDX-License-Identifier: GPL-2.0-only */
/* roguenic (roguenic.h): picks the role from arg= and prints test lines. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/component.h"
#include "lib/syscall.h"
#include "roguenic.h"

#define LINE_MAX_BYTES 200

const char *role_name = "roguenic";

static void put_line(const char *prefix, const char *name, const char *fmt, va_list ap)
{
    char line[LINE_MAX_BYTES];
    int n = snprintf(line, sizeof(line), "%s%s", prefix, name);
    if (n < 0 || (size_t)n >= sizeof(line))
        n = (int)sizeof(line) - 2;
    if (fmt) {
        int m = vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
        n = m < 0 || (size_t)(n + m) >= sizeof(line) - 1 ? (int)sizeof(line) - 2 : n + m;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    dj_debug_puts(line);
}

void report(struct tally *t, bool ok, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (ok) {
        t->passed++;
        put_line("PASS ", name, NULL, ap);
    } else {
        char with_colon[LINE_MAX_BYTES];
        snprintf(with_colon, sizeof(with_colon), "%s: ", name);
        t->failed++;
        put_line("FAIL ", with_colon, fmt, ap);
    }
    va_end(ap);
}

void report_skip(struct tally *t, const char *name, const char *why)
{
    char line[LINE_MAX_BYTES];
    snprintf(line, sizeof(line), "SKIP %s: %s\n", name, why);
    dj_debug_puts(line);
    t->skipped++;
}

void say(const char *fmt, ...)
{
    char prefix[32];
    snprintf(prefix, sizeof(prefix), "%s: ", role_name);
    va_list ap;
    va_start(ap, fmt);
    put_line(prefix, "", fmt, ap);
    va_end(ap);
}

int main(void)
{
    const struct dj_start_info *si = dj_start();
    if (!si) {
        dj_debug_puts("FAIL rogue_dma_setup: no start information\n");
        return 1;
    }
    role_name = si->name;
    if (strcmp(si->arg, "victim") == 0)
        victim_main();
    if (strcmp(si->arg, "rogue") == 0)
        rogue_main(si);
    say("arg=%s: neither victim nor rogue", si->arg);
    dj_block_forever(ROGUE_SEL_SLEEP_SM);
}
