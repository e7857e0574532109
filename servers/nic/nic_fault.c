/* SPDX-License-Identifier: GPL-2.0-only */
/* Fault injection for the restart test (docs/nic.md): with
 * "crash_after=N" in the configuration's arg=, the first instance of the
 * driver (start info generation 0) executes ud2 once it has moved N
 * frames. init then sees the fault, kills the driver and starts it again
 * (generation 1, which runs normally): the test checks that the device
 * is reset and traffic resumes. Without the argument this file does
 * nothing. */
#include <string.h>
#include "lib/crash_after.h"
#include "nic_driver.h"

static struct crash_after crash;

void nic_fault_configure(const struct dj_start_info *si)
{
    if (!si->arg[0])
        return;
    if (!crash_after_arm(&crash, si))
        nic_log("arg: ignoring '%.*s' (the driver knows crash_after=N, N > 0)", (int)strnlen(si->arg, sizeof(si->arg)), si->arg);
    else if (crash.left == 0)
        nic_log("fault injection: restarted (generation %u), running normally", (unsigned)si->generation);
    else
        nic_log("fault injection: will fault after %lu frames", (unsigned long)crash.left);
}

void nic_fault_count(uint64_t frames)
{
    if (!crash_after_due(&crash, frames))
        return;
    nic_log("fault injection: faulting now, as configured");
    /* Deliberate: an invalid opcode, the fault a driver bug would cause. */
    __asm__ volatile("ud2");
    __builtin_unreachable();
}
