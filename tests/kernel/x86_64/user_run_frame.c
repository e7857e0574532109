/* SPDX-License-Identifier: GPL-2.0-only */
/* The frame user_mode_run (user_entry.S) enters ring 3 with: one per CPU,
 * for the self-tests that run user code before the scheduler exists. */
#include "common/string.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/user_mode.h"

static struct trap_frame test_frame[MAX_CPUS];

/* Called by user_mode_run: a fresh frame entering at rip with stack rsp. */
void user_mode_prepare(uint64_t rip, uint64_t rsp);
void user_mode_prepare(uint64_t rip, uint64_t rsp)
{
    struct trap_frame *f = &test_frame[this_cpu()->index];
    memset(f, 0, sizeof(*f));
    f->rip = rip;
    f->rsp = rsp;
    user_frame_sanitize(f);
    user_context_activate(f);
}
