/* SPDX-License-Identifier: GPL-2.0-only */
/* Multiboot2 boot information parser. Pure logic (no inline assembly, no
 * hardware access) so it is unit-tested on the host against hostile input.
 *
 * Rules: every read is bounds-checked against the total size, which itself
 * must fit in what the caller can read; values are read with memcpy (the
 * information need not be aligned in tests); every problem found becomes
 * one warning line (at most MB2_MAX_WARN_LINES are printed, all are counted
 * in boot_info.warnings). */
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/multiboot2.h"
#include "arch/x86_64/le_read.h"
#include "common/format.h"
#include "common/string.h"

#define MB2_TAG_END 0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_LOADER_NAME 2
#define MB2_TAG_MODULE 3
#define MB2_TAG_BASIC_MEMINFO 4
#define MB2_TAG_BOOTDEV 5
#define MB2_TAG_MMAP 6
#define MB2_TAG_FRAMEBUFFER 8
#define MB2_TAG_ACPI_OLD 14
#define MB2_TAG_ACPI_NEW 15
#define MB2_TAG_EFI_MMAP 17

#define MB2_FB_INDEXED 0
#define MB2_FB_RGB 1
#define MB2_FB_EGA_TEXT 2

#define MB2_MAX_WARN_LINES 32
#define MB2_PAGE 4096ull
#define RSDP_V1_LEN 20

/* EFI memory descriptor types (UEFI spec, EFI_MEMORY_TYPE). */
enum {
    EFI_RESERVED = 0,
    EFI_LOADER_CODE = 1,
    EFI_LOADER_DATA = 2,
    EFI_BOOT_SERVICES_CODE = 3,
    EFI_BOOT_SERVICES_DATA = 4,
    EFI_CONVENTIONAL = 7,
    EFI_UNUSABLE = 8,
    EFI_ACPI_RECLAIM = 9,
    EFI_ACPI_NVS = 10,
};

struct parser {
    const uint8_t *p;
    size_t total;
    struct boot_info *bi;
    boot_warn_fn warn;
    bool mem_full_warned, modules_full_warned, overlap;
};

static void note(struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(struct parser *ps, const char *fmt, ...)
{
    unsigned n = ps->bi->warnings++;
    if (!ps->warn || n > MB2_MAX_WARN_LINES)
        return;
    if (n == MB2_MAX_WARN_LINES) {
        ps->warn("multiboot2: too many problems; further warnings suppressed");
        return;
    }
    char line[192];
    size_t pre = sizeof("multiboot2: ") - 1;
    memcpy(line, "multiboot2: ", pre);
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(line + pre, sizeof(line) - pre, fmt, ap);
    va_end(ap);
    ps->warn(line);
}

/* Copy a string of at most srclen bytes into dst (always NUL-terminated). */
static void copy_string(struct parser *ps, char *dst, size_t dstsize, const uint8_t *src, size_t srclen,
                        const char *what, size_t off)
{
    size_t len = 0;
    while (len < srclen && src[len])
        len++;
    if (len == srclen)
        note(ps, "%s at offset %#zx is not NUL-terminated", what, off);
    if (len >= dstsize) {
        note(ps, "%s at offset %#zx truncated from %zu to %zu characters", what, off, len, dstsize - 1);
        len = dstsize - 1;
    }
    memcpy(dst, src, len);
    dst[len] = 0;
}

/* ---- memory map sanitizing ---------------------------------------------- */

static unsigned restrictiveness(uint32_t type)
{
    switch (type) {
    case MEM_USABLE: return 1;
    case MEM_ACPI_RECLAIMABLE: return 2;
    case MEM_RESERVED: return 3;
    case MEM_ACPI_NVS: return 4;
    case MEM_BAD: return 5;
    default: return 3; /* unknown: treat as reserved */
    }
}

static uint64_t region_end(const struct mem_region *r)
{
    return r->len > UINT64_MAX - r->base ? UINT64_MAX : r->base + r->len;
}

/* At most this many input regions are considered (more are dropped). */
#define SANITIZE_MAX_IN (2 * BOOT_MAX_MEM_REGIONS)
static struct mem_region sanitize_out[2 * SANITIZE_MAX_IN];

struct sanitize_result {
    unsigned count;
    bool overlap;   /* some input regions overlapped */
    bool truncated; /* the result did not fit in capacity */
};

static struct sanitize_result sanitize(struct mem_region *mem, unsigned count, unsigned capacity, bool trim)
{
    struct sanitize_result res = {0, false, false};
    if (count > SANITIZE_MAX_IN) {
        count = SANITIZE_MAX_IN;
        res.truncated = true;
    }
    /* Normalize: clamp overflowing ends, drop empty regions, unknown -> reserved. */
    unsigned n = 0;
    for (unsigned i = 0; i < count; i++) {
        struct mem_region r = mem[i];
        r.len = region_end(&r) - r.base;
        if (r.len == 0)
            continue;
        if (r.type < MEM_USABLE || r.type > MEM_BAD)
            r.type = MEM_RESERVED;
        mem[n++] = r;
    }
    /* Insertion sort by base (n is small). */
    for (unsigned i = 1; i < n; i++) {
        struct mem_region r = mem[i];
        unsigned j = i;
        while (j > 0 && mem[j - 1].base > r.base) {
            mem[j] = mem[j - 1];
            j--;
        }
        mem[j] = r;
    }
    uint64_t max_end = 0;
    for (unsigned i = 0; i < n; i++) {
        if (i > 0 && mem[i].base < max_end)
            res.overlap = true;
        if (region_end(&mem[i]) > max_end)
            max_end = region_end(&mem[i]);
    }
    /* Sweep the elementary intervals between consecutive boundaries; each
     * takes the most restrictive type of the regions covering it. */
    unsigned out = 0;
    uint64_t p = n ? mem[0].base : 0;
    while (n) {
        uint64_t next = UINT64_MAX;
        unsigned best = 0;
        uint32_t type = 0;
        for (unsigned i = 0; i < n; i++) {
            uint64_t b = mem[i].base, e = region_end(&mem[i]);
            if (b > p && b < next)
                next = b;
            if (e > p && e < next)
                next = e;
            if (b <= p && p < e && restrictiveness(mem[i].type) > best) {
                best = restrictiveness(mem[i].type);
                type = mem[i].type;
            }
        }
        if (best) {
            if (out > 0 && sanitize_out[out - 1].type == type &&
                sanitize_out[out - 1].base + sanitize_out[out - 1].len == p)
                sanitize_out[out - 1].len += next - p;
            else
                sanitize_out[out++] = (struct mem_region){p, next - p, type};
        }
        if (next == UINT64_MAX || next == p)
            break;
        p = next;
    }
    /* Trim usable regions to whole pages and copy back. */
    unsigned w = 0;
    for (unsigned i = 0; i < out; i++) {
        struct mem_region r = sanitize_out[i];
        if (trim && r.type == MEM_USABLE) {
            uint64_t e = r.base + r.len;
            uint64_t b = r.base > UINT64_MAX - (MB2_PAGE - 1) ? UINT64_MAX : (r.base + MB2_PAGE - 1) & ~(MB2_PAGE - 1);
            e &= ~(MB2_PAGE - 1);
            if (e <= b)
                continue;
            r.base = b;
            r.len = e - b;
        }
        if (w == capacity) {
            res.truncated = true;
            break;
        }
        mem[w++] = r;
    }
    res.count = w;
    return res;
}

unsigned memmap_sanitize(struct mem_region *mem, unsigned count, unsigned capacity)
{
    if (count > capacity)
        count = capacity;
    return sanitize(mem, count, capacity, true).count;
}

/* Add one memory map entry, compacting the table when it fills up. */
static void add_region(struct parser *ps, uint64_t base, uint64_t len, uint32_t type, const char *what, size_t off)
{
    struct boot_info *bi = ps->bi;
    if (len == 0) {
        note(ps, "%s entry at offset %#zx has zero length (base %#llx); ignored", what, off, (unsigned long long)base);
        return;
    }
    if (len > UINT64_MAX - base) {
        note(ps, "%s entry at offset %#zx (base %#llx, length %#llx) wraps past 2^64; clamped", what, off,
             (unsigned long long)base, (unsigned long long)len);
        len = UINT64_MAX - base;
    }
    if (bi->mem_count == BOOT_MAX_MEM_REGIONS) {
        struct sanitize_result r = sanitize(bi->mem, bi->mem_count, BOOT_MAX_MEM_REGIONS, false);
        bi->mem_count = r.count;
        ps->overlap |= r.overlap;
    }
    if (bi->mem_count == BOOT_MAX_MEM_REGIONS) {
        if (!ps->mem_full_warned)
            note(ps, "more than %u distinct memory regions; ignoring the rest, from base %#llx", BOOT_MAX_MEM_REGIONS,
                 (unsigned long long)base);
        ps->mem_full_warned = true;
        return;
    }
    bi->mem[bi->mem_count++] = (struct mem_region){base, len, type};
}

static void parse_mmap(struct parser *ps, size_t off, size_t size)
{
    if (size < 16) {
        note(ps, "memory map tag at offset %#zx is too short (size %zu); ignored", off, size);
        return;
    }
    uint32_t esize = read_le32(ps->p + off + 8);
    if (esize < 24) {
        note(ps, "memory map tag at offset %#zx has entry size %u (< 24); ignored", off, esize);
        return;
    }
    size_t n = (size - 16) / esize;
    if ((size - 16) % esize)
        note(ps, "memory map tag at offset %#zx has %zu trailing bytes after %zu entries", off, (size - 16) % esize, n);
    for (size_t i = 0; i < n; i++) {
        size_t e = off + 16 + i * esize;
        add_region(ps, read_le64(ps->p + e), read_le64(ps->p + e + 8), read_le32(ps->p + e + 16), "memory map", e);
    }
}

static uint32_t efi_type_to_mem(uint32_t t)
{
    switch (t) {
    case EFI_LOADER_CODE:
    case EFI_LOADER_DATA:
    case EFI_BOOT_SERVICES_CODE:
    case EFI_BOOT_SERVICES_DATA:
    case EFI_CONVENTIONAL: return MEM_USABLE;
    case EFI_ACPI_RECLAIM: return MEM_ACPI_RECLAIMABLE;
    case EFI_ACPI_NVS: return MEM_ACPI_NVS;
    case EFI_UNUSABLE: return MEM_BAD;
    default: return MEM_RESERVED;
    }
}

static void parse_efi_mmap(struct parser *ps, size_t off, size_t size)
{
    if (size < 16) {
        note(ps, "EFI memory map tag at offset %#zx is too short (size %zu); ignored", off, size);
        return;
    }
    uint32_t dsize = read_le32(ps->p + off + 8);
    if (dsize < 40) {
        note(ps, "EFI memory map tag at offset %#zx has descriptor size %u (< 40); ignored", off, dsize);
        return;
    }
    size_t n = (size - 16) / dsize;
    if ((size - 16) % dsize)
        note(ps, "EFI memory map tag at offset %#zx has %zu trailing bytes after %zu descriptors", off,
             (size - 16) % dsize, n);
    for (size_t i = 0; i < n; i++) {
        size_t d = off + 16 + i * dsize;
        uint32_t type = read_le32(ps->p + d);
        uint64_t base = read_le64(ps->p + d + 8);
        uint64_t pages = read_le64(ps->p + d + 24);
        uint64_t len = pages > (UINT64_MAX >> 12) ? UINT64_MAX : pages << 12;
        add_region(ps, base, len, efi_type_to_mem(type), "EFI memory map", d);
    }
}

static void parse_module(struct parser *ps, size_t off, size_t size)
{
    struct boot_info *bi = ps->bi;
    if (size < 16) {
        note(ps, "module tag at offset %#zx is too short (size %zu); ignored", off, size);
        return;
    }
    uint32_t start = read_le32(ps->p + off + 8), end = read_le32(ps->p + off + 12);
    if (end < start) {
        note(ps, "module at offset %#zx ends (%#x) before it starts (%#x); ignored", off, end, start);
        return;
    }
    if (bi->module_count == BOOT_MAX_MODULES) {
        if (!ps->modules_full_warned)
            note(ps, "more than %u modules; ignoring the rest, from offset %#zx", BOOT_MAX_MODULES, off);
        ps->modules_full_warned = true;
        return;
    }
    struct boot_module *m = &bi->modules[bi->module_count++];
    m->start = start;
    m->end = end;
    copy_string(ps, m->cmdline, sizeof(m->cmdline), ps->p + off + 16, size - 16, "module command line", off);
}

static void parse_framebuffer(struct parser *ps, size_t off, size_t size)
{
    const uint8_t *t = ps->p + off;
    if (size < 32) {
        note(ps, "framebuffer tag at offset %#zx is too short (size %zu); ignored", off, size);
        return;
    }
    struct boot_framebuffer fb = {0};
    fb.addr = read_le64(t + 8);
    fb.pitch = read_le32(t + 16);
    fb.width = read_le32(t + 20);
    fb.height = read_le32(t + 24);
    fb.bpp = t[28];
    uint8_t type = t[29];
    if (type == MB2_FB_INDEXED) {
        note(ps, "indexed-colour framebuffer (%ux%u, %u bpp) is not supported; ignored", fb.width, fb.height, fb.bpp);
        return;
    }
    if (type != MB2_FB_RGB && type != MB2_FB_EGA_TEXT) {
        note(ps, "framebuffer tag at offset %#zx has unknown type %u; ignored", off, type);
        return;
    }
    if (fb.addr == 0 || fb.width == 0 || fb.height == 0 || fb.pitch == 0 || fb.bpp == 0) {
        note(ps, "framebuffer at %#llx is degenerate (%ux%u, pitch %u, %u bpp); ignored", (unsigned long long)fb.addr,
             fb.width, fb.height, fb.pitch, fb.bpp);
        return;
    }
    uint64_t row = type == MB2_FB_EGA_TEXT ? (uint64_t)fb.width * 2 : ((uint64_t)fb.width * fb.bpp + 7) / 8;
    if (fb.pitch < row) {
        note(ps, "framebuffer pitch %u is less than a row (%llu bytes); ignored", fb.pitch, (unsigned long long)row);
        return;
    }
    if ((uint64_t)fb.pitch * fb.height > UINT64_MAX - fb.addr) {
        note(ps, "framebuffer at %#llx wraps past 2^64; ignored", (unsigned long long)fb.addr);
        return;
    }
    if (type == MB2_FB_RGB) {
        if (size < 38) {
            note(ps, "RGB framebuffer tag at offset %#zx lacks colour information (size %zu); ignored", off, size);
            return;
        }
        fb.red_pos = t[32];
        fb.red_size = t[33];
        fb.green_pos = t[34];
        fb.green_size = t[35];
        fb.blue_pos = t[36];
        fb.blue_size = t[37];
        if (fb.red_pos + fb.red_size > fb.bpp || fb.green_pos + fb.green_size > fb.bpp ||
            fb.blue_pos + fb.blue_size > fb.bpp) {
            note(ps, "RGB framebuffer colour fields do not fit in %u bpp; ignored", fb.bpp);
            return;
        }
        fb.type = FB_RGB;
    } else {
        fb.type = FB_EGA_TEXT;
    }
    ps->bi->fb = fb;
}

static void parse_rsdp(struct parser *ps, size_t off, size_t size, bool v2)
{
    size_t need = v2 ? BOOT_RSDP_MAX : RSDP_V1_LEN;
    const uint8_t *r = ps->p + off + 8;
    if (size - 8 < need) {
        note(ps, "ACPI %s RSDP tag at offset %#zx is too short (size %zu); ignored", v2 ? "new" : "old", off, size);
        return;
    }
    if (memcmp(r, "RSD PTR ", 8) != 0) {
        note(ps, "ACPI %s RSDP at offset %#zx lacks the 'RSD PTR ' signature; ignored", v2 ? "new" : "old", off);
        return;
    }
    memcpy(ps->bi->rsdp, r, need);
    ps->bi->rsdp_len = (unsigned)need;
}

int mb2_parse(const void *mbi, size_t avail_len, uint64_t mbi_phys, struct boot_info *out, boot_warn_fn warn)
{
    memset(out, 0, sizeof(*out));
    out->mbi_phys = mbi_phys;
    struct parser ps = {.p = mbi, .bi = out, .warn = warn};
    if (!mbi || avail_len < 8) {
        note(&ps, "information is too small to read (%zu bytes available)", avail_len);
        return -1;
    }
    uint32_t total = read_le32(ps.p);
    if (total < 8 || total > avail_len) {
        note(&ps, "bad total size %u (must be 8..%zu)", total, avail_len);
        return -1;
    }
    ps.total = total;
    out->mbi_size = total;
    if (mbi_phys & 7)
        note(&ps, "information at %#llx is not 8-byte aligned", (unsigned long long)mbi_phys);

    size_t mmap_off = 0, mmap_size = 0, efi_off = 0, efi_size = 0;
    size_t acpi_old_off = 0, acpi_old_size = 0, acpi_new_off = 0, acpi_new_size = 0;
    bool have_cmdline = false, have_loader = false, have_fb = false, ended = false;

    size_t off = 8;
    while (off + 8 <= total) {
        uint32_t type = read_le32(ps.p + off), size = read_le32(ps.p + off + 4);
        if (size < 8) {
            note(&ps, "tag %u at offset %#zx has size %u (< 8); stopping", type, off, size);
            break;
        }
        if (size > total - off) {
            note(&ps, "tag %u at offset %#zx overruns the information (size %u, %zu bytes left)", type, off, size,
                 total - off);
            break;
        }
        bool dup = false;
        switch (type) {
        case MB2_TAG_END:
            if (size != 8)
                note(&ps, "end tag at offset %#zx has size %u (expected 8)", off, size);
            ended = true;
            break;
        case MB2_TAG_CMDLINE:
            if ((dup = have_cmdline))
                break;
            have_cmdline = true;
            copy_string(&ps, out->cmdline, sizeof(out->cmdline), ps.p + off + 8, size - 8, "command line", off);
            break;
        case MB2_TAG_LOADER_NAME:
            if ((dup = have_loader))
                break;
            have_loader = true;
            copy_string(&ps, out->loader_name, sizeof(out->loader_name), ps.p + off + 8, size - 8,
                        "boot loader name", off);
            break;
        case MB2_TAG_MODULE: parse_module(&ps, off, size); break;
        case MB2_TAG_MMAP:
            if ((dup = mmap_off != 0))
                break;
            mmap_off = off;
            mmap_size = size;
            break;
        case MB2_TAG_EFI_MMAP:
            if ((dup = efi_off != 0))
                break;
            efi_off = off;
            efi_size = size;
            break;
        case MB2_TAG_FRAMEBUFFER:
            if ((dup = have_fb))
                break;
            have_fb = true;
            parse_framebuffer(&ps, off, size);
            break;
        case MB2_TAG_ACPI_OLD:
            if ((dup = acpi_old_off != 0))
                break;
            acpi_old_off = off;
            acpi_old_size = size;
            break;
        case MB2_TAG_ACPI_NEW:
            if ((dup = acpi_new_off != 0))
                break;
            acpi_new_off = off;
            acpi_new_size = size;
            break;
        default: break; /* basic meminfo (4), boot device (5) and others: not needed */
        }
        if (dup)
            note(&ps, "duplicate tag %u at offset %#zx ignored", type, off);
        if (ended)
            break;
        off += ((size_t)size + 7) & ~(size_t)7;
    }
    if (!ended)
        note(&ps, "no end tag within the %u bytes of information", total);

    /* Prefer the new (ACPI 2.0+) RSDP; fall back to the old one. */
    if (acpi_new_off)
        parse_rsdp(&ps, acpi_new_off, acpi_new_size, true);
    if (out->rsdp_len == 0 && acpi_old_off)
        parse_rsdp(&ps, acpi_old_off, acpi_old_size, false);

    if (mmap_off) {
        parse_mmap(&ps, mmap_off, mmap_size);
    } else if (efi_off) {
        parse_efi_mmap(&ps, efi_off, efi_size);
        out->mem_from_efi = true;
    }
    struct sanitize_result r = sanitize(out->mem, out->mem_count, BOOT_MAX_MEM_REGIONS, true);
    out->mem_count = r.count;
    if (r.overlap || ps.overlap)
        note(&ps, "memory map has overlapping entries; the more restrictive type wins");
    if (r.truncated)
        note(&ps, "memory map does not fit in %u regions after sanitizing; the highest were dropped",
             BOOT_MAX_MEM_REGIONS);
    if (out->mem_count == 0) {
        note(&ps, mmap_off || efi_off ? "memory map tag gave no valid entries" : "no memory map (tag 6 or 17)");
        return -1;
    }
    return 0;
}
