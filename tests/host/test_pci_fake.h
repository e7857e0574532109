/* SPDX-License-Identifier: GPL-2.0-only */
/* A fake PCI configuration space for the PCI server's host tests: each
 * present function has 4 KiB of bytes and a mask of the bits a write may
 * change, which is how BAR sizing, read-only identity fields and liars
 * (BARs with garbage masks, capability loops) are modelled. A write to
 * the PCI Express FLR bit resets the function's writable bits to their
 * reset values and makes it read as absent for a number of reads. */
#pragma once
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "servers/pci/pci_cfg.h"
#include "servers/pci/pci_regs.h"

#define FAKE_MAX 80

struct fake_func {
    uint16_t bdf;
    uint8_t bytes[PCI_CFG_SIZE_ECAM], wmask[PCI_CFG_SIZE_ECAM], reset[PCI_CFG_SIZE_ECAM];
    unsigned flr_count;    /* FLRs seen */
    unsigned absent_reads; /* reads still answered with all ones after an FLR */
    unsigned absent_after_flr;
    unsigned writes;
};

struct fake_pci {
    struct fake_func f[FAKE_MAX];
    unsigned n;
    unsigned reads, writes;
};

static inline struct fake_func *fake_find(struct fake_pci *p, uint16_t bdf)
{
    for (unsigned i = 0; i < p->n; i++)
        if (p->f[i].bdf == bdf)
            return &p->f[i];
    return NULL;
}

static inline void fake_put(struct fake_func *f, unsigned off, unsigned width, uint32_t v)
{
    for (unsigned k = 0; k < width; k++)
        f->bytes[off + k] = (uint8_t)(v >> (8 * k));
}

static inline uint32_t fake_get(const struct fake_func *f, unsigned off, unsigned width)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < width; k++)
        v |= (uint32_t)f->bytes[off + k] << (8 * k);
    return v;
}

static inline void fake_wmask(struct fake_func *f, unsigned off, unsigned width, uint32_t m)
{
    for (unsigned k = 0; k < width; k++)
        f->wmask[off + k] = (uint8_t)(m >> (8 * k));
}

static uint32_t fake_read(void *ctx, uint16_t bdf, unsigned off, unsigned width)
{
    struct fake_pci *p = ctx;
    p->reads++;
    struct fake_func *f = fake_find(p, bdf);
    if (!f || off + width > PCI_CFG_SIZE_ECAM)
        return 0xffffffffu >> (32 - 8 * width);
    if (f->absent_reads) {
        f->absent_reads--;
        return 0xffffffffu >> (32 - 8 * width);
    }
    return fake_get(f, off, width);
}

static void fake_flr(struct fake_func *f)
{
    for (unsigned i = 0; i < PCI_CFG_SIZE_ECAM; i++)
        f->bytes[i] = (uint8_t)((f->bytes[i] & ~f->wmask[i]) | (f->reset[i] & f->wmask[i]));
    f->flr_count++;
    f->absent_reads = f->absent_after_flr;
}

/* The offset of the PCI Express capability's device control, if any. */
static unsigned fake_devctl(const struct fake_func *f)
{
    unsigned ptr = f->bytes[PCI_REG_CAP_PTR] & 0xfc;
    for (unsigned n = 0; ptr >= 0x40 && n < 48; n++, ptr = f->bytes[ptr + 1] & 0xfc)
        if (f->bytes[ptr] == PCI_CAP_ID_PCIE)
            return ptr + PCIE_DEVCTL;
    return 0;
}

static void fake_write(void *ctx, uint16_t bdf, unsigned off, unsigned width, uint32_t v)
{
    struct fake_pci *p = ctx;
    p->writes++;
    struct fake_func *f = fake_find(p, bdf);
    if (!f || off + width > PCI_CFG_SIZE_ECAM)
        return;
    f->writes++;
    unsigned devctl = fake_devctl(f);
    bool flr = devctl && off <= devctl + 1 && off + width > devctl + 1 && ((v >> (8 * (devctl + 1 - off))) & 0x80);
    for (unsigned k = 0; k < width; k++) {
        uint8_t m = f->wmask[off + k], b = (uint8_t)(v >> (8 * k));
        f->bytes[off + k] = (uint8_t)((f->bytes[off + k] & ~m) | (b & m));
    }
    if (flr)
        fake_flr(f);
}

static inline struct pci_cfg fake_cfg(struct fake_pci *p, unsigned size)
{
    return (struct pci_cfg){fake_read, fake_write, p, size};
}

/* A plain function: ids, class, header type, command and the scratch
 * registers writable; reset values are the present ones. */
static inline struct fake_func *fake_add(struct fake_pci *p, unsigned bus, unsigned dev, unsigned fn, uint16_t vendor,
                                         uint16_t device, uint8_t header_type)
{
    if (p->n == FAKE_MAX)
        abort();
    struct fake_func *f = &p->f[p->n++];
    memset(f, 0, sizeof(*f));
    f->bdf = PCI_BDF(bus, dev, fn);
    fake_put(f, PCI_REG_VENDOR, 2, vendor);
    fake_put(f, PCI_REG_DEVICE, 2, device);
    fake_put(f, PCI_REG_CLASS_REV, 4, 0x02000001);
    fake_put(f, PCI_REG_HEADER_TYPE, 1, header_type);
    fake_wmask(f, PCI_REG_COMMAND, 2, 0x0547);
    fake_wmask(f, PCI_REG_CACHE_LINE, 2, 0xffff);
    fake_wmask(f, PCI_REG_INT_LINE, 1, 0xff);
    for (unsigned i = PCI_HEADER_END; i < PCI_CFG_SIZE_ECAM; i++)
        f->wmask[i] = 0xff; /* device-specific: scratch */
    return f;
}

/* A BAR as hardware has it: size bits writable, flag bits read-only. */
static inline void fake_bar(struct fake_func *f, unsigned i, uint32_t flags, uint64_t base, uint64_t size)
{
    unsigned reg = PCI_REG_BAR0 + 4 * i;
    bool io = flags & PCI_BAR_SPACE_IO;
    uint64_t mask = ~(size - 1) & ~(uint64_t)(io ? PCI_BAR_IO_FLAG_BITS : PCI_BAR_MEM_FLAG_BITS);
    fake_put(f, reg, 4, (uint32_t)(base | flags));
    fake_wmask(f, reg, 4, (uint32_t)mask);
    if (!io && ((flags >> 1) & 3) == PCI_BAR_MEM_TYPE_64) {
        fake_put(f, reg + 4, 4, (uint32_t)(base >> 32));
        fake_wmask(f, reg + 4, 4, (uint32_t)(mask >> 32));
    }
}

/* Capability id at offset off, linked after the previous one (or first). */
static inline void fake_cap(struct fake_func *f, unsigned off, uint8_t id, unsigned next)
{
    f->bytes[PCI_REG_STATUS] |= PCI_STATUS_CAP_LIST;
    if (!f->bytes[PCI_REG_CAP_PTR])
        f->bytes[PCI_REG_CAP_PTR] = (uint8_t)off;
    f->bytes[off] = id;
    f->bytes[off + 1] = (uint8_t)next;
}

/* Snapshot of the present values as the FLR reset values. */
static inline void fake_set_reset_values(struct fake_func *f, bool bars_to_zero)
{
    memcpy(f->reset, f->bytes, sizeof(f->reset));
    if (bars_to_zero)
        memset(f->reset + PCI_REG_BAR0, 0, PCI_BARS_NORMAL * 4);
    f->reset[PCI_REG_COMMAND] = 0;
    f->reset[PCI_REG_COMMAND + 1] = 0;
}
