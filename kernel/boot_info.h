/* SPDX-License-Identifier: GPL-2.0-only */
/* What the boot loader told us, in a loader-independent form. Filled by the
 * multiboot2 parser (arch/x86_64/multiboot2.c), read by everything else. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mem_type {
    MEM_USABLE = 1,
    MEM_RESERVED = 2,
    MEM_ACPI_RECLAIMABLE = 3,
    MEM_ACPI_NVS = 4,
    MEM_BAD = 5,
};

struct mem_region {
    uint64_t base;
    uint64_t len;
    uint32_t type; /* enum mem_type */
};

struct boot_module {
    uint64_t start; /* physical, inclusive */
    uint64_t end;   /* physical, exclusive */
    char cmdline[128];
};

enum fb_type { FB_NONE = 0, FB_RGB = 1, FB_EGA_TEXT = 2 };

struct boot_framebuffer {
    uint64_t addr; /* physical */
    uint32_t pitch, width, height;
    uint8_t bpp;
    uint8_t type; /* enum fb_type */
    uint8_t red_pos, red_size, green_pos, green_size, blue_pos, blue_size;
};

#define BOOT_MAX_MEM_REGIONS 128
#define BOOT_MAX_MODULES 32
#define BOOT_CMDLINE_MAX 256
#define BOOT_RSDP_MAX 36

struct boot_info {
    uint64_t mbi_phys, mbi_size;
    char cmdline[BOOT_CMDLINE_MAX];
    char loader_name[64];
    /* Sorted by base, non-overlapping (overlaps resolved: the more
     * restrictive type wins), page-granular for MEM_USABLE. */
    struct mem_region mem[BOOT_MAX_MEM_REGIONS];
    unsigned mem_count;
    bool mem_from_efi; /* only the EFI memory map was given */
    struct boot_module modules[BOOT_MAX_MODULES];
    unsigned module_count;
    uint8_t rsdp[BOOT_RSDP_MAX]; /* copy of the RSDP from the ACPI tag */
    unsigned rsdp_len;           /* 0 when GRUB gave no ACPI tag */
    struct boot_framebuffer fb;
    unsigned warnings; /* how many problems the parser reported */
};

/* Called by parsers for each problem found in boot data; msg is one line. */
typedef void (*boot_warn_fn)(const char *msg);
