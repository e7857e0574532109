/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's device bus (servers/vmm/vmm.h) as its contract describes it,
 * for host tests of the devices: claims may not overlap, accesses nobody
 * claims read all ones and are dropped. */
#include "servers/vmm/vmm.h"

static bool overlaps(const struct vmm_region *r, uint64_t base, uint64_t len)
{
    return base < r->base + r->len && r->base < base + len;
}

bool vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len, vmm_read_fn rd, vmm_write_fn wr, void *dev)
{
    if (len == 0 || base + len < base || bus->count >= VMM_MAX_REGIONS)
        return false;
    for (unsigned i = 0; i < bus->count; i++)
        if (overlaps(&bus->r[i], base, len))
            return false;
    bus->r[bus->count++] = (struct vmm_region){ base, len, rd, wr, dev };
    return true;
}

void vmm_bus_remove(struct vmm_bus *bus, void *dev, uint64_t base)
{
    for (unsigned i = 0; i < bus->count; i++)
        if (bus->r[i].dev == dev && bus->r[i].base == base)
            bus->r[i--] = bus->r[--bus->count];
}

static struct vmm_region *find(struct vmm_bus *bus, uint64_t addr, unsigned size)
{
    for (unsigned i = 0; i < bus->count; i++) {
        struct vmm_region *r = &bus->r[i];
        if (addr >= r->base && addr - r->base + size <= r->len)
            return r;
    }
    return NULL;
}

uint64_t vmm_bus_read(struct vmm_bus *bus, uint64_t addr, unsigned size)
{
    struct vmm_region *r = find(bus, addr, size);
    if (!r || !r->read)
        return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
    return r->read(r->dev, addr - r->base, size);
}

void vmm_bus_write(struct vmm_bus *bus, uint64_t addr, unsigned size, uint64_t value)
{
    struct vmm_region *r = find(bus, addr, size);
    if (r && r->write)
        r->write(r->dev, addr - r->base, size, value);
}
