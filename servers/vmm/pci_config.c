/* SPDX-License-Identifier: GPL-2.0-only */
/* A PCI function's configuration space (pci_config.h). */
#include "pci_config.h"
#include "common/string.h"

#define PCI_CAP_FIRST 0x40
#define PCI_COMMAND_WRITABLE (PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER)
#define MIN_MEM_BAR 4096
#define MAX_MEM32_BAR (1ull << 31)

/* Callers keep offset + size within the 256 bytes (pci_host checks the guest's). */
uint32_t pci_config_get(const struct pci_config *c, unsigned offset, unsigned size)
{
    return (uint32_t)vmm_get_le(&c->data[offset], size);
}

void pci_config_put(struct pci_config *c, unsigned offset, unsigned size, uint32_t value)
{
    vmm_put_le(&c->data[offset], size, value);
}

void pci_config_set_writable(struct pci_config *c, unsigned offset, unsigned size, uint32_t mask)
{
    vmm_put_le(&c->wmask[offset], size, mask);
}

void pci_config_init(struct pci_config *c, uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision,
                     struct vmm_bus *mmio_bus)
{
    memset(c, 0, sizeof *c);
    pci_config_put(c, PCI_VENDOR_ID, 2, vendor);
    pci_config_put(c, PCI_DEVICE_ID, 2, device);
    pci_config_put(c, PCI_REVISION, 1, revision);
    pci_config_put(c, PCI_CLASS_PROG, 3, class_code);
    pci_config_set_writable(c, PCI_COMMAND, 2, PCI_COMMAND_WRITABLE);
    pci_config_set_writable(c, PCI_INT_LINE, 1, 0xff);
    c->cap_end = PCI_CAP_FIRST;
    c->mmio_bus = mmio_bus;
}

bool pci_config_set_bar(struct pci_config *c, uint64_t size, vmm_read_fn read, vmm_write_fn write, void *dev)
{
    if (size < MIN_MEM_BAR || size > MAX_MEM32_BAR || (size & (size - 1)))
        return false;
    c->bar = (struct vmm_region){0, size, read, write, dev};
    pci_config_set_writable(c, PCI_BAR0, 4, (uint32_t)~(size - 1));
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
    c->cap_end = (uint8_t)((at + len + 3) & ~3u);
    if (at + len + 3 >= PCI_CONFIG_SIZE)
        c->cap_end = 0xff; /* full: the next add fails */
    pci_config_put(c, PCI_STATUS, 2, pci_config_get(c, PCI_STATUS, 2) | PCI_STATUS_CAP_LIST);
    return at;
}

/* Puts BAR0's region where the command and BAR registers say now. */
static void place_bar(struct pci_config *c)
{
    uint64_t addr = pci_config_get(c, PCI_BAR0, 4);
    bool want = c->bar.len && c->mmio_bus && (pci_config_get(c, PCI_COMMAND, 2) & PCI_COMMAND_MEMORY) && addr;
    if (want == c->mapped && (!want || addr == c->mapped_at))
        return;
    if (c->mapped)
        vmm_bus_remove(c->mmio_bus, c->bar.dev, c->mapped_at);
    c->mapped = want && vmm_bus_add(c->mmio_bus, addr, c->bar.len, c->bar.read, c->bar.write, c->bar.dev);
    c->mapped_at = addr;
    c->bar_conflicts += want && !c->mapped;
}

uint32_t pci_config_read(void *dev, unsigned offset, unsigned size)
{
    return offset < PCI_CONFIG_SIZE ? pci_config_get(dev, offset, size) : 0; /* no extended capabilities */
}

void pci_config_write(void *dev, unsigned offset, unsigned size, uint32_t value)
{
    struct pci_config *c = dev;
    for (unsigned k = 0; k < size && k < 4 && offset + k < PCI_CONFIG_SIZE; k++) {
        unsigned at = offset + k;
        c->data[at] = (uint8_t)((c->data[at] & ~c->wmask[at]) | ((value >> (8 * k)) & c->wmask[at]));
    }
    place_bar(c);
}
