/* SPDX-License-Identifier: GPL-2.0-only */
/* A PCI function's configuration space (pci_config.h). */
#include "pci_config.h"
#include "common/string.h"

#define PCI_BAR_END (PCI_BAR0 + 4 * PCI_BARS)
#define PCI_CAP_FIRST 0x40
#define PCI_STATUS_W1C 0xf900u /* parity, system error, master/target aborts */
#define PCI_COMMAND_WRITABLE (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)
#define PCI_IO_SPACE_END 0x10000ull
#define PCI_MEM32_SPACE_END 0x100000000ull
#define MIN_IO_BAR 4
#define MIN_MEM_BAR 4096

uint32_t pci_config_get(const struct pci_config *c, unsigned offset, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size && offset + i < PCI_CONFIG_SIZE; i++)
        v |= (uint32_t)c->data[offset + i] << (8 * i);
    return v;
}

void pci_config_put(struct pci_config *c, unsigned offset, unsigned size, uint32_t value)
{
    for (unsigned i = 0; i < size && offset + i < PCI_CONFIG_SIZE; i++)
        c->data[offset + i] = (uint8_t)(value >> (8 * i));
}

void pci_config_set_writable(struct pci_config *c, unsigned offset, unsigned size, uint32_t mask)
{
    for (unsigned i = 0; i < size && offset + i < PCI_CONFIG_SIZE; i++)
        c->wmask[offset + i] = (uint8_t)(mask >> (8 * i));
}

void pci_config_init(struct pci_config *c, uint16_t vendor, uint16_t device, uint32_t class_code,
                     uint8_t revision, uint8_t intx_pin, struct vmm_bus *io_bus, struct vmm_bus *mmio_bus)
{
    memset(c, 0, sizeof *c);
    pci_config_put(c, PCI_VENDOR_ID, 2, vendor);
    pci_config_put(c, PCI_DEVICE_ID, 2, device);
    pci_config_put(c, PCI_REVISION, 1, revision);
    pci_config_put(c, PCI_CLASS_PROG, 3, class_code);
    pci_config_put(c, PCI_INT_PIN, 1, intx_pin);
    pci_config_set_writable(c, PCI_COMMAND, 2, PCI_COMMAND_WRITABLE);
    pci_config_set_writable(c, PCI_INT_LINE, 1, 0xff);
    c->w1c[PCI_STATUS] = (uint8_t)PCI_STATUS_W1C;
    c->w1c[PCI_STATUS + 1] = (uint8_t)(PCI_STATUS_W1C >> 8);
    c->cap_end = PCI_CAP_FIRST;
    c->io_bus = io_bus;
    c->mmio_bus = mmio_bus;
}

/* The BAR registers from the BARs' addresses. */
static void store_bar_registers(struct pci_config *c, unsigned i)
{
    const struct pci_bar *b = &c->bar[i];
    if (b->kind == PCI_BAR_NONE)
        return;
    uint32_t flags = b->kind == PCI_BAR_KIND_IO ? PCI_BAR_IO
                     : (b->kind == PCI_BAR_KIND_MEM64 ? PCI_BAR_MEM64 : 0) | (b->prefetchable ? PCI_BAR_PREFETCH : 0);
    pci_config_put(c, PCI_BAR0 + 4 * i, 4, (uint32_t)b->addr | flags); /* flags as the guest reads them */
    if (b->kind == PCI_BAR_KIND_MEM64)
        pci_config_put(c, PCI_BAR0 + 4 * (i + 1), 4, (uint32_t)(b->addr >> 32));
}

bool pci_config_set_bar(struct pci_config *c, unsigned index, enum pci_bar_kind kind, uint64_t size,
                        bool prefetchable, vmm_read_fn read, vmm_write_fn write, void *dev)
{
    unsigned slots = kind == PCI_BAR_KIND_MEM64 ? 2 : 1;
    if (kind == PCI_BAR_NONE || index + slots > PCI_BARS || !size || (size & (size - 1)))
        return false;
    if (kind == PCI_BAR_KIND_IO ? (size < MIN_IO_BAR || size > 256)
                                : (size < MIN_MEM_BAR || (kind == PCI_BAR_KIND_MEM32 && size > (1ull << 31))))
        return false;
    if (kind == PCI_BAR_KIND_MEM64 && size > (1ull << 40))
        return false;
    for (unsigned k = 0; k < slots; k++)
        if (c->bar[index + k].kind != PCI_BAR_NONE || (index + k > 0 && c->bar[index + k - 1].kind == PCI_BAR_KIND_MEM64))
            return false;
    c->bar[index] = (struct pci_bar){ .kind = kind, .size = size, .prefetchable = prefetchable,
                                      .read = read, .write = write, .dev = dev };
    store_bar_registers(c, index);
    return true;
}

unsigned pci_config_add_cap(struct pci_config *c, uint8_t id, unsigned len)
{
    unsigned at = c->cap_end;
    if (len < 2 || at + len > PCI_CONFIG_SIZE)
        return 0;
    /* Link it at the end of the list. */
    unsigned link = PCI_CAP_PTR;
    while (c->data[link])
        link = c->data[link] + 1u;
    c->data[link] = (uint8_t)at;
    c->data[at] = id;
    c->data[at + 1] = 0;
    c->cap_end = (uint8_t)((at + len + 3) & ~3u);
    if (at + len + 3 >= PCI_CONFIG_SIZE)
        c->cap_end = 0xff; /* full: the next add fails */
    pci_config_put(c, PCI_STATUS, 2, pci_config_get(c, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
    return at;
}

/* The guest writes a BAR dword: keep the size-aligned address bits. */
static void write_bar_dword(struct pci_config *c, unsigned slot, uint32_t value)
{
    struct pci_bar *b = &c->bar[slot];
    if (b->kind == PCI_BAR_NONE) {
        if (slot > 0 && c->bar[slot - 1].kind == PCI_BAR_KIND_MEM64) { /* the upper half */
            b = &c->bar[slot - 1];
            uint64_t high_mask = ~(b->size - 1) >> 32;
            b->addr = (b->addr & 0xffffffffull) | ((uint64_t)(value & high_mask) << 32);
            store_bar_registers(c, slot - 1);
        }
        return;
    }
    uint64_t space_end = b->kind == PCI_BAR_KIND_IO ? PCI_IO_SPACE_END : PCI_MEM32_SPACE_END;
    uint64_t low = (uint64_t)value & ~(b->size - 1) & (space_end - 1);
    b->addr = (b->addr & ~0xffffffffull) | low;
    store_bar_registers(c, slot);
}

/* Where the BAR should be on its bus now, and put it there. */
static void place_bar(struct pci_config *c, unsigned i)
{
    struct pci_bar *b = &c->bar[i];
    if (b->kind == PCI_BAR_NONE)
        return;
    bool io = b->kind == PCI_BAR_KIND_IO;
    struct vmm_bus *bus = io ? c->io_bus : c->mmio_bus;
    uint16_t cmd = (uint16_t)pci_config_get(c, PCI_COMMAND, 2);
    bool want = bus && (cmd & (io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY)) && b->addr != 0;
    if (want == b->mapped && (!want || b->addr == b->mapped_at))
        return;
    if (b->mapped)
        vmm_bus_move(bus, b->dev, b->mapped_at, b->mapped_at, 0);
    b->mapped = false;
    if (want) {
        if (vmm_bus_add(bus, b->addr, b->size, b->read, b->write, b->dev)) {
            b->mapped = true;
            b->mapped_at = b->addr;
        } else {
            c->bar_conflicts++;
        }
    }
    if (c->bar_moved)
        c->bar_moved(c->owner, i, b->mapped, b->mapped_at);
}

uint32_t pci_config_read(void *dev, unsigned offset, unsigned size)
{
    const struct pci_config *c = dev;
    if (offset >= PCI_CONFIG_SIZE)
        return 0; /* no extended capabilities */
    return pci_config_get(c, offset, size);
}

void pci_config_write(void *dev, unsigned offset, unsigned size, uint32_t value)
{
    struct pci_config *c = dev;
    if (offset >= PCI_CONFIG_SIZE || size > 4 || offset + size > PCI_CONFIG_SIZE)
        return;
    /* BAR bytes go to their BAR whole dword at a time (write_bar_dword). */
    uint8_t bar_bytes[PCI_BAR_END - PCI_BAR0];
    memcpy(bar_bytes, &c->data[PCI_BAR0], sizeof bar_bytes);
    unsigned bars_written = 0; /* bit i: BAR register i */
    for (unsigned k = 0; k < size; k++) {
        unsigned at = offset + k;
        uint8_t v = (uint8_t)(value >> (8 * k));
        if (at >= PCI_BAR0 && at < PCI_BAR_END) {
            bar_bytes[at - PCI_BAR0] = v;
            bars_written |= 1u << ((at - PCI_BAR0) / 4);
            continue;
        }
        c->data[at] = (uint8_t)((c->data[at] & ~c->wmask[at]) | (v & c->wmask[at]));
        c->data[at] &= (uint8_t)~(v & c->w1c[at]);
    }
    for (unsigned i = 0; i < PCI_BARS; i++) {
        const uint8_t *b = &bar_bytes[4 * i];
        if (bars_written & (1u << i))
            write_bar_dword(c, i, b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24);
    }
    for (unsigned i = 0; i < PCI_BARS; i++)
        place_bar(c, i);
    if (c->written)
        c->written(c->owner, offset, size);
}
