/* SPDX-License-Identifier: GPL-2.0-only */
/* Starting the first user PD. */
#pragma once
#include <stdbool.h>
/* Build the root PD from the "sigma0" boot module and queue it; false when
 * there is none (or it is unusable: the reason is printed). */
bool root_start(void);
/* Route ring-3 syscalls, faults and timer ticks to the object layer. */
void scheduler_enable(void);
struct ec;
/* In test mode, the root EC's death ends the run with a FAIL line. */
void root_ec_killed(struct ec *ec);
