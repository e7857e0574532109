/* SPDX-License-Identifier: GPL-2.0-only */
/* Fault injection for the gateway's restart-under-load test
 * (docs/gateway.md, "Tests"): with arg=crash_after=N in the boot
 * configuration, the first instance (start info generation 0) dies on
 * purpose once it has forwarded N packets, by writing to the read-only
 * page at 0. init restarts it (restart=yes); the new instance resumes
 * above the sequence marks init kept (gw_seq.c), so no (SPI, sequence
 * number) is sent twice. Without the argument this file does nothing;
 * nothing but the boot configuration can ask for it. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "gw.h"

#define CRASH_KEY "crash_after="
#define MAX_DIGITS 12 /* up to 10^12 packets: more than a test forwards */
#define READ_ONLY_PAGE_VA 0 /* main.c's canary page */

static uint64_t packets_left;
static bool armed;

/* The decimal number after CRASH_KEY; false for anything else. */
static bool parse_crash_after(const char *arg, uint64_t *out)
{
    size_t key_len = strlen(CRASH_KEY);
    if (strncmp(arg, CRASH_KEY, key_len) != 0)
        return false;
    const char *s = arg + key_len;
    size_t digits = strlen(s);
    if (digits == 0 || digits > MAX_DIGITS)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
    }
    *out = v;
    return v > 0;
}

void gw_fault_configure(const struct dj_start_info *si)
{
    char arg[sizeof(si->arg) + 1];
    memcpy(arg, si->arg, sizeof(si->arg));
    arg[sizeof(si->arg)] = 0;
    if (!parse_crash_after(arg, &packets_left))
        return;
    if (si->generation != 0) {
        printf("esp: fault injection: restarted (generation %u), running normally\n", (unsigned)si->generation);
        return;
    }
    armed = true;
    printf("esp: fault injection: will die after forwarding %lu packets\n", (unsigned long)packets_left);
}

void gw_fault_count_forwarded(void)
{
    if (!armed || --packets_left > 0)
        return;
    printf("esp: fault injection: dying now, as configured\n");
    *(volatile uint64_t *)(uintptr_t)READ_ONLY_PAGE_VA = 0;
}
