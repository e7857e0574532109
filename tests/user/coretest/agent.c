/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdbool.h>
#include "agent.h"
#include "echo_server.h"
#include "lib/server.h"
#include "shared.h"
#include "lib/utcb.h"
#include "utest.h"

#define AGENT_ARGS 7 /* the operation and six arguments */

static uint64_t agent_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    struct dj_sysret r =
        dj_syscall(u->words[0], u->words[1], u->words[2], u->words[3], u->words[4], u->words[5], u->words[6]);
    u->words[0] = r.status;
    u->words[1] = r.out1;
    u->words[2] = r.out2;
    return DJ_MTD(3, 0);
}

bool agent_create(struct agent *a, unsigned max_prio)
{
    void *stack;
    a->pd = child_pd_create_prio(&stack, max_prio);
    a->pt = utest_selector();
    if (!a->pd)
        return false;
    struct dj_server s = {
        .pd_sel = a->pd, .ec_sel = utest_selector(), .pt_sel = a->pt, .cpu = dj_boot_cpu, .utcb_va = utest_va(1),
        .stack = stack, .stack_size = ECHO_STACK_PAGES * UTEST_PAGE, .handler = agent_handler,
    };
    return dj_server_create(&s) == DJ_OK;
}

struct dj_sysret agent_syscall(const struct agent *a, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2,
                               uint64_t a3, uint64_t a4, uint64_t a5)
{
    struct dj_utcb *u = dj_utcb();
    const uint64_t args[AGENT_ARGS] = {op, a0, a1, a2, a3, a4, a5};
    for (unsigned i = 0; i < AGENT_ARGS; i++)
        u->words[i] = args[i];
    enum dj_status st = dj_call(a->pt, DJ_MTD(AGENT_ARGS, 0), 0);
    if (st != DJ_OK)
        return (struct dj_sysret){st, 0, 0};
    return (struct dj_sysret){u->words[0], u->words[1], u->words[2]};
}

enum dj_status agent_give(const struct agent *a, uint64_t sel, unsigned rights, uint64_t child_sel)
{
    return dj_delegate(a->pd, DJ_CRD(DJ_CRD_OBJ, sel, 0, rights), child_sel);
}
