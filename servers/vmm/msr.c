/* SPDX-License-Identifier: GPL-2.0-only */
/* RDMSR / WRMSR exits (docs/vmm.md, "MSRs"). The kernel keeps the MSRs
 * that are part of the vCPU state (FS/GS base, SYSCALL, SYSENTER, PAT);
 * everything else exits here. Known MSRs get a model; an unknown one
 * raises #GP in the guest, as on a CPU that lacks it (Linux probes with
 * rdmsr_safe and carries on). Writes of read-only values are ignored. */
#include "core.h"
#include "lapic.h"

#define MSR_TSC 0x10
#define MSR_PLATFORM_ID 0x17
#define MSR_FEATURE_CONTROL 0x3a
#define MSR_BIOS_SIGN 0x8b
#define MSR_PLATFORM_INFO 0xce
#define MSR_MTRRCAP 0xfe
#define MSR_MISC_ENABLE 0x1a0
#define MSR_PAT 0x277
#define MSR_MTRR_DEF_TYPE 0x2ff
#define MSR_EFER 0xc0000080u

#define FEATURE_CONTROL_LOCKED 1
#define MTRR_TYPE_WB 6
#define MTRR_DEF_ENABLE (1ull << 11)
#define PLATFORM_INFO_RATIO_SHIFT 8
#define BUS_100MHZ 100000000ull
#define EFER_SCE (1ull << 0)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)
#define EFER_FFXSR (1ull << 14)
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_FFXSR)

static uint64_t mtrr_def_type = MTRR_DEF_ENABLE | MTRR_TYPE_WB;

bool msr_read(struct vcpu *v, struct dj_vcpu_state *s, uint32_t msr, uint64_t *value)
{
    *value = 0;
    if (lapic_handles_msr(msr))
        return lapic_msr_read(platform_lapic(v->id), msr, value);
    switch (msr) {
    case MSR_TSC: *value = vmm_guest_tsc() + s->tsc_offset; return true;
    case MSR_EFER: *value = s->efer; return true;
    case MSR_PAT: *value = s->pat; return true;
    case MSR_FEATURE_CONTROL: *value = FEATURE_CONTROL_LOCKED; return true;
    case MSR_PLATFORM_INFO: *value = (vm.tsc_hz / BUS_100MHZ) << PLATFORM_INFO_RATIO_SHIFT; return true;
    case MSR_MISC_ENABLE: *value = v->misc_enable; return true;
    case MSR_MTRRCAP: return true; /* no variable or fixed ranges (so their MSRs #GP): all WB by default */
    case MSR_MTRR_DEF_TYPE: *value = mtrr_def_type; return true;
    case MSR_PLATFORM_ID:
    case MSR_BIOS_SIGN: return true;
    default: return false;
    }
}

bool msr_write(struct vcpu *v, struct dj_vcpu_state *s, uint32_t msr, uint64_t value)
{
    if (lapic_handles_msr(msr))
        return lapic_msr_write(platform_lapic(v->id), msr, value);
    switch (msr) {
    case MSR_EFER:
        if (value & ~EFER_GUEST_BITS)
            return false;
        /* LMA is the CPU's: it follows CR0.PG with LME. */
        s->efer = (value & ~EFER_LMA) | (s->efer & EFER_LMA);
        return true;
    case MSR_MISC_ENABLE: v->misc_enable = value; return true;
    case MSR_PAT:
        for (unsigned i = 0; i < 8; i++) {
            unsigned type = value >> (i * 8) & 0xff;
            if (type == 2 || type == 3 || type > 7)
                return false; /* reserved memory types */
        }
        s->pat = value;
        return true;
    case MSR_MTRR_DEF_TYPE: mtrr_def_type = value & (MTRR_DEF_ENABLE | (1ull << 10) | 0xff); return true;
    case MSR_TSC:
    case MSR_BIOS_SIGN:
    case MSR_FEATURE_CONTROL: return true; /* ignored (documented) */
    default: return false;
    }
}

