/* SPDX-License-Identifier: GPL-2.0-only */
/* BAR decoding: see pci_bar.h. */
#include "pci_bar.h"
#include "pci_regs.h"

#define MEM_MIN_SIZE 16 /* the four flag bits */
#define IO_MIN_SIZE 4
#define IO_DECODE16_MASK 0xffff0000u /* upper bits a 16-bit I/O decoder leaves 0 */

bool pci_bar_is_64(uint32_t orig)
{
    return !(orig & PCI_BAR_SPACE_IO) &&
           ((orig >> PCI_BAR_MEM_TYPE_SHIFT) & PCI_BAR_MEM_TYPE_MASK) == PCI_BAR_MEM_TYPE_64;
}

static bool power_of_two(uint64_t v)
{
    return v && !(v & (v - 1));
}

static enum pci_bar_kind bad(const char *what, const char **why)
{
    *why = what;
    return PCI_BAR_BAD;
}

static enum pci_bar_kind decode_io(uint32_t orig, uint32_t probe, struct dj_pci_bar *out, const char **why)
{
    if (!(probe & PCI_BAR_SPACE_IO))
        return bad("the probe changed the I/O space bit", why);
    uint32_t mask = probe & ~(uint32_t)PCI_BAR_IO_FLAG_BITS;
    if (!mask)
        return bad("an I/O BAR without size bits", why);
    if (!(mask & IO_DECODE16_MASK))
        mask |= IO_DECODE16_MASK; /* a 16-bit decoder: the upper half reads as 0 */
    uint64_t size = (uint64_t)(uint32_t)~mask + 1, base = orig & ~(uint32_t)PCI_BAR_IO_FLAG_BITS;
    if (!power_of_two(size) || size < IO_MIN_SIZE)
        return bad("I/O size bits are not contiguous", why);
    if (base & (size - 1))
        return bad("I/O base not aligned to its size", why);
    if (base + size > PCI_IO_SPACE_END)
        return bad("I/O range beyond port 0xffff", why);
    *out = (struct dj_pci_bar){base, size, DJ_PCI_BAR_IO};
    return PCI_BAR_IO;
}

static enum pci_bar_kind decode_mem(uint32_t orig, uint32_t probe, bool has_hi, uint32_t orig_hi, uint32_t probe_hi,
                                    struct dj_pci_bar *out, const char **why)
{
    unsigned type = (orig >> PCI_BAR_MEM_TYPE_SHIFT) & PCI_BAR_MEM_TYPE_MASK;
    if ((probe & PCI_BAR_MEM_FLAG_BITS) != (orig & PCI_BAR_MEM_FLAG_BITS))
        return bad("the probe changed the read-only type bits", why);
    if (type != PCI_BAR_MEM_TYPE_32 && type != PCI_BAR_MEM_TYPE_BELOW_1M && type != PCI_BAR_MEM_TYPE_64)
        return bad("reserved memory type", why);
    bool wide = type == PCI_BAR_MEM_TYPE_64;
    if (wide && !has_hi)
        return bad("a 64-bit BAR in the last slot", why);
    uint64_t mask = probe & ~(uint32_t)PCI_BAR_MEM_FLAG_BITS;
    mask |= wide ? (uint64_t)probe_hi << 32 : 0xffffffff00000000ull;
    uint64_t base = (orig & ~(uint32_t)PCI_BAR_MEM_FLAG_BITS) | (wide ? (uint64_t)orig_hi << 32 : 0);
    uint64_t size = ~mask + 1;
    if (!mask)
        return bad("a memory BAR without size bits", why);
    if (!power_of_two(size) || size < MEM_MIN_SIZE)
        return bad("memory size bits are not contiguous", why);
    if (base & (size - 1))
        return bad("memory base not aligned to its size", why);
    if (base + size < base)
        return bad("memory range wraps around", why);
    uint32_t flags = (wide ? DJ_PCI_BAR_64 : 0) | (orig & PCI_BAR_MEM_PREFETCH ? DJ_PCI_BAR_PREFETCH : 0);
    *out = (struct dj_pci_bar){base, size, flags};
    return wide ? PCI_BAR_MEM64 : PCI_BAR_MEM32;
}

enum pci_bar_kind pci_bar_decode(uint32_t orig, uint32_t probe, bool has_hi, uint32_t orig_hi, uint32_t probe_hi,
                                 struct dj_pci_bar *out, const char **why)
{
    *out = (struct dj_pci_bar){0, 0, 0};
    *why = "";
    /* Nothing to decode: no register, or only read-only zeros. A 64-bit
     * BAR's low half can read back 0 with size bits in the upper half. */
    if (probe == 0 && !(pci_bar_is_64(orig) && has_hi && probe_hi))
        return PCI_BAR_NONE;
    if (orig & PCI_BAR_SPACE_IO)
        return decode_io(orig, probe, out, why);
    return decode_mem(orig, probe, has_hi, orig_hi, probe_hi, out, why);
}
