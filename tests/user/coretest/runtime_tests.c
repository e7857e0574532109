/* SPDX-License-Identifier: GPL-2.0-only */
/* The runtime's traps (issue 13): out-of-range counts in an MTD are an
 * error in the runtime and the kernel, a reply item outside the receive
 * window has a status of its own and leaves a defined UTCB, typed items
 * sit where docs/abi.md says, status names, a handler's printf is queued
 * instead of lost, and the runtime's guarded pages have their guard. */
#include <stdbool.h>
#include <stddef.h>
#include "lib/freespace.h"
#include "lib/handler_output.h"
#include "lib/serve.h"
#include "lib/server.h"
#include "lib/status.h"
#include "stdio.h"
#include "string.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define STACK_PAGES 4
#define MARK0 0x1111000011110000ull
#define MARK1 0x2222000022220000ull
#define REPLY_WORD 0x5eed

enum mode { MODE_TWO_ITEMS, MODE_OUTSIDE_WINDOW, MODE_IN_HANDLER };

static enum mode mode;
static uint64_t *src_pages; /* two pages the handler hands out */
static uint64_t dst_va;     /* where the caller wants them */

static uint64_t item_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    switch (mode) {
    case MODE_TWO_ITEMS: {
        /* Written by hand in the layout docs/abi.md states: item 0 at
         * words[480 - 2n], item n - 1 in the last two words. */
        uint64_t *w = u->words;
        w[DJ_UTCB_WORDS - 4] = DJ_CRD(DJ_CRD_MEM, (uint64_t)src_pages / UTEST_PAGE, 0, DJ_MEM_R);
        w[DJ_UTCB_WORDS - 3] = dst_va / UTEST_PAGE;
        w[DJ_UTCB_WORDS - 2] = DJ_CRD(DJ_CRD_MEM, (uint64_t)src_pages / UTEST_PAGE + 1, 0, DJ_MEM_R);
        w[DJ_UTCB_WORDS - 1] = dst_va / UTEST_PAGE + 1;
        u->words[0] = DJ_OK;
        return DJ_MTD(1, 2);
    }
    case MODE_OUTSIDE_WINDOW:
        u->words[1] = REPLY_WORD;
        return dj_reply_mem(u, DJ_OK, 2, src_pages, 0, DJ_MEM_R, dst_va);
    case MODE_IN_HANDLER:
        u->words[1] = dj_in_handler();
        dj_handler_output_queue("from the handler\n", 17);
        return dj_reply_words(u, DJ_OK, 2);
    }
    return dj_reply_status(u, DJ_E_BAD_PARAM);
}

static uint64_t item_pt(void)
{
    static uint64_t pt;
    if (!pt) {
        void *stack = utest_pages(STACK_PAGES);
        src_pages = utest_pages(2);
        if (!stack || !src_pages)
            return 0;
        struct dj_server s = {
            .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = utest_selector(), .cpu = dj_boot_cpu,
            .utcb_va = utest_va(1), .stack = stack, .stack_size = STACK_PAGES * UTEST_PAGE,
            .handler = item_handler,
        };
        if (dj_server_create(&s) == DJ_OK)
            pt = s.pt_sel;
    }
    return pt;
}

static bool mapped(uint64_t va)
{
    uint64_t crd = 0;
    return dj_lookup(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, 0), &crd, 0) == DJ_OK && crd != 0;
}

UTEST(runtime_mtd_count_out_of_range_refused)
{
    UTEST_REQUIRE(item_pt(), "server setup failed");
    UTEST_REQUIRE(DJ_MTD(1024, 0) == DJ_MTD_BAD && DJ_MTD(0, DJ_MTD_MAX_TYPED + 1) == DJ_MTD_BAD &&
                      DJ_MTD(DJ_UTCB_WORDS + 1, 0) == DJ_MTD_BAD && DJ_MTD(-1, 0) == DJ_MTD_BAD,
                  "DJ_MTD wrapped a count into another message");
    UTEST_REQUIRE(DJ_MTD(DJ_MTD_MAX_UNTYPED, 0) == DJ_UTCB_WORDS, "the largest message is refused");
    struct dj_utcb *u = dj_utcb();
    u->words[0] = 77;
    uint64_t out = 123;
    enum dj_status st = dj_call(item_pt(), DJ_MTD(1024, 0), &out);
    UTEST_REQUIRE(st == DJ_E_OVERFLOW && out == 0 && u->words[0] == 77,
                  "runtime: DJ_MTD(1024, 0) gave %s, mtd_out %#llx, word 0 %llu", dj_status_name(st),
                  (unsigned long long)out, (unsigned long long)u->words[0]);
    /* The kernel refuses it too, for code that bypasses dj_call. */
    struct dj_sysret r = dj_syscall(DJ_SYS_CALL, item_pt(), DJ_MTD(1024, 0), 0, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_OVERFLOW && r.out1 == 0 && u->words[0] == 77,
                  "kernel: DJ_MTD(1024, 0) gave %s, rsi %#llx", dj_status_name(r.status), (unsigned long long)r.out1);
    r = dj_syscall(DJ_SYS_CALL, item_pt(), DJ_MTD_BAD | 1, 0, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_OVERFLOW, "kernel: an MTD with DJ_MTD_BAD gave %s", dj_status_name(r.status));
    UTEST_REQUIRE(dj_utcb_set_words(u, u->words, DJ_UTCB_WORDS + 1) == DJ_MTD_BAD, "set_words clamped");
    return true;
}

UTEST(runtime_typed_items_in_documented_order)
{
    UTEST_REQUIRE(item_pt(), "server setup failed");
    struct dj_utcb *u = dj_utcb();
    UTEST_REQUIRE(dj_utcb_typed(u, 2) == (struct dj_typed_item *)&u->words[DJ_UTCB_WORDS - 4] &&
                      &dj_utcb_typed(u, 2)[1] == (struct dj_typed_item *)&u->words[DJ_UTCB_WORDS - 2],
                  "dj_utcb_typed disagrees with docs/abi.md");
    src_pages[0] = MARK0;
    src_pages[UTEST_PAGE / 8] = MARK1;
    dst_va = utest_va(2);
    mode = MODE_TWO_ITEMS;
    uint64_t out = 0;
    u->recv_window = DJ_CRD(DJ_CRD_MEM, dst_va / UTEST_PAGE, 1, DJ_MEM_ALL);
    enum dj_status st = dj_call(item_pt(), DJ_MTD(0, 0), &out);
    u->recv_window = 0;
    UTEST_REQUIRE(st == DJ_OK && out == DJ_MTD(1, 2), "call: %s, mtd %#llx", dj_status_name(st),
                  (unsigned long long)out);
    const uint64_t *dst = (const uint64_t *)dst_va;
    UTEST_REQUIRE(dst[0] == MARK0 && dst[UTEST_PAGE / 8] == MARK1,
                  "item 0 landed with %#llx, item 1 with %#llx (swapped?)", (unsigned long long)dst[0],
                  (unsigned long long)dst[UTEST_PAGE / 8]);
    return true;
}

UTEST(runtime_reply_outside_window_own_status)
{
    UTEST_REQUIRE(item_pt(), "server setup failed");
    struct dj_utcb *u = dj_utcb();
    uint64_t window_va = utest_va(1);
    dst_va = utest_va(1); /* not the window */
    mode = MODE_OUTSIDE_WINDOW;
    u->words[1] = 0;
    uint64_t out = 0;
    u->recv_window = DJ_CRD(DJ_CRD_MEM, window_va / UTEST_PAGE, 0, DJ_MEM_ALL);
    enum dj_status st = dj_call(item_pt(), DJ_MTD(0, 0), &out);
    u->recv_window = 0;
    UTEST_REQUIRE(st == DJ_E_RECV_WINDOW, "status %s, not DJ_E_RECV_WINDOW", dj_status_name(st));
    UTEST_REQUIRE(out == DJ_MTD(2, 0) && u->mtd == DJ_MTD(2, 0), "mtd_out %#llx, UTCB mtd %#llx: want 2 words, 0 items",
                  (unsigned long long)out, (unsigned long long)u->mtd);
    UTEST_REQUIRE(u->words[0] == DJ_OK && u->words[1] == REPLY_WORD, "the reply's words did not arrive");
    UTEST_REQUIRE(!mapped(dst_va) && !mapped(window_va), "memory was delivered anyway");
    /* The client helper reports it the same way. */
    st = dj_request_mem(item_pt(), DJ_MTD(0, 0), 2, (void *)window_va, 0);
    UTEST_REQUIRE(st == DJ_E_RECV_WINDOW && u->recv_window == 0, "dj_request_mem: %s", dj_status_name(st));
    return true;
}

UTEST(runtime_status_names)
{
    for (uint64_t s = 0; s < DJ_STATUS_COUNT; s++)
        UTEST_REQUIRE(strncmp(dj_status_name(s), "DJ_", 3) == 0, "status %llu has no name", (unsigned long long)s);
    UTEST_REQUIRE(strcmp(dj_status_name(DJ_E_RECV_WINDOW), "DJ_E_RECV_WINDOW") == 0 &&
                      strcmp(dj_status_name(DJ_E_BAD_CAP), "DJ_E_BAD_CAP") == 0,
                  "names out of order");
    UTEST_REQUIRE(strcmp(dj_status_name(DJ_STATUS_COUNT), "unknown status") == 0 &&
                      strcmp(dj_status_name(~0ull), "unknown status") == 0,
                  "a number outside the statuses got a name");
    return true;
}

static char captured[DJ_HANDLER_OUTPUT_MAX + 128];
static size_t captured_len;

static bool contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);
    for (; *hay; hay++)
        if (strncmp(hay, needle, n) == 0)
            return true;
    return false;
}

static void capture(const char *s, size_t len)
{
    if (captured_len + len < sizeof(captured)) {
        memcpy(captured + captured_len, s, len);
        captured_len += len;
        captured[captured_len] = '\0';
    }
}

UTEST(runtime_handler_output_queued_not_lost)
{
    UTEST_REQUIRE(item_pt(), "server setup failed");
    UTEST_REQUIRE(!dj_in_handler(), "the main EC is taken for a handler");
    mode = MODE_IN_HANDLER;
    struct dj_utcb *u = dj_utcb();
    UTEST_REQUIRE(dj_request(item_pt(), DJ_MTD(0, 0), 2) == DJ_OK && u->words[1] == 1,
                  "the handler was not recognised as one");
    captured_len = 0;
    dj_handler_output_flush(capture);
    UTEST_REQUIRE(strcmp(captured, "from the handler\n") == 0, "flushed '%s'", captured);
    /* More than the queue holds: the rest is reported, not dropped silently. */
    static char big[DJ_HANDLER_OUTPUT_MAX + 10];
    memset(big, 'x', sizeof(big));
    dj_handler_output_queue(big, sizeof(big));
    captured_len = 0;
    dj_handler_output_flush(capture);
    UTEST_REQUIRE(captured_len > DJ_HANDLER_OUTPUT_MAX &&
                      contains(captured, "[10 bytes of handler output lost]"),
                  "an overflowing queue flushed %zu bytes without the lost-bytes line", captured_len);
    return true;
}

UTEST(runtime_guarded_pages_have_a_guard)
{
    uint64_t *p = dj_alloc_guarded(2);
    UTEST_REQUIRE(p, "no guarded pages");
    p[0] = 1;
    p[2 * UTEST_PAGE / 8 - 1] = 2;
    UTEST_REQUIRE(mapped((uint64_t)p) && mapped((uint64_t)p + UTEST_PAGE), "the pages are not mapped");
    UTEST_REQUIRE(!mapped((uint64_t)p - UTEST_PAGE), "the guard page below is mapped");
    UTEST_REQUIRE(!mapped((uint64_t)p + 2 * UTEST_PAGE), "the page above is mapped");
    return true;
}
