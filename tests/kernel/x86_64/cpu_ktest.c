/* SPDX-License-Identifier: GPL-2.0-only */
/* CPU set-up checks: protection features on, FPU state saved and restored,
 * exceptions dispatched and resumed. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/idt.h"
#include "tests/kernel/ktest.h"
#include "common/string.h"

#define VEC_BREAKPOINT 3
#define FPU_AREA_MAX 4096

KTEST_PHASE(cpu_protection_features_enabled, KTEST_EARLY)
{
    uint64_t cr4 = read_cr4(), efer = rdmsr(MSR_EFER);
    KTEST_REQUIRE(read_cr0() & CR0_WP, "CR0.WP off");
    KTEST_REQUIRE(!cpu_features.smep || (cr4 & CR4_SMEP), "CPU has SMEP but CR4.SMEP is off");
    KTEST_REQUIRE(!cpu_features.smap || (cr4 & CR4_SMAP), "CPU has SMAP but CR4.SMAP is off");
    KTEST_REQUIRE(!cpu_features.nx || (efer & EFER_NXE), "CPU has NX but EFER.NXE is off");
    return KTEST_PASS;
}

static volatile unsigned breakpoints_seen;
static void count_breakpoint(struct trap_frame *f)
{
    (void)f;
    breakpoints_seen++;
}

KTEST_PHASE(trap_breakpoint_resumes, KTEST_EARLY)
{
    breakpoints_seen = 0;
    irq_register(VEC_BREAKPOINT, count_breakpoint);
    __asm__ volatile("int3");
    __asm__ volatile("int3");
    irq_register(VEC_BREAKPOINT, 0);
    KTEST_REQUIRE(breakpoints_seen == 2, "saw %u breakpoints, expected 2", breakpoints_seen);
    return KTEST_PASS;
}

static uint8_t fpu_area[FPU_AREA_MAX] __attribute__((aligned(64)));

static void set_xmm0(uint64_t v) { __asm__ volatile("movq %0, %%xmm0" ::"r"(v)); }
static uint64_t get_xmm0(void) { uint64_t v; __asm__ volatile("movq %%xmm0, %0" : "=r"(v)); return v; }

KTEST_PHASE(fpu_state_save_restore, KTEST_EARLY)
{
    KTEST_REQUIRE(cpu_features.xsave_size && cpu_features.xsave_size <= FPU_AREA_MAX, "state size %u",
                  cpu_features.xsave_size);
    uint64_t flags = read_rflags();
    irq_disable();
    memset(fpu_area, 0, sizeof(fpu_area));
    set_xmm0(0x0123456789abcdefull);
    fpu_save(fpu_area);
    set_xmm0(0);
    fpu_restore(fpu_area);
    uint64_t got = get_xmm0();
    if (flags & (1u << 9))
        irq_enable();
    KTEST_REQUIRE(got == 0x0123456789abcdefull, "xmm0 restored as %#llx", (unsigned long long)got);
    return KTEST_PASS;
}
