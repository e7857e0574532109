/* SPDX-License-Identifier: GPL-2.0-only */
/* Device ownership: see pci_claims.h. */
#include "pci_claims.h"
#include "pci_regs.h"
#include "pci_select.h"

#define PAGE 4096ull

void pci_claims_init(struct pci_claims *c)
{
    for (unsigned b = 0; b <= PCI_MAX_CLIENTS; b++)
        c->dev_of[b] = PCI_NO_DEVICE;
    for (unsigned i = 0; i < PCI_MAX_FUNCS; i++)
        c->owner_of[i] = 0;
}

int pci_device_of(const struct pci_claims *c, uint64_t badge)
{
    return badge >= 1 && badge <= PCI_MAX_CLIENTS ? c->dev_of[badge] : PCI_NO_DEVICE;
}

/* The badge's device goes back to nobody. */
static void release(struct pci_claims *c, uint64_t badge, struct pci_claim_outcome *out)
{
    out->released = c->dev_of[badge];
    if (out->released != PCI_NO_DEVICE)
        c->owner_of[out->released] = 0;
    c->dev_of[badge] = PCI_NO_DEVICE;
}

/* The first alternative naming a function nobody owns; failing that, the
 * first naming another badge's (out->holder set), or none (-1). */
static int first_free(const struct pci_claims *c, const struct pci_scan *scan, const uint64_t sels[PCI_SEL_ALTS],
                      struct pci_claim_outcome *out)
{
    int taken = -1, taken_alt = -1;
    for (unsigned a = 0; a < pci_select_list_count(sels); a++) {
        int i = pci_select(scan, sels[a]);
        if (i < 0)
            continue;
        if (!c->owner_of[i]) {
            out->alt = (int)a;
            return i;
        }
        if (taken < 0) {
            taken = i;
            taken_alt = (int)a;
        }
    }
    if (taken >= 0) {
        out->alt = taken_alt;
        out->holder = c->owner_of[taken];
    }
    return taken;
}

enum pci_claim_result pci_claim(struct pci_claims *c, const struct pci_scan *scan, uint64_t badge,
                                const uint64_t sels[PCI_SEL_ALTS], struct pci_claim_outcome *out)
{
    *out = (struct pci_claim_outcome){PCI_NO_DEVICE, PCI_NO_DEVICE, -1, 0};
    if (badge < 1 || badge > PCI_MAX_CLIENTS)
        return PCI_CLAIM_BAD_BADGE;
    if (!pci_select_list_ok(sels))
        return PCI_CLAIM_BAD_LIST;
    release(c, badge, out);
    if (pci_select_list_count(sels) == 0)
        return PCI_CLAIM_NONE;
    int i = first_free(c, scan, sels, out);
    if (i < 0)
        return PCI_CLAIM_NO_MATCH;
    out->dev = i;
    if (out->holder)
        return PCI_CLAIM_TAKEN;
    if (scan->func[i].header_type != PCI_HEADER_NORMAL)
        return PCI_CLAIM_NOT_ENDPOINT;
    c->owner_of[i] = (uint8_t)badge;
    c->dev_of[badge] = i;
    return PCI_CLAIM_GIVEN;
}

struct pci_bar_pages pci_bar_pages(const struct dj_pci_bar *b)
{
    uint64_t first = b->base & ~(PAGE - 1), end = (b->base + b->size + PAGE - 1) & ~(PAGE - 1);
    return (struct pci_bar_pages){first, (end - first) / PAGE, b->base - first};
}

static bool is_memory(const struct dj_pci_bar *b)
{
    return b->size && !(b->flags & DJ_PCI_BAR_IO);
}

bool pci_bar_page_shared(const struct pci_scan *scan, unsigned dev, unsigned bar, unsigned *other)
{
    const struct dj_pci_bar *mine = &scan->func[dev].bar[bar];
    struct pci_bar_pages p = pci_bar_pages(mine);
    uint64_t lo = p.first_phys, hi = p.first_phys + p.count * PAGE;
    for (unsigned i = 0; i < scan->count && i < PCI_MAX_FUNCS; i++) {
        if (i == dev)
            continue;
        for (unsigned j = 0; j < DJ_PCI_BARS; j++) {
            const struct dj_pci_bar *b = &scan->func[i].bar[j];
            if (is_memory(b) && b->base < hi && b->base + b->size > lo) {
                *other = i;
                return true;
            }
        }
    }
    return false;
}
