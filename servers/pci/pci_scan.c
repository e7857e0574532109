/* SPDX-License-Identifier: GPL-2.0-only */
/* PCI enumeration: see pci_scan.h. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "pci_bar.h"
#include "pci_caps.h"
#include "pci_regs.h"
#include "pci_scan.h"

#define ALL_ONES 0xffffffffu
#define DECODE_BITS (DJ_PCI_CMD_IO | DJ_PCI_CMD_MEMORY)

struct walk {
    const struct pci_cfg *cfg;
    struct pci_scan *out;
    const struct pci_report *report;
    uint64_t queued[PCI_BUSES / 64]; /* buses walked or waiting */
    uint8_t queue[PCI_BUSES];
    unsigned head, tail;
};

void pci_bdf_text(uint16_t bdf, char *buf, size_t size)
{
    snprintf(buf, size, "%02x:%02x.%u", PCI_BDF_BUS(bdf), PCI_BDF_DEV(bdf), PCI_BDF_FN(bdf));
}

static void warn(const struct walk *w, uint16_t bdf, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void warn(const struct walk *w, uint16_t bdf, const char *fmt, ...)
{
    char text[PCI_WARN_MAX];
    if (!w->report || !w->report->warn)
        return;
    pci_bdf_text(bdf, text, sizeof(text));
    size_t n = strlen(text);
    text[n++] = ':';
    text[n++] = ' ';
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + n, sizeof(text) - n, fmt, ap);
    va_end(ap);
    w->report->warn(w->report->ctx, text);
}

static void queue_bus(struct walk *w, unsigned bus)
{
    if (w->queued[bus / 64] >> (bus % 64) & 1)
        return;
    w->queued[bus / 64] |= 1ull << (bus % 64);
    w->queue[w->tail++] = (uint8_t)bus; /* each bus at most once: never more than PCI_BUSES */
}

static bool present(const struct walk *w, uint16_t bdf)
{
    uint16_t vendor = (uint16_t)pci_read(w->cfg, bdf, PCI_REG_VENDOR, 2);
    return vendor != PCI_VENDOR_NONE && vendor != 0;
}

/* Sizes BAR i (and i + 1 for a 64-bit one) with decoding already off;
 * returns how many slots it used. */
static unsigned size_bar(const struct walk *w, struct pci_func *f, unsigned i, unsigned nbars)
{
    unsigned reg = PCI_REG_BAR0 + 4 * i;
    uint32_t orig = pci_read(w->cfg, f->bdf, reg, 4), orig_hi = 0, probe_hi = 0;
    pci_write(w->cfg, f->bdf, reg, 4, ALL_ONES);
    uint32_t probe = pci_read(w->cfg, f->bdf, reg, 4);
    pci_write(w->cfg, f->bdf, reg, 4, orig);
    bool has_hi = pci_bar_is_64(orig) && i + 1 < nbars;
    if (has_hi) {
        orig_hi = pci_read(w->cfg, f->bdf, reg + 4, 4);
        pci_write(w->cfg, f->bdf, reg + 4, 4, ALL_ONES);
        probe_hi = pci_read(w->cfg, f->bdf, reg + 4, 4);
        pci_write(w->cfg, f->bdf, reg + 4, 4, orig_hi);
    }
    const char *why;
    enum pci_bar_kind k = pci_bar_decode(orig, probe, has_hi, orig_hi, probe_hi, &f->bar[i], &why);
    if (k == PCI_BAR_BAD)
        warn(w, f->bdf, "BAR%u refused: %s", i, why);
    return has_hi ? 2 : 1;
}

static void size_bars(const struct walk *w, struct pci_func *f)
{
    unsigned nbars = f->header_type == PCI_HEADER_NORMAL   ? PCI_BARS_NORMAL
                     : f->header_type == PCI_HEADER_BRIDGE ? PCI_BARS_BRIDGE
                                                           : 0;
    if (!nbars)
        return;
    uint16_t command = (uint16_t)pci_read(w->cfg, f->bdf, PCI_REG_COMMAND, 2);
    pci_write(w->cfg, f->bdf, PCI_REG_COMMAND, 2, command & ~DECODE_BITS);
    for (unsigned i = 0; i < nbars;)
        i += size_bar(w, f, i, nbars);
    pci_write(w->cfg, f->bdf, PCI_REG_COMMAND, 2, command);
}

static bool note_cap(void *ctx, uint8_t id, unsigned offset)
{
    struct pci_func *f = ctx;
    uint16_t *slot = id == DJ_PCI_CAP_MSI    ? &f->cap_msi
                     : id == DJ_PCI_CAP_MSIX ? &f->cap_msix
                     : id == PCI_CAP_ID_PCIE ? &f->cap_pcie
                     : id == PCI_CAP_ID_PM   ? &f->cap_pm
                                             : NULL;
    if (slot && !*slot)
        *slot = (uint16_t)offset;
    return false;
}

static void find_caps(const struct walk *w, struct pci_func *f)
{
    enum pci_caps_result r = pci_caps_walk(w->cfg, f->bdf, f->header_type, note_cap, f);
    if (r == PCI_CAPS_BAD_POINTER || r == PCI_CAPS_LOOP) {
        f->caps_bad = true;
        warn(w, f->bdf, "capability list cut: %s", pci_caps_strerror(r));
    }
    if (f->cap_pcie)
        f->flr = (pci_read(w->cfg, f->bdf, f->cap_pcie + PCIE_DEVCAP, 4) & PCIE_DEVCAP_FLR) != 0;
}

static void add_function(struct walk *w, uint16_t bdf)
{
    if (w->out->count == PCI_MAX_FUNCS) {
        w->out->left_out++;
        return;
    }
    struct pci_func *f = &w->out->func[w->out->count++];
    *f = (struct pci_func){.bdf = bdf};
    f->vendor = (uint16_t)pci_read(w->cfg, bdf, PCI_REG_VENDOR, 2);
    f->device = (uint16_t)pci_read(w->cfg, bdf, PCI_REG_DEVICE, 2);
    f->class_rev = pci_read(w->cfg, bdf, PCI_REG_CLASS_REV, 4);
    f->header_type = (uint8_t)(pci_read(w->cfg, bdf, PCI_REG_HEADER_TYPE, 1) & PCI_HEADER_TYPE_MASK);
    if (f->header_type == PCI_HEADER_NORMAL) {
        f->subsys_vendor = (uint16_t)pci_read(w->cfg, bdf, PCI_REG_SUBSYS_VENDOR, 2);
        f->subsys = (uint16_t)pci_read(w->cfg, bdf, PCI_REG_SUBSYS, 2);
    }
    size_bars(w, f);
    find_caps(w, f);
    if (f->header_type == PCI_HEADER_BRIDGE) {
        unsigned secondary = pci_read(w->cfg, bdf, PCI_REG_SECONDARY_BUS, 1) & 0xff;
        if (secondary == 0)
            warn(w, bdf, "bridge without a secondary bus number: not walked");
        else
            queue_bus(w, secondary); /* a bus already walked or queued is not walked again */
    }
}

static void walk_device(struct walk *w, unsigned bus, unsigned dev)
{
    uint16_t bdf0 = PCI_BDF(bus, dev, 0);
    if (!present(w, bdf0))
        return;
    bool multi = pci_read(w->cfg, bdf0, PCI_REG_HEADER_TYPE, 1) & PCI_HEADER_MULTI_FUNCTION;
    for (unsigned fn = 0; fn < (multi ? PCI_FUNCTIONS : 1u); fn++)
        if (present(w, PCI_BDF(bus, dev, fn)))
            add_function(w, PCI_BDF(bus, dev, fn));
}

/* Bus order (the walk goes breadth first through bridges), so that "the
 * K-th such device" of a selector does not depend on the walk. */
static void sort_by_address(struct pci_scan *out)
{
    for (unsigned i = 1; i < out->count; i++) {
        struct pci_func f = out->func[i];
        unsigned j = i;
        for (; j > 0 && out->func[j - 1].bdf > f.bdf; j--)
            out->func[j] = out->func[j - 1];
        out->func[j] = f;
    }
}

void pci_scan(const struct pci_cfg *cfg, struct pci_scan *out, const struct pci_report *report)
{
    static struct walk w; /* large; one scan at a time */
    memset(out, 0, sizeof(*out));
    w = (struct walk){.cfg = cfg, .out = out, .report = report};
    queue_bus(&w, 0);
    while (w.head < w.tail) {
        unsigned bus = w.queue[w.head++];
        out->buses++;
        for (unsigned dev = 0; dev < PCI_DEVICES; dev++)
            walk_device(&w, bus, dev);
    }
    sort_by_address(out);
}
