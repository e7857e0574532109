/* SPDX-License-Identifier: GPL-2.0-only */
/* Capability list walk: see pci_caps.h. */
#include "pci_caps.h"
#include "pci_regs.h"

#define DWORDS_LEGACY (PCI_CFG_SIZE_LEGACY / 4)

static unsigned first_pointer_reg(unsigned header_type)
{
    return header_type == PCI_HEADER_CARDBUS ? PCI_REG_CARDBUS_CAP_PTR : PCI_REG_CAP_PTR;
}

enum pci_caps_result pci_caps_walk(const struct pci_cfg *cfg, uint16_t bdf, unsigned header_type,
                                   pci_cap_visit_fn visit, void *ctx)
{
    if (!(pci_read(cfg, bdf, PCI_REG_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return PCI_CAPS_OK;
    /* The list lives in the first 256 bytes: one bit per dword catches
     * every loop, however long. */
    uint64_t seen[DWORDS_LEGACY / 64] = {0};
    unsigned ptr = pci_read(cfg, bdf, first_pointer_reg(header_type), 1) & PCI_CAP_PTR_MASK;
    while (ptr) {
        if (ptr < PCI_HEADER_END)
            return PCI_CAPS_BAD_POINTER;
        unsigned dword = ptr / 4;
        if (seen[dword / 64] >> (dword % 64) & 1)
            return PCI_CAPS_LOOP;
        seen[dword / 64] |= 1ull << (dword % 64);
        uint8_t id = (uint8_t)pci_read(cfg, bdf, ptr + PCI_CAP_ID, 1);
        if (visit(ctx, id, ptr))
            return PCI_CAPS_STOPPED;
        ptr = pci_read(cfg, bdf, ptr + PCI_CAP_NEXT, 1) & PCI_CAP_PTR_MASK;
    }
    return PCI_CAPS_OK;
}

struct find {
    uint8_t id;
    unsigned offset;
};

static bool match(void *ctx, uint8_t id, unsigned offset)
{
    struct find *f = ctx;
    if (id != f->id)
        return false;
    f->offset = offset;
    return true;
}

unsigned pci_cap_find(const struct pci_cfg *cfg, uint16_t bdf, unsigned header_type, uint8_t id)
{
    struct find f = {id, 0};
    pci_caps_walk(cfg, bdf, header_type, match, &f);
    return f.offset;
}

const char *pci_caps_strerror(enum pci_caps_result r)
{
    switch (r) {
    case PCI_CAPS_OK: return "well-formed";
    case PCI_CAPS_STOPPED: return "stopped";
    case PCI_CAPS_BAD_POINTER: return "a capability pointer into the standard header";
    case PCI_CAPS_LOOP: return "a capability pointer loops back";
    }
    return "?";
}
