/* SPDX-License-Identifier: GPL-2.0-only */
/* Synchronous IPC within and across address spaces. */
#include "echo_server.h"
#include "lib/server.h"
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define BADGE 0xb00c
#define CHILD_QUOTA_PAGES 256

extern char __text_start[], __text_end[], __data_start[], __image_end[];

/* The echo portal in this PD, created on first use (0 if that failed). */
uint64_t ipc_local_pt(void)
{
    static uint64_t pt;
    if (!pt) {
        uint64_t sel = utest_selector();
        if (echo_server_create(DJ_SEL_SELF_PD, sel, BADGE, utest_pages(ECHO_STACK_PAGES)) == DJ_OK)
            pt = sel;
    }
    return pt;
}

UTEST(ipc_sas_all_sizes)
{
    UTEST_REQUIRE(ipc_local_pt(), "server setup failed");
    return echo_all_sizes(ipc_local_pt(), why, why_len);
}

UTEST(ipc_badge_delivered)
{
    uint64_t out = 0;
    UTEST_REQUIRE(dj_call(ipc_local_pt(), DJ_MTD(0, 0), &out) == DJ_OK && DJ_MTD_UNTYPED(out) == 1, "call failed");
    UTEST_REQUIRE(dj_utcb()->words[0] == BADGE, "handler saw badge %#llx", (unsigned long long)dj_utcb()->words[0]);
    return true;
}

UTEST(ipc_overflow_refused)
{
    UTEST_REQUIRE(dj_call(ipc_local_pt(), DJ_MTD(DJ_UTCB_WORDS + 1, 0), 0) == DJ_E_OVERFLOW, "oversized message accepted");
    UTEST_REQUIRE(dj_call(ipc_local_pt(), DJ_MTD(DJ_UTCB_WORDS - 1, 1), 0) == DJ_E_OVERFLOW,
                  "words and typed items beyond the UTCB accepted");
    return true;
}

UTEST(ipc_reply_from_thread_refused)
{
    UTEST_REQUIRE(dj_reply(0) == DJ_E_BAD_CAP, "a global EC could reply");
    return true;
}

static enum dj_status share_range(uint64_t pd, uint64_t start, uint64_t end, unsigned rights)
{
    for (uint64_t va = start; va < end; va += UTEST_PAGE) {
        enum dj_status st = dj_delegate(pd, DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, rights), va / UTEST_PAGE);
        if (st != DJ_OK)
            return st;
    }
    return DJ_OK;
}

/* A new PD sharing this program's image (code, data and a stack). */
uint64_t child_pd_create(void **stack_out)
{
    return child_pd_create_prio(stack_out, DJ_PRIO_MAX);
}

uint64_t child_pd_create_prio(void **stack_out, unsigned max_prio)
{
    uint64_t child = utest_selector();
    void *stack = utest_pages(ECHO_STACK_PAGES);
    if (!stack || dj_create_pd_prio(child, DJ_SEL_SELF_PD, CHILD_QUOTA_PAGES, max_prio) != DJ_OK)
        return 0;
    if (share_range(child, (uint64_t)__text_start, (uint64_t)__text_end, DJ_MEM_R | DJ_MEM_X) != DJ_OK ||
        share_range(child, (uint64_t)__text_end, (uint64_t)__data_start, DJ_MEM_R) != DJ_OK ||
        share_range(child, (uint64_t)__data_start, (uint64_t)__image_end, DJ_MEM_R | DJ_MEM_W) != DJ_OK ||
        share_range(child, (uint64_t)stack, (uint64_t)stack + ECHO_STACK_PAGES * UTEST_PAGE, DJ_MEM_R | DJ_MEM_W) !=
            DJ_OK)
        return 0;
    *stack_out = stack;
    return child;
}

/* The echo portal into a child PD, created on first use (0 if that failed). */
uint64_t ipc_child_pt(void)
{
    static uint64_t pt;
    void *stack;
    uint64_t child;
    if (!pt && (child = child_pd_create(&stack))) {
        uint64_t sel = utest_selector();
        if (echo_server_create(child, sel, 0, stack) == DJ_OK)
            pt = sel;
    }
    return pt;
}

UTEST(ipc_xas_all_sizes)
{
    UTEST_REQUIRE(ipc_child_pt(), "child PD or server setup failed");
    return echo_all_sizes(ipc_child_pt(), why, why_len);
}

/* The fast path (untyped only) and the general path (forced by a null
 * typed item) must give the same results for every size. */
static bool roundtrip(uint64_t pt, unsigned n, unsigned typed, uint64_t *out, char *why, size_t why_len)
{
    struct dj_utcb *u = dj_utcb();
    for (unsigned i = 0; i < n; i++)
        u->words[i] = (uint64_t)n * 1000 + i;
    if (typed) {
        u->words[DJ_UTCB_WORDS - 2] = DJ_CRD(DJ_CRD_NULL, 0, 0, 0);
        u->words[DJ_UTCB_WORDS - 1] = 0;
    }
    uint64_t mtd = 0;
    enum dj_status st = dj_call(pt, DJ_MTD(n, typed), &mtd);
    UTEST_REQUIRE(st == DJ_OK && DJ_MTD_UNTYPED(mtd) == n && DJ_MTD_TYPED(mtd) == typed,
                  "size %u typed %u: status %d mtd %#llx", n, typed, st, (unsigned long long)mtd);
    for (unsigned i = 0; i < n; i++)
        out[i] = u->words[i];
    return true;
}

UTEST(ipc_fast_and_general_paths_agree)
{
    static uint64_t fast[DJ_UTCB_WORDS], general[DJ_UTCB_WORDS];
    uint64_t pts[2] = {ipc_local_pt(), ipc_child_pt()};
    UTEST_REQUIRE(pts[0] && pts[1], "echo servers unavailable");
    for (unsigned p = 0; p < 2; p++)
        for (unsigned n = 1; n <= DJ_UTCB_WORDS - 2; n += 13) {
            if (!roundtrip(pts[p], n, 0, fast, why, why_len) || !roundtrip(pts[p], n, 1, general, why, why_len))
                return false;
            for (unsigned i = 0; i < n; i++)
                UTEST_REQUIRE(fast[i] == general[i] && fast[i] == (uint64_t)n * 1000 + i + 1,
                              "portal %u size %u word %u: fast %#llx general %#llx", p, n, i,
                              (unsigned long long)fast[i], (unsigned long long)general[i]);
        }
    return true;
}

/* A handler that is itself a client: it forwards the call to the echo
 * portal in the child PD and adds 100 to what comes back. */
static uint64_t forward_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    unsigned n = DJ_MTD_UNTYPED(u->mtd);
    uint64_t out = 0;
    if (dj_call(ipc_child_pt(), DJ_MTD(n, 0), &out) != DJ_OK)
        return DJ_MTD(0, 0);
    for (unsigned i = 0; i < n; i++)
        u->words[i] += 100;
    return DJ_MTD(DJ_MTD_UNTYPED(out), 0);
}

UTEST(ipc_nested_call_returns_to_each_caller)
{
    UTEST_REQUIRE(ipc_child_pt(), "echo server unavailable");
    void *stack = utest_pages(ECHO_STACK_PAGES);
    uint64_t pt = utest_selector();
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = pt, .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = ECHO_STACK_PAGES * UTEST_PAGE,
        .handler = forward_handler,
    };
    UTEST_REQUIRE(stack && dj_server_create(&s) == DJ_OK, "forwarding server setup failed");
    for (unsigned round = 0; round < 3; round++) {
        struct dj_utcb *u = dj_utcb();
        u->words[0] = 7;
        u->words[1] = 40;
        uint64_t out = 0;
        UTEST_REQUIRE(dj_call(pt, DJ_MTD(2, 0), &out) == DJ_OK && DJ_MTD_UNTYPED(out) == 2, "round %u: call failed",
                      round);
        UTEST_REQUIRE(u->words[0] == 108 && u->words[1] == 141, "round %u: got %llu, %llu", round,
                      (unsigned long long)u->words[0], (unsigned long long)u->words[1]);
    }
    return true;
}
