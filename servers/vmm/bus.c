/* SPDX-License-Identifier: GPL-2.0-only */
/* Guest memory accessors and the port / MMIO buses (vmm.h). Pure C: the
 * host tests drive it. */
#include "vmm.h"

static bool inside(uint64_t addr, uint64_t len, uint64_t base, uint64_t size)
{
    return addr >= base && len <= size && addr - base <= size - len;
}

void *vmm_gpa_ptr(const struct vmm_ram *ram, uint64_t gpa, uint64_t len)
{
    return inside(gpa, len, 0, ram->size) ? ram->base + gpa : NULL;
}

static bool overlaps(const struct vmm_region *r, uint64_t base, uint64_t len)
{
    return base < r->base + r->len && r->base < base + len;
}

bool vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len, vmm_read_fn rd, vmm_write_fn wr, void *dev)
{
    if (!len || base + len < base || bus->count == VMM_MAX_REGIONS)
        return false;
    for (unsigned i = 0; i < bus->count; i++)
        if (overlaps(&bus->r[i], base, len))
            return false;
    bus->r[bus->count++] = (struct vmm_region){base, len, rd, wr, dev};
    return true;
}

void vmm_bus_remove(struct vmm_bus *bus, void *dev, uint64_t base)
{
    for (unsigned i = 0; i < bus->count; i++)
        if (bus->r[i].dev == dev && bus->r[i].base == base)
            bus->r[i--] = bus->r[--bus->count];
}

struct vmm_region *vmm_bus_find(struct vmm_bus *bus, uint64_t addr, unsigned size)
{
    for (unsigned i = 0; i < bus->count; i++)
        if (inside(addr, size, bus->r[i].base, bus->r[i].len))
            return &bus->r[i];
    return NULL;
}

uint64_t vmm_bus_read(struct vmm_bus *bus, uint64_t addr, unsigned size)
{
    struct vmm_region *r = vmm_bus_find(bus, addr, size);
    if (!r || !r->read)
        return vmm_size_mask(size);
    return r->read(r->dev, addr - r->base, size);
}

void vmm_bus_write(struct vmm_bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
    struct vmm_region *r = vmm_bus_find(bus, addr, size);
    if (r && r->write)
        r->write(r->dev, addr - r->base, size, value);
}
