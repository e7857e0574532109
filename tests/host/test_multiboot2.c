// host-test-sources: arch/x86_64/multiboot2.c common/format.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The multiboot2 parser against built boot information: a good BIOS-style
 * one, an EFI-only one, and hostile ones (bad sizes, overrunning and tiny
 * tags, no end tag, strings without NUL, too many regions and modules,
 * overlapping and unsorted maps). Each parse runs on a heap copy of exactly
 * the given length, so AddressSanitizer catches any read out of bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arch/x86_64/multiboot2.h"

/* ---- building boot information --------------------------------------- */

struct mb {
    uint8_t buf[65536] __attribute__((aligned(8)));
    size_t len;
};

static void put(struct mb *m, const void *p, size_t n)
{
    assert_true(m->len + n <= sizeof(m->buf));
    memcpy(m->buf + m->len, p, n);
    m->len += n;
}
static void put32(struct mb *m, uint32_t v) { put(m, &v, 4); }
static void put64(struct mb *m, uint64_t v) { put(m, &v, 8); }
static void put8(struct mb *m, uint8_t v) { put(m, &v, 1); }

static void set32(struct mb *m, size_t off, uint32_t v) { memcpy(m->buf + off, &v, 4); }

static void mb_begin(struct mb *m)
{
    memset(m, 0, sizeof(*m));
    m->len = 8;
}

static size_t tag_begin(struct mb *m, uint32_t type)
{
    size_t off = m->len;
    put32(m, type);
    put32(m, 0);
    return off;
}

static void tag_end(struct mb *m, size_t off)
{
    set32(m, off + 4, (uint32_t)(m->len - off));
    while (m->len % 8)
        put8(m, 0);
}

static void mb_finish_no_end(struct mb *m) { set32(m, 0, (uint32_t)m->len); }

static void mb_finish(struct mb *m)
{
    tag_end(m, tag_begin(m, 0));
    mb_finish_no_end(m);
}

static void tag_string(struct mb *m, uint32_t type, const char *s)
{
    size_t off = tag_begin(m, type);
    put(m, s, strlen(s) + 1);
    tag_end(m, off);
}

static void tag_module(struct mb *m, uint32_t start, uint32_t end, const char *cmd)
{
    size_t off = tag_begin(m, 3);
    put32(m, start);
    put32(m, end);
    put(m, cmd, strlen(cmd) + 1);
    tag_end(m, off);
}

struct e820 {
    uint64_t base, len;
    uint32_t type;
};

static void tag_mmap(struct mb *m, uint32_t entry_size, const struct e820 *e, unsigned n)
{
    size_t off = tag_begin(m, 6);
    put32(m, entry_size);
    put32(m, 0);
    for (unsigned i = 0; i < n; i++) {
        size_t start = m->len;
        put64(m, e[i].base);
        put64(m, e[i].len);
        put32(m, e[i].type);
        while (m->len - start < entry_size)
            put8(m, 0xee); /* padding the parser must skip */
    }
    tag_end(m, off);
}

struct efi_desc {
    uint32_t type;
    uint64_t base, pages;
};

static void tag_efi_mmap(struct mb *m, uint32_t desc_size, const struct efi_desc *d, unsigned n)
{
    size_t off = tag_begin(m, 17);
    put32(m, desc_size);
    put32(m, 1);
    for (unsigned i = 0; i < n; i++) {
        size_t start = m->len;
        put32(m, d[i].type);
        put32(m, 0);
        put64(m, d[i].base);
        put64(m, 0); /* virtual start */
        put64(m, d[i].pages);
        put64(m, 0xf); /* attributes */
        while (m->len - start < desc_size)
            put8(m, 0);
    }
    tag_end(m, off);
}

static void tag_fb(struct mb *m, uint64_t addr, uint32_t pitch, uint32_t w, uint32_t h, uint8_t bpp, uint8_t type)
{
    size_t off = tag_begin(m, 8);
    put64(m, addr);
    put32(m, pitch);
    put32(m, w);
    put32(m, h);
    put8(m, bpp);
    put8(m, type);
    put8(m, 0);
    put8(m, 0);
    if (type == 1) {
        const uint8_t fields[6] = {16, 8, 8, 8, 0, 8};
        put(m, fields, 6);
    } else if (type == 0) {
        put32(m, 0); /* no palette */
    }
    tag_end(m, off);
}

static void tag_rsdp(struct mb *m, bool v2, uint8_t marker)
{
    uint8_t r[36] = "RSD PTR ";
    r[8] = marker; /* checksum byte: tells the copies apart */
    r[15] = v2 ? 2 : 0;
    size_t off = tag_begin(m, v2 ? 15 : 14);
    put(m, r, v2 ? 36 : 20);
    tag_end(m, off);
}

static const struct e820 pc_e820[] = {
    {0x0, 0x9fc00, 1},
    {0x9fc00, 0x400, 2},
    {0xf0000, 0x10000, 2},
    {0x100000, 0x7ee0000, 1},
    {0x7fe0000, 0x20000, 3},
    {0xfffc0000, 0x40000, 2},
    {0x100000000ull, 0x40000000, 1},
};

/* ---- parsing and warnings ---------------------------------------------- */

static char warnings[64][200];
static unsigned warn_count;
static struct boot_info bi;

static void on_warn(const char *msg)
{
    if (warn_count < 64)
        snprintf(warnings[warn_count], sizeof(warnings[0]), "%s", msg);
    warn_count++;
}

static bool warned(const char *needle)
{
    for (unsigned i = 0; i < warn_count && i < 64; i++)
        if (strstr(warnings[i], needle))
            return true;
    return false;
}

/* Parse the first len bytes of m from an exact-size heap copy. */
static int parse_len(const struct mb *m, size_t len)
{
    warn_count = 0;
    void *copy = malloc(len ? len : 1);
    assert_non_null(copy);
    memcpy(copy, m->buf, len);
    int r = mb2_parse(copy, len, 0x10000, &bi, on_warn);
    free(copy);
    assert_int_equal(bi.warnings, warn_count < 33 ? warn_count : bi.warnings);
    return r;
}

static int parse(const struct mb *m) { return parse_len(m, m->len); }

static void assert_map_sane(const struct boot_info *b)
{
    for (unsigned i = 0; i < b->mem_count; i++) {
        const struct mem_region *r = &b->mem[i];
        assert_true(r->len > 0);
        assert_true(r->type >= MEM_USABLE && r->type <= MEM_BAD);
        assert_true(r->base + r->len - 1 >= r->base); /* no wrap */
        if (r->type == MEM_USABLE)
            assert_true(r->base % 4096 == 0 && r->len % 4096 == 0);
        if (i > 0) {
            const struct mem_region *p = &b->mem[i - 1];
            assert_true(p->base + p->len <= r->base);
            assert_false(p->base + p->len == r->base && p->type == r->type); /* merged */
        }
    }
}

static void assert_region(unsigned i, uint64_t base, uint64_t len, uint32_t type)
{
    assert_true(i < bi.mem_count);
    if (bi.mem[i].base != base || bi.mem[i].len != len || bi.mem[i].type != type)
        fail_msg("region %u is %#llx+%#llx type %u, expected %#llx+%#llx type %u", i,
                 (unsigned long long)bi.mem[i].base, (unsigned long long)bi.mem[i].len, bi.mem[i].type,
                 (unsigned long long)base, (unsigned long long)len, type);
}

static void build_good(struct mb *m)
{
    mb_begin(m);
    tag_string(m, 1, "donjon.test console=serial");
    tag_string(m, 2, "GRUB 2.06");
    tag_module(m, 0x400000, 0x401234, "sigma0 prio=5");
    tag_module(m, 0x402000, 0x402000, ""); /* an empty file is fine */
    size_t off = tag_begin(m, 4);           /* basic meminfo: ignored */
    put32(m, 639);
    put32(m, 130048);
    tag_end(m, off);
    tag_mmap(m, 24, pc_e820, 7);
    tag_fb(m, 0xfd000000, 4096, 1024, 768, 32, 1);
    tag_rsdp(m, false, 0x11);
    tag_rsdp(m, true, 0x22);
}

/* ---- tests ------------------------------------------------------------- */

static void good_bios_information(void **state)
{
    (void)state;
    static struct mb m;
    build_good(&m);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    for (unsigned i = 0; i < warn_count && i < 64; i++)
        print_message("unexpected warning: %s\n", warnings[i]);
    assert_int_equal(warn_count, 0);
    assert_int_equal(bi.warnings, 0);
    assert_int_equal(bi.mbi_phys, 0x10000);
    assert_int_equal(bi.mbi_size, m.len);
    assert_string_equal(bi.cmdline, "donjon.test console=serial");
    assert_string_equal(bi.loader_name, "GRUB 2.06");
    assert_int_equal(bi.module_count, 2);
    assert_int_equal(bi.modules[0].start, 0x400000);
    assert_int_equal(bi.modules[0].end, 0x401234);
    assert_string_equal(bi.modules[0].cmdline, "sigma0 prio=5");
    assert_int_equal(bi.modules[1].start, bi.modules[1].end);
    assert_string_equal(bi.modules[1].cmdline, "");
    assert_false(bi.mem_from_efi);
    assert_map_sane(&bi);
    assert_int_equal(bi.mem_count, 7);
    assert_region(0, 0x0, 0x9f000, MEM_USABLE); /* trimmed to pages */
    assert_region(1, 0x9fc00, 0x400, MEM_RESERVED);
    assert_region(2, 0xf0000, 0x10000, MEM_RESERVED);
    assert_region(3, 0x100000, 0x7ee0000, MEM_USABLE);
    assert_region(4, 0x7fe0000, 0x20000, MEM_ACPI_RECLAIMABLE);
    assert_region(5, 0xfffc0000, 0x40000, MEM_RESERVED);
    assert_region(6, 0x100000000ull, 0x40000000, MEM_USABLE);
    assert_int_equal(bi.fb.type, FB_RGB);
    assert_int_equal(bi.fb.addr, 0xfd000000);
    assert_int_equal(bi.fb.width, 1024);
    assert_int_equal(bi.fb.height, 768);
    assert_int_equal(bi.fb.pitch, 4096);
    assert_int_equal(bi.fb.bpp, 32);
    assert_int_equal(bi.fb.red_pos, 16);
    assert_int_equal(bi.fb.green_pos, 8);
    assert_int_equal(bi.fb.blue_pos, 0);
    assert_int_equal(bi.fb.blue_size, 8);
    assert_int_equal(bi.rsdp_len, 36); /* the new RSDP is preferred */
    assert_memory_equal(bi.rsdp, "RSD PTR ", 8);
    assert_int_equal(bi.rsdp[8], 0x22);
}

static void high_memory_region_is_kept(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    const struct e820 e[] = {{0x100000000ull, 0x40000000, 1}, {0x1000, 0x9e000, 1}};
    tag_mmap(&m, 24, e, 2);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.mem_count, 2);
    assert_region(0, 0x1000, 0x9e000, MEM_USABLE);
    assert_region(1, 0x100000000ull, 0x40000000, MEM_USABLE);
}

static void old_rsdp_when_no_new_one(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_rsdp(&m, false, 0x33);
    tag_mmap(&m, 24, pc_e820, 7);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.rsdp_len, 20);
    assert_int_equal(bi.rsdp[8], 0x33);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_int_equal(bi.module_count, 0);
    assert_string_equal(bi.cmdline, "");
}

static void mmap_entry_size_is_honoured(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_mmap(&m, 40, pc_e820, 7); /* 16 bytes of padding after each entry */
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(warn_count, 0);
    assert_int_equal(bi.mem_count, 7);
    assert_region(6, 0x100000000ull, 0x40000000, MEM_USABLE);

    mb_begin(&m);
    tag_mmap(&m, 20, pc_e820, 7); /* too small to hold an entry */
    mb_finish(&m);
    assert_int_equal(parse(&m), -1);
    assert_true(warned("entry size 20"));
    assert_true(warned("memory map tag gave no valid entries"));
}

static void efi_only_memory_map(void **state)
{
    (void)state;
    static struct mb m;
    const struct efi_desc d[] = {
        {3, 0x0, 1},             /* boot services code */
        {7, 0x1000, 0x9e},       /* conventional */
        {0, 0x9f000, 1},         /* reserved */
        {1, 0x100000, 0x100},    /* loader code */
        {2, 0x200000, 0x100},    /* loader data */
        {4, 0x300000, 0x100},    /* boot services data */
        {9, 0x400000, 0x10},     /* ACPI reclaim */
        {10, 0x410000, 0x10},    /* ACPI NVS */
        {8, 0x420000, 0x10},     /* unusable */
        {5, 0x430000, 0x10},     /* runtime services code: reserved */
        {11, 0xfec00000, 1},     /* MMIO */
        {14, 0x100000000ull, 0x100}, /* persistent memory: reserved */
    };
    mb_begin(&m);
    tag_string(&m, 1, "efi");
    tag_efi_mmap(&m, 48, d, 12);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(warn_count, 0);
    assert_true(bi.mem_from_efi);
    assert_map_sane(&bi);
    assert_int_equal(bi.mem_count, 9);
    assert_region(0, 0x0, 0x9f000, MEM_USABLE);
    assert_region(1, 0x9f000, 0x1000, MEM_RESERVED);
    assert_region(2, 0x100000, 0x300000, MEM_USABLE);
    assert_region(3, 0x400000, 0x10000, MEM_ACPI_RECLAIMABLE);
    assert_region(4, 0x410000, 0x10000, MEM_ACPI_NVS);
    assert_region(5, 0x420000, 0x10000, MEM_BAD);
    assert_region(6, 0x430000, 0x10000, MEM_RESERVED);
    assert_region(7, 0xfec00000, 0x1000, MEM_RESERVED);
    assert_region(8, 0x100000000ull, 0x100000, MEM_RESERVED);
}

static void bios_map_preferred_over_efi_map(void **state)
{
    (void)state;
    static struct mb m;
    const struct efi_desc d[] = {{7, 0x0, 0x100000}};
    mb_begin(&m);
    tag_efi_mmap(&m, 40, d, 1);
    tag_mmap(&m, 24, pc_e820, 7);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_false(bi.mem_from_efi);
    assert_int_equal(bi.mem_count, 7);
    assert_region(0, 0x0, 0x9f000, MEM_USABLE);

    /* An EFI descriptor size below 40 is unusable. */
    mb_begin(&m);
    tag_efi_mmap(&m, 32, d, 1);
    mb_finish(&m);
    assert_int_equal(parse(&m), -1);
    assert_true(warned("descriptor size 32"));
}

static void bad_total_size(void **state)
{
    (void)state;
    static struct mb m;
    build_good(&m);
    mb_finish(&m);
    uint32_t real = (uint32_t)m.len;
    set32(&m, 0, 4); /* smaller than the header */
    assert_int_equal(parse(&m), -1);
    assert_true(warned("bad total size 4"));
    set32(&m, 0, real + 8); /* larger than what can be read */
    assert_int_equal(parse(&m), -1);
    assert_true(warned("bad total size"));
    set32(&m, 0, real);
    assert_int_equal(parse_len(&m, 7), -1); /* not even a header */
    assert_true(warned("too small"));
    assert_int_equal(parse(&m), 0);
}

static void tag_overrunning_the_information(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_string(&m, 1, "kept");
    tag_mmap(&m, 24, pc_e820, 7);
    size_t off = tag_begin(&m, 6);
    put32(&m, 24);
    put32(&m, 0);
    set32(&m, off + 4, 4096); /* claims 4 KiB, only 16 bytes follow */
    mb_finish_no_end(&m);
    assert_int_equal(parse(&m), 0);
    assert_string_equal(bi.cmdline, "kept");
    assert_int_equal(bi.mem_count, 7);
    char expect[128];
    snprintf(expect, sizeof(expect), "tag 6 at offset %#zx overruns the information (size 4096", off);
    assert_true(warned(expect));
    assert_true(warned("no end tag"));

    /* The same with the memory map itself overrunning: no map at all. */
    mb_begin(&m);
    off = tag_begin(&m, 6);
    put32(&m, 24);
    put32(&m, 0);
    put64(&m, 0);
    put64(&m, 0x100000);
    put32(&m, 1);
    put32(&m, 0);
    set32(&m, off + 4, 0xffffffff);
    mb_finish_no_end(&m);
    assert_int_equal(parse(&m), -1);
    assert_true(warned("overruns"));
    assert_true(warned("no memory map"));
}

static void tag_size_below_eight(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    size_t off = tag_begin(&m, 1);
    set32(&m, off + 4, 4);
    tag_string(&m, 2, "never seen");
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_true(warned("has size 4 (< 8)"));
    assert_true(warned("no end tag"));
    assert_string_equal(bi.loader_name, "");

    /* Size 0 must not loop forever either. */
    set32(&m, off + 4, 0);
    assert_int_equal(parse(&m), 0);
    assert_true(warned("has size 0 (< 8)"));
}

static void missing_end_tag_and_trailing_bytes(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_string(&m, 1, "last");
    mb_finish_no_end(&m);
    assert_int_equal(parse(&m), 0);
    assert_string_equal(bi.cmdline, "last");
    assert_int_equal(warn_count, 1);
    assert_true(warned("no end tag"));

    /* Four stray bytes after the last tag: not a whole tag header. */
    put32(&m, 0);
    mb_finish_no_end(&m);
    assert_int_equal(parse(&m), 0);
    assert_true(warned("no end tag"));

    /* Tags after the end tag are not parsed. */
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    mb_finish(&m);
    tag_string(&m, 1, "after the end");
    mb_finish_no_end(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(warn_count, 0);
    assert_string_equal(bi.cmdline, "");
}

static void strings_without_nul(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    size_t off = tag_begin(&m, 1);
    put(&m, "abcdefgh", 8); /* tag size 16: no room for a NUL */
    tag_end(&m, off);
    off = tag_begin(&m, 3);
    put32(&m, 0x400000);
    put32(&m, 0x500000);
    put(&m, "modu", 4);
    tag_end(&m, off);
    /* The end of the information right after an unterminated name. */
    off = tag_begin(&m, 2);
    put(&m, "GRUBGRUB", 8);
    set32(&m, off + 4, 16);
    mb_finish_no_end(&m);
    assert_int_equal(parse(&m), 0);
    assert_string_equal(bi.cmdline, "abcdefgh");
    assert_string_equal(bi.modules[0].cmdline, "modu");
    assert_string_equal(bi.loader_name, "GRUBGRUB");
    assert_true(warned("command line at offset 0x"));
    assert_true(warned("module command line at offset"));
    assert_true(warned("boot loader name at offset"));
    assert_true(warned("not NUL-terminated"));
}

static void long_strings_are_truncated(void **state)
{
    (void)state;
    static struct mb m;
    char big[1000];
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = 0;
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_string(&m, 1, big);
    tag_string(&m, 2, big);
    tag_module(&m, 0x400000, 0x500000, big);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
    assert_int_equal(strlen(bi.loader_name), sizeof(bi.loader_name) - 1);
    assert_int_equal(strlen(bi.modules[0].cmdline), sizeof(bi.modules[0].cmdline) - 1);
    assert_int_equal(warn_count, 3);
    assert_true(warned("truncated from 999 to 255"));
    assert_true(warned("truncated from 999 to 127"));
}

static void too_many_modules(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    for (unsigned i = 0; i < BOOT_MAX_MODULES + 8; i++) {
        char name[16];
        snprintf(name, sizeof(name), "mod%u", i);
        tag_module(&m, 0x1000000 + i * 0x10000, 0x1000000 + i * 0x10000 + 0x100, name);
    }
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.module_count, BOOT_MAX_MODULES);
    assert_string_equal(bi.modules[BOOT_MAX_MODULES - 1].cmdline, "mod31");
    assert_int_equal(warn_count, 1);
    assert_true(warned("more than 32 modules"));
}

static void bad_modules(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_module(&m, 0x500000, 0x400000, "backwards");
    size_t off = tag_begin(&m, 3); /* too short for start and end */
    put32(&m, 0x400000);
    tag_end(&m, off);
    tag_module(&m, 0x600000, 0x601000, "fine");
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.module_count, 1);
    assert_string_equal(bi.modules[0].cmdline, "fine");
    assert_true(warned("ends (0x400000) before it starts (0x500000)"));
    assert_true(warned("module tag at offset"));
    assert_int_equal(warn_count, 2);
}

static void overlapping_unsorted_holey_map(void **state)
{
    (void)state;
    static struct mb m;
    const struct e820 e[] = {
        {0x100000, 0x1000000, 1},  /* usable 1..17 MiB */
        {0x0, 0x9fc00, 1},
        {0x800000, 0x100000, 2},   /* reserved inside the usable range */
        {0x880000, 0x100000, 5},   /* bad, overlapping the reserved one */
        {0x1000000, 0x200000, 4},  /* NVS overlapping the usable end */
        {0x1100000, 0x100000, 3},  /* ACPI data under the NVS: NVS wins */
        {0x40000000, 0x100000, 1}, /* after a hole */
        {0x40000000, 0x1000, 77},  /* unknown type: reserved */
    };
    mb_begin(&m);
    tag_mmap(&m, 24, e, 8);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_true(warned("overlapping"));
    assert_map_sane(&bi);
    assert_int_equal(bi.mem_count, 8);
    assert_region(0, 0x0, 0x9f000, MEM_USABLE);
    assert_region(1, 0x100000, 0x700000, MEM_USABLE);
    assert_region(2, 0x800000, 0x80000, MEM_RESERVED);
    assert_region(3, 0x880000, 0x100000, MEM_BAD);
    assert_region(4, 0x980000, 0x680000, MEM_USABLE);
    assert_region(5, 0x1000000, 0x200000, MEM_ACPI_NVS);
    assert_region(6, 0x40000000, 0x1000, MEM_RESERVED);
    assert_region(7, 0x40001000, 0xff000, MEM_USABLE);
}

static void zero_length_and_wrapping_regions(void **state)
{
    (void)state;
    static struct mb m;
    const struct e820 e[] = {
        {0x100000, 0, 1},
        {0x0, 0x9f000, 1},
        {0xfffffffffff00000ull, 0x200000, 2}, /* wraps past 2^64 */
    };
    mb_begin(&m);
    tag_mmap(&m, 24, e, 3);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_true(warned("zero length (base 0x100000)"));
    assert_true(warned("wraps past 2^64"));
    assert_int_equal(warn_count, 2);
    assert_int_equal(bi.mem_count, 2);
    assert_region(1, 0xfffffffffff00000ull, 0xfffff, MEM_RESERVED);
}

static void too_many_regions(void **state)
{
    (void)state;
    static struct mb m;
    static struct e820 e[300];
    /* 300 adjacent entries of one type: compacted on the way, no warning. */
    for (unsigned i = 0; i < 300; i++)
        e[i] = (struct e820){0x100000 + i * 0x1000ull, 0x1000, 1};
    mb_begin(&m);
    tag_mmap(&m, 24, e, 300);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(warn_count, 0);
    assert_int_equal(bi.mem_count, 1);
    assert_region(0, 0x100000, 300 * 0x1000, MEM_USABLE);

    /* 200 regions that cannot merge: the first 128 are kept. */
    for (unsigned i = 0; i < 200; i++)
        e[i] = (struct e820){0x100000 + i * 0x2000ull, 0x1000, 1 + i % 2};
    mb_begin(&m);
    tag_mmap(&m, 24, e, 200);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.mem_count, BOOT_MAX_MEM_REGIONS);
    assert_true(warned("more than 128 distinct memory regions"));
    assert_int_equal(warn_count, 1);
    assert_map_sane(&bi);
    assert_region(127, 0x100000 + 127 * 0x2000ull, 0x1000, MEM_RESERVED);
}

static void framebuffer_kinds(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_fb(&m, 0xb8000, 160, 80, 25, 16, 2);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(warn_count, 0);
    assert_int_equal(bi.fb.type, FB_EGA_TEXT);
    assert_int_equal(bi.fb.addr, 0xb8000);
    assert_int_equal(bi.fb.width, 80);
    assert_int_equal(bi.fb.height, 25);

    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_fb(&m, 0xa0000, 320, 320, 200, 8, 0);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_true(warned("indexed-colour framebuffer"));

    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_fb(&m, 0xfd000000, 1000, 1024, 768, 32, 1); /* pitch smaller than a row */
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_true(warned("pitch 1000"));

    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    size_t off = tag_begin(&m, 8); /* RGB type without colour fields */
    put64(&m, 0xfd000000);
    put32(&m, 4096);
    put32(&m, 1024);
    put32(&m, 768);
    put8(&m, 32);
    put8(&m, 1);
    put8(&m, 0);
    put8(&m, 0);
    tag_end(&m, off);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_true(warned("lacks colour information"));
}

/* A framebuffer tag as GRUB writes it, with the colour information of its
 * type: for indexed colour a palette of n_colors entries (3 bytes each),
 * for RGB the given field positions and sizes. */
static void tag_fb_grub(struct mb *m, uint32_t w, uint32_t h, uint32_t pitch, uint8_t bpp, uint8_t type,
                        const uint8_t fields[6], uint16_t n_colors)
{
    size_t off = tag_begin(m, 8);
    put64(m, 0xe0000000);
    put32(m, pitch);
    put32(m, w);
    put32(m, h);
    put8(m, bpp);
    put8(m, type);
    put8(m, 0);
    put8(m, 0);
    if (type == 0) {
        put(m, &n_colors, 2);
        for (unsigned i = 0; i < n_colors; i++) {
            const uint8_t rgb[3] = {(uint8_t)i, (uint8_t)(i * 3), (uint8_t)(255 - i)};
            put(m, rgb, 3);
        }
    } else if (type == 1) {
        put(m, fields, 6);
    }
    tag_end(m, off);
}

/* The framebuffers GRUB gives when the firmware offers other modes than
 * the 32-bpp one the kernel asks for: the direct-colour ones are kept
 * with their layout, the others are ignored with a warning, and the tags
 * after a large palette are still found. */
static void framebuffer_odd_types(void **state)
{
    (void)state;
    static struct mb m;
    static const uint8_t rgb888[6] = {16, 8, 8, 8, 0, 8}, rgb565[6] = {11, 5, 5, 6, 0, 5},
                         rgb555[6] = {10, 5, 5, 5, 0, 5}, bad16[6] = {12, 5, 5, 6, 0, 5};

    /* 640x480, 8-bit indexed with 256 colours, then an RSDP and a module. */
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_fb_grub(&m, 640, 480, 640, 8, 0, NULL, 256);
    tag_rsdp(&m, true, 0x33);
    tag_module(&m, 0x400000, 0x401000, "sigma0");
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_true(warned("indexed-colour framebuffer (640x480, 8 bpp) is not supported"));
    assert_int_equal(bi.rsdp_len, 36);
    assert_int_equal(bi.rsdp[8], 0x33);
    assert_int_equal(bi.module_count, 1);

    /* A palette that claims more colours than its tag holds: the tag's
     * size, not the count, says where the next tag is. */
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    size_t fb_off = m.len;
    tag_fb_grub(&m, 320, 200, 320, 8, 0, NULL, 4);
    const uint16_t claimed = 256;
    memcpy(m.buf + fb_off + 32, &claimed, 2);
    tag_rsdp(&m, false, 0x44);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_int_equal(bi.rsdp_len, 20);
    assert_int_equal(bi.rsdp[8], 0x44);

    /* Direct colour in 24, 16 and 15 bits: kept, with its layout. */
    struct {
        uint8_t bpp;
        const uint8_t *fields;
        uint32_t pitch;
    } direct[] = {{24, rgb888, 640 * 3}, {16, rgb565, 640 * 2}, {15, rgb555, 640 * 2}, {32, rgb888, 640 * 4}};
    for (unsigned i = 0; i < sizeof(direct) / sizeof(direct[0]); i++) {
        mb_begin(&m);
        tag_mmap(&m, 24, pc_e820, 7);
        tag_fb_grub(&m, 640, 480, direct[i].pitch, direct[i].bpp, 1, direct[i].fields, 0);
        mb_finish(&m);
        assert_int_equal(parse(&m), 0);
        assert_int_equal(warn_count, 0);
        assert_int_equal(bi.fb.type, FB_RGB);
        assert_int_equal(bi.fb.bpp, direct[i].bpp);
        assert_int_equal(bi.fb.pitch, direct[i].pitch);
        assert_int_equal(bi.fb.red_pos, direct[i].fields[0]);
        assert_int_equal(bi.fb.red_size, direct[i].fields[1]);
        assert_int_equal(bi.fb.green_pos, direct[i].fields[2]);
        assert_int_equal(bi.fb.green_size, direct[i].fields[3]);
        assert_int_equal(bi.fb.blue_pos, direct[i].fields[4]);
        assert_int_equal(bi.fb.blue_size, direct[i].fields[5]);
    }

    /* 16 bpp whose red field reaches bit 17: ignored. */
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_fb_grub(&m, 640, 480, 640 * 2, 16, 1, bad16, 0);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_true(warned("colour fields do not fit in 16 bpp"));

    /* A type the specification does not define: ignored. */
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_fb_grub(&m, 640, 480, 640 * 4, 32, 3, NULL, 0);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_true(warned("unknown type 3"));

    /* 0 bits per pixel: degenerate, ignored. */
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_fb_grub(&m, 640, 480, 640 * 4, 0, 1, rgb888, 0);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_NONE);
    assert_true(warned("degenerate"));

    /* EGA text as GRUB gives it under BIOS in text mode. */
    mb_begin(&m);
    tag_mmap(&m, 24, pc_e820, 7);
    tag_fb(&m, 0xb8000, 160, 80, 25, 16, 2);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(bi.fb.type, FB_EGA_TEXT);
}

static void duplicate_and_short_tags(void **state)
{
    (void)state;
    static struct mb m;
    mb_begin(&m);
    tag_string(&m, 1, "first");
    tag_string(&m, 1, "second");
    tag_mmap(&m, 24, pc_e820, 7);
    size_t off = tag_begin(&m, 15); /* new RSDP tag too short for 36 bytes */
    put(&m, "RSD PTR 12345678", 16);
    tag_end(&m, off);
    off = tag_begin(&m, 14); /* old RSDP without the signature */
    put(&m, "NOT A RSDP 123456789", 20);
    tag_end(&m, off);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_string_equal(bi.cmdline, "first");
    assert_true(warned("duplicate tag 1"));
    assert_true(warned("new RSDP tag at offset"));
    assert_true(warned("lacks the 'RSD PTR ' signature"));
    assert_int_equal(bi.rsdp_len, 0);
    assert_int_equal(warn_count, 3);
}

static void misaligned_information_is_reported(void **state)
{
    (void)state;
    static struct mb m;
    build_good(&m);
    mb_finish(&m);
    warn_count = 0;
    /* Parse from an odd host address and report an odd physical one. */
    uint8_t *raw = malloc(m.len + 1);
    assert_non_null(raw);
    memcpy(raw + 1, m.buf, m.len);
    assert_int_equal(mb2_parse(raw + 1, m.len, 0x10003, &bi, on_warn), 0);
    free(raw);
    assert_true(warned("not 8-byte aligned"));
    assert_int_equal(warn_count, 1);
    assert_string_equal(bi.cmdline, "donjon.test console=serial");
}

static void warnings_are_bounded(void **state)
{
    (void)state;
    static struct mb m;
    static struct e820 e[100];
    for (unsigned i = 0; i < 100; i++)
        e[i] = (struct e820){i * 0x10000ull, 0, 1}; /* 100 zero-length entries */
    mb_begin(&m);
    tag_mmap(&m, 24, e, 100);
    mb_finish(&m);
    assert_int_equal(parse(&m), -1);
    assert_int_equal(warn_count, 33); /* 32 lines and one "suppressed" line */
    assert_true(warned("further warnings suppressed"));
    assert_true(bi.warnings >= 101);
}

static void sanitize_directly(void **state)
{
    (void)state;
    struct mem_region r[8] = {
        {0x5000, 0x800, MEM_USABLE},  /* less than a page: dropped */
        {0x3000, 0x1000, MEM_USABLE}, /* adjacent to the next: merged */
        {0x2000, 0x1000, MEM_USABLE},
        {0x8800, 0x3000, MEM_USABLE}, /* trimmed to [0x9000, 0xb000) */
        {0xfffffffffffff000ull, 0x2000, MEM_RESERVED}, /* clamped */
        {0x20000, 0x1000, 0},         /* type 0: reserved */
        {0x30000, 0, MEM_BAD},        /* empty: dropped */
        {0x2000, 0x800, MEM_BAD},     /* bad inside usable: splits it */
    };
    unsigned n = memmap_sanitize(r, 8, 8);
    assert_int_equal(n, 5);
    assert_int_equal(r[0].base, 0x2000);
    assert_int_equal(r[0].len, 0x800);
    assert_int_equal(r[0].type, MEM_BAD);
    assert_int_equal(r[1].base, 0x3000); /* [0x2800,0x4000) usable trimmed */
    assert_int_equal(r[1].len, 0x1000);
    assert_int_equal(r[2].base, 0x9000);
    assert_int_equal(r[2].len, 0x2000);
    assert_int_equal(r[3].type, MEM_RESERVED);
    assert_int_equal(r[3].base, 0x20000);
    assert_int_equal(r[4].base + r[4].len, UINT64_MAX);

    /* A result larger than the capacity is cut at the capacity. */
    struct mem_region s[4] = {
        {0x0, 0x10000, MEM_USABLE},
        {0x2000, 0x1000, MEM_RESERVED},
        {0x6000, 0x1000, MEM_RESERVED},
    };
    n = memmap_sanitize(s, 3, 4);
    assert_int_equal(n, 4);
    assert_int_equal(s[3].base, 0x6000);
    assert_int_equal(memmap_sanitize(s, 0, 4), 0);
}

/* Random damage to a good information block must never crash or read out
 * of bounds (ASan), and whatever is returned must be consistent. */
static void random_corruption_is_survived(void **state)
{
    (void)state;
    static struct mb m, good;
    build_good(&good);
    mb_finish(&good);
    srand(12345);
    for (int iter = 0; iter < 3000; iter++) {
        m = good;
        int flips = 1 + rand() % 8;
        for (int k = 0; k < flips; k++) {
            size_t at = 8 + (size_t)rand() % (good.len - 8);
            m.buf[at] = (uint8_t)(rand() % 3 == 0 ? 0xff : rand());
        }
        size_t len = rand() % 4 == 0 ? (size_t)rand() % good.len : good.len;
        if (len < good.len && rand() % 2)
            set32(&m, 0, (uint32_t)len);
        int r = parse_len(&m, len);
        if (r == 0) {
            assert_true(bi.mem_count > 0 && bi.mem_count <= BOOT_MAX_MEM_REGIONS);
            assert_map_sane(&bi);
        }
        assert_true(bi.module_count <= BOOT_MAX_MODULES);
        assert_true(strlen(bi.cmdline) < BOOT_CMDLINE_MAX);
        for (unsigned i = 0; i < bi.module_count; i++)
            assert_true(bi.modules[i].end >= bi.modules[i].start);
        assert_true(bi.rsdp_len == 0 || bi.rsdp_len == 20 || bi.rsdp_len == 36);
    }
}

/* Limits of the memory map encodings, at their edges: EFI descriptors of
 * exactly 40 bytes are fine and 39 are not; a page count that just fits
 * 64 bits after the shift keeps its exact length. */
static void efi_descriptor_size_and_page_count_edges(void **state)
{
    (void)state;
    static struct mb m;
    const struct efi_desc d[] = {
        {7, 0x0, 0x10},                  /* conventional */
        {0, 0x0, UINT64_MAX >> 12},      /* reserved, the largest count that shifts without overflow */
    };
    mb_begin(&m);
    tag_efi_mmap(&m, 40, d, 1);
    mb_finish(&m);
    assert_int_equal(parse(&m), 0);
    assert_int_equal(warn_count, 0);
    assert_int_equal(bi.mem_count, 1);
    assert_region(0, 0x0, 0x10000, MEM_USABLE);

    mb_begin(&m);
    tag_efi_mmap(&m, 39, d, 1);
    mb_finish(&m);
    assert_int_equal(parse(&m), -1);
    assert_true(warned("descriptor size 39"));

    mb_begin(&m);
    tag_efi_mmap(&m, 48, d + 1, 1);
    mb_finish(&m);
    parse(&m);
    assert_int_equal(bi.mem_count, 1);
    assert_region(0, 0x0, (UINT64_MAX >> 12) << 12, MEM_RESERVED);
}

/* Where regions overlap, the more restrictive type wins, in the order
 * usable < ACPI reclaimable < reserved < ACPI NVS < bad. */
static void overlap_restrictiveness_order(void **state)
{
    (void)state;
    struct mem_region r[8] = {
        {0x0, 0x10000, MEM_USABLE},
        {0x2000, 0x1000, MEM_ACPI_RECLAIMABLE}, /* wins over usable */
        {0x20000, 0x10000, MEM_ACPI_RECLAIMABLE},
        {0x22000, 0x1000, MEM_RESERVED},        /* wins over ACPI reclaimable */
        {0x40000, 0x10000, MEM_ACPI_NVS},
        {0x42000, 0x1000, MEM_RESERVED},        /* loses to ACPI NVS */
    };
    unsigned n = memmap_sanitize(r, 6, 8);
    assert_int_equal(n, 7);
    assert_int_equal(r[1].base, 0x2000);
    assert_int_equal(r[1].type, MEM_ACPI_RECLAIMABLE);
    assert_int_equal(r[2].base, 0x3000);
    assert_int_equal(r[2].type, MEM_USABLE);
    assert_int_equal(r[3].type, MEM_ACPI_RECLAIMABLE);
    assert_int_equal(r[3].len, 0x2000);
    assert_int_equal(r[4].type, MEM_RESERVED);
    assert_int_equal(r[5].base, 0x23000);
    assert_int_equal(r[5].type, MEM_ACPI_RECLAIMABLE);
    assert_int_equal(r[6].type, MEM_ACPI_NVS);
    assert_int_equal(r[6].len, 0x10000);
    struct mem_region t[4] = {
        {0x40000, 0x10000, MEM_ACPI_NVS},
        {0x42000, 0x1000, MEM_RESERVED},
    };
    n = memmap_sanitize(t, 2, 4);
    assert_int_equal(n, 1);
    assert_int_equal(t[0].type, MEM_ACPI_NVS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(efi_descriptor_size_and_page_count_edges),
        cmocka_unit_test(overlap_restrictiveness_order),
        cmocka_unit_test(good_bios_information),
        cmocka_unit_test(high_memory_region_is_kept),
        cmocka_unit_test(old_rsdp_when_no_new_one),
        cmocka_unit_test(mmap_entry_size_is_honoured),
        cmocka_unit_test(efi_only_memory_map),
        cmocka_unit_test(bios_map_preferred_over_efi_map),
        cmocka_unit_test(bad_total_size),
        cmocka_unit_test(tag_overrunning_the_information),
        cmocka_unit_test(tag_size_below_eight),
        cmocka_unit_test(missing_end_tag_and_trailing_bytes),
        cmocka_unit_test(strings_without_nul),
        cmocka_unit_test(long_strings_are_truncated),
        cmocka_unit_test(too_many_modules),
        cmocka_unit_test(bad_modules),
        cmocka_unit_test(overlapping_unsorted_holey_map),
        cmocka_unit_test(zero_length_and_wrapping_regions),
        cmocka_unit_test(too_many_regions),
        cmocka_unit_test(framebuffer_kinds),
        cmocka_unit_test(framebuffer_odd_types),
        cmocka_unit_test(duplicate_and_short_tags),
        cmocka_unit_test(misaligned_information_is_reported),
        cmocka_unit_test(warnings_are_bounded),
        cmocka_unit_test(sanitize_directly),
        cmocka_unit_test(random_corruption_is_survived),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
