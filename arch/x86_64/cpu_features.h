/* SPDX-License-Identifier: GPL-2.0-only */
/* CPU feature detection and per-CPU enabling (NX, SMEP, SMAP, PGE, PAT,
 * FPU/SSE/AVX with XSAVE or FXSAVE). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

struct cpu_features {
    bool nx, smep, smap, pge, pdpe1gb, x2apic, tsc_deadline;
    bool fxsr, xsave, avx;
    bool xsave_tcg_quirk; /* XSAVE left off: see cpu_features.c */
    bool vmx, svm;
    uint64_t xcr0;       /* state components enabled in XCR0 */
    uint32_t xsave_size; /* bytes of the XSAVE area for xcr0 */
    uint8_t phys_bits;   /* physical address width (MAXPHYADDR) */
    char vendor[13];
    char brand[49];
};
extern struct cpu_features cpu_features;

void cpu_features_detect(void);   /* BSP, once, early */
void cpu_features_enable(void);   /* every CPU: CR0/CR4/EFER/PAT/XCR0 */
/* Save/restore the extended state (XSAVE or FXSAVE) to a 64-byte aligned
 * area; inline because every EC switch does both. */
static inline void fpu_save(void *area)
{
    if (cpu_features.xsave)
        __asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((uint32_t)cpu_features.xcr0),
                         "d"((uint32_t)(cpu_features.xcr0 >> 32)) : "memory");
    else
        __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory");
}

/* A fresh FPU/SSE state in area (zeroed, XSAVE layout): the FXSAVE part
 * with the power-on MXCSR (all exceptions masked), everything else in its
 * initial state. */
#define FXSAVE_MXCSR_OFFSET 24
#define MXCSR_DEFAULT 0x1f80u
static inline void fpu_area_init(void *area)
{
    *(uint32_t *)((uint8_t *)area + FXSAVE_MXCSR_OFFSET) = MXCSR_DEFAULT;
}

static inline void fpu_restore(const void *area)
{
    if (cpu_features.xsave)
        __asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((uint32_t)cpu_features.xcr0),
                         "d"((uint32_t)(cpu_features.xcr0 >> 32)) : "memory");
    else
        __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory");
}
