/* SPDX-License-Identifier: GPL-2.0-only */
/* Object capabilities: rights along derivations, revocation of copies,
 * and object rules the kernel enforces. */
#include <stdbool.h>
#include "echo_server.h"
#include "lib/server.h"
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define HANDLER_STACK_PAGES 4
#define THREAD_PRIO_ABOVE_ROOT 100
#define PRIO_TOO_HIGH 200

static enum dj_obj_type type_at(uint64_t sel, unsigned *rights)
{
    uint64_t crd = 0;
    enum dj_obj_type t = DJ_OBJ_NONE;
    if (dj_lookup(DJ_CRD(DJ_CRD_OBJ, sel, 0, 0), &crd, &t) != DJ_OK)
        return DJ_OBJ_NONE;
    if (rights)
        *rights = DJ_CRD_RIGHTS(crd);
    return t;
}

/* A copy of a capability inside this PD, with the given rights. */
static enum dj_status copy_cap(uint64_t from, uint64_t to, unsigned rights)
{
    return dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_OBJ, from, 0, rights), to);
}

UTEST(cap_delegate_reduces_rights)
{
    uint64_t pt = ipc_local_pt(), copy = utest_selector();
    unsigned rights = 0;
    UTEST_REQUIRE(pt && copy_cap(pt, copy, DJ_PT_CALL) == DJ_OK, "delegation failed");
    UTEST_REQUIRE(type_at(copy, &rights) == DJ_OBJ_PT && rights == DJ_PT_CALL, "copy has type/rights %u", rights);
    UTEST_REQUIRE(dj_pt_ctrl(copy, 1) == DJ_E_BAD_CAP, "a call-only copy could set the badge");
    uint64_t out = 0;
    UTEST_REQUIRE(dj_call(copy, DJ_MTD(0, 0), &out) == DJ_OK, "the copy cannot call");
    return true;
}

UTEST(cap_rights_cannot_grow)
{
    uint64_t pt = ipc_local_pt(), reduced = utest_selector(), regrown = utest_selector();
    unsigned rights = 0;
    UTEST_REQUIRE(copy_cap(pt, reduced, DJ_PT_CALL) == DJ_OK && copy_cap(reduced, regrown, DJ_OBJ_ALL) == DJ_OK,
                  "delegation failed");
    UTEST_REQUIRE(type_at(regrown, &rights) == DJ_OBJ_PT && rights == DJ_PT_CALL, "rights grew to %#x", rights);
    return true;
}

UTEST(cap_revoke_removes_copies_keeps_original)
{
    uint64_t sm = utest_selector(), a = utest_selector(), b = utest_selector();
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK && copy_cap(sm, a, DJ_OBJ_ALL) == DJ_OK &&
                      copy_cap(a, b, DJ_SM_UP) == DJ_OK,
                  "setup failed");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_OBJ, sm, 0, 0), false) == DJ_OK, "revoke failed");
    UTEST_REQUIRE(type_at(a, 0) == DJ_OBJ_NONE && type_at(b, 0) == DJ_OBJ_NONE, "a copy survived the revoke");
    UTEST_REQUIRE(type_at(sm, 0) == DJ_OBJ_SM && dj_sm_up(sm) == DJ_OK, "the original was lost");
    UTEST_REQUIRE(dj_sm_up(b) == DJ_E_BAD_CAP, "a revoked copy still works");
    return true;
}

UTEST(cap_revoke_self_removes_original)
{
    uint64_t sm = utest_selector();
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK, "create failed");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_OBJ, sm, 0, 0), true) == DJ_OK, "revoke failed");
    UTEST_REQUIRE(type_at(sm, 0) == DJ_OBJ_NONE && dj_sm_up(sm) == DJ_E_BAD_CAP, "the capability is still there");
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK, "the freed selector cannot be reused");
    return true;
}

UTEST(cap_semaphore_rights_enforced)
{
    uint64_t sm = utest_selector(), up_only = utest_selector();
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 1) == DJ_OK && copy_cap(sm, up_only, DJ_SM_UP) == DJ_OK, "setup");
    UTEST_REQUIRE(dj_sm_ctrl(up_only, DJ_SM_OP_TRY_DOWN) == DJ_E_BAD_CAP, "down through an up-only capability");
    UTEST_REQUIRE(dj_sm_up(up_only) == DJ_OK, "up through an up-only capability failed");
    return true;
}

UTEST(obj_portal_needs_local_ec)
{
    uint64_t ec = utest_selector();
    UTEST_REQUIRE(dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, utest_va(1), 0, utest_selector(), true) == DJ_OK,
                  "create EC failed");
    UTEST_REQUIRE(dj_create_pt(utest_selector(), DJ_SEL_SELF_PD, ec, 0, 0x400000) == DJ_E_BAD_CAP,
                  "a portal bound to a global EC");
    UTEST_REQUIRE(dj_create_sc(utest_selector(), DJ_SEL_SELF_PD, ec, PRIO_TOO_HIGH, 0) == DJ_E_BAD_PARAM,
                  "priority %u accepted", PRIO_TOO_HIGH);
    return true;
}

/* A thread without an exception portal: its #UD kills it, nothing else. */
static uint64_t ud_startup(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    static const uint8_t ud2[] = {0x0f, 0x0b};
    u->arch.rip = (uint64_t)ud2; /* rodata is not executable: a #PF instead, as fatal */
    u->arch.rsp = 0;
    return DJ_MTD(0, 0);
}

UTEST(exception_without_portal_kills_thread)
{
    uint64_t eb = utest_selector();
    for (unsigned i = 1; i < DJ_EV_COUNT; i++)
        utest_selector();
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = eb + DJ_EV_STARTUP, .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = HANDLER_STACK_PAGES * UTEST_PAGE,
        .handler = ud_startup, .mtd = DJ_MTD_RIP_RSP,
    };
    uint64_t ec = utest_selector(), sc = utest_selector();
    UTEST_REQUIRE(stack && dj_server_create(&s) == DJ_OK, "startup portal");
    UTEST_REQUIRE(dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, utest_va(1), 0, eb, true) == DJ_OK, "create EC");
    /* Higher priority than this thread: it runs, faults and dies before
     * create_sc returns here. */
    UTEST_REQUIRE(dj_create_sc(sc, DJ_SEL_SELF_PD, ec, THREAD_PRIO_ABOVE_ROOT, 0) == DJ_OK, "create SC");
    UTEST_REQUIRE(dj_ec_kill(ec) == DJ_E_BAD_CAP, "the faulting thread is still alive");
    UTEST_REQUIRE(dj_create_sc(utest_selector(), DJ_SEL_SELF_PD, ec, 1, 0) == DJ_E_BAD_CAP, "a dead EC got an SC");
    return true;
}
