/* SPDX-License-Identifier: GPL-2.0-only */
/* Fault injection for the gateway's VM restart test (docs/gateway.md,
 * "The gateway with two Linux VMs"): with arg=crash_after=N on the VM's
 * line, the first instance of the VMM (start info generation 0) kills
 * its VM once its network devices' channels have moved N frames (both
 * ways, all devices): the main thread executes ud2, the fault a VMM bug
 * would cause, while the guest and its traffic run. init sees the fault,
 * tears the VM down and starts it again (restart=yes); the VMM's peers
 * (NIC drivers, the ESP wrapper) drop the old channels when init
 * announces the new instance. A restarted instance runs normally.
 * Without the argument (or with arg=net-serve) this file does nothing;
 * nothing but the boot configuration can ask for it. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "lib/console_client.h"
#include "lib/startinfo.h"
#include "core.h"

#define CRASH_KEY "crash_after="
#define NET_SERVE_ARG "net-serve" /* net.c's */
#define MAX_DIGITS 12             /* up to 10^12 frames: more than a test moves */

static uint64_t crash_at;
static bool armed;

/* The decimal number after CRASH_KEY in arg; false for anything else. */
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

void vmm_fault_configure(const struct dj_start_info *si)
{
    char arg[sizeof(si->arg) + 1];
    memcpy(arg, si->arg, sizeof(si->arg));
    arg[sizeof(si->arg)] = 0;
    if (!arg[0] || strcmp(arg, NET_SERVE_ARG) == 0)
        return;
    if (!parse_crash_after(arg, &crash_at)) {
        vmm_log("arg: ignoring '%s' (the VMM knows net-serve and crash_after=N, N > 0)", arg);
        return;
    }
    if (si->generation != 0) {
        vmm_log("fault injection: restarted (generation %u), running normally", (unsigned)si->generation);
        return;
    }
    armed = true;
    vmm_log("fault injection: will kill the VM after %lu frames on its channels", (unsigned long)crash_at);
}

void vmm_fault_check(uint64_t frames)
{
    if (!armed || frames < crash_at)
        return;
    vmm_log("fault injection: killing the VM now, as configured (%lu frames moved)", (unsigned long)frames);
    dj_console_flush_handlers();
    /* Deliberate: an invalid opcode, the fault a VMM bug would cause. */
    __asm__ volatile("ud2");
    __builtin_unreachable();
}
