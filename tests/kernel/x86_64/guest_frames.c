/* SPDX-License-Identifier: GPL-2.0-only */
#include "tests/kernel/x86_64/guest_frames.h"
#include "kernel/frame_alloc.h"
#include "arch/x86_64/layout.h"

bool guest_frames_alloc(uint64_t *frames, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        frames[i] = frame_alloc();
        if (!frames[i]) {
            guest_frames_free(frames, i);
            return false;
        }
    }
    return true;
}

void guest_frames_free(uint64_t *frames, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (frames[i])
            frame_free(frames[i]);
        frames[i] = 0;
    }
}

void *guest_page_alloc(void *ctx)
{
    (void)ctx;
    uint64_t pa = frame_alloc();
    return pa ? phys_to_virt(pa) : 0;
}

void guest_page_free(void *ctx, void *page)
{
    (void)ctx;
    frame_free(virt_to_phys(page));
}

void guest_nested_tables(uint64_t pml4, uint64_t pdpt, uint64_t pd, uint64_t pt, uint64_t table_flags)
{
    *(uint64_t *)phys_to_virt(pml4) = pdpt | table_flags;
    *(uint64_t *)phys_to_virt(pdpt) = pd | table_flags;
    *(uint64_t *)phys_to_virt(pd) = pt | table_flags;
}

void guest_nested_map(uint64_t pt, uint64_t gpa, uint64_t frame, uint64_t leaf_flags)
{
    ((uint64_t *)phys_to_virt(pt))[gpa >> PAGE_SHIFT] = frame | leaf_flags;
}
