/* SPDX-License-Identifier: GPL-2.0-only */
/* Fault injection for the gateway's restart-under-load test
 * (docs/gateway.md, "Tests"): with arg=crash_after=N in the boot
 * configuration, the first instance (start info generation 0) dies on
 * purpose once it has forwarded N packets, by writing to the read-only
 * page at 0. init restarts it (restart=yes); the new instance resumes
 * above the sequence marks init kept (gw_seq.c), so no (SPI, sequence
 * number) is sent twice. Without the argument this file does nothing;
 * nothing but the boot configuration can ask for it. */
#include <stdint.h>
#include <stdio.h>
#include "lib/crash_after.h"

#include "esp_component.h"
#include "gw.h"

static struct crash_after crash;

void gw_fault_configure(const struct dj_start_info *si)
{
    if (!crash_after_arm(&crash, si))
        return;
    if (crash.left == 0)
        printf("esp: fault injection: restarted (generation %u), running normally\n", (unsigned)si->generation);
    else
        printf("esp: fault injection: will die after forwarding %lu packets\n", (unsigned long)crash.left);
}

void gw_fault_count_forwarded(void)
{
    if (!crash_after_due(&crash, 1))
        return;
    printf("esp: fault injection: dying now, as configured\n");
    *(volatile uint64_t *)(uintptr_t)ESP_CANARY_PAGE_VA = 0; /* the read-only page at 0 */
}
