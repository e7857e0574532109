/* SPDX-License-Identifier: GPL-2.0-only */
/* The boot information as parsed at boot: a sane memory map that holds
 * the kernel, and a parse of the live information that repeats exactly. */
#include "kernel/boot_info.h"
#include "tests/kernel/ktest.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/multiboot2.h"

#define KERNEL_PHYS_START 0x200000ull /* KERNEL_PHYS in kernel.ld */

extern struct boot_info boot_info;
extern char __kernel_end[];

static bool usable_covers(uint64_t base, uint64_t end)
{
    for (unsigned i = 0; i < boot_info.mem_count; i++) {
        const struct mem_region *r = &boot_info.mem[i];
        if (r->type == MEM_USABLE && base >= r->base && end <= r->base + r->len)
            return true;
    }
    return false;
}

KTEST_PHASE(mb2_memory_map_sane, KTEST_EARLY)
{
    const struct boot_info *bi = &boot_info;
    KTEST_REQUIRE(bi->mem_count > 0 && bi->mem_count <= BOOT_MAX_MEM_REGIONS, "%u memory regions", bi->mem_count);
    uint64_t usable = 0;
    for (unsigned i = 0; i < bi->mem_count; i++) {
        const struct mem_region *r = &bi->mem[i];
        KTEST_REQUIRE(r->len > 0, "region %u is empty", i);
        KTEST_REQUIRE(r->type >= MEM_USABLE && r->type <= MEM_BAD, "region %u has type %u", i, r->type);
        KTEST_REQUIRE(r->len <= UINT64_MAX - r->base, "region %u wraps", i);
        if (r->type == MEM_USABLE) {
            KTEST_REQUIRE(r->base % PAGE_SIZE == 0 && r->len % PAGE_SIZE == 0,
                          "usable region %u (%#llx+%#llx) not page-granular", i, (unsigned long long)r->base,
                          (unsigned long long)r->len);
            usable += r->len;
        }
        if (i > 0) {
            const struct mem_region *p = &bi->mem[i - 1];
            KTEST_REQUIRE(p->base + p->len <= r->base, "regions %u and %u overlap or are unsorted", i - 1, i);
            KTEST_REQUIRE(p->base + p->len < r->base || p->type != r->type, "regions %u and %u not merged", i - 1, i);
        }
    }
    KTEST_REQUIRE(usable >= (8ull << 20), "only %llu KiB usable", (unsigned long long)(usable >> 10));
    uint64_t kend = (uint64_t)__kernel_end - KERNEL_VMA;
    KTEST_REQUIRE(usable_covers(KERNEL_PHYS_START, kend), "kernel image %#llx-%#llx not in usable memory",
                  (unsigned long long)KERNEL_PHYS_START, (unsigned long long)kend);
    KTEST_REQUIRE(bi->mbi_phys && bi->mbi_size >= 8, "boot information at %#llx size %llu",
                  (unsigned long long)bi->mbi_phys, (unsigned long long)bi->mbi_size);
    for (unsigned i = 0; i < bi->module_count; i++)
        KTEST_REQUIRE(bi->modules[i].end >= bi->modules[i].start, "module %u ends before it starts", i);
    return KTEST_PASS;
}

/* The information is still intact (it is reserved from the frame
 * allocator), so parsing it again must give exactly the same result. */
KTEST_PHASE(mb2_reparse_matches, KTEST_EARLY)
{
    static struct boot_info again;
    int r = mb2_parse(phys_to_virt(boot_info.mbi_phys), boot_info.mbi_size, boot_info.mbi_phys, &again, 0);
    KTEST_REQUIRE(r == 0, "second parse failed");
    KTEST_REQUIRE(again.warnings == boot_info.warnings, "%u warnings now, %u at boot", again.warnings,
                  boot_info.warnings);
    const struct boot_info *a = &again, *b = &boot_info;
    KTEST_REQUIRE(strcmp(a->cmdline, b->cmdline) == 0 && strcmp(a->loader_name, b->loader_name) == 0,
                  "command line or loader name differs");
    KTEST_REQUIRE(a->mem_count == b->mem_count && a->mem_from_efi == b->mem_from_efi, "memory map size differs");
    for (unsigned i = 0; i < a->mem_count; i++)
        KTEST_REQUIRE(a->mem[i].base == b->mem[i].base && a->mem[i].len == b->mem[i].len &&
                          a->mem[i].type == b->mem[i].type,
                      "memory region %u differs", i);
    KTEST_REQUIRE(a->module_count == b->module_count, "module count differs");
    for (unsigned i = 0; i < a->module_count; i++)
        KTEST_REQUIRE(a->modules[i].start == b->modules[i].start && a->modules[i].end == b->modules[i].end &&
                          strcmp(a->modules[i].cmdline, b->modules[i].cmdline) == 0,
                      "module %u differs", i);
    KTEST_REQUIRE(a->rsdp_len == b->rsdp_len && memcmp(a->rsdp, b->rsdp, a->rsdp_len) == 0, "RSDP copy differs");
    KTEST_REQUIRE(a->fb.addr == b->fb.addr && a->fb.type == b->fb.type && a->fb.width == b->fb.width &&
                      a->fb.height == b->fb.height && a->fb.pitch == b->fb.pitch && a->fb.bpp == b->fb.bpp,
                  "framebuffer differs");
    return KTEST_PASS;
}
