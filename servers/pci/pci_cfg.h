/* SPDX-License-Identifier: GPL-2.0-only */
/* Configuration-space access through an accessor: the PCI server's logic
 * runs over the hardware (pci_access.c: mechanism 1 ports or ECAM) and, in
 * the host tests, over fake configuration spaces that lie. */
#pragma once
#include <stdint.h>

/* A function's address on segment 0: bus << 8 | device << 3 | function. */
#define PCI_BDF(bus, dev, fn) ((uint16_t)((unsigned)(bus) << 8 | (unsigned)(dev) << 3 | (unsigned)(fn)))
#define PCI_BDF_BUS(bdf) ((unsigned)(bdf) >> 8)
#define PCI_BDF_DEV(bdf) (((unsigned)(bdf) >> 3) & 0x1f)
#define PCI_BDF_FN(bdf) ((unsigned)(bdf) & 7)
#define PCI_BUSES 256
#define PCI_DEVICES 32
#define PCI_FUNCTIONS 8

#define PCI_CFG_SIZE_LEGACY 256 /* mechanism 1 */
#define PCI_CFG_SIZE_ECAM 4096

struct pci_cfg {
    /* width 1, 2 or 4; offset aligned to it and below size */
    uint32_t (*read)(void *ctx, uint16_t bdf, unsigned offset, unsigned width);
    void (*write)(void *ctx, uint16_t bdf, unsigned offset, unsigned width, uint32_t value);
    void *ctx;
    unsigned size; /* bytes of configuration space per function */
};

static inline uint32_t pci_read(const struct pci_cfg *c, uint16_t bdf, unsigned offset, unsigned width)
{
    return c->read(c->ctx, bdf, offset, width);
}

static inline void pci_write(const struct pci_cfg *c, uint16_t bdf, unsigned offset, unsigned width,
                             uint32_t value)
{
    c->write(c->ctx, bdf, offset, width, value);
}
