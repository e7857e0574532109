/* SPDX-License-Identifier: GPL-2.0-only */
/* chantest (chantest.h): the component's name chooses its role. */
#include "lib/component.h"
#include "lib/console_client.h"
#include <stdio.h>
#include <string.h>
#include "chantest.h"

int main(void)
{
    const struct dj_start_info *si = dj_start_with_console();
    if (!si)
        return 1;
    int status;
    if (strncmp(si->name, "chansink", DJ_START_NAME_MAX) == 0) {
        status = chantest_sink();
    } else if (strncmp(si->name, "chansrc", DJ_START_NAME_MAX) == 0) {
        status = chantest_source();
    } else if (strncmp(si->name, "chandie", DJ_START_NAME_MAX) == 0) {
        status = chantest_dying_sink();
    } else if (strncmp(si->name, "chanorph", DJ_START_NAME_MAX) == 0) {
        status = chantest_orphan_source();
    } else {
        printf("chantest: no role for the name '%s' (chansink, chansrc, chandie or chanorph)\n", si->name);
        status = 1;
    }
    (void)status; /* reported on the console already */
    dj_block_forever(CHANTEST_SEL_SLEEP);
}
