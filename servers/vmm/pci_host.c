/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI host bridge: configuration mechanism 1 and ECAM (pci_host.h). */
#include "pci_host.h"
#include "acpi.h"
#include "common/string.h"

#define CF8_ENABLE (1u << 31)
#define CF8_BUS(a) (((a) >> 16) & 0xff)
#define CF8_SLOT(a) (((a) >> 11) & 0x1f)
#define CF8_FUNCTION(a) (((a) >> 8) & 7)
#define CF8_REGISTER(a) ((a) & 0xfc)
#define CF8_WRITABLE (CF8_ENABLE | 0x00fffffcu) /* bits 30:24 and 1:0 are reserved */
#define IO_WINDOW_LEN 8
#define RESET_CONTROL_OFFSET 1   /* 0xcf9 within the window */
#define RESET_CPU (1u << 2)
#define ECAM_BUS(o) (((o) >> 20) & 0xff)
#define ECAM_SLOT(o) (((o) >> 15) & 0x1f)
#define ECAM_FUNCTION(o) (((o) >> 12) & 7)
#define ECAM_REGISTER(o) ((unsigned)((o) & 0xfff))
#define ECAM_LEN ((uint64_t)VMM_PCI_ECAM_BUSES << 20)
#define CONFIG_SPACE_LEN 4096
#define PCI_CLASS_HOST_BRIDGE 0x060000u

static bool valid_access(unsigned reg, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && (reg & (size - 1)) == 0 && reg + size <= CONFIG_SPACE_LEN;
}

static const struct pci_function_slot *lookup(struct pci_host *h, unsigned bus, unsigned slot, unsigned fn)
{
    if (bus != 0 || !h->fn[slot][fn].read)
        return NULL;
    return &h->fn[slot][fn];
}

static uint64_t config_read(struct pci_host *h, unsigned bus, unsigned slot, unsigned fn, unsigned reg, unsigned size)
{
    const struct pci_function_slot *f = lookup(h, bus, slot, fn);
    if (!f || !valid_access(reg, size))
        return vmm_size_mask(size);
    return f->read(f->dev, reg, size) & vmm_size_mask(size);
}

static void config_write(struct pci_host *h, unsigned bus, unsigned slot, unsigned fn, unsigned reg, unsigned size,
                         uint32_t value)
{
    const struct pci_function_slot *f = lookup(h, bus, slot, fn);
    if (f && valid_access(reg, size) && f->write)
        f->write(f->dev, reg, size, value & (uint32_t)vmm_size_mask(size));
}

/* The bus callbacks: I/O at 0xcf8 (offset 0..7), and ECAM (accesses of
 * 1, 2 or 4 bytes, as the PCIe specification allows; 8 read all ones). */
static uint64_t pci_host_io_read(void *dev, uint64_t offset, unsigned size)
{
    struct pci_host *h = dev;
    if (offset == 0 && size == 4)
        return h->address;
    if (offset < 4 || !(h->address & CF8_ENABLE))
        return vmm_size_mask(size);
    unsigned reg = CF8_REGISTER(h->address) + (unsigned)(offset - 4);
    return config_read(h, CF8_BUS(h->address), CF8_SLOT(h->address), CF8_FUNCTION(h->address), reg, size);
}

static void pci_host_io_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct pci_host *h = dev;
    if (offset == 0 && size == 4) {
        h->address = (uint32_t)value & CF8_WRITABLE;
        return;
    }
    if (offset == RESET_CONTROL_OFFSET && size == 1) {
        if (value & RESET_CPU)
            vmm_reset();
        return;
    }
    if (offset < 4 || !(h->address & CF8_ENABLE))
        return;
    unsigned reg = CF8_REGISTER(h->address) + (unsigned)(offset - 4);
    config_write(h, CF8_BUS(h->address), CF8_SLOT(h->address), CF8_FUNCTION(h->address), reg, size, (uint32_t)value);
}

static uint64_t pci_host_ecam_read(void *dev, uint64_t offset, unsigned size)
{
    struct pci_host *h = dev;
    return config_read(h, ECAM_BUS(offset), ECAM_SLOT(offset), ECAM_FUNCTION(offset), ECAM_REGISTER(offset), size);
}

static void pci_host_ecam_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct pci_host *h = dev;
    config_write(h, ECAM_BUS(offset), ECAM_SLOT(offset), ECAM_FUNCTION(offset), ECAM_REGISTER(offset), size,
                 (uint32_t)value);
}

bool pci_host_add(struct pci_host *h, unsigned slot, unsigned function, pci_cfg_read_fn read, pci_cfg_write_fn write,
                  void *dev)
{
    if (slot == 0 || slot >= PCI_HOST_SLOTS || function >= PCI_HOST_FUNCTIONS || !read || h->fn[slot][function].read)
        return false;
    h->fn[slot][function] = (struct pci_function_slot){ read, write, dev };
    return true;
}

bool pci_host_attach(struct pci_host *h, struct vmm_bus *io_bus, struct vmm_bus *mmio_bus)
{
    memset(h, 0, sizeof *h);
    pci_config_init(&h->bridge, PCI_HOST_VENDOR, PCI_HOST_DEVICE, PCI_CLASS_HOST_BRIDGE, 0, NULL);
    h->fn[0][0] = (struct pci_function_slot){ pci_config_read, pci_config_write, &h->bridge };
    return vmm_bus_add(io_bus, PCI_CONFIG_ADDRESS_PORT, IO_WINDOW_LEN, pci_host_io_read, pci_host_io_write, h) &&
           vmm_bus_add(mmio_bus, VMM_PCI_ECAM_BASE, ECAM_LEN, pci_host_ecam_read, pci_host_ecam_write, h);
}
