/* SPDX-License-Identifier: GPL-2.0-only */
/* The root PD: built by the kernel from the boot module named "sigma0".
 * It gets its ELF image, a stack, a UTCB, a pool of free memory mapped at
 * ROOT_POOL_VA, and capabilities to itself and to the debug console. */
#include "arch/x86_64/acpi.h"
#include "common/align.h"
#include "kernel/console.h"
#include "common/elf.h"
#include "kernel/devmem.h"
#include "kernel/irq.h"
#include "kernel/frame_alloc.h"
#include "kernel/kernel.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "kernel/mdb.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "kernel/root.h"
#include "arch/x86_64/virt.h"
#include "kernel/sched.h"
#include "arch/x86_64/timer.h"

#define ROOT_STACK_TOP 0x7fff00000000ull
#define ROOT_STACK_PAGES 16
#define ROOT_UTCB_VA 0x7fff00100000ull
#define ROOT_POOL_VA 0x100000000ull
#define ROOT_POOL_MAX_PAGES (1ull << 16) /* 256 MiB: contiguous runs, mapped as large nodes */
#define ROOT_POOL_NODE_MAX_ORDER 18        /* one node maps at most 1 GiB of the pool */
#define ROOT_QUANTUM_TICKS 2
#define ROOT_KERNEL_RESERVE 1024 /* frames kept out of the root quota for the kernel itself */
#define ROOT_BOOTINFO_VA 0x7fff00200000ull
#define ROOT_MODULES_VA 0x600000000000ull

static struct quota root_quota;
static struct ec *root_ec;
static struct kobj debug_object = {.type = DJ_OBJ_DEBUG, .refs = 1};

static const struct boot_module *find_module(const char *name)
{
    for (unsigned i = 0; i < boot_info.module_count; i++)
        if (strcmp(boot_info.modules[i].cmdline, name) == 0)
            return &boot_info.modules[i];
    return 0;
}

static int map_fresh(struct pd *pd, uint64_t va, unsigned rights, void **kva)
{
    void *page = page_source_alloc(&pd->pages);
    if (!page)
        return DJ_E_QUOTA;
    if (kva)
        *kva = page;
    return pd_map(pd, va, virt_to_phys(page), rights);
}

static unsigned seg_rights(uint32_t flags)
{
    return DJ_MEM_R | ((flags & ELF_SEG_W) ? DJ_MEM_W : 0) | ((flags & ELF_SEG_X) ? DJ_MEM_X : 0);
}

static int load_elf(struct pd *pd, const void *image, const struct elf_info *info)
{
    for (unsigned i = 0; i < info->nsegments; i++) {
        const struct elf_segment *s = &info->segments[i];
        for (uint64_t va = elf_seg_start(s); va < elf_seg_end(s); va += PAGE_SIZE) {
            void *page;
            int st = map_fresh(pd, va, seg_rights(s->flags), &page);
            if (st != DJ_OK)
                return st;
            elf_fill_page(image, s, va, page);
        }
    }
    return DJ_OK;
}

/* The pool in as few owned originals as contiguous free memory allows:
 * each maps with pages as large as its alignment permits, so the pool's
 * size costs little boot time beyond zeroing it. */
static int give_pool(struct pd *pd, uint64_t pages)
{
    const unsigned rights = DJ_MEM_R | DJ_MEM_W | DJ_MEM_X;
    uint64_t end = (ROOT_POOL_VA >> PAGE_SHIFT) + pages;
    for (uint64_t vpage = ROOT_POOL_VA >> PAGE_SHIFT; vpage < end;) {
        unsigned o = aligned_order(vpage, end, ROOT_POOL_NODE_MAX_ORDER);
        int st;
        while ((st = o ? pd_alloc_owned(pd, vpage << PAGE_SHIFT, o, rights) : pd_map_fresh(pd, vpage << PAGE_SHIFT, rights)) ==
               PD_NO_CONTIG)
            o--; /* no run that long: a smaller one */
        if (st != DJ_OK)
            return st;
        vpage += 1ull << o;
    }
    return DJ_OK;
}

static int give_stack_and_pool(struct pd *pd, uint64_t *pool_pages)
{
    for (uint64_t i = 1; i <= ROOT_STACK_PAGES; i++)
        if (map_fresh(pd, ROOT_STACK_TOP - i * PAGE_SIZE, DJ_MEM_R | DJ_MEM_W, 0) != DJ_OK)
            return DJ_E_QUOTA;
    uint64_t n = quota_available(&pd->quota) / 2;
    if (n > ROOT_POOL_MAX_PAGES)
        n = ROOT_POOL_MAX_PAGES;
    int st = give_pool(pd, n);
    if (st != DJ_OK)
        return st;
    *pool_pages = n;
    return DJ_OK;
}

/* Boot modules, read-only, one after another with a guard page between. */
static int map_modules(struct pd *pd, struct dj_bootinfo *bi)
{
    uint64_t va = ROOT_MODULES_VA;
    for (unsigned i = 0; i < boot_info.module_count && i < DJ_BOOTINFO_MAX_MODULES; i++) {
        const struct boot_module *m = &boot_info.modules[i];
        uint64_t first = m->start & ~(PAGE_SIZE - 1), end = (m->end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        for (uint64_t pa = first; pa < end; pa += PAGE_SIZE)
            if (pd_map(pd, va + (pa - first), pa, DJ_MEM_R) != DJ_OK)
                return DJ_E_QUOTA;
        struct dj_boot_module *d = &bi->modules[bi->module_count++];
        d->va = va + (m->start - first);
        d->size = m->end - m->start;
        memcpy(d->cmdline, m->cmdline, DJ_MODULE_CMDLINE - 1);
        va += end - first + PAGE_SIZE;
    }
    return DJ_OK;
}

static int give_bootinfo(struct pd *pd)
{
    struct dj_bootinfo *bi;
    int st = map_fresh(pd, ROOT_BOOTINFO_VA, DJ_MEM_R, (void **)&bi);
    if (st != DJ_OK)
        return st;
    bi->magic = DJ_BOOTINFO_MAGIC;
    bi->cpu_count = cpus_online;
    bi->pci_ecam_base = acpi.mcfg_base;
    bi->pci_ecam_bus_start = acpi.mcfg_bus_start;
    bi->pci_ecam_bus_end = acpi.mcfg_bus_end;
    bi->tsc_hz = timer_tsc_hz();
    bi->virt = virt_kind;
    memcpy(bi->cmdline, boot_info.cmdline, DJ_BOOTINFO_CMDLINE - 1);
    return map_modules(pd, bi);
}

static int grant(struct pd *pd, uint64_t sel, struct kobj *o)
{
    struct mdb_node *n = pd_node_alloc(pd);
    if (!n || capspace_insert(&pd->caps, sel, o, (enum dj_obj_type)o->type, DJ_OBJ_ALL) != DJ_OK)
        return DJ_E_QUOTA;
    mdb_node_init(n, &pd->caps, DJ_CRD_OBJ, sel, 0, DJ_OBJ_ALL, (uint64_t)o);
    capspace_lookup(&pd->caps, sel, DJ_OBJ_NONE, 0)->node = n;
    kobj_get(o);
    return DJ_OK;
}

/* Every interrupt line an IOAPIC has, at DJ_SEL_IRQ_BASE + GSI. */
static int grant_irqs(struct pd *pd)
{
    for (uint32_t gsi = 0; gsi < IRQ_MAX_GSI; gsi++) {
        struct irq_line *l = irq_line(gsi);
        if (l && grant(pd, DJ_SEL_IRQ_BASE + gsi, &l->obj) != DJ_OK)
            return DJ_E_QUOTA;
    }
    return DJ_OK;
}

/* Every MSI vector, at DJ_SEL_MSI_BASE + n, and the device memory. */
static int grant_devices(struct pd *pd)
{
    for (unsigned n = 0; n < DJ_MSI_COUNT; n++)
        if (grant(pd, DJ_SEL_MSI_BASE + n, &irq_msi(n)->obj) != DJ_OK)
            return DJ_E_QUOTA;
    return grant(pd, DJ_SEL_DEVMEM, &devmem_object);
}

static int build_root(const struct boot_module *m, struct ec **out)
{
    const void *image = phys_to_virt(m->start);
    struct elf_info info;
    enum elf_error e = elf_validate(image, m->end - m->start, &info);
    if (e != ELF_OK) {
        kprintf("root: module 'sigma0' is not a loadable ELF: %s\n", elf_strerror(e));
        return DJ_E_BAD_PARAM;
    }
    uint64_t frames = frame_free_count();
    quota_init_root(&root_quota, frames > ROOT_KERNEL_RESERVE ? frames - ROOT_KERNEL_RESERVE : 0);
    struct pd *pd = pd_create(&root_quota, quota_available(&root_quota) - 64, DJ_PRIO_MAX, false);
    uint64_t pool = 0;
    int st = pd ? load_elf(pd, image, &info) : DJ_E_QUOTA;
    if (st == DJ_OK)
        st = give_stack_and_pool(pd, &pool);
    if (st == DJ_OK)
        st = give_bootinfo(pd);
    if (st == DJ_OK) /* [helper H] all I/O ports, as an mdb root it can delegate and revoke */
        st = pd_grant_io(pd, 0, IOSPACE_PORT_BITS);
    struct ec *ec = st == DJ_OK ? ec_create(pd, pd, 0, true, ROOT_UTCB_VA, ROOT_STACK_TOP, 0, &st) : 0;
    struct sc *sc = ec ? sc_create(&pd->quota, ec, DJ_ROOT_PRIO, ROOT_QUANTUM_TICKS) : 0;
    if (!sc)
        return st != DJ_OK ? st : DJ_E_QUOTA;
    if (grant(pd, DJ_SEL_SELF_PD, &pd->obj) || grant(pd, DJ_SEL_SELF_EC, &ec->obj) ||
        grant(pd, DJ_SEL_SELF_SC, &sc->obj) || grant(pd, DJ_SEL_DEBUG, &debug_object) || grant_irqs(pd) ||
        grant_devices(pd))
        return DJ_E_QUOTA;
    ec->sc = sc;
    ec->frame.rip = info.entry;
    /* The start message: where the root's free memory pool is. */
    ec->utcb->words[0] = ROOT_POOL_VA;
    ec->utcb->words[1] = pool;
    ec->utcb->words[2] = ROOT_BOOTINFO_VA;
    ec->utcb->mtd = DJ_MTD(3, 0);
    ec->state = EC_READY;
    kprintf("root: sigma0 loaded, entry %#llx, %llu pool pages at %#llx, quota %llu pages\n",
            (unsigned long long)info.entry, (unsigned long long)pool, (unsigned long long)ROOT_POOL_VA,
            (unsigned long long)quota_available(&pd->quota));
    *out = ec;
    root_ec = ec;
    return DJ_OK;
}

bool root_start(void)
{
    const struct boot_module *m = find_module("sigma0");
    if (!m)
        return false;
    struct ec *ec;
    int st = build_root(m, &ec);
    if (st != DJ_OK) {
        kprintf("root: cannot start sigma0 (error %d)\n", st);
        return false;
    }
    scheduler_enable();
    sched_enqueue(ec->sc);
    return true;
}

void root_ec_killed(struct ec *ec)
{
    if (ec != root_ec || !kernel_test_mode)
        return;
    /* The root's tests cannot finish: say so and end the run now. */
    struct ktest_totals t = kernel_test_totals;
    kprintf("FAIL root_pd_tests: the root EC was killed before its tests finished\n");
    kprintf("%u passed, %u failed, %u skipped\n", t.passed, t.failed + 1, t.skipped);
    acpi_poweroff();
}
