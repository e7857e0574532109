/* SPDX-License-Identifier: GPL-2.0-only */
/* Backend selection and dispatch: see virt.h. */
#include "arch/x86_64/virt.h"
#include "kernel/console.h"

unsigned virt_kind = DJ_VIRT_NONE;

void virt_init(void)
{
    if (svm_init(true))
        virt_kind = DJ_VIRT_SVM;
    else if (vmx_init(true))
        virt_kind = DJ_VIRT_VMX;
    kprintf("virt: %s\n", virt_kind == DJ_VIRT_SVM ? "SVM with nested paging"
                          : virt_kind == DJ_VIRT_VMX ? "VT-x with EPT" : "none");
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

void virt_io_allow(uint8_t *iopm, uint64_t base, uint64_t count, bool allow)
{
    for (uint64_t p = base; p < base + count && p <= 0xffff; p++) {
        if (allow)
            iopm[p / 8] &= (uint8_t)~(1u << (p % 8));
        else
            iopm[p / 8] |= (uint8_t)(1u << (p % 8));
    }
}
