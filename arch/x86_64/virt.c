/* SPDX-License-Identifier: GPL-2.0-only */
/* Backend selection and dispatch: see virt.h. */
#include "arch/x86_64/virt.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/console.h"
#include "kernel/pd.h"

#define XCR0_X87 1ull
#define XCR0_SSE 2ull
#define XCR0_AVX 4ull
#define XCR0_AVX512 0xe0ull /* opmask, ZMM_Hi256, Hi16_ZMM: all or none */
#define PAT_VALID_TYPES 0xf3 /* UC WC WT WP WB UC-: types 0, 1, 4-7 */
#define VMX_TYPE_PRIV_SW_EXC (5ull << 8)
#define VMX_TYPE_SW_EXC (6ull << 8)

unsigned virt_kind = DJ_VIRT_NONE;

void virt_init(void)
{
    if (svm_init(true))
        virt_kind = DJ_VIRT_SVM;
    else if (vmx_init(true))
        virt_kind = DJ_VIRT_VMX;
    if (virt_kind != DJ_VIRT_NONE)
        kprintf("virt: %s\n", virt_kind == DJ_VIRT_SVM ? "SVM with nested paging" : "VT-x with EPT");
    else /* a VMM's VM PD is refused then: say why once, here */
        kprintf("virt: none (%s): no virtual machines\n",
                cpu_features.svm   ? "SVM without nested paging, or disabled by the firmware"
                : cpu_features.vmx ? "VT-x without EPT, VPID or unrestricted guests, or locked off by the firmware"
                                   : "the CPU has neither SVM nor VT-x");
}

void virt_init_ap(void)
{
    bool ok = virt_kind == DJ_VIRT_SVM ? svm_init(false) : virt_kind == DJ_VIRT_VMX ? vmx_init(false) : true;
    if (!ok) {
        kprintf("virt: an AP lacks it: virtual machines are off\n");
        virt_kind = DJ_VIRT_NONE;
    }
}

#define DISPATCH(fn, ...) (virt_kind == DJ_VIRT_SVM ? svm_##fn(__VA_ARGS__) : vmx_##fn(__VA_ARGS__))

uint64_t virt_gpt_leaf_flags(unsigned rights, unsigned cache) { return DISPATCH(gpt_leaf_flags, rights, cache); }
struct vcpu_hw *virt_vcpu_create(struct pd *vm, int *status) { return DISPATCH(vcpu_create, vm, status); }
unsigned virt_vcpu_run(struct vcpu_hw *v, bool flush_tlb) { return DISPATCH(vcpu_run, v, flush_tlb); }
bool virt_vcpu_load(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd)
{
    return DISPATCH(vcpu_load, v, s, mtd);
}

void virt_vcpu_destroy(struct pd *vm, struct vcpu_hw *v) { DISPATCH(vcpu_destroy, vm, v); }
void virt_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd) { DISPATCH(vcpu_save, v, s, mtd); }

const uint32_t virt_open_msrs[VIRT_OPEN_MSRS] = {MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, 0x174, 0x175, 0x176,
                                                 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084};

/* The architectural reset state: real mode at f000:fff0. */
#define REAL_SEG(sel, ar, base) {(sel), (ar), 0xffff, (base)}
const struct dj_vcpu_state virt_reset_state = {
    .rip = 0xfff0, .rflags = 2, .cr0 = 0x60000010 /* CD, NW, ET */, .xcr0 = 1, .dr7 = 0x400,
    .pat = 0x0007040600070406ull, .cs = REAL_SEG(0xf000, 0x9b, 0xffff0000), .es = REAL_SEG(0, 0x93, 0),
    .ss = REAL_SEG(0, 0x93, 0), .ds = REAL_SEG(0, 0x93, 0), .fs = REAL_SEG(0, 0x93, 0), .gs = REAL_SEG(0, 0x93, 0),
    .ldtr = REAL_SEG(0, 0x82, 0), .tr = REAL_SEG(0, 0x8b, 0), .gdtr = REAL_SEG(0, 0, 0), .idtr = REAL_SEG(0, 0, 0),
};

unsigned virt_simple_exit(uint8_t dj, uint64_t code, uint64_t qual[2])
{
    if (dj && !(dj & VIRT_OTHER(0)))
        return dj;
    qual[0] = dj ? dj & ~VIRT_OTHER(0) : DJ_VMOTHER_UNKNOWN;
    qual[1] = code;
    return DJ_VMEXIT_OTHER;
}

struct vcpu_hw *virt_alloc_pair(struct pd *vm, void **second, int *status)
{
    void *first = page_source_alloc(&vm->pages); /* zeroed */
    *second = first ? page_source_alloc(&vm->pages) : 0;
    if (!*second) {
        if (first)
            page_source_free(&vm->pages, first);
        *status = DJ_E_QUOTA;
        return 0;
    }
    *status = DJ_OK;
    return first;
}

/* ---- Checks of what a VMM writes, the same for both backends ---- */

bool virt_xcr0_ok(uint64_t x)
{
    if (!cpu_features.xsave)
        return x == XCR0_X87;
    return (x & XCR0_X87) && !(x & ~cpu_features.xcr0) && (!(x & XCR0_AVX) || (x & XCR0_SSE)) &&
           (!(x & XCR0_AVX512) || ((x & XCR0_AVX512) == XCR0_AVX512 && (x & XCR0_AVX)));
}

bool virt_pat_ok(uint64_t pat)
{
    for (unsigned i = 0; i < 64; i += 8)
        if (((pat >> i) & 0xff) > 7 || !((PAT_VALID_TYPES >> ((pat >> i) & 7)) & 1))
            return false;
    return true;
}

bool virt_event_ok(uint64_t info, uint64_t error)
{
    unsigned vector = DJ_INJ_VECTOR(info);
    bool code = info & DJ_INJ_ERROR_CODE;
    if (!(info & DJ_INJ_VALID))
        return true;
    if ((info & ~VIRT_EVENT_BITS) || (error >> 32))
        return false;
    switch (info & (7ull << DJ_INJ_TYPE_SHIFT)) {
    case DJ_INJ_EXTINT:
    case DJ_INJ_SW_INT: return !code;
    case DJ_INJ_NMI: return !code && vector == 2;
    case DJ_INJ_HW_EXC: return vector < 32 && vector != 2;
    case VMX_TYPE_PRIV_SW_EXC: /* what VT-x reports of an INT1 / INT3 / INTO being delivered */
    case VMX_TYPE_SW_EXC: return virt_kind == DJ_VIRT_VMX && vector < 32;
    default: return false;
    }
}
