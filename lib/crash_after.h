/* SPDX-License-Identifier: BSD-2-Clause */
/* Fault injection for the restart tests (docs/boot-config.md, "arg="):
 * crash_after=N among the comma-separated items of a line's arg= makes the
 * first instance of the component (start info generation 0) die once it
 * has counted N events (frames, packets: the component says which);
 * later instances run normally, so a test sees one crash and a recovery.
 * Only the boot configuration can ask for it. The component dies its own
 * way (ud2, a write to a read-only page): the fault its bugs would cause. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/startinfo.h"

struct crash_after {
    uint64_t left; /* events before the crash; 0: not armed */
};

/* The N of an item crash_after=N (N > 0, at most 12 digits) among the
 * comma-separated items of arg (len bytes, not necessarily terminated);
 * false when there is none. */
bool crash_after_find(const char *arg, size_t len, uint64_t *n);

/* Reads si->arg: arms c with N for generation 0. Returns false when the
 * arg holds no crash_after=N (c stays unarmed). */
bool crash_after_arm(struct crash_after *c, const struct dj_start_info *si);

/* Counts events; true once, when the armed count is used up. */
bool crash_after_due(struct crash_after *c, uint64_t events);
