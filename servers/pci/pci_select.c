/* SPDX-License-Identifier: GPL-2.0-only */
/* Device selectors: see pci_select.h. */
#include <stdio.h>
#include <string.h>
#include "pci_select.h"

#define ID_VENDOR(s) ((uint16_t)(s))
#define ID_DEVICE(s) ((uint16_t)((s) >> 16))
#define ID_INDEX(s) (((s) >> 32) & 0x0fffffffu)
#define BDF_FUNC(s) ((uint16_t)(s))          /* bus << 8 | dev << 3 | fn */
#define BDF_SEGMENT(s) (((s) >> 16) & 0xffff)
#define BDF_UNUSED(s) (((s) >> 32) & 0x0fffffffu) /* bits a BDF selector leaves 0 */

static int by_id(const struct pci_scan *scan, uint64_t sel)
{
    uint64_t wanted = ID_INDEX(sel), seen = 0;
    for (unsigned i = 0; i < scan->count && i < PCI_MAX_FUNCS; i++) {
        const struct pci_func *f = &scan->func[i];
        if (f->vendor == ID_VENDOR(sel) && f->device == ID_DEVICE(sel) && seen++ == wanted)
            return (int)i;
    }
    return -1;
}

static int by_bdf(const struct pci_scan *scan, uint64_t sel)
{
    if (BDF_SEGMENT(sel) != 0 || BDF_UNUSED(sel) != 0)
        return -1; /* one segment only (mechanism 1 and the first MCFG entry) */
    for (unsigned i = 0; i < scan->count && i < PCI_MAX_FUNCS; i++)
        if (scan->func[i].bdf == BDF_FUNC(sel))
            return (int)i;
    return -1;
}

int pci_select(const struct pci_scan *scan, uint64_t sel)
{
    switch (DJ_PCI_SEL_KIND(sel)) {
    case PCI_SEL_KIND_ID: return by_id(scan, sel);
    case PCI_SEL_KIND_BDF: return by_bdf(scan, sel);
    default: return -1;
    }
}

void pci_select_text(uint64_t sel, char *buf, size_t size)
{
    if (DJ_PCI_SEL_KIND(sel) == PCI_SEL_KIND_ID)
        snprintf(buf, size, "%04x:%04x#%u", ID_VENDOR(sel), ID_DEVICE(sel), (unsigned)ID_INDEX(sel));
    else if (DJ_PCI_SEL_KIND(sel) == PCI_SEL_KIND_BDF && BDF_SEGMENT(sel) == 0 && BDF_UNUSED(sel) == 0)
        pci_bdf_text(BDF_FUNC(sel), buf, size);
    else
        snprintf(buf, size, "selector 0x%llx", (unsigned long long)sel);
}

bool pci_select_list_ok(const uint64_t sels[PCI_SEL_ALTS])
{
    unsigned n = pci_select_list_count(sels);
    for (unsigned i = n; i < PCI_SEL_ALTS; i++)
        if (sels[i] != 0)
            return false;
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = 0; j < i; j++)
            if (sels[i] == sels[j])
                return false;
    return true;
}

unsigned pci_select_list_count(const uint64_t sels[PCI_SEL_ALTS])
{
    unsigned n = 0;
    while (n < PCI_SEL_ALTS && sels[n] != 0)
        n++;
    return n;
}

void pci_select_list_text(const uint64_t sels[PCI_SEL_ALTS], char *buf, size_t size)
{
    if (size == 0)
        return;
    buf[0] = '\0';
    unsigned n = pci_select_list_count(sels);
    for (unsigned i = 0; i < n; i++) {
        char one[PCI_SEL_TEXT_MAX];
        pci_select_text(sels[i], one, sizeof(one));
        size_t used = strlen(buf);
        snprintf(buf + used, size - used, "%s%s", i ? "|" : "", one);
    }
}
