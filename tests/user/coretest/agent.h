/* SPDX-License-Identifier: GPL-2.0-only */
/* An agent: a portal handler in a child PD that makes the system calls a
 * test asks for, so a test can act as an unprivileged component (one that
 * holds only what the test delegates to it). */
#pragma once
#include <stdint.h>
#include "lib/syscall.h"

struct agent {
    uint64_t pd; /* the child PD (this PD's selector) */
    uint64_t pt; /* the agent's portal (this PD's selector) */
};

/* A child PD sharing this program's image, with maximum priority max_prio,
 * and its agent; false when that failed. */
bool agent_create(struct agent *a, unsigned max_prio);
/* Has the agent make system call op (DJ_SYS_* | flags << 8) with the
 * arguments; its status and results, or the call's failure in status. */
struct dj_sysret agent_syscall(const struct agent *a, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2,
                               uint64_t a3, uint64_t a4, uint64_t a5);
/* Delegates this PD's object capability sel with rights into the agent's
 * PD at child_sel. */
enum dj_status agent_give(const struct agent *a, uint64_t sel, unsigned rights, uint64_t child_sel);
