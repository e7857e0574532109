/* SPDX-License-Identifier: GPL-2.0-only */
#include <stdbool.h>
#include <stddef.h>
#include "echo_server.h"
#include "lib/server.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

uint64_t echo_handler(uint64_t badge, struct dj_utcb *u)
{
    unsigned n = DJ_MTD_UNTYPED(u->mtd);
    if (n == 0) {
        u->words[0] = badge;
        return DJ_MTD(1, 0);
    }
    for (unsigned i = 0; i < n; i++)
        u->words[i] += 1;
    /* A message with typed items is answered with as many null items, so
     * the reply takes the kernel's general path too. */
    unsigned typed = DJ_MTD_TYPED(u->mtd);
    for (unsigned i = 0; i < typed; i++) {
        u->words[DJ_UTCB_WORDS - 2 * (i + 1)] = DJ_CRD(DJ_CRD_NULL, 0, 0, 0);
        u->words[DJ_UTCB_WORDS - 2 * (i + 1) + 1] = 0;
    }
    /* The counts of the message received, which the kernel checked: the
     * same words and items back, without DJ_MTD's range checks. */
    return u->mtd & DJ_MTD_COUNTS;
}

enum dj_status echo_server_create(uint64_t pd_sel, uint64_t pt_sel, uint64_t badge, void *stack)
{
    if (!stack)
        return DJ_E_QUOTA;
    struct dj_server s = {
        .pd_sel = pd_sel, .ec_sel = utest_selector(), .pt_sel = pt_sel, .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = ECHO_STACK_PAGES * UTEST_PAGE,
        .handler = echo_handler, .badge = badge,
    };
    return dj_server_create(&s);
}

bool echo_all_sizes(uint64_t pt, char *why, size_t why_len)
{
    struct dj_utcb *u = dj_utcb();
    for (unsigned n = 1; n <= DJ_UTCB_WORDS; n++) {
        for (unsigned i = 0; i < n; i++)
            u->words[i] = (uint64_t)n << 32 | i;
        uint64_t out = 0;
        enum dj_status st = dj_call(pt, DJ_MTD(n, 0), &out);
        UTEST_REQUIRE(st == DJ_OK && DJ_MTD_UNTYPED(out) == n, "size %u: status %d, reply mtd %#llx", n, st,
                      (unsigned long long)out);
        for (unsigned i = 0; i < n; i++)
            UTEST_REQUIRE(u->words[i] == ((uint64_t)n << 32 | i) + 1, "size %u: word %u is %#llx", n, i,
                          (unsigned long long)u->words[i]);
    }
    return true;
}
