/* SPDX-License-Identifier: GPL-2.0-only */
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/cpu.h"
#include "common/string.h"

/* XCR0 state components. */
#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define XCR0_OPMASK (1ull << 5)
#define XCR0_ZMM_HI256 (1ull << 6)
#define XCR0_HI16_ZMM (1ull << 7)
#define XCR0_AVX512 (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
#define CPUID_LEAF_XSAVE 0xd
#define CPUID_LEAF_HYPERVISOR 0x40000000u
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define FXSAVE_AREA_SIZE 512

/* PAT: index 0 WB, 1 WC, 2 UC-, 3 UC, then the same again. PTE bits select
 * the index (PWT = 1, PCD = 2), so CACHE_WC uses PWT and CACHE_UC PWT|PCD. */
#define PAT_UC 0x00ull
#define PAT_WC 0x01ull
#define PAT_WB 0x06ull
#define PAT_UC_MINUS 0x07ull
#define PAT_VALUE (PAT_WB | PAT_WC << 8 | PAT_UC_MINUS << 16 | PAT_UC << 24 | \
                   PAT_WB << 32 | PAT_WC << 40 | PAT_UC_MINUS << 48 | PAT_UC << 56)

struct cpu_features cpu_features;
bool smap_enabled; /* read by usercopy.S */

static void read_brand(char *out)
{
    if (cpuid(0x80000000, 0).eax < 0x80000004) {
        out[0] = '\0';
        return;
    }
    for (uint32_t i = 0; i < 3; i++) {
        struct cpuid_regs r = cpuid(0x80000002 + i, 0);
        memcpy(out + i * 16, &r, 16);
    }
    out[48] = '\0';
}

#define CPUID_LEAF_EXT_MAX 0x80000000u
#define CPUID_LEAF_ADDR_SIZES 0x80000008u /* EAX bits 0-7: physical address bits */
#define PHYS_BITS_DEFAULT 36              /* what a CPU without that leaf has */

/* QEMU's TCG (7.2, and before) takes CR4.OSXSAVE as a reserved bit when
 * the CPU model has XSAVE but none of leaf 0xD.1's extensions (XSAVEOPT,
 * ...: Opteron_G4, Opteron_G5), and its CR4 write then loops for ever
 * instead of faulting. Real CPUs of that kind (early Bulldozers) accept
 * the bit; only QEMU's own signature in the hypervisor leaf turns XSAVE
 * off (FXSAVE then, no AVX). */
static bool tcg_refuses_osxsave(uint32_t max_leaf, uint32_t leaf1_ecx)
{
    if (!(leaf1_ecx & CPUID1_ECX_HYPERVISOR) || max_leaf < CPUID_LEAF_XSAVE || cpuid(CPUID_LEAF_XSAVE, 1).eax)
        return false;
    struct cpuid_regs h = cpuid(CPUID_LEAF_HYPERVISOR, 0);
    char sig[12];
    memcpy(sig, &h.ebx, 4);
    memcpy(sig + 4, &h.ecx, 4);
    memcpy(sig + 8, &h.edx, 4);
    return memcmp(sig, "TCGTCGTCGTCG", sizeof(sig)) == 0;
}

void cpu_features_detect(void)
{
    struct cpu_features *f = &cpu_features;
    struct cpuid_regs r0 = cpuid(0, 0);
    memcpy(f->vendor + 0, &r0.ebx, 4);
    memcpy(f->vendor + 4, &r0.edx, 4);
    memcpy(f->vendor + 8, &r0.ecx, 4);
    f->vendor[12] = '\0';
    read_brand(f->brand);

    struct cpuid_regs r1 = cpuid(1, 0);
    f->fxsr = r1.edx & CPUID1_EDX_FXSR;
    f->xsave = r1.ecx & CPUID1_ECX_XSAVE;
    f->xsave_tcg_quirk = f->xsave && tcg_refuses_osxsave(r0.eax, r1.ecx);
    if (f->xsave_tcg_quirk)
        f->xsave = false;
    f->avx = f->xsave && (r1.ecx & CPUID1_ECX_AVX);
    f->x2apic = r1.ecx & CPUID1_ECX_X2APIC;
    f->tsc_deadline = r1.ecx & CPUID1_ECX_TSC_DEADLINE;
    f->vmx = r1.ecx & CPUID1_ECX_VMX;
    f->pge = r1.edx & (1u << 13);
    if (r0.eax >= 7) {
        struct cpuid_regs r7 = cpuid(7, 0);
        f->smep = r7.ebx & CPUID7_EBX_SMEP;
        f->smap = r7.ebx & CPUID7_EBX_SMAP;
    }
    uint32_t max_ext = cpuid(CPUID_LEAF_EXT_MAX, 0).eax;
    f->phys_bits = max_ext >= CPUID_LEAF_ADDR_SIZES ? (uint8_t)cpuid(CPUID_LEAF_ADDR_SIZES, 0).eax
                                                    : PHYS_BITS_DEFAULT;
    if (max_ext >= 0x80000001) {
        struct cpuid_regs e1 = cpuid(0x80000001, 0);
        f->nx = e1.edx & CPUID_EXT_EDX_NX;
        f->pdpe1gb = e1.edx & CPUID_EXT_EDX_PDPE1GB;
        f->svm = e1.ecx & CPUID_EXT_ECX_SVM;
    }
    if (f->xsave) {
        uint64_t supported = cpuid(CPUID_LEAF_XSAVE, 0).eax;
        f->xcr0 = XCR0_X87 | XCR0_SSE;
        if (f->avx && (supported & XCR0_AVX))
            f->xcr0 |= XCR0_AVX;
        if ((f->xcr0 & XCR0_AVX) && (supported & XCR0_AVX512) == XCR0_AVX512)
            f->xcr0 |= XCR0_AVX512;
    }
}

static inline void write_xcr0(uint64_t v)
{
    __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static void fpu_enable(void)
{
    struct cpu_features *f = &cpu_features;
    write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE);
    uint64_t cr4 = read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT;
    if (f->xsave)
        cr4 |= CR4_OSXSAVE;
    write_cr4(cr4);
    if (f->xsave) {
        write_xcr0(f->xcr0);
        f->xsave_size = cpuid(CPUID_LEAF_XSAVE, 0).ebx;
    } else {
        f->xsave_size = FXSAVE_AREA_SIZE;
    }
    uint32_t mxcsr = MXCSR_DEFAULT;
    __asm__ volatile("fninit; ldmxcsr %0" ::"m"(mxcsr));
}

void cpu_features_enable(void)
{
    struct cpu_features *f = &cpu_features;
    write_cr0(read_cr0() | CR0_WP);
    uint64_t cr4 = read_cr4();
    if (f->pge) cr4 |= CR4_PGE;
    if (f->smep) cr4 |= CR4_SMEP;
    if (f->smap) cr4 |= CR4_SMAP;
    smap_enabled = f->smap;
    write_cr4(cr4);
    if (f->nx)
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    wrmsr(MSR_PAT, PAT_VALUE);
    fpu_enable();
}
