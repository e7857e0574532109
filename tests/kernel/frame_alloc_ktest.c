/* SPDX-License-Identifier: GPL-2.0-only */
/* Frame allocator checks on the live machine: counts agree with the memory
 * map, frames above 4 GiB work through the direct map, and no frame handed
 * out overlaps the kernel image, the boot information or a module. */
#include "kernel/boot_info.h"
#include "kernel/frame_alloc.h"
#include "tests/kernel/ktest.h"
#include "arch/x86_64/layout.h"

#define KERNEL_PHYS_START 0x200000ull /* KERNEL_PHYS in kernel.ld: the .boot section */
#define FOUR_GIB (4ull << 30)
#define OVERLAP_FRAMES 256

extern struct boot_info boot_info;
extern char __text_start[], __kernel_end[];

static uint64_t pages_up(uint64_t bytes) { return (bytes + FRAME_SIZE - 1) / FRAME_SIZE; }

KTEST_PHASE(frame_alloc_counts, KTEST_EARLY)
{
    uint64_t usable = 0, usable_end = 0;
    for (unsigned i = 0; i < boot_info.mem_count; i++) {
        const struct mem_region *r = &boot_info.mem[i];
        if (r->type != MEM_USABLE)
            continue;
        usable += r->len / FRAME_SIZE;
        usable_end = r->base + r->len;
    }
    /* What the kernel reserves, counted generously (+1 page per range for alignment). */
    uint64_t reserved = 1 + pages_up((uint64_t)__kernel_end - KERNEL_VMA - KERNEL_PHYS_START) + 1 +
                        pages_up(boot_info.mbi_size) + 1;
    for (unsigned i = 0; i < boot_info.module_count; i++)
        reserved += pages_up(boot_info.modules[i].end - boot_info.modules[i].start) + 1;
    uint64_t total = frame_total_count(), free = frame_free_count();
    KTEST_REQUIRE(total > 0, "no frames managed");
    KTEST_REQUIRE(total <= usable, "%llu frames managed, only %llu usable in the map", (unsigned long long)total,
                  (unsigned long long)usable);
    KTEST_REQUIRE(total + reserved >= usable, "%llu frames managed of %llu usable; reserved ranges explain %llu",
                  (unsigned long long)total, (unsigned long long)usable, (unsigned long long)reserved);
    KTEST_REQUIRE(free <= total, "%llu free of %llu", (unsigned long long)free, (unsigned long long)total);
    KTEST_REQUIRE(frame_highest_end() <= usable_end, "highest frame end %#llx beyond usable memory (%#llx)",
                  (unsigned long long)frame_highest_end(), (unsigned long long)usable_end);
    uint64_t a = frame_alloc(), b = frame_alloc_below(FOUR_GIB), c = frame_alloc_contig(4, 4 * FRAME_SIZE);
    KTEST_REQUIRE(a && b && c, "allocation failed (%#llx %#llx %#llx)", (unsigned long long)a, (unsigned long long)b,
                  (unsigned long long)c);
    uint64_t during = frame_free_count();
    frame_free(a);
    frame_free(b);
    for (int i = 0; i < 4; i++)
        frame_free(c + i * FRAME_SIZE);
    uint64_t after = frame_free_count();
    KTEST_REQUIRE(during == free - 6, "6 frames taken but the free count went %llu -> %llu",
                  (unsigned long long)free, (unsigned long long)during);
    KTEST_REQUIRE(after == free, "free count %llu after freeing everything, %llu before", (unsigned long long)after,
                  (unsigned long long)free);
    return KTEST_PASS;
}

KTEST_PHASE(frame_alloc_high_memory, KTEST_EARLY)
{
    KTEST_SKIP_IF(frame_highest_end() <= FOUR_GIB, "no RAM above 4 GiB (highest frame ends at %#llx)",
                  (unsigned long long)frame_highest_end());
    uint64_t got[64];
    unsigned n = 0;
    uint64_t high = 0;
    while (n < 64 && !high) {
        uint64_t pa = frame_alloc();
        if (!pa)
            break;
        got[n++] = pa;
        if (pa >= FOUR_GIB)
            high = pa;
    }
    const char *err = 0;
    if (high) {
        volatile uint64_t *p = phys_to_virt(high);
        for (unsigned i = 0; i < FRAME_SIZE / 8 && !err; i++)
            if (p[i])
                err = "frame above 4 GiB not zeroed";
        for (unsigned i = 0; i < FRAME_SIZE / 8; i++)
            p[i] = high ^ (i * 0x9e3779b97f4a7c15ull);
        for (unsigned i = 0; i < FRAME_SIZE / 8 && !err; i++)
            if (p[i] != (high ^ (i * 0x9e3779b97f4a7c15ull)))
                err = "frame above 4 GiB does not read back what was written";
    }
    for (unsigned i = 0; i < n; i++)
        frame_free(got[i]);
    KTEST_REQUIRE(high, "no frame above 4 GiB in %u allocations (highest end %#llx)", n,
                  (unsigned long long)frame_highest_end());
    KTEST_REQUIRE(!err, "%s (%#llx)", err, (unsigned long long)high);
    return KTEST_PASS;
}

static bool overlaps(uint64_t pa, uint64_t base, uint64_t end)
{
    return pa < end && base < pa + FRAME_SIZE;
}

/* Why frame pa must not have been handed out, or 0. */
static const char *frame_problem(uint64_t pa)
{
    if (pa & (FRAME_SIZE - 1))
        return "unaligned";
    if (pa < FRAME_SIZE)
        return "page 0";
    if (overlaps(pa, KERNEL_PHYS_START, (uint64_t)__kernel_end - KERNEL_VMA) ||
        overlaps(pa, (uint64_t)__text_start - KERNEL_VMA, (uint64_t)__kernel_end - KERNEL_VMA))
        return "inside the kernel image";
    if (overlaps(pa, boot_info.mbi_phys, boot_info.mbi_phys + boot_info.mbi_size))
        return "inside the boot information";
    for (unsigned i = 0; i < boot_info.module_count; i++)
        if (overlaps(pa, boot_info.modules[i].start, boot_info.modules[i].end))
            return "inside a boot module";
    for (unsigned i = 0; i < boot_info.mem_count; i++) {
        const struct mem_region *r = &boot_info.mem[i];
        if (r->type == MEM_USABLE && pa >= r->base && pa + FRAME_SIZE <= r->base + r->len)
            return 0;
    }
    return "not in usable memory";
}

KTEST_PHASE(frame_alloc_no_reserved_overlap, KTEST_EARLY)
{
    static uint64_t got[OVERLAP_FRAMES + 32];
    unsigned n = 0;
    uint64_t before = frame_free_count();
    for (unsigned i = 0; i < OVERLAP_FRAMES; i++)
        got[n++] = frame_alloc();
    for (unsigned i = 0; i < 16; i++)
        got[n++] = frame_alloc_below(FOUR_GIB);
    for (unsigned i = 0; i < 4; i++)
        got[n++] = frame_alloc_below(1ull << 20);
    uint64_t contig = frame_alloc_contig(8, 16 * FRAME_SIZE);
    for (unsigned i = 0; contig && i < 8; i++)
        got[n++] = contig + i * FRAME_SIZE;
    const char *err = 0;
    uint64_t bad = 0;
    for (unsigned i = 0; i < n && !err; i++) {
        if (!got[i]) {
            if (i >= OVERLAP_FRAMES + 16 && i < OVERLAP_FRAMES + 20)
                continue; /* nothing left below 1 MiB is acceptable */
            err = "allocation failed";
        } else if ((err = frame_problem(got[i])) == 0) {
            const uint64_t *p = phys_to_virt(got[i]);
            for (unsigned k = 0; k < FRAME_SIZE / 8 && !err; k++)
                if (p[k])
                    err = "not zeroed";
            for (unsigned j = 0; j < i && !err; j++)
                if (got[j] == got[i])
                    err = "handed out twice";
        }
        if (err)
            bad = got[i];
    }
    if (!err && contig % (16 * FRAME_SIZE))
        err = "contiguous run misaligned", bad = contig;
    if (!err && got[OVERLAP_FRAMES + 16] && got[OVERLAP_FRAMES + 16] + FRAME_SIZE > (1ull << 20))
        err = "frame_alloc_below(1 MiB) returned a frame above 1 MiB", bad = got[OVERLAP_FRAMES + 16];
    for (unsigned i = 0; i < n; i++)
        if (got[i])
            frame_free(got[i]);
    KTEST_REQUIRE(!err, "frame %#llx: %s", (unsigned long long)bad, err);
    KTEST_REQUIRE(frame_free_count() == before, "free count %llu after freeing, %llu before",
                  (unsigned long long)frame_free_count(), (unsigned long long)before);
    return KTEST_PASS;
}
