/* SPDX-License-Identifier: GPL-2.0-only */
/* BARs as capabilities. A memory BAR is mapped into the server once,
 * uncached (DJ_SYS_MMIO_MAP with the device-memory capability), and
 * delegated from there, so revoking the server's pages (without its own
 * mapping) takes every copy back; an I/O BAR is delegated from the ports
 * the server holds (io= on its line) and revoked the same way. */
#include <stdio.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "pci_access.h"
#include "pci_server.h"

#define PAGE_SHIFT 12
#define BAR_VA 0x520000000000ull     /* the server's mappings of BARs */
#define BAR_VA_END 0x540000000000ull /* ECAM follows (pci_access.c) */
#define MAP_MAX_PAGES 65536ull       /* 256 MiB: a BAR larger than this is refused */
#define ITEM_MAX_ORDER 10            /* pages per typed item the kernel takes */
#define USER_PAGES (1ull << 35)      /* the user half, in pages */

struct bar_map {
    uint64_t va;    /* server address of the BAR's first page, 0 until mapped */
    bool given;     /* delegated since the function was last claimed */
};

static struct bar_map maps[PCI_MAX_FUNCS][DJ_PCI_BARS];
static uint64_t next_va = BAR_VA;

/* The largest order of a piece of n pages (n > 0), at most max. */
static unsigned piece_order(uint64_t n, unsigned max)
{
    unsigned order = 0;
    while (order < max && (2ull << order) <= n)
        order++;
    return order;
}

static enum dj_status map_into_server(struct bar_map *m, const struct pci_bar_pages *p)
{
    uint64_t bytes = p->count << PAGE_SHIFT;
    if (bytes > BAR_VA_END - next_va)
        return DJ_E_QUOTA;
    uint64_t va = next_va;
    for (uint64_t done = 0; done < p->count;) {
        unsigned order = piece_order(p->count - done, ITEM_MAX_ORDER);
        enum dj_status st = dj_mmio_map(DJ_SEL_DEVMEM, va + (done << PAGE_SHIFT), p->first_phys + (done << PAGE_SHIFT),
                                        order, DJ_MEM_R | DJ_MEM_W, DJ_CACHE_UC);
        if (st != DJ_OK)
            return st; /* what was mapped stays unused: the range is not reused */
        done += 1ull << order;
    }
    next_va += bytes;
    m->va = va;
    return DJ_OK;
}

static unsigned memory_items(struct dj_utcb *u, uint64_t src_page, uint64_t dst_page, uint64_t n)
{
    unsigned count = 0;
    for (uint64_t left = n; left; left -= 1ull << piece_order(left, ITEM_MAX_ORDER))
        count++;
    struct dj_typed_item *item = dj_utcb_typed(u, count);
    for (unsigned i = 0; i < count; i++) {
        unsigned order = piece_order(n, ITEM_MAX_ORDER);
        item[i] = (struct dj_typed_item){DJ_CRD(DJ_CRD_MEM, src_page, order, DJ_MEM_R | DJ_MEM_W), dst_page};
        src_page += 1ull << order;
        dst_page += 1ull << order;
        n -= 1ull << order;
    }
    return count;
}

static enum dj_status map_memory(unsigned dev, unsigned bar, uint64_t dst_page, struct dj_utcb *u, unsigned *items)
{
    const struct dj_pci_bar *b = &pci_devices.func[dev].bar[bar];
    struct pci_bar_pages p = pci_bar_pages(b);
    struct bar_map *m = &maps[dev][bar];
    char where[8], other_where[8];
    unsigned other;
    pci_bdf_text(pci_devices.func[dev].bdf, where, sizeof(where));
    if (p.count > MAP_MAX_PAGES || dst_page >= USER_PAGES || p.count > USER_PAGES - dst_page)
        return DJ_E_BAD_PARAM;
    if (pci_bar_page_shared(&pci_devices, dev, bar, &other)) {
        pci_bdf_text(pci_devices.func[other].bdf, other_where, sizeof(other_where));
        printf(PCI_LOG_PREFIX "%s BAR%u refused: it shares a page with a BAR of %s\n", where, bar, other_where);
        return DJ_E_BAD_PARAM;
    }
    if (!pci_start->devmem) {
        printf(PCI_LOG_PREFIX "%s BAR%u refused: the server has no device-memory capability (devmem=yes)\n", where,
               bar);
        return DJ_E_BAD_CAP;
    }
    if (!m->va) {
        enum dj_status st = map_into_server(m, &p);
        if (st != DJ_OK) {
            printf(PCI_LOG_PREFIX "%s BAR%u at 0x%llx not mapped (status %d)\n", where, bar,
                   (unsigned long long)p.first_phys, st);
            return st;
        }
    }
    *items = memory_items(u, m->va >> PAGE_SHIFT, dst_page, p.count);
    m->given = true;
    return DJ_OK;
}

static enum dj_status map_ports(unsigned dev, unsigned bar, struct dj_utcb *u, unsigned *items)
{
    const struct dj_pci_bar *b = &pci_devices.func[dev].bar[bar];
    if (!pci_ports_held(pci_start, b->base, b->base + b->size - 1)) {
        char where[8];
        pci_bdf_text(pci_devices.func[dev].bdf, where, sizeof(where));
        printf(PCI_LOG_PREFIX "%s BAR%u refused: ports 0x%llx-0x%llx are not the server's (io= on its line)\n",
               where, bar, (unsigned long long)b->base, (unsigned long long)(b->base + b->size - 1));
        return DJ_E_BAD_CAP;
    }
    struct dj_typed_item *item = dj_utcb_typed(u, 1);
    /* I/O BARs are naturally aligned powers of two (pci_bar.c checked). */
    item->crd = DJ_CRD(DJ_CRD_IO, b->base, piece_order(b->size, 16), DJ_IO_ACCESS);
    item->hotspot = 0;
    *items = 1;
    maps[dev][bar].given = true;
    return DJ_OK;
}

enum dj_status pci_map_bar(unsigned dev, unsigned bar, uint64_t dst_page, struct dj_utcb *u, unsigned *items)
{
    *items = 0;
    if (bar >= DJ_PCI_BARS || !pci_devices.func[dev].bar[bar].size || !pci_devices.func[dev].bar[bar].base)
        return DJ_E_BAD_PARAM; /* none, the upper half of a 64-bit BAR, refused, or never assigned */
    if (pci_devices.func[dev].bar[bar].flags & DJ_PCI_BAR_IO)
        return map_ports(dev, bar, u, items);
    return map_memory(dev, bar, dst_page, u, items);
}

static void revoke_pages(uint64_t page, uint64_t n)
{
    while (n) {
        unsigned order = piece_order(n, 16); /* the kernel's limit per revoke */
        dj_revoke(DJ_CRD(DJ_CRD_MEM, page, order, DJ_MEM_ALL), false);
        page += 1ull << order;
        n -= 1ull << order;
    }
}

void pci_unmap_all(unsigned dev)
{
    for (unsigned bar = 0; bar < DJ_PCI_BARS; bar++) {
        struct bar_map *m = &maps[dev][bar];
        const struct dj_pci_bar *b = &pci_devices.func[dev].bar[bar];
        if (!m->given)
            continue;
        if (b->flags & DJ_PCI_BAR_IO)
            dj_revoke(DJ_CRD(DJ_CRD_IO, b->base, piece_order(b->size, 16), DJ_IO_ACCESS), false);
        else
            revoke_pages(m->va >> PAGE_SHIFT, pci_bar_pages(b).count);
        m->given = false;
    }
}
