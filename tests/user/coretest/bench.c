/* SPDX-License-Identifier: GPL-2.0-only */
/* BENCH lines: round trips measured with the TSC around BENCH_ITERATIONS
 * calls, minus the same loop without the call. Under QEMU's -icount
 * shift=0 the TSC counts executed instructions (tools/bench), and every
 * trial gives the same figure; without it the TSC follows the host, so
 * each loop is timed BENCH_TRIALS times and the fastest trial counts (a
 * host hiccup only ever adds time). Registered last in link order so they
 * run after the correctness tests. */
#include <stdbool.h>
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "utest.h"

#define BENCH_ITERATIONS 10000
#define BENCH_TRIALS 5

enum loop_kind { LOOP_EMPTY, LOOP_CALL, LOOP_NULL_SYSCALL };

static uint64_t timed_loop(enum loop_kind kind, uint64_t pt, unsigned words)
{
    uint64_t t0 = utest_rdtsc();
    for (unsigned i = 0; i < BENCH_ITERATIONS; i++) {
        if (kind == LOOP_CALL)
            dj_call(pt, DJ_MTD(words, 0), 0);
        else if (kind == LOOP_NULL_SYSCALL)
            dj_syscall(DJ_SYS_COUNT, 0, 0, 0, 0, 0, 0);
        else
            __asm__ volatile("" ::: "memory");
    }
    return utest_rdtsc() - t0;
}

static uint64_t fastest(enum loop_kind kind, uint64_t pt, unsigned words)
{
    uint64_t best = ~0ull;
    for (unsigned t = 0; t < BENCH_TRIALS; t++) {
        uint64_t d = timed_loop(kind, pt, words);
        best = d < best ? d : best;
    }
    return best;
}

/* Cost of one operation: the fastest loop with it minus the fastest without. */
static uint64_t per_op(enum loop_kind kind, uint64_t pt, unsigned words)
{
    uint64_t with = fastest(kind, pt, words), without = fastest(LOOP_EMPTY, 0, 0);
    return with > without ? (with - without) / BENCH_ITERATIONS : 0;
}

static uint64_t per_call(uint64_t pt, unsigned words)
{
    return per_op(LOOP_CALL, pt, words);
}

UTEST(bench_ipc)
{
    UTEST_REQUIRE(ipc_local_pt() && ipc_child_pt(), "echo servers unavailable");
    utest_bench("ipc_roundtrip_sas_1w", per_call(ipc_local_pt(), 1));
    utest_bench("ipc_roundtrip_xas_1w", per_call(ipc_child_pt(), 1));
    utest_bench("ipc_roundtrip_xas_8w", per_call(ipc_child_pt(), 8));
    return true;
}

UTEST(bench_syscall_null)
{
    utest_bench("syscall_null", per_op(LOOP_NULL_SYSCALL, 0, 0));
    return true;
}
