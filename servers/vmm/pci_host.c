/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI host bridge: configuration mechanism 1 and ECAM (pci_host.h). */
#include "pci_host.h"
#include "acpi.h"
#include "common/string.h"

#define CF8_ENABLE (1u << 31)
#define CF8_WRITABLE (CF8_ENABLE | 0x00fffffcu) /* bits 30:24 and 1:0 are reserved */
/* Bus, device and function move up 4 bits from their 0xcf8 places to their ECAM ones. */
#define CF8_TO_ECAM(a) ((((uint64_t)(a) & 0x00ffff00u) << 4) | ((a) & 0xfcu))
#define IO_WINDOW_LEN 8
#define RESET_CONTROL_OFFSET 1   /* 0xcf9 within the window */
#define RESET_CPU (1u << 2)
#define ECAM_BUS(o) ((o) >> 20)
#define ECAM_SLOT(o) (((o) >> 15) & 0x1f)
#define ECAM_FUNCTION(o) (((o) >> 12) & 7)
#define ECAM_REGISTER(o) ((unsigned)((o) & 0xfff))
#define ECAM_LEN ((uint64_t)VMM_PCI_ECAM_BUSES << 20)
#define PCI_CLASS_HOST_BRIDGE 0x060000u

/* Both mechanisms address a function's register as an ECAM offset. The
 * function there for an aligned access of 1, 2 or 4 bytes (the PCIe
 * sizes: 8 reads all ones), else NULL. */
static const struct pci_function_slot *lookup(struct pci_host *h, uint64_t ecam, unsigned size)
{
    const struct pci_function_slot *f = &h->fn[ECAM_SLOT(ecam)][ECAM_FUNCTION(ecam)];
    bool ok = ECAM_BUS(ecam) == 0 && f->read && (size == 1 || size == 2 || size == 4) && !(ecam & (size - 1));
    return ok ? f : NULL;
}

static uint64_t pci_host_ecam_read(void *dev, uint64_t offset, unsigned size)
{
    const struct pci_function_slot *f = lookup(dev, offset, size);
    return f ? f->read(f->dev, ECAM_REGISTER(offset), size) & vmm_size_mask(size) : vmm_size_mask(size);
}

static void pci_host_ecam_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    const struct pci_function_slot *f = lookup(dev, offset, size);
    if (f && f->write)
        f->write(f->dev, ECAM_REGISTER(offset), size, (uint32_t)(value & vmm_size_mask(size)));
}

/* I/O at 0xcf8 (offset 0..7): the address latch, the reset control, data. */
static uint64_t pci_host_io_read(void *dev, uint64_t offset, unsigned size)
{
    struct pci_host *h = dev;
    if (offset == 0 && size == 4)
        return h->address;
    if (offset < 4 || !(h->address & CF8_ENABLE))
        return vmm_size_mask(size);
    return pci_host_ecam_read(h, CF8_TO_ECAM(h->address) + offset - 4, size);
}

static void pci_host_io_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct pci_host *h = dev;
    if (offset == 0 && size == 4)
        h->address = (uint32_t)value & CF8_WRITABLE;
    else if (offset == RESET_CONTROL_OFFSET && size == 1 && (value & RESET_CPU))
        vmm_reset();
    else if (offset >= 4 && (h->address & CF8_ENABLE))
        pci_host_ecam_write(h, CF8_TO_ECAM(h->address) + offset - 4, size, value);
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
