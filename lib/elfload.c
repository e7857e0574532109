/* SPDX-License-Identifier: BSD-2-Clause */
/* ELF loading into a child PD: see elfload.h. */
#include "lib/elfload.h"
#include "common/elf.h"
#include "lib/syscall.h"

#define PAGE 4096ull
#define PAGE_SHIFT 12
#define MAX_ITEM_ORDER 10 /* the kernel delegates at most 2^10 pages per item */

/* The largest order both page numbers are aligned to that fits n. */
static unsigned piece_order(uint64_t src, uint64_t dst, uint64_t n)
{
    unsigned order = 0;
    while (order < MAX_ITEM_ORDER && !((src | dst) & (1ull << order)) && (2ull << order) <= n)
        order++;
    return order;
}

enum dj_status dj_map_into(uint64_t pd_sel, const void *local, uint64_t child_va, uint64_t n, unsigned rights)
{
    uint64_t src = (uint64_t)(uintptr_t)local >> PAGE_SHIFT, dst = child_va >> PAGE_SHIFT;
    while (n) {
        unsigned order = piece_order(src, dst, n);
        enum dj_status st = dj_delegate(pd_sel, DJ_CRD(DJ_CRD_MEM, src, order, rights), dst);
        if (st != DJ_OK)
            return st;
        src += 1ull << order;
        dst += 1ull << order;
        n -= 1ull << order;
    }
    return DJ_OK;
}

static unsigned seg_rights(uint32_t flags)
{
    return DJ_MEM_R | ((flags & ELF_SEG_W) ? DJ_MEM_W : 0) | ((flags & ELF_SEG_X) ? DJ_MEM_X : 0);
}

static enum dj_status load_segment(const struct dj_loader *l, const void *image, const struct elf_segment *s,
                                   const char **why)
{
    uint64_t start = elf_seg_start(s), pages = (elf_seg_end(s) - start) / PAGE;
    unsigned char *mem = l->pages(l->ctx, pages);
    if (!mem) {
        *why = "out of memory for the image";
        return DJ_E_QUOTA;
    }
    for (uint64_t i = 0; i < pages; i++)
        elf_fill_page(image, s, start + i * PAGE, mem + i * PAGE);
    enum dj_status st = dj_map_into(l->pd_sel, mem, start, pages, seg_rights(s->flags));
    if (st != DJ_OK)
        *why = "delegating the image failed";
    return st;
}

enum dj_status dj_elf_load(const struct dj_loader *l, const void *image, size_t size, uint64_t *entry,
                           const char **why)
{
    static struct elf_info info; /* large; loaders run one at a time */
    enum elf_error e = elf_validate(image, size, &info);
    if (e != ELF_OK) {
        *why = elf_strerror(e);
        return DJ_E_BAD_PARAM;
    }
    for (unsigned i = 0; i < info.nsegments; i++) {
        enum dj_status st = load_segment(l, image, &info.segments[i], why);
        if (st != DJ_OK)
            return st;
    }
    *entry = info.entry;
    return DJ_OK;
}
