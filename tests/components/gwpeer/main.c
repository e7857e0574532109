/* SPDX-License-Identifier: GPL-2.0-only */
/* The gateway test's client (gwpeer.h): arg=inner or arg=outer. The inner
 * one ends the run with the totals of both (the outer reports first: its
 * last packet is what the inner one waits for). */
#include "lib/component.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"

#include "gwpeer.h"

#define SLEEP_SM (DJ_CHILD_FIRST_FREE + 1)

int main(void)
{
    const struct dj_start_info *si = dj_start_with_console();
    if (!si)
        return 1;
    bool inner = strcmp(si->arg, "inner") == 0;
    if (!inner && strcmp(si->arg, "outer") != 0) {
        printf("FAIL gw_client_role: arg= must be inner or outer, not '%s'\n", si->arg);
        dj_block_forever(SLEEP_SM);
    }
    struct link l;
    memset(&l, 0, sizeof(l));
    bool open = link_open(&l);
    check(open, inner ? "gw_inner_connect" : "gw_outer_connect", "no channel to the gateway");
    if (open) {
        if (inner)
            inner_main(&l);
        else
            outer_main(&l);
    }
    printf("gw%s: %u passed, %u failed\n", inner ? "in" : "out", passed, failed);
    if (inner)
        dj_debug(DJ_DEBUG_OP_TEST_DONE, (uint64_t)passed << 32 | failed, 0);
    dj_block_forever(SLEEP_SM);
}
