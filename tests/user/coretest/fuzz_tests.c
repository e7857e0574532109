/* SPDX-License-Identifier: GPL-2.0-only */
/* Random system calls: the kernel must answer every one with a status
 * and keep working. Runs late (file order) because what it creates eats
 * into this PD's quota. */
#include <stdbool.h>
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "utest.h"

#define FUZZ_ITERATIONS 20000
#define FUZZ_SELECTORS 64

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Arguments a fuzzer should try: boundaries, kernel addresses, selectors
 * of a scratch range, and noise. */
static uint64_t fuzz_arg(uint64_t scratch)
{
    static const uint64_t edges[] = {0, 1, 2, 31, 32, 0xfff, 0x1000, 0x7fffffffffffull, 0x800000000000ull,
                                     0xffff800000000000ull, 0xffffffff80200000ull, ~0ull, 1ull << 18, 1ull << 63};
    switch (rng() % 4) {
    case 0: return edges[rng() % (sizeof(edges) / sizeof(edges[0]))];
    case 1: return scratch + rng() % FUZZ_SELECTORS;
    case 2: return rng() & 0xffff;
    default: return rng();
    }
}

/* Operations that could legitimately block or end the run are left out:
 * calls (portals here reply; a random one may not exist), replies, kills,
 * SM downs, test-done; revokes only touch the scratch range. */
static bool fuzz_allowed(uint64_t op, uint64_t *a, uint64_t scratch)
{
    switch (op) {
    case DJ_SYS_CALL: case DJ_SYS_REPLY: case DJ_SYS_EC_CTRL: return false;
    case DJ_SYS_SM_CTRL: return a[1] != DJ_SM_OP_DOWN;
    case DJ_SYS_DEBUG: return a[0] != DJ_DEBUG_OP_TEST_DONE && (a[1] >= 0x800000000000ull || a[2] > DJ_DEBUG_PUTS_MAX);
    case DJ_SYS_REVOKE:
        a[0] = DJ_CRD(DJ_CRD_OBJ, scratch + rng() % FUZZ_SELECTORS, rng() % 3, rng());
        return true;
    case DJ_SYS_DELEGATE: return a[0] >= scratch; /* never into this PD's own memory */
    case DJ_SYS_MEM_ALLOC:
        a[1] &= 1; /* small orders: random mappings must not use up the quota */
        return true;
    default: return true;
    }
}

UTEST(fuzz_random_syscalls_answered)
{
    uint64_t scratch = utest_selector();
    for (unsigned i = 1; i < FUZZ_SELECTORS; i++)
        utest_selector();
    unsigned answered = 0;
    for (unsigned i = 0; i < FUZZ_ITERATIONS; i++) {
        uint64_t op = rng() % (DJ_SYS_COUNT + 2), a[6];
        for (unsigned k = 0; k < 6; k++)
            a[k] = fuzz_arg(scratch);
        if (rng() % 8 == 0)
            op |= (rng() & 0xff) << 8; /* flags */
        if (!fuzz_allowed(op & 0xff, a, scratch))
            continue;
        struct dj_sysret r = dj_syscall(op, a[0], a[1], a[2], a[3], a[4], a[5]);
        UTEST_REQUIRE(r.status < DJ_STATUS_COUNT, "op %#llx returned status %llu", (unsigned long long)op,
                      (unsigned long long)r.status);
        answered++;
    }
    UTEST_REQUIRE(answered > FUZZ_ITERATIONS / 2, "only %u calls made", answered);
    uint64_t out = 0;
    UTEST_REQUIRE(dj_call(ipc_local_pt(), DJ_MTD(0, 0), &out) == DJ_OK, "IPC broken after fuzzing");
    return true;
}
