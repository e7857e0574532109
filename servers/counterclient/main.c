/* SPDX-License-Identifier: GPL-2.0-only */
/* counterclient: the client half of the counter example
 * (docs/writing-a-server.md), and its test in the boot test ISO. It maps
 * its counter page, changes the counter through the server and reads the
 * result in the page, and checks what must be refused. Each check prints
 * "PASS name" or "FAIL name: why" on the console ("[counterclient] ..."),
 * which tests/run-all collects. */
#include "lib/check.h"
#include "lib/donjon.h"
#include "servers/counter/counter.h"

static uint64_t counter_pt;
static const struct counter_page *page; /* read-only, once mapped */
static struct check_tally tally;

/* ---- The client calls (the tutorial's part) ------------------------------ */

/* Maps the counter page at dst (a free page of this PD). */
static enum dj_status counter_map(void *dst)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = COUNTER_OP_MAP;
    u->words[1] = (uint64_t)(uintptr_t)dst;
    return dj_request_mem(counter_pt, DJ_MTD(COUNTER_MAP_WORDS, 0), COUNTER_MAP_REPLY_WORDS, dst, 0);
}

static enum dj_status counter_add(uint64_t amount, uint64_t *value)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = COUNTER_OP_ADD;
    u->words[1] = amount;
    enum dj_status st = dj_request(counter_pt, DJ_MTD(COUNTER_ADD_WORDS, 0), COUNTER_ADD_REPLY_WORDS);
    *value = u->words[1];
    return st;
}

/* ---- The checks ---------------------------------------------------------- */

static bool counter_page_mapped(char *why)
{
    void *dst = (void *)dj_alloc_va(1);
    enum dj_status st = counter_map(dst);
    CHECK(st == DJ_OK, "map: %s", dj_status_name(st));
    page = dst;
    CHECK(page->value == 0 && page->changes == 0, "a fresh counter reads %llu after %llu changes",
          (unsigned long long)page->value, (unsigned long long)page->changes);
    return true;
}

static bool counter_add_shows_in_page(char *why)
{
    uint64_t value = 0;
    CHECK(page, "no page");
    for (uint64_t i = 1; i <= 3; i++) {
        enum dj_status st = counter_add(i, &value);
        CHECK(st == DJ_OK, "add: %s", dj_status_name(st));
    }
    CHECK(value == 6 && page->value == 6 && page->changes == 3, "reply %llu, page %llu after %llu changes",
          (unsigned long long)value, (unsigned long long)page->value, (unsigned long long)page->changes);
    return true;
}

static bool counter_page_read_only(char *why)
{
    uint64_t crd = 0;
    CHECK(page, "no page");
    CHECK(dj_lookup(DJ_CRD(DJ_CRD_MEM, (uintptr_t)page / DJ_PAGE_SIZE, 0, 0), &crd, 0) == DJ_OK &&
              DJ_CRD_RIGHTS(crd) == DJ_MEM_R,
          "the page has rights %#llx, not read-only", (unsigned long long)DJ_CRD_RIGHTS(crd));
    return true;
}

static bool counter_bad_requests_refused(char *why)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = COUNTER_OP_MAP;
    u->words[1] = DJ_PAGE_SIZE + 8;
    enum dj_status st = dj_request(counter_pt, DJ_MTD(COUNTER_MAP_WORDS, 0), 1);
    CHECK(st == DJ_E_BAD_ADDR, "unaligned map: %s", dj_status_name(st));
    u->words[0] = COUNTER_OP_ADD;
    st = dj_request(counter_pt, DJ_MTD(1, 0), 1);
    CHECK(st == DJ_E_BAD_PARAM, "add without an amount: %s", dj_status_name(st));
    u->words[0] = 99;
    st = dj_request(counter_pt, DJ_MTD(2, 0), 1);
    CHECK(st == DJ_E_BAD_PARAM, "unknown operation: %s", dj_status_name(st));
    return true;
}

/* The runtime's traps, seen by a real client. */
static bool counter_traps_reported(char *why)
{
    struct dj_utcb *u = dj_utcb();
    uint64_t out = 1;
    enum dj_status st = dj_call(counter_pt, DJ_MTD(1024, 0), &out);
    CHECK(st == DJ_E_OVERFLOW && out == 0, "DJ_MTD(1024, 0): %s", dj_status_name(st));
    /* The page asked to land outside the window: a status of its own, the
     * reply words there, no item. */
    void *window = (void *)dj_alloc_va(1), *elsewhere = (void *)dj_alloc_va(1);
    u->words[0] = COUNTER_OP_MAP;
    u->words[1] = (uint64_t)(uintptr_t)elsewhere;
    u->recv_window = DJ_CRD(DJ_CRD_MEM, (uintptr_t)window / DJ_PAGE_SIZE, 0, DJ_MEM_ALL);
    st = dj_call(counter_pt, DJ_MTD(COUNTER_MAP_WORDS, 0), &out);
    u->recv_window = 0;
    CHECK(st == DJ_E_RECV_WINDOW, "item outside the window: %s", dj_status_name(st));
    CHECK(out == DJ_MTD(COUNTER_MAP_REPLY_WORDS, 0) && u->words[0] == DJ_OK, "reply mtd %#llx word 0 %llu",
          (unsigned long long)out, (unsigned long long)u->words[0]);
    return true;
}

static const struct check checks[] = {
    {"counter_page_mapped", counter_page_mapped},
    {"counter_add_shows_in_page", counter_add_shows_in_page},
    {"counter_page_read_only", counter_page_read_only},
    {"counter_bad_requests_refused", counter_bad_requests_refused},
    {"counter_traps_reported", counter_traps_reported},
};

int main(void)
{
    dj_start_with_console();
    if (!dj_start_cap("counter", &counter_pt)) {
        printf("FAIL counter_setup: no counter portal granted\n");
        dj_block_forever(dj_alloc_sel());
    }
    check_run_all(checks, sizeof(checks) / sizeof(checks[0]), CHECK_TO_CONSOLE, &tally);
    check_summary(&tally);
    dj_block_forever(dj_alloc_sel());
}
