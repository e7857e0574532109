/* SPDX-License-Identifier: BSD-2-Clause */
/* ELF64 executable validation for loading user programs (boot modules).
 * Pure C, no allocation, host-testable. The image is untrusted: every
 * field is checked before it is used, and the caller gets a list of
 * segments it can map page by page without further checks. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* User programs live below this address (the lower canonical half). */
#define ELF_USER_TOP 0x0000800000000000ull
/* Page 0 stays unmapped so null pointers fault in every program. */
#define ELF_USER_MIN 0x1000ull
#define ELF_PAGE_SIZE 4096ull
#define ELF_MAX_SEGMENTS 16

/* Segment permissions, as in the program header's p_flags. */
#define ELF_SEG_X (1u << 0)
#define ELF_SEG_W (1u << 1)
#define ELF_SEG_R (1u << 2)

struct elf_segment {
    uint64_t vaddr;  /* first byte of the segment (not page aligned) */
    uint64_t memsz;  /* bytes in memory; those past filesz are zero */
    uint64_t offset; /* of the file bytes in the image */
    uint64_t filesz;
    uint32_t flags;  /* ELF_SEG_R | ELF_SEG_W | ELF_SEG_X, never W and X together */
};

struct elf_info {
    uint64_t entry;
    unsigned nsegments; /* PT_LOAD segments with memsz > 0, ascending vaddr */
    struct elf_segment segments[ELF_MAX_SEGMENTS];
};

enum elf_error {
    ELF_OK = 0,
    ELF_E_TRUNCATED,     /* image shorter than the ELF header */
    ELF_E_MAGIC,         /* not \x7fELF */
    ELF_E_CLASS,         /* not ELFCLASS64 */
    ELF_E_ENDIAN,        /* not little-endian */
    ELF_E_VERSION,       /* not EV_CURRENT */
    ELF_E_TYPE,          /* not ET_EXEC */
    ELF_E_MACHINE,       /* not x86-64 */
    ELF_E_PHDRS,         /* program header table missing, malformed or outside the image */
    ELF_E_DYNAMIC,       /* needs an interpreter or dynamic linking */
    ELF_E_FILESZ,        /* a segment's filesz > memsz */
    ELF_E_FILE_RANGE,    /* a segment's file bytes lie outside the image */
    ELF_E_ADDR_RANGE,    /* a segment wraps around or leaves the user half */
    ELF_E_ALIGN,         /* vaddr and offset differ modulo the page size */
    ELF_E_WX,            /* a segment both writable and executable */
    ELF_E_OVERLAP,       /* segments unsorted or sharing a page */
    ELF_E_TOO_MANY,      /* more than ELF_MAX_SEGMENTS loadable segments */
    ELF_E_NO_LOAD,       /* no loadable segment */
    ELF_E_ENTRY,         /* entry point outside every executable segment */
    ELF_E_COUNT
};

/* Checks the image and fills *out (also on failure, partly; do not use it
 * then). Returns ELF_OK or the first problem found. */
enum elf_error elf_validate(const void *image, size_t len, struct elf_info *out);

/* A short English description of an error, for diagnostics. */
const char *elf_strerror(enum elf_error e);

/* Fills one page of a validated segment: dst (ELF_PAGE_SIZE bytes) gets the
 * segment's bytes at virtual page page_va (page aligned, within the
 * segment's page-rounded range): file bytes where the segment has them,
 * zero elsewhere (bss, and the parts of the page outside the segment). */
void elf_fill_page(const void *image, const struct elf_segment *s, uint64_t page_va, void *dst);

/* Page-rounded bounds of a segment: [elf_seg_start, elf_seg_end). */
static inline uint64_t elf_seg_start(const struct elf_segment *s)
{
    return s->vaddr & ~(ELF_PAGE_SIZE - 1);
}

static inline uint64_t elf_seg_end(const struct elf_segment *s)
{
    return (s->vaddr + s->memsz + ELF_PAGE_SIZE - 1) & ~(ELF_PAGE_SIZE - 1);
}
