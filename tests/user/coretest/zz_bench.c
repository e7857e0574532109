/* BENCH lines: round trips measured with the TSC around BENCH_ITERATIONS
 * calls, minus the same loop without the call. Under QEMU's -icount
 * shift=0 the TSC counts executed instructions (tools/bench). Registered
 * last in link order so they run after the correctness tests. */
#include <stdbool.h>
#include "shared.h"
#include "stdio.h"
#include "syscall.h"
#include "utest.h"

#define BENCH_ITERATIONS 10000

static uint64_t empty_loop(void)
{
    uint64_t t0 = utest_rdtsc();
    for (unsigned i = 0; i < BENCH_ITERATIONS; i++)
        __asm__ volatile("" ::: "memory");
    return utest_rdtsc() - t0;
}

static uint64_t per_call(uint64_t pt, unsigned words)
{
    uint64_t t0 = utest_rdtsc();
    for (unsigned i = 0; i < BENCH_ITERATIONS; i++)
        dj_call(pt, DJ_MTD(words, 0), 0);
    uint64_t with = utest_rdtsc() - t0;
    return (with - empty_loop()) / BENCH_ITERATIONS;
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
    uint64_t t0 = utest_rdtsc();
    for (unsigned i = 0; i < BENCH_ITERATIONS; i++)
        dj_syscall(DJ_SYS_COUNT, 0, 0, 0, 0, 0, 0);
    uint64_t with = utest_rdtsc() - t0;
    utest_bench("syscall_null", (with - empty_loop()) / BENCH_ITERATIONS);
    return true;
}
