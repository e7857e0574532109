/* SPDX-License-Identifier: BSD-2-Clause */
/* ELF64 executable validation: see elf.h. Headers are copied out of the
 * image before use because a boot module need not be aligned for them. */
#include <stdbool.h>
#include "common/elf.h"
#include "common/elf_format.h"
#include "common/string.h"

/* More program headers than this is not a program we built. */
#define ELF_MAX_PHDRS 64

static enum elf_error check_ident(const struct elf64_ehdr *h)
{
    static const unsigned char magic[4] = {0x7f, 'E', 'L', 'F'};
    if (memcmp(h->ident, magic, sizeof(magic)) != 0)
        return ELF_E_MAGIC;
    if (h->ident[EI_CLASS] != ELFCLASS64)
        return ELF_E_CLASS;
    if (h->ident[EI_DATA] != ELFDATA2LSB)
        return ELF_E_ENDIAN;
    if (h->ident[EI_VERSION] != EV_CURRENT || h->version != EV_CURRENT)
        return ELF_E_VERSION;
    if (h->type != ET_EXEC)
        return ELF_E_TYPE;
    if (h->machine != EM_X86_64)
        return ELF_E_MACHINE;
    return ELF_OK;
}

static enum elf_error check_phdr_table(const struct elf64_ehdr *h, size_t len)
{
    if (h->phentsize != sizeof(struct elf64_phdr) || h->phnum == 0 || h->phnum > ELF_MAX_PHDRS)
        return ELF_E_PHDRS;
    /* phnum * 56 is small (bounded above), so only the addition can wrap. */
    uint64_t table = (uint64_t)h->phnum * sizeof(struct elf64_phdr);
    if (h->phoff > len || table > len - h->phoff)
        return ELF_E_PHDRS;
    return ELF_OK;
}

static enum elf_error check_load(const struct elf64_phdr *p, size_t len)
{
    if (p->filesz > p->memsz)
        return ELF_E_FILESZ;
    if (p->offset > len || p->filesz > len - p->offset)
        return ELF_E_FILE_RANGE;
    if (p->vaddr < ELF_USER_MIN || p->vaddr >= ELF_USER_TOP || p->memsz > ELF_USER_TOP - p->vaddr)
        return ELF_E_ADDR_RANGE;
    /* Mapping file pages directly needs the same offset within the page. */
    if ((p->vaddr ^ p->offset) & (ELF_PAGE_SIZE - 1))
        return ELF_E_ALIGN;
    if ((p->flags & ELF_SEG_W) && (p->flags & ELF_SEG_X))
        return ELF_E_WX;
    return ELF_OK;
}

/* Pages are mapped with one set of rights each: two segments sharing a
 * page would give it the union (W+X through the back door). */
static enum elf_error add_segment(struct elf_info *out, const struct elf64_phdr *p)
{
    struct elf_segment s = {p->vaddr, p->memsz, p->offset, p->filesz, p->flags & (ELF_SEG_R | ELF_SEG_W | ELF_SEG_X)};
    if (s.memsz == 0)
        return ELF_OK; /* maps nothing: an empty output section */
    if (out->nsegments == ELF_MAX_SEGMENTS)
        return ELF_E_TOO_MANY;
    if (out->nsegments > 0 && elf_seg_start(&s) < elf_seg_end(&out->segments[out->nsegments - 1]))
        return ELF_E_OVERLAP;
    out->segments[out->nsegments++] = s;
    return ELF_OK;
}

static bool entry_in_text(const struct elf_info *info)
{
    for (unsigned i = 0; i < info->nsegments; i++) {
        const struct elf_segment *s = &info->segments[i];
        if ((s->flags & ELF_SEG_X) && info->entry >= s->vaddr && info->entry - s->vaddr < s->memsz)
            return true;
    }
    return false;
}

static enum elf_error check_phdr(const unsigned char *img, size_t len, const struct elf64_ehdr *h, unsigned i,
                                 struct elf_info *out)
{
    struct elf64_phdr p;
    memcpy(&p, img + h->phoff + (uint64_t)i * sizeof(p), sizeof(p));
    if (p.type == PT_INTERP || p.type == PT_DYNAMIC)
        return ELF_E_DYNAMIC;
    if (p.type != PT_LOAD)
        return ELF_OK; /* notes, GNU_STACK and the like carry nothing to load */
    enum elf_error e = check_load(&p, len);
    return e != ELF_OK ? e : add_segment(out, &p);
}

enum elf_error elf_validate(const void *image, size_t len, struct elf_info *out)
{
    const unsigned char *img = image;
    struct elf64_ehdr h;
    *out = (struct elf_info){0};
    if (!image || len < sizeof(h))
        return ELF_E_TRUNCATED;
    memcpy(&h, img, sizeof(h));
    enum elf_error e = check_ident(&h);
    if (e == ELF_OK)
        e = check_phdr_table(&h, len);
    for (unsigned i = 0; e == ELF_OK && i < h.phnum; i++)
        e = check_phdr(img, len, &h, i, out);
    if (e != ELF_OK)
        return e;
    if (out->nsegments == 0)
        return ELF_E_NO_LOAD;
    out->entry = h.entry;
    return entry_in_text(out) ? ELF_OK : ELF_E_ENTRY;
}

const char *elf_strerror(enum elf_error e)
{
    static const char *const text[ELF_E_COUNT] = {
        [ELF_OK] = "ok",
        [ELF_E_TRUNCATED] = "image shorter than the ELF header",
        [ELF_E_MAGIC] = "bad ELF magic",
        [ELF_E_CLASS] = "not a 64-bit ELF",
        [ELF_E_ENDIAN] = "not little-endian",
        [ELF_E_VERSION] = "unknown ELF version",
        [ELF_E_TYPE] = "not an executable (ET_EXEC)",
        [ELF_E_MACHINE] = "not x86-64",
        [ELF_E_PHDRS] = "program header table malformed or outside the image",
        [ELF_E_DYNAMIC] = "dynamically linked (PT_INTERP or PT_DYNAMIC)",
        [ELF_E_FILESZ] = "segment filesz larger than memsz",
        [ELF_E_FILE_RANGE] = "segment file bytes outside the image",
        [ELF_E_ADDR_RANGE] = "segment outside the user address range",
        [ELF_E_ALIGN] = "segment offset and vaddr differ within the page",
        [ELF_E_WX] = "segment both writable and executable",
        [ELF_E_OVERLAP] = "segments unsorted or sharing a page",
        [ELF_E_TOO_MANY] = "too many loadable segments",
        [ELF_E_NO_LOAD] = "no loadable segment",
        [ELF_E_ENTRY] = "entry point outside every executable segment",
    };
    return (unsigned)e < ELF_E_COUNT ? text[e] : "unknown ELF error";
}

void elf_fill_page(const void *image, const struct elf_segment *s, uint64_t page_va, void *dst)
{
    unsigned char *d = dst;
    memset(d, 0, ELF_PAGE_SIZE);
    /* The file-backed part of the segment, clipped to this page. */
    uint64_t lo = s->vaddr > page_va ? s->vaddr : page_va;
    uint64_t file_end = s->vaddr + s->filesz;
    uint64_t hi = file_end < page_va + ELF_PAGE_SIZE ? file_end : page_va + ELF_PAGE_SIZE;
    if (lo < hi)
        memcpy(d + (lo - page_va), (const unsigned char *)image + s->offset + (lo - s->vaddr), hi - lo);
}
