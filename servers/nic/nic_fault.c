/* SPDX-License-Identifier: GPL-2.0-only */
/* Fault injection for the restart test (docs/nic.md): with
 * "crash_after=N" in the configuration's arg=, the first instance of the
 * driver (start info generation 0) executes ud2 once it has moved N
 * frames. init then sees the fault, kills the driver and starts it again
 * (generation 1, which runs normally): the test checks that the device
 * is reset and traffic resumes. Without the argument this file does
 * nothing. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "nic_driver.h"

#define CRASH_KEY "crash_after="
#define MAX_DIGITS 12 /* up to 10^12 frames: more than a test moves */

static uint64_t frames_left;
static bool armed;

/* The decimal number in [s, end): false for anything else (empty, a sign,
 * another character, too many digits). */
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
    return true;
}

/* arg: comma-separated items; the driver knows crash_after=N. */
static void parse_arg(const char *arg, size_t len)
{
    const char *p = arg, *end = arg + len;
    while (p < end) {
        const char *item_end = p;
        while (item_end < end && *item_end != ',')
            item_end++;
        size_t key_len = strlen(CRASH_KEY);
        uint64_t n;
        if ((size_t)(item_end - p) > key_len && strncmp(p, CRASH_KEY, key_len) == 0 &&
            parse_count(p + key_len, item_end, &n) && n > 0) {
            frames_left = n;
            armed = true;
        } else {
            nic_log("arg: ignoring '%.*s' (the driver knows crash_after=N, N > 0)", (int)(item_end - p), p);
        }
        p = item_end + 1;
    }
}

void nic_fault_configure(const struct dj_start_info *si)
{
    size_t len = strnlen(si->arg, sizeof(si->arg));
    if (len == 0)
        return;
    parse_arg(si->arg, len);
    if (!armed)
        return;
    if (si->generation != 0) {
        nic_log("fault injection: restarted (generation %u), running normally", (unsigned)si->generation);
        armed = false;
        return;
    }
    nic_log("fault injection: will fault after %lu frames", (unsigned long)frames_left);
}

void nic_fault_count(uint64_t frames)
{
    if (!armed || frames == 0)
        return;
    if (frames < frames_left) {
        frames_left -= frames;
        return;
    }
    nic_log("fault injection: faulting now, as configured");
    /* Deliberate: an invalid opcode, the fault a driver bug would cause. */
    __asm__ volatile("ud2");
    __builtin_unreachable();
}
