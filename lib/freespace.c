/* SPDX-License-Identifier: BSD-2-Clause */
/* Free selectors and addresses of a component: see freespace.h. */
#include "lib/freespace.h"
#include "lib/startinfo.h"
#include "lib/syscall.h"

#define SEL_LIMIT (DJ_CHILD_FIRST_FREE + 4096) /* far below any capspace limit */

static uint64_t next_sel = DJ_CHILD_FIRST_FREE;
static uint64_t next_va = DJ_CHILD_FREE_VA;

uint64_t dj_alloc_sel(void)
{
    return next_sel < SEL_LIMIT ? next_sel++ : 0;
}

uint64_t dj_alloc_va(uint64_t pages)
{
    uint64_t room = (DJ_CHILD_FREE_END - next_va) / DJ_PAGE_SIZE;
    if (pages == 0 || pages + 1 > room)
        return 0;
    uint64_t va = next_va;
    next_va += (pages + 1) * DJ_PAGE_SIZE; /* the unmapped page after it */
    return va;
}

void *dj_alloc_guarded(uint64_t pages)
{
    uint64_t guard = dj_alloc_va(pages + 1);
    if (!guard)
        return 0;
    uint64_t va = guard + DJ_PAGE_SIZE;
    for (uint64_t i = 0; i < pages; i++)
        if (dj_mem_alloc(va + i * DJ_PAGE_SIZE, 0, DJ_MEM_R | DJ_MEM_W) != DJ_OK)
            return 0;
    return (void *)(uintptr_t)va;
}
