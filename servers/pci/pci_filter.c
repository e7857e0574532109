/* SPDX-License-Identifier: GPL-2.0-only */
/* Configuration-space filtering: see pci_filter.h. */
#include "lib/pci.h"
#include "pci_cfg.h"
#include "pci_filter.h"
#include "pci_regs.h"

enum byte_rule { DENY, PASS, COMMAND_LOW, COMMAND_HIGH };

/* Command-register bits a driver may change, per byte. */
#define COMMAND_LOW_BITS (DJ_PCI_CMD_IO | DJ_PCI_CMD_MEMORY | DJ_PCI_CMD_BUS_MASTER)
#define COMMAND_HIGH_BITS (DJ_PCI_CMD_INTX_DISABLE >> 8)

static enum byte_rule rule_of(unsigned offset)
{
    if (offset >= PCI_CFG_SIZE_LEGACY)
        return DENY; /* extended capabilities: SR-IOV would make new functions, resizable BARs move BARs */
    if (offset >= PCI_HEADER_END)
        return PASS;
    switch (offset) {
    case PCI_REG_COMMAND: return COMMAND_LOW;
    case PCI_REG_COMMAND + 1: return COMMAND_HIGH;
    case PCI_REG_STATUS:
    case PCI_REG_STATUS + 1:
    case PCI_REG_CACHE_LINE:
    case PCI_REG_LATENCY:
    case PCI_REG_INT_LINE: return PASS;
    default: return DENY;
    }
}

bool pci_access_ok(unsigned offset, unsigned width, unsigned size)
{
    return (width == 1 || width == 2 || width == 4) && offset % width == 0 && offset < size &&
           width <= size - offset;
}

enum dj_status pci_filter_write(unsigned offset, unsigned width, uint32_t value, uint32_t current, uint32_t *out)
{
    if (width != 1 && width != 2 && width != 4)
        return DJ_E_BAD_PARAM;
    if (width < 4 && value >> (8 * width))
        return DJ_E_BAD_PARAM; /* bits beyond the write's width */
    uint32_t result = 0;
    for (unsigned k = 0; k < width; k++) {
        uint32_t lane = (value >> (8 * k)) & 0xff, now = (current >> (8 * k)) & 0xff;
        switch (rule_of(offset + k)) {
        case DENY: return DJ_E_BAD_PARAM;
        case PASS: break;
        case COMMAND_LOW: lane = (now & ~COMMAND_LOW_BITS) | (lane & COMMAND_LOW_BITS); break;
        case COMMAND_HIGH: lane = (now & ~COMMAND_HIGH_BITS) | (lane & COMMAND_HIGH_BITS); break;
        }
        result |= lane << (8 * k);
    }
    *out = result;
    return DJ_OK;
}
