/* SPDX-License-Identifier: GPL-2.0-only */
/* kvclient: the client half of the writing-a-server example, and the
 * boot-chain test of the boot test ISO (boot-test.mk). It talks to
 * kvstore and the console through the portals init granted it
 * (docs/boot-config.md), prints one "PASS name" or "FAIL name: why" line
 * per check on the kernel debug console, and then reports its totals
 * with DJ_SYS_DEBUG op DJ_DEBUG_OP_TEST_DONE, which powers the machine off in test mode.
 * With arg=fill it is instead a greedy client for the per-client quota
 * test (servers/init/hostile.conf): it stores keys until kvstore refuses,
 * says how many it got, and rests. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/check.h"
#include "lib/component.h"
#include "lib/console_client.h"
#include "lib/proto.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "servers/kvstore/kv.h"

#define ROUNDTRIP_KEYS 100
#define QUOTA_FIRST_KEY 5000
#define FILL_LIMIT (4 * KV_CLIENTS_MAX * KV_CLIENT_MAX_ENTRIES) /* more than any table */
#define SEL_SLEEP_SM DJ_CHILD_FIRST_FREE

static uint64_t kv_pt, console_pt;
static struct check_tally tally;

/* ---- The client calls (the tutorial's part) ------------------------------ */

static enum dj_status kv_put(uint64_t key, uint64_t value)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = KV_OP_PUT;
    u->words[1] = key;
    u->words[2] = value;
    uint64_t out;
    enum dj_status st = dj_call(kv_pt, DJ_MTD(KV_PUT_WORDS, 0), &out);
    if (st != DJ_OK)
        return st; /* the call itself failed: no reply to read */
    return DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
}

/* DJ_OK with *found and *value, or why not. */
static enum dj_status kv_get(uint64_t key, bool *found, uint64_t *value)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = KV_OP_GET;
    u->words[1] = key;
    uint64_t out;
    enum dj_status st = dj_call(kv_pt, DJ_MTD(KV_GET_WORDS, 0), &out);
    if (st != DJ_OK)
        return st;
    if (DJ_MTD_UNTYPED(out) != KV_GET_REPLY_WORDS)
        return DJ_E_BAD_PARAM; /* a reply of the wrong shape is not trusted */
    *found = u->words[1] != 0;
    *value = u->words[2];
    return (enum dj_status)u->words[0];
}

static enum dj_status kv_del(uint64_t key, bool *found)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = KV_OP_DEL;
    u->words[1] = key;
    uint64_t out;
    enum dj_status st = dj_call(kv_pt, DJ_MTD(KV_DEL_WORDS, 0), &out);
    if (st != DJ_OK)
        return st;
    if (DJ_MTD_UNTYPED(out) != KV_DEL_REPLY_WORDS)
        return DJ_E_BAD_PARAM;
    *found = u->words[1] != 0;
    return (enum dj_status)u->words[0];
}

/* A raw request: words and MTD as given; returns the reply's status word. */
static enum dj_status raw_call(uint64_t pt, const uint64_t *w, unsigned n, uint64_t mtd)
{
    struct dj_utcb *u = dj_utcb();
    for (unsigned i = 0; i < n; i++)
        u->words[i] = w[i];
    uint64_t out;
    enum dj_status st = dj_call(pt, mtd, &out);
    if (st != DJ_OK)
        return st;
    return DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
}

/* ---- The checks ---------------------------------------------------------- */

static bool example_kv_put_get(char *why)
{
    bool found = false;
    uint64_t v = 0;
    CHECK(kv_put(1, 100) == DJ_OK, "put failed");
    CHECK(kv_get(1, &found, &v) == DJ_OK && found && v == 100, "get returned found %d value %lu", found,
          (unsigned long)v);
    return true;
}

static bool example_kv_overwrite(char *why)
{
    bool found = false;
    uint64_t v = 0;
    CHECK(kv_put(2, 7) == DJ_OK && kv_put(2, 8) == DJ_OK, "put failed");
    CHECK(kv_get(2, &found, &v) == DJ_OK && found && v == 8, "value %lu after overwrite", (unsigned long)v);
    return true;
}

static bool example_kv_missing_key(char *why)
{
    bool found = true;
    uint64_t v = 1;
    CHECK(kv_get(0xdead, &found, &v) == DJ_OK && !found, "a key never stored was found");
    return true;
}

static bool example_kv_delete(char *why)
{
    bool found = false;
    uint64_t v;
    CHECK(kv_put(3, 33) == DJ_OK, "put failed");
    CHECK(kv_del(3, &found) == DJ_OK && found, "delete did not find the key");
    CHECK(kv_get(3, &found, &v) == DJ_OK && !found, "key still there after delete");
    CHECK(kv_del(3, &found) == DJ_OK && !found, "second delete found the key");
    return true;
}

static bool example_kv_roundtrip(char *why)
{
    for (uint64_t k = 0; k < ROUNDTRIP_KEYS; k++)
        CHECK(kv_put(1000 + k, k * k + 1) == DJ_OK, "put of key %lu failed", (unsigned long)(1000 + k));
    for (uint64_t k = 0; k < ROUNDTRIP_KEYS; k++) {
        bool found = false;
        uint64_t v = 0;
        CHECK(kv_get(1000 + k, &found, &v) == DJ_OK && found && v == k * k + 1, "key %lu: found %d value %lu",
              (unsigned long)(1000 + k), found, (unsigned long)v);
    }
    return true;
}

static bool example_kv_bad_requests_refused(char *why)
{
    static const uint64_t unknown_op[] = {99, 1, 2};
    static const uint64_t short_put[] = {KV_OP_PUT, 5};
    static const uint64_t announce[] = {DJ_SERVICE_OP_CLIENT, 1, 0, 0};
    CHECK(raw_call(kv_pt, unknown_op, 3, DJ_MTD(3, 0)) == DJ_E_BAD_PARAM, "unknown operation accepted");
    CHECK(raw_call(kv_pt, short_put, 2, DJ_MTD(2, 0)) == DJ_E_BAD_PARAM, "put without a value accepted");
    CHECK(raw_call(kv_pt, short_put, 0, DJ_MTD(0, 0)) == DJ_E_BAD_PARAM, "empty message accepted");
    CHECK(raw_call(kv_pt, announce, 4, DJ_MTD(4, 0)) == DJ_E_BAD_PARAM, "a client posed as init");
    return true;
}

/* Exactly the granted capabilities: parent, kvstore and console portals,
 * its own PD with the create and delegate rights only (no kill right),
 * and nothing past the grants. */
#define GRANTED_GSI 8 /* boot-test.conf and system.conf grant it irq=8 */

static bool example_grants_exact(char *why)
{
    const struct dj_start_info *si = dj_start();
    CHECK(si && si->ncaps == 3, "%u named capabilities, expected 3", si ? si->ncaps : 0);
    uint64_t crd = 0;
    enum dj_obj_type type = DJ_OBJ_NONE;
    CHECK(dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_SELF_PD, 0, 0), &crd, &type) == DJ_OK && type == DJ_OBJ_PD &&
              DJ_CRD_RIGHTS(crd) == (DJ_PD_CREATE | DJ_PD_DELEGATE),
          "own PD: type %d rights %#lx", type, (unsigned long)DJ_CRD_RIGHTS(crd));
    CHECK(dj_lookup(DJ_CRD(DJ_CRD_OBJ, kv_pt, 0, 0), &crd, &type) == DJ_OK && type == DJ_OBJ_PT &&
              DJ_CRD_RIGHTS(crd) == DJ_PT_CALL,
          "kvstore portal: type %d rights %#lx", type, (unsigned long)DJ_CRD_RIGHTS(crd));
    CHECK(dj_pt_ctrl(kv_pt, 1) == DJ_E_BAD_CAP, "the client could change its own badge");
    CHECK(dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_IRQ_BASE + GRANTED_GSI, 0, 0), &crd, &type) == DJ_OK &&
              type == DJ_OBJ_IRQ && DJ_CRD_RIGHTS(crd) == DJ_IRQ_CTRL,
          "granted interrupt line: type %d rights %#lx", type, (unsigned long)DJ_CRD_RIGHTS(crd));
    CHECK(dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_IRQ_BASE + GRANTED_GSI + 1, 0, 0), &crd, &type) == DJ_OK &&
              type == DJ_OBJ_NONE,
          "an interrupt line it was not granted is there (type %d)", type);
    uint64_t beyond = DJ_CHILD_FIRST_GRANT + si->ncaps;
    CHECK(dj_call(beyond, DJ_MTD(0, 0), NULL) == DJ_E_BAD_CAP, "selector %lu past the grants is callable",
          (unsigned long)beyond);
    return true;
}

static bool example_console_output(char *why)
{
    static const char line[] = "hello from kvclient through the console portal\n";
    static const uint64_t too_long[] = {DJ_CONSOLE_OP_WRITE, DJ_CONSOLE_WRITE_MAX + 1};
    static const uint64_t wrong_size[] = {DJ_CONSOLE_OP_WRITE, 16, 0};
    CHECK(dj_console_write(console_pt, dj_utcb(), line, sizeof(line) - 1) == DJ_OK, "console write failed");
    CHECK(raw_call(console_pt, too_long, 2, DJ_MTD(2, 0)) == DJ_E_BAD_PARAM, "oversized write accepted");
    CHECK(raw_call(console_pt, wrong_size, 3, DJ_MTD(3, 0)) == DJ_E_BAD_PARAM, "byte count and words disagree");
    return true;
}

/* Stores new keys from first until kvstore refuses; *n: how many it took. */
static enum dj_status fill(uint64_t first, unsigned *n)
{
    enum dj_status st = DJ_OK;
    for (*n = 0; *n < FILL_LIMIT; ++*n)
        if ((st = kv_put(first + *n, *n)) != DJ_OK)
            break;
    return st;
}

/* Its quota ends its PUTs of new keys, not its other requests; room
 * comes back with a delete. The other clients keep theirs (the hostile
 * boot test runs a greedy client, kvfill, before this one). */
static bool example_kv_per_client_quota(char *why)
{
    unsigned n = 0;
    enum dj_status st = fill(QUOTA_FIRST_KEY, &n);
    CHECK(st == DJ_E_QUOTA, "PUT of new key %u returned status %d, expected the quota (8)", n, st);
    CHECK(n >= 1 && n <= KV_CLIENT_MAX_ENTRIES, "%u new keys stored, at most %u allowed", n, KV_CLIENT_MAX_ENTRIES);
    bool found = false;
    uint64_t v = 0;
    CHECK(kv_put(1, 101) == DJ_OK, "overwriting a key it holds failed at its quota");
    CHECK(kv_get(QUOTA_FIRST_KEY, &found, &v) == DJ_OK && found && v == 0, "a key stored before the quota is gone");
    CHECK(kv_del(QUOTA_FIRST_KEY, &found) == DJ_OK && found, "delete at the quota failed");
    CHECK(kv_put(QUOTA_FIRST_KEY + n, 1) == DJ_OK, "no room after a delete");
    for (unsigned k = 0; k <= n; k++)
        kv_del(QUOTA_FIRST_KEY + k, &found);
    return true;
}

static const struct check checks[] = {
    {"example_kv_put_get", example_kv_put_get},
    {"example_kv_overwrite", example_kv_overwrite},
    {"example_kv_missing_key", example_kv_missing_key},
    {"example_kv_delete", example_kv_delete},
    {"example_kv_roundtrip", example_kv_roundtrip},
    {"example_kv_bad_requests_refused", example_kv_bad_requests_refused},
    {"example_kv_per_client_quota", example_kv_per_client_quota},
    {"example_grants_exact", example_grants_exact},
    {"example_console_output", example_console_output},
};

int main(void)
{
    if (!dj_start() || !dj_start_cap("kvstore", &kv_pt) || !dj_start_cap("console", &console_pt)) {
        dj_debug_puts("FAIL example_kv_setup: kvstore or console portal not granted\n");
        dj_debug(DJ_DEBUG_OP_TEST_DONE, 1, 0);
        return 1;
    }
    dj_console_attach(console_pt);
    if (strcmp(dj_start()->arg, "fill") == 0) {
        unsigned n = 0;
        enum dj_status st = fill(1, &n);
        printf("PUT refused with status %d after %u entries\n", st, n);
        dj_block_forever(SEL_SLEEP_SM);
    }
    printf("running %u checks\n", (unsigned)(sizeof(checks) / sizeof(checks[0])));
    check_run_all(checks, sizeof(checks) / sizeof(checks[0]), CHECK_TO_DEBUG, &tally);
    check_summary(&tally);
    dj_debug(DJ_DEBUG_OP_TEST_DONE, (uint64_t)tally.passed << 32 | tally.failed, 0);
    dj_block_forever(SEL_SLEEP_SM); /* outside test mode the kernel refuses and the client rests */
}
