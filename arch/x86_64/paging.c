/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's own page tables. The boot tables from boot.S map 0..4 GiB
 * with large writable pages; here we replace them with: the kernel image
 * in 4 KiB pages with W^X, a non-executable direct map of 0..4 GiB and of
 * every memory-map region above it, and a window for device memory. */
#include <donjon/abi.h>
#include "arch/x86_64/paging.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/frame_alloc.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "kernel/panic.h"
#include "arch/x86_64/spinlock.h"

#define ENTRIES_PER_TABLE 512
#define PAGING_LEVELS 4 /* 4 the top-level table ... 1 the tables of pages */
#define FOUR_GIB (4ull << 30)
#define TABLE_FLAGS (PTE_PRESENT | PTE_WRITE)

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[], __kernel_end[];

static uint64_t *kernel_pml4;
static uint64_t kernel_pml4_phys;
static uint64_t nx_bit;     /* PTE_NX when the CPU has NX, else 0 */
static uint64_t global_bit; /* PTE_GLOBAL when the CPU has PGE */
static uint64_t ioremap_next = IOREMAP_BASE;
/* Physical ranges the kernel maps for itself: never given to user PDs. */
#define KERNEL_DEVICE_RANGES 32
static struct {
    uint64_t first, end;
} kernel_devices[KERNEL_DEVICE_RANGES];
static unsigned kernel_device_count;
static struct spinlock paging_lock = SPINLOCK_INIT;

static unsigned index_at(uint64_t va, unsigned level) /* level 4 = PML4 ... 1 = PT */
{
    return (va >> (PAGE_SHIFT + 9 * (level - 1))) & (ENTRIES_PER_TABLE - 1);
}

/* Page tables must stay below 4 GiB: APs load CR3 in 32-bit mode. */
static uint64_t *alloc_table(void)
{
    uint64_t pa = frame_alloc_below(FOUR_GIB);
    if (!pa)
        return NULL;
    uint64_t *t = phys_to_virt(pa);
    memset(t, 0, PAGE_SIZE);
    return t;
}

/* Returns the table at `level` (1..3) covering va, creating it if asked.
 * Tables on the way to a user page must carry the user bit themselves. */
static uint64_t *walk_in(uint64_t *root, uint64_t va, unsigned level, bool create, uint64_t table_extra,
                         uint64_t (*alloc)(void *), void *ctx)
{
    uint64_t *table = root;
    for (unsigned l = 4; l > level; l--) {
        uint64_t *e = &table[index_at(va, l)];
        if (!(*e & PTE_PRESENT)) {
            if (!create)
                return NULL;
            uint64_t pa = alloc ? alloc(ctx) : 0;
            uint64_t *next = alloc ? (pa ? phys_to_virt(pa) : NULL) : alloc_table();
            if (!next)
                return NULL;
            *e = virt_to_phys(next) | TABLE_FLAGS;
        } else if (*e & PTE_LARGE) {
            return NULL; /* covered by a large page; no finer table */
        }
        *e |= table_extra;
        table = phys_to_virt(*e & PTE_ADDR_MASK);
    }
    return table;
}

static uint64_t *walk_with(uint64_t va, unsigned level, bool create, uint64_t table_extra)
{
    return walk_in(kernel_pml4, va, level, create, table_extra, NULL, NULL);
}

static uint64_t *walk(uint64_t va, unsigned level, bool create)
{
    return walk_with(va, level, create, 0);
}

static void map_4k(uint64_t va, uint64_t pa, uint64_t flags)
{
    uint64_t *pt = walk(va, 1, true);
    if (!pt)
        panic("paging: cannot map %#llx (out of page-table memory)", (unsigned long long)va);
    pt[index_at(va, 1)] = pa | flags;
}

static uint64_t image_flags(uint64_t va)
{
    if (va >= (uint64_t)__text_start && va < (uint64_t)__text_end)
        return PTE_PRESENT | global_bit;
    if (va >= (uint64_t)__rodata_start && va < (uint64_t)__rodata_end)
        return PTE_PRESENT | global_bit | nx_bit;
    return PTE_PRESENT | PTE_WRITE | global_bit | nx_bit;
}

static void map_kernel_image(void)
{
    for (uint64_t va = (uint64_t)__text_start; va < (uint64_t)__kernel_end; va += PAGE_SIZE)
        map_4k(va, va - KERNEL_VMA, image_flags(va));
}

/* In the direct map the kernel image is never writable where it is code
 * or read-only data, so W^X holds across aliases too. */
static uint64_t direct_flags_4k(uint64_t pa)
{
    uint64_t text_start = (uint64_t)__text_start - KERNEL_VMA;
    uint64_t rodata_end = (uint64_t)__rodata_end - KERNEL_VMA;
    uint64_t f = PTE_PRESENT | global_bit | nx_bit;
    return (pa >= text_start && pa < rodata_end) ? f : f | PTE_WRITE;
}

static void map_direct_range(uint64_t start, uint64_t end)
{
    uint64_t image_start = ((uint64_t)__text_start - KERNEL_VMA) & ~(LARGE_PAGE_SIZE - 1);
    uint64_t image_end = (uint64_t)__kernel_end - KERNEL_VMA;
    start &= ~(LARGE_PAGE_SIZE - 1);
    for (uint64_t pa = start; pa < end; pa += LARGE_PAGE_SIZE) {
        uint64_t va = pa + DIRECT_MAP_BASE;
        uint64_t *pd = walk(va, 2, true);
        if (!pd)
            panic("paging: out of memory building the direct map");
        uint64_t *e = &pd[index_at(va, 2)];
        if (*e & PTE_PRESENT)
            continue; /* regions may share a large page */
        if (pa + LARGE_PAGE_SIZE > image_start && pa < image_end) {
            for (uint64_t p = pa; p < pa + LARGE_PAGE_SIZE; p += PAGE_SIZE)
                map_4k(p + DIRECT_MAP_BASE, p, direct_flags_4k(p));
        } else {
            *e = pa | PTE_PRESENT | PTE_WRITE | PTE_LARGE | global_bit | nx_bit;
        }
    }
}

static void map_direct(const struct boot_info *bi)
{
    map_direct_range(0, FOUR_GIB);
    /* Above 4 GiB only memory, not reserved holes: a cacheable mapping of
     * device space invites speculative reads of it. */
    for (unsigned i = 0; i < bi->mem_count; i++) {
        const struct mem_region *r = &bi->mem[i];
        uint64_t end = r->base + r->len;
        if (end > FOUR_GIB && r->type != MEM_RESERVED)
            map_direct_range(r->base > FOUR_GIB ? r->base : FOUR_GIB, end);
    }
}

void paging_init(const struct boot_info *bi)
{
    nx_bit = cpu_features.nx ? PTE_NX : 0;
    global_bit = cpu_features.pge ? PTE_GLOBAL : 0;
    kernel_pml4 = alloc_table();
    if (!kernel_pml4)
        panic("paging: no memory for the kernel page tables");
    kernel_pml4_phys = virt_to_phys(kernel_pml4);
    /* Pre-create every kernel-half PML4 entry so that all address spaces
     * created later can share them by copying the top half once. */
    for (unsigned i = ENTRIES_PER_TABLE / 2; i < ENTRIES_PER_TABLE; i++) {
        uint64_t *t = alloc_table();
        if (!t)
            panic("paging: no memory for kernel PDPTs");
        kernel_pml4[i] = virt_to_phys(t) | TABLE_FLAGS;
    }
    map_kernel_image();
    map_direct(bi);
    write_cr3(kernel_pml4_phys);
}

uint64_t paging_kernel_cr3(void)
{
    return kernel_pml4_phys;
}

int paging_map_page(uint64_t va, uint64_t pa, uint64_t pte_flags)
{
    uint64_t flags = spin_lock_irqsave(&paging_lock);
    bool user = va < DIRECT_MAP_BASE && (pte_flags & PTE_USER);
    uint64_t *pt = walk_with(va, 1, true, user ? PTE_USER : 0);
    if (pt) {
        pt[index_at(va, 1)] = (pa & PTE_ADDR_MASK) | (pte_flags & ~PTE_ADDR_MASK) | PTE_PRESENT;
        invlpg(va);
    }
    spin_unlock_irqrestore(&paging_lock, flags);
    return pt ? 0 : -1;
}

void paging_unmap_page(uint64_t va)
{
    uint64_t flags = spin_lock_irqsave(&paging_lock);
    uint64_t *pt = walk(va, 1, false);
    if (pt) {
        pt[index_at(va, 1)] = 0;
        invlpg(va);
    }
    spin_unlock_irqrestore(&paging_lock, flags);
}

static uint64_t cache_flags(enum cache_mode mode)
{
    switch (mode) {
    case CACHE_WC: return PTE_CACHE_WC;
    case CACHE_UC: return PTE_CACHE_UC;
    default: return 0;
    }
}

void *ioremap(uint64_t phys, size_t len, enum cache_mode mode)
{
    uint64_t offset = phys & (PAGE_SIZE - 1);
    uint64_t first = phys - offset;
    uint64_t size = (offset + len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    if (len == 0 || size < len)
        return NULL;
    uint64_t flags = spin_lock_irqsave(&paging_lock);
    uint64_t va = ioremap_next;
    bool fits = size <= IOREMAP_BASE + IOREMAP_SIZE - va && kernel_device_count < KERNEL_DEVICE_RANGES;
    if (fits) {
        ioremap_next += size + PAGE_SIZE; /* an unmapped guard page between windows */
        kernel_devices[kernel_device_count].first = first;
        kernel_devices[kernel_device_count++].end = first + size;
    }
    spin_unlock_irqrestore(&paging_lock, flags);
    if (!fits)
        return NULL;
    for (uint64_t o = 0; o < size; o += PAGE_SIZE)
        if (paging_map_page(va + o, first + o, PTE_WRITE | nx_bit | global_bit | cache_flags(mode)) < 0)
            return NULL;
    return (void *)(va + offset);
}

bool paging_is_kernel_device(uint64_t phys, uint64_t len)
{
    uint64_t flags = spin_lock_irqsave(&paging_lock);
    bool hit = false;
    for (unsigned i = 0; i < kernel_device_count && !hit; i++)
        hit = phys < kernel_devices[i].end && phys + len > kernel_devices[i].first;
    spin_unlock_irqrestore(&paging_lock, flags);
    return hit;
}

uint64_t paging_query(uint64_t va)
{
    return paging_query_in(kernel_pml4, va);
}

/* Until shootdown IPIs exist, user mappings are only flushed on this CPU;
 * every PD runs on the CPU its ECs were created for. */
void paging_flush_user(uint64_t va)
{
    invlpg(va);
}

uint64_t paging_query_in(uint64_t *root, uint64_t va)
{
    uint64_t *table = root;
    for (unsigned l = 4; l >= 1; l--) {
        uint64_t e = table[index_at(va, l)];
        if (!(e & PTE_PRESENT))
            return 0;
        if (l == 1 || (l <= 3 && (e & PTE_LARGE)))
            return e;
        table = phys_to_virt(e & PTE_ADDR_MASK);
    }
    return 0;
}

uint64_t *paging_new_root(uint64_t (*alloc)(void *), void *ctx)
{
    uint64_t pa = alloc(ctx);
    if (!pa)
        return NULL;
    uint64_t *root = phys_to_virt(pa);
    memset(root, 0, PAGE_SIZE / 2);
    memcpy(root + ENTRIES_PER_TABLE / 2, kernel_pml4 + ENTRIES_PER_TABLE / 2, PAGE_SIZE / 2);
    return root;
}

int paging_map_user(uint64_t *root, uint64_t va, uint64_t pa, uint64_t pte_flags, uint64_t (*alloc)(void *),
                    void *ctx)
{
    if (va >= USER_TOP)
        return -1;
    uint64_t *pt = walk_in(root, va, 1, true, PTE_USER, alloc, ctx);
    if (!pt)
        return -1;
    pt[index_at(va, 1)] = (pa & PTE_ADDR_MASK) | (pte_flags & ~PTE_ADDR_MASK & ~(nx_bit ? 0 : PTE_NX)) |
                          PTE_PRESENT | PTE_USER;
    return 0;
}

uint64_t paging_unmap_user(uint64_t *root, uint64_t va)
{
    if (va >= USER_TOP)
        return 0;
    uint64_t *pt = walk_in(root, va, 1, false, 0, NULL, NULL);
    if (!pt)
        return 0;
    uint64_t old = pt[index_at(va, 1)];
    pt[index_at(va, 1)] = 0;
    return old;
}

/* The tables under the first `entries` entries of table (at `level`),
 * bottom up. Freed entries are cleared, so a walk cut short by the budget
 * starts again where it stopped. */
static bool free_tables_below(uint64_t *table, unsigned level, unsigned entries, size_t *budget,
                              void (*free_fn)(void *, void *), void *ctx)
{
    for (unsigned i = 0; i < entries; i++) {
        uint64_t e = table[i];
        if (!(e & PTE_PRESENT) || (e & PTE_LARGE))
            continue;
        uint64_t *sub = phys_to_virt(e & PTE_ADDR_MASK);
        if (level > 2 && !free_tables_below(sub, level - 1, ENTRIES_PER_TABLE, budget, free_fn, ctx))
            return false;
        if (!*budget)
            return false;
        free_fn(sub, ctx);
        table[i] = 0;
        (*budget)--;
    }
    return true;
}

bool paging_free_user_tables(uint64_t *root, size_t *budget, void (*free_fn)(void *table, void *ctx), void *ctx)
{
    return free_tables_below(root, PAGING_LEVELS, ENTRIES_PER_TABLE / 2, budget, free_fn, ctx);
}

struct phys_free {
    void (*free_fn)(uint64_t, void *);
    void *ctx;
};

static void free_by_phys(void *table, void *ctx)
{
    struct phys_free *pf = ctx;
    pf->free_fn(virt_to_phys(table), pf->ctx);
}

void paging_free_root(uint64_t *root, void (*free_fn)(uint64_t, void *), void *ctx)
{
    struct phys_free pf = {free_fn, ctx};
    size_t unlimited = SIZE_MAX;
    paging_free_user_tables(root, &unlimited, free_by_phys, &pf);
    free_fn(virt_to_phys(root), ctx);
}

uint64_t paging_user_pte_flags(unsigned rights, unsigned cache)
{
    uint64_t f = cache == DJ_CACHE_UC ? PTE_CACHE_UC : cache == DJ_CACHE_WC ? PTE_CACHE_WC : 0;
    if (rights & DJ_MEM_W)
        f |= PTE_WRITE;
    if (!(rights & DJ_MEM_X))
        f |= PTE_NX;
    return f;
}

unsigned paging_user_rights(uint64_t pte)
{
    return DJ_MEM_R | ((pte & PTE_WRITE) ? DJ_MEM_W : 0) | ((pte & PTE_NX) ? 0 : DJ_MEM_X);
}

/* ---- User mappings of any leaf size ------------------------------------- */

struct user_map {
    uint64_t flags;
    uint64_t (*alloc)(void *);
    void *ctx;
};

unsigned paging_user_leaf_max(void)
{
    return cpu_features.pdpe1gb ? PAGING_LEAF_1G : PAGING_LEAF_2M;
}

uint64_t paging_leaf_size(unsigned level)
{
    return PAGE_SIZE << (9 * (level - 1));
}

static uint64_t leaf_entry(uint64_t pa, unsigned level, uint64_t flags)
{
    uint64_t f = flags & PAGING_EXACT_FLAGS ? flags & ~PAGING_EXACT_FLAGS & ~PTE_ADDR_MASK & ~PTE_LARGE
                                            : (flags & ~PTE_ADDR_MASK & ~PTE_LARGE & ~(nx_bit ? 0 : PTE_NX)) |
                                                  PTE_PRESENT | PTE_USER;
    return (pa & PTE_ADDR_MASK) | f | (level > PAGING_LEAF_4K ? PTE_LARGE : 0);
}

static bool is_table(uint64_t e, unsigned level)
{
    return level > PAGING_LEAF_4K && (e & PTE_PRESENT) && !(e & PTE_LARGE);
}

/* The table entry e points to, created when e is empty; NULL when no page
 * is left or e is a large leaf (no finer table under it). */
static uint64_t *table_under(uint64_t *e, const struct user_map *m)
{
    if (!(*e & PTE_PRESENT)) {
        uint64_t pa = m->alloc(m->ctx);
        if (!pa)
            return NULL;
        *e = pa | TABLE_FLAGS | PTE_USER;
    } else if (*e & PTE_LARGE) {
        return NULL;
    }
    return phys_to_virt(*e & PTE_ADDR_MASK);
}

/* Map [va, end) within `table` (at `level`) with leaves at `leaf`. The
 * tables form at most four levels: bounded recursion. */
static int map_in(uint64_t *table, unsigned level, uint64_t va, uint64_t pa, uint64_t end, unsigned leaf,
                  const struct user_map *m)
{
    uint64_t span = paging_leaf_size(level);
    while (va < end) {
        uint64_t *e = &table[index_at(va, level)];
        uint64_t next = (va & ~(span - 1)) + span, stop = next < end ? next : end;
        if (level == leaf && !is_table(*e, level)) {
            *e = leaf_entry(pa, level, m->flags);
        } else {
            uint64_t *t = table_under(e, m);
            /* A table where a leaf was wanted: smaller leaves under it. */
            if (!t || map_in(t, level - 1, va, pa, stop, level == leaf ? leaf - 1 : leaf, m) < 0)
                return -1;
        }
        pa += stop - va;
        va = stop;
    }
    return 0;
}

int paging_map_user_range(uint64_t *root, uint64_t va, uint64_t pa, uint64_t len, unsigned level,
                          uint64_t pte_flags, uint64_t (*alloc)(void *), void *ctx)
{
    uint64_t size = paging_leaf_size(level);
    if (level < PAGING_LEAF_4K || level > paging_user_leaf_max() || ((va | pa | len) & (size - 1)) ||
        va >= USER_TOP || len > USER_TOP - va)
        return -1;
    if (len == size) { /* one leaf (a single page, say): the direct walk */
        uint64_t *t = walk_in(root, va, level, true, PTE_USER, alloc, ctx);
        if (t && !is_table(t[index_at(va, level)], level)) {
            t[index_at(va, level)] = leaf_entry(pa, level, pte_flags);
            return 0;
        }
    }
    struct user_map m = {pte_flags, alloc, ctx};
    return map_in(root, 4, va, pa, va + len, level, &m);
}

static void unmap_in(uint64_t *table, unsigned level, uint64_t va, uint64_t end)
{
    uint64_t span = paging_leaf_size(level);
    while (va < end) {
        uint64_t *e = &table[index_at(va, level)];
        uint64_t next = (va & ~(span - 1)) + span, stop = next < end ? next : end;
        if (is_table(*e, level))
            unmap_in(phys_to_virt(*e & PTE_ADDR_MASK), level - 1, va, stop);
        else
            *e = 0;
        va = stop;
    }
}

void paging_unmap_user_range(uint64_t *root, uint64_t va, uint64_t len)
{
    if (va >= USER_TOP)
        return;
    if (len > USER_TOP - va)
        len = USER_TOP - va;
    unmap_in(root, 4, va, va + len);
}

bool paging_translate_in(uint64_t *root, uint64_t va, uint64_t *pa, uint64_t *entry)
{
    uint64_t *table = root;
    for (unsigned level = 4; level >= PAGING_LEAF_4K; level--) {
        uint64_t e = table[index_at(va, level)];
        if (!(e & PTE_PRESENT))
            return false;
        if (!is_table(e, level)) {
            uint64_t span = paging_leaf_size(level);
            *pa = (e & PTE_ADDR_MASK & ~(span - 1)) + (va & (span - 1) & ~(uint64_t)(PAGE_SIZE - 1));
            *entry = e;
            return true;
        }
        table = phys_to_virt(e & PTE_ADDR_MASK);
    }
    return false;
}
