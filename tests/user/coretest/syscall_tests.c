/* SPDX-License-Identifier: GPL-2.0-only */
/* Malformed system calls: every one gets its documented error. */
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define KERNEL_HALF 0xffff800000000000ull
#define UNMAPPED_USER_VA 0x10000000ull

UTEST(sys_unknown_number)
{
    UTEST_REQUIRE(dj_syscall(99, 0, 0, 0, 0, 0, 0).status == DJ_E_BAD_SYS, "not DJ_E_BAD_SYS");
    UTEST_REQUIRE(dj_syscall(DJ_SYS_COUNT, 0, 0, 0, 0, 0, 0).status == DJ_E_BAD_SYS, "DJ_SYS_COUNT accepted");
    UTEST_REQUIRE(dj_syscall(DJ_SYS_LOOKUP | 1ull << 20, 0, 0, 0, 0, 0, 0).status == DJ_E_BAD_SYS,
                  "garbage in RAX's upper bits accepted");
    return true;
}

UTEST(sys_empty_selector)
{
    UTEST_REQUIRE(dj_pt_ctrl(utest_selector(), 1) == DJ_E_BAD_CAP, "not DJ_E_BAD_CAP");
    return true;
}

UTEST(sys_wrong_object_type)
{
    UTEST_REQUIRE(dj_pt_ctrl(DJ_SEL_SELF_PD, 1) == DJ_E_BAD_CAP, "PT operation on a PD accepted");
    UTEST_REQUIRE(dj_call(DJ_SEL_SELF_EC, 0, 0) == DJ_E_BAD_CAP, "call on an EC accepted");
    UTEST_REQUIRE(dj_create_pd(utest_selector(), DJ_SEL_SELF_EC, 1) == DJ_E_BAD_CAP, "EC used as quota PD");
    return true;
}

UTEST(sys_selector_out_of_range)
{
    UTEST_REQUIRE(dj_create_sm(1ull << 40, DJ_SEL_SELF_PD, 0) == DJ_E_BAD_PARAM, "not DJ_E_BAD_PARAM");
    UTEST_REQUIRE(dj_pt_ctrl(~0ull, 0) == DJ_E_BAD_CAP, "selector ~0 accepted");
    return true;
}

UTEST(sys_occupied_selector)
{
    UTEST_REQUIRE(dj_create_sm(DJ_SEL_SELF_EC, DJ_SEL_SELF_PD, 0) == DJ_E_BUSY, "not DJ_E_BUSY");
    return true;
}

UTEST(sys_bad_addresses)
{
    UTEST_REQUIRE(dj_debug(DJ_DEBUG_OP_PUTS, KERNEL_HALF, 8) == DJ_E_BAD_ADDR, "kernel pointer accepted");
    UTEST_REQUIRE(dj_debug(DJ_DEBUG_OP_PUTS, UNMAPPED_USER_VA, 8) == DJ_E_BAD_ADDR, "unmapped pointer accepted");
    UTEST_REQUIRE(dj_debug(DJ_DEBUG_OP_PUTS, 0x7ffffffffff8ull, 64) == DJ_E_BAD_ADDR, "range past the user half");
    UTEST_REQUIRE(dj_debug(DJ_DEBUG_OP_PUTS, 0, 1000) == DJ_E_BAD_PARAM, "oversized debug string accepted");
    UTEST_REQUIRE(dj_create_ec(utest_selector(), DJ_SEL_SELF_PD, dj_boot_cpu, KERNEL_HALF, 0, 0, false) ==
                      DJ_E_BAD_ADDR,
                  "UTCB in the kernel half accepted");
    UTEST_REQUIRE(dj_create_ec(utest_selector(), DJ_SEL_SELF_PD, dj_boot_cpu, 0x1234, 0, 0, false) ==
                      DJ_E_BAD_ADDR,
                  "unaligned UTCB accepted");
    return true;
}

UTEST(sys_bad_cpu)
{
    UTEST_REQUIRE(dj_create_ec(utest_selector(), DJ_SEL_SELF_PD, 1000, utest_va(1), 0, 0, false) == DJ_E_BAD_CPU,
                  "CPU 1000 accepted");
    return true;
}

UTEST(sys_lookup_self_pd)
{
    enum dj_obj_type t = DJ_OBJ_NONE;
    UTEST_REQUIRE(dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_SELF_PD, 0, 0), 0, &t) == DJ_OK && t == DJ_OBJ_PD,
                  "self PD not found");
    UTEST_REQUIRE(dj_lookup(DJ_CRD(DJ_CRD_OBJ, utest_selector(), 0, 0), 0, &t) == DJ_OK && t == DJ_OBJ_NONE,
                  "empty selector reported as type %d", t);
    return true;
}

UTEST(sm_count_up_down)
{
    uint64_t sm = utest_selector();
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 1) == DJ_OK, "create failed");
    UTEST_REQUIRE(dj_sm_ctrl(sm, DJ_SM_OP_TRY_DOWN) == DJ_OK, "first down failed");
    UTEST_REQUIRE(dj_sm_ctrl(sm, DJ_SM_OP_TRY_DOWN) == DJ_E_TIMEOUT, "down on zero did not time out");
    UTEST_REQUIRE(dj_sm_ctrl(sm, DJ_SM_OP_UP) == DJ_OK && dj_sm_ctrl(sm, DJ_SM_OP_DOWN) == DJ_OK, "up/down failed");
    UTEST_REQUIRE(dj_sm_ctrl(sm, 77) == DJ_E_BAD_PARAM, "unknown operation accepted");
    return true;
}
