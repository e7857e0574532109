/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdio.h>

#include "gwpeer.h"

unsigned passed, failed;

void check(bool ok, const char *name, const char *why)
{
    if (ok) {
        passed++;
        printf("PASS %s\n", name);
    } else {
        failed++;
        printf("FAIL %s: %s\n", name, why);
    }
}
