/* SPDX-License-Identifier: GPL-2.0-only */
/* Configuration-space access on the machine: see pci_access.h. */
#include <stdio.h>
#include "lib/syscall.h"
#include "pci_access.h"
#include "pci_regs.h"
#include "lib/x86.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA 0xcfc
#define CONFIG_ENABLE 0x80000000u
#define CONFIG_PORTS_LAST 0xcff
#define ECAM_BUS_SHIFT 20 /* 1 MiB per bus */
#define ECAM_FN_SHIFT 12  /* 4 KiB per function */
#define ECAM_BUS_PAGES_ORDER 8
#define ECAM_VA 0x540000000000ull /* 256 MiB of address space for 256 buses */
#define PAGE_SHIFT 12
#define READS_PER_MS 1000 /* uncached reads from the chipset: about 1 us each on PCs */
#define ALL_ONES 0xffffffffu

struct ecam {
    uint64_t phys;
    unsigned bus_start, bus_end;
    uint64_t mapped[PCI_BUSES / 64], failed[PCI_BUSES / 64];
};

static struct ecam ecam;
static bool delay_by_port; /* else the reset delay reads the first bus's ECAM */

/* ---- Mechanism 1 ---------------------------------------------------------- */

static uint16_t select_register(uint16_t bdf, unsigned offset)
{
    outl(CONFIG_ADDRESS, CONFIG_ENABLE | (uint32_t)bdf << 8 | (offset & 0xfc));
    return (uint16_t)(CONFIG_DATA + (offset & 3));
}

static uint32_t port_read(void *ctx, uint16_t bdf, unsigned offset, unsigned width)
{
    (void)ctx;
    uint16_t port = select_register(bdf, offset);
    return width == 4 ? inl(port) : width == 2 ? inw(port) : inb(port);
}

static void port_write(void *ctx, uint16_t bdf, unsigned offset, unsigned width, uint32_t value)
{
    (void)ctx;
    uint16_t port = select_register(bdf, offset);
    if (width == 4)
        outl(port, value);
    else if (width == 2)
        outw(port, (uint16_t)value);
    else
        outb(port, (uint8_t)value);
}

/* ---- ECAM ------------------------------------------------------------------- */

/* A bus's 1 MiB is mapped uncached on its first access. */
static volatile uint8_t *ecam_function(uint16_t bdf)
{
    unsigned bus = PCI_BDF_BUS(bdf);
    if (bus < ecam.bus_start || bus > ecam.bus_end || (ecam.failed[bus / 64] >> (bus % 64) & 1))
        return NULL;
    uint64_t va = ECAM_VA + ((uint64_t)bus << ECAM_BUS_SHIFT);
    if (!(ecam.mapped[bus / 64] >> (bus % 64) & 1)) {
        uint64_t phys = ecam.phys + ((uint64_t)bus << ECAM_BUS_SHIFT);
        enum dj_status st = dj_mmio_map(DJ_SEL_DEVMEM, va, phys, ECAM_BUS_PAGES_ORDER, DJ_MEM_R | DJ_MEM_W,
                                        DJ_CACHE_UC);
        if (st != DJ_OK) {
            printf("pci: ECAM of bus %02x at 0x%llx not mapped (status %d): its functions read as absent\n", bus,
                   (unsigned long long)phys, st);
            ecam.failed[bus / 64] |= 1ull << (bus % 64);
            return NULL;
        }
        ecam.mapped[bus / 64] |= 1ull << (bus % 64);
    }
    return (volatile uint8_t *)(uintptr_t)(va + ((uint64_t)(bdf & 0xff) << ECAM_FN_SHIFT));
}

static uint32_t ecam_read(void *ctx, uint16_t bdf, unsigned offset, unsigned width)
{
    (void)ctx;
    volatile uint8_t *f = ecam_function(bdf);
    if (!f)
        return ALL_ONES >> (32 - 8 * width);
    if (width == 4)
        return *(volatile uint32_t *)(f + offset);
    return width == 2 ? *(volatile uint16_t *)(f + offset) : f[offset];
}

static void ecam_write(void *ctx, uint16_t bdf, unsigned offset, unsigned width, uint32_t value)
{
    (void)ctx;
    volatile uint8_t *f = ecam_function(bdf);
    if (!f)
        return;
    if (width == 4)
        *(volatile uint32_t *)(f + offset) = value;
    else if (width == 2)
        *(volatile uint16_t *)(f + offset) = (uint16_t)value;
    else
        f[offset] = (uint8_t)value;
}

/* ---- Choosing ---------------------------------------------------------------- */

bool pci_ports_held(const struct dj_start_info *si, uint64_t first, uint64_t last)
{
    for (uint64_t port = first; port <= last;) {
        bool found = false;
        for (uint32_t i = 0; i < si->nio && i < DJ_START_MAX_IO && !found; i++) {
            const struct dj_start_io *r = &si->io[i];
            if (r->granted && port >= r->first && port <= r->last) {
                port = (uint64_t)r->last + 1;
                found = true;
            }
        }
        if (!found)
            return false;
    }
    return true;
}

static bool ecam_usable(const struct dj_start_info *si)
{
    if (!si->devmem || !si->pci_ecam_base || si->pci_ecam_bus_start > si->pci_ecam_bus_end ||
        si->pci_ecam_bus_end >= PCI_BUSES)
        return false;
    ecam = (struct ecam){si->pci_ecam_base, si->pci_ecam_bus_start, si->pci_ecam_bus_end, {0}, {0}};
    /* The first bus must map and show a function (the host bridge). */
    uint16_t vendor = (uint16_t)ecam_read(NULL, PCI_BDF(ecam.bus_start, 0, 0), PCI_REG_VENDOR, 2);
    return vendor != PCI_VENDOR_NONE && vendor != 0;
}

bool pci_access_init(const struct dj_start_info *si, struct pci_cfg *cfg, const char **how)
{
    delay_by_port = pci_ports_held(si, CONFIG_ADDRESS, CONFIG_PORTS_LAST);
    if (ecam_usable(si)) {
        *cfg = (struct pci_cfg){ecam_read, ecam_write, NULL, PCI_CFG_SIZE_ECAM};
        *how = "ECAM";
        return true;
    }
    if (delay_by_port) {
        *cfg = (struct pci_cfg){port_read, port_write, NULL, PCI_CFG_SIZE_LEGACY};
        *how = "configuration mechanism 1";
        return true;
    }
    return false;
}

/* ---- Delay -------------------------------------------------------------------- */

static void wait_ms(void *ctx, unsigned ms)
{
    (void)ctx;
    for (uint64_t i = 0; i < (uint64_t)ms * READS_PER_MS; i++) {
        if (delay_by_port)
            (void)inl(CONFIG_ADDRESS);
        else
            (void)ecam_read(NULL, PCI_BDF(ecam.bus_start, 0, 0), PCI_REG_VENDOR, 4);
    }
}

const struct pci_delay pci_device_delay = {wait_ms, NULL};
