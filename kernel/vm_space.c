/* SPDX-License-Identifier: GPL-2.0-only */
/* VM PDs: a guest-physical space in place of a user address space.
 *
 * Its memspace records guest-physical pages as a user PD's records
 * virtual ones, and pd->root holds the guest-physical tables (NPT or
 * EPT, virt.h) that pd_mem_attach fills and revocation empties (the
 * revoke's TLB shootdown also flushes guest translations: vcpu.h). The
 * root has no kernel half, and guest-physical addresses stay below
 * USER_TOP like every delegated page. Its I/O ports open the guest's
 * permission map instead of a TSS bitmap. */
#include "kernel/pd.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/virt.h"
#include "common/string.h"
#include "kernel/frame_alloc.h"

int vm_space_init(struct pd *pd)
{
    pd->root = page_source_alloc(&pd->pages); /* zeroed: nothing mapped */
    if (!pd->root || !quota_charge(&pd->quota, VIRT_IOPM_PAGES))
        return DJ_E_QUOTA;
    uint64_t pa = frame_alloc_contig(VIRT_IOPM_PAGES, PAGE_SIZE);
    if (!pa) {
        quota_release(&pd->quota, VIRT_IOPM_PAGES);
        return DJ_E_QUOTA;
    }
    pd->vm_iopm = phys_to_virt(pa);
    memset(pd->vm_iopm, 0xff, VIRT_IOPM_PAGES * PAGE_SIZE);
    return DJ_OK;
}

void vm_space_destroy(struct pd *pd)
{
    if (!pd->vm_iopm)
        return;
    frame_free_contig(virt_to_phys(pd->vm_iopm), VIRT_IOPM_PAGES);
    quota_release(&pd->quota, VIRT_IOPM_PAGES);
    pd->vm_iopm = 0;
}
