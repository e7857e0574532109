/* SPDX-License-Identifier: GPL-2.0-only */
#include "kernel/devmem.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/kernel.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"

#define DEVMEM_MAX_ORDER 10 /* 4 MiB a call: bounded work per system call */

struct kobj devmem_object = {.type = DJ_OBJ_DEVMEM, .refs = 1};

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

static bool meets_ram(uint64_t phys, uint64_t len)
{
    for (unsigned i = 0; i < boot_info.mem_count; i++) {
        const struct mem_region *r = &boot_info.mem[i];
        if (r->type == MEM_USABLE && overlaps(phys, len, r->base, r->len))
            return true;
    }
    return false;
}

static bool device_range_ok(uint64_t phys, uint64_t len)
{
    uint64_t limit = 1ull << cpu_features.phys_bits;
    if (phys >= limit || len > limit - phys)
        return false;
    return !meets_ram(phys, len) && !paging_is_kernel_device(phys, len) &&
           !overlaps(phys, len, APIC_INTERRUPT_WINDOW_BASE, APIC_INTERRUPT_WINDOW_SIZE);
}

int devmem_map(struct pd *pd, struct mdb_node *cap, uint64_t va, uint64_t phys, unsigned order, unsigned rights, unsigned cache)
{
    if (order > DEVMEM_MAX_ORDER || cache > DJ_CACHE_WC || !(rights & DJ_MEM_R) ||
        (rights & ~(unsigned)(DJ_MEM_R | DJ_MEM_W)))
        return DJ_E_BAD_PARAM; /* device memory is never executable */
    uint64_t size = PAGE_SIZE << order;
    if ((va & (PAGE_SIZE - 1)) || va >= USER_TOP || size > USER_TOP - va)
        return DJ_E_BAD_ADDR;
    if ((phys & (PAGE_SIZE - 1)) || !device_range_ok(phys, size))
        return DJ_E_BAD_PARAM;
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        uint64_t pa;
        unsigned have;
        if (pd_lookup(pd, va + off, &pa, &have))
            return DJ_E_BUSY; /* nothing mapped yet */
    }
    unsigned attr = cache | MDB_ATTR_DEVICE;
    /* One node (mapped with large pages where they fit) when both addresses
     * are aligned to the size; page by page otherwise. */
    if (!((va | phys) & (size - 1)))
        return pd_map_below(pd, cap, va, phys, order, rights, attr);
    for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
        int st = pd_map_below(pd, cap, va + off, phys + off, 0, rights, attr);
        if (st != DJ_OK)
            return st; /* the pages before it stay mapped */
    }
    return DJ_OK;
}
