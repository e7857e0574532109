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

/* [vtd] One page delegated into this PD's own address space and revoked
 * again: with DJ_MEM_DMA (a DMA space entry, and the IOTLB flush the
 * revoke makes) and without (the same CPU-side work), when VT-d is on. */
#define DMA_BENCH_VA 0x7000000000ull /* below 2^39: inside the DMA space */
#define MAP_BENCH_ITERATIONS 500     /* each revoke is a TLB shootdown: slow under TCG with several CPUs */

static uint64_t map_unmap_loop(uint64_t src, uint64_t dst, unsigned rights)
{
    uint64_t best = ~0ull;
    for (unsigned t = 0; t < BENCH_TRIALS; t++) {
        uint64_t t0 = utest_rdtsc();
        for (unsigned i = 0; i < MAP_BENCH_ITERATIONS; i++) {
            dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_MEM, src / 4096, 0, rights), dst / 4096);
            dj_revoke(DJ_CRD(DJ_CRD_MEM, dst / 4096, 0, DJ_MEM_R), true);
        }
        uint64_t d = utest_rdtsc() - t0;
        best = d < best ? d : best;
    }
    /* The empty loop of BENCH_ITERATIONS, scaled to these iterations. */
    uint64_t without = fastest(LOOP_EMPTY, 0, 0) / (BENCH_ITERATIONS / MAP_BENCH_ITERATIONS);
    return best > without ? (best - without) / MAP_BENCH_ITERATIONS : 0;
}

UTEST(bench_iommu_map_unmap)
{
    uint64_t src = DMA_BENCH_VA, dst = DMA_BENCH_VA + 2 * 4096;
    UTEST_REQUIRE(dj_mem_alloc(src, 0, DJ_MEM_R | DJ_MEM_W | DJ_MEM_DMA) == DJ_OK, "source page");
    UTEST_REQUIRE(dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_MEM, src / 4096, 0, DJ_MEM_R | DJ_MEM_DMA), dst / 4096) ==
                      DJ_OK,
                  "delegation into itself failed");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, dst / 4096, 0, DJ_MEM_R), true) == DJ_OK, "revoke failed");
    utest_bench("page_map_unmap", map_unmap_loop(src, dst, DJ_MEM_R | DJ_MEM_W));
    if (utest_bootinfo->dma_bits)
        utest_bench("iommu_map_unmap", map_unmap_loop(src, dst, DJ_MEM_R | DJ_MEM_W | DJ_MEM_DMA));
    return true;
}
