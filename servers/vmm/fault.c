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
#include <string.h>
#include "lib/console_client.h"
#include "lib/crash_after.h"
#include "core.h"

#define NET_SERVE_ARG "net-serve" /* net.c's */

static struct crash_after crash;
static uint64_t frames_seen;

void vmm_fault_configure(const struct dj_start_info *si)
{
    if (!si->arg[0] || strncmp(si->arg, NET_SERVE_ARG, sizeof(si->arg)) == 0)
        return;
    if (!crash_after_arm(&crash, si)) {
        vmm_log("arg: ignoring '%.*s' (the VMM knows net-serve and crash_after=N, N > 0)", (int)strnlen(si->arg, sizeof(si->arg)), si->arg);
        return;
    }
    if (crash.left == 0)
        vmm_log("fault injection: restarted (generation %u), running normally", (unsigned)si->generation);
    else
        vmm_log("fault injection: will kill the VM after %lu frames on its channels", (unsigned long)crash.left);
}

void vmm_fault_check(uint64_t frames)
{
    uint64_t moved = frames - frames_seen;
    frames_seen = frames;
    if (!crash_after_due(&crash, moved))
        return;
    vmm_log("fault injection: killing the VM now, as configured (%lu frames moved)", (unsigned long)frames);
    dj_console_flush_handlers();
    /* Deliberate: an invalid opcode, the fault a VMM bug would cause. */
    __asm__ volatile("ud2");
    __builtin_unreachable();
}
