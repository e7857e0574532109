/* SPDX-License-Identifier: BSD-2-Clause */
/* Self-check lists: see check.h. */
#include "lib/check.h"
#include "lib/syscall.h"

#define CHECK_LINE_MAX (CHECK_WHY_MAX + 64) /* "FAIL ", the name, ": " and the reason */

void check_run(const struct check *c, enum check_output out, struct check_tally *t)
{
    char why[CHECK_WHY_MAX] = "no reason given", line[CHECK_LINE_MAX];
    bool ok = c->fn(why);
    snprintf(line, sizeof(line), ok ? "PASS %s\n" : "FAIL %s: %s\n", c->name, why);
    if (out == CHECK_TO_DEBUG)
        dj_debug_puts(line);
    else
        printf("%s", line);
    ok ? t->passed++ : t->failed++;
}

void check_run_all(const struct check *list, size_t n, enum check_output out, struct check_tally *t)
{
    for (size_t i = 0; i < n; i++)
        check_run(&list[i], out, t);
}

void check_summary(const struct check_tally *t)
{
    printf("%u passed, %u failed\n", t->passed, t->failed);
}
