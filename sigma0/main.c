/* SPDX-License-Identifier: GPL-2.0-only */
/* sigma0, the root PD. It starts with the free-memory pool, the boot
 * information and the boot modules (abi.h: "What the root PD finds at
 * start") and hands them out: it loads the module named "init" into a new
 * PD and serves that PD for good as
 *   - its startup handler (entry point and stack),
 *   - its pager: a page fault inside init's heap window gets a fresh pool
 *     page; any other fault or exception is reported and kills the thread,
 *   - its memory server: the "mem" portal (lib/proto.h DJ_MEM_OP_ALLOC)
 *     gives pool pages as typed memory items.
 * init also gets the boot information and the modules read-only, the
 * kernel debug capability, every interrupt line and MSI capability, the
 * device-memory capability and (when the kernel can delegate them) all I/O
 * ports. sigma0's main EC then blocks for good; the handler ECs run on
 * init's time (time donation). */
#include <stdbool.h>
#include <stdint.h>
#include "lib/component.h"
#include "lib/elfload.h"
#include "lib/proto.h"
#include "lib/server.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"

#define PAGE 4096ull
#define PAGE_SHIFT 12
#define START_POOL_VA 0
#define START_POOL_PAGES 1
#define START_BOOTINFO 2
#define START_WORDS 3

/* sigma0's own selectors. */
#define SEL_INIT_PD (DJ_SEL_FIRST_FREE + 0)
#define SEL_INIT_EC (DJ_SEL_FIRST_FREE + 1)
#define SEL_INIT_SC (DJ_SEL_FIRST_FREE + 2)
#define SEL_EVENT_EC (DJ_SEL_FIRST_FREE + 3)
#define SEL_MEM_EC (DJ_SEL_FIRST_FREE + 4)
#define SEL_MEM_PT (DJ_SEL_FIRST_FREE + 5)
#define SEL_SLEEP_SM (DJ_SEL_FIRST_FREE + 6)
#define SEL_EVENT_PT_BASE (DJ_SEL_FIRST_FREE + 32) /* + vector */

/* Where sigma0 puts its handler ECs' UTCBs (nothing else lives there). */
#define EVENT_UTCB_VA 0x7ff000000000ull
#define MEM_UTCB_VA 0x7ff000002000ull
#define HANDLER_STACK_BYTES 8192

/* What init gets. */
#define INIT_MODULE "init"
#define INIT_BADGE 1
#define INIT_QUOTA_PAGES 8192 /* kernel memory for init and all it creates */
/* With a boot module named VMM_MODULE init may start VMs, whose guest RAM
 * is charged to quota too: init then gets all of sigma0's free quota but
 * SIGMA0_RESERVE_PAGES (docs/vmm.md). */
#define VMM_MODULE "vmm"
#define SIGMA0_RESERVE_PAGES 2048
#define INIT_HEAP_PAGES 1024  /* demand-paged heap window */
#define INIT_PRIO 60
#define INIT_QUANTUM_US 10000
#define INIT_SEL_MEM DJ_CHILD_FIRST_GRANT
#define IO_ALL_ORDER 16 /* 2^16 ports */
#define IO_PORT_MAX 0xffff

/* Exceptions init's threads get portals for: the rest the kernel reports
 * and kills by itself (no portal). */
#define VEC_DE 0
#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14
#define PF_ERR_PRESENT 1u /* the fault hit a mapped page (a rights violation) */
/* A non-canonical RIP in a fault reply makes the kernel kill the thread. */
#define KILL_RIP 0x8000000000000000ull

static uint64_t pool_va, pool_pages, pool_used;
static const struct dj_bootinfo *bootinfo;
static uint64_t init_entry, init_heap_faults, init_mem_pages;
static uint64_t event_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint64_t mem_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

/* n fresh (zero) pool pages; sigma0 never frees, so pages are never reused. */
static void *pool_take(uint64_t n)
{
    if (n > pool_pages - pool_used)
        return NULL;
    void *p = (void *)(uintptr_t)(pool_va + pool_used * PAGE);
    pool_used += n;
    return p;
}

static void *loader_pages(void *ctx, uint64_t n)
{
    (void)ctx;
    return pool_take(n);
}

/* ---- Init's events: startup, heap faults, fatal exceptions -------------- */

static uint64_t kill_init_thread(struct dj_utcb *u, const char *what)
{
    printf("sigma0: init killed: %s (vector %lu, rip %#lx, address %#lx)\n", what, (unsigned long)u->arch.vector,
           (unsigned long)u->arch.rip, (unsigned long)u->arch.fault_addr);
    u->arch.rip = KILL_RIP;
    return DJ_MTD(0, 0);
}

static bool in_heap_window(uint64_t addr)
{
    return addr >= DJ_CHILD_HEAP_VA && addr - DJ_CHILD_HEAP_VA < INIT_HEAP_PAGES * PAGE;
}

static uint64_t page_fault(struct dj_utcb *u)
{
    uint64_t addr = u->arch.fault_addr;
    if (!in_heap_window(addr) || (u->arch.error_code & PF_ERR_PRESENT))
        return kill_init_thread(u, "page fault outside its heap");
    void *page = pool_take(1);
    if (!page)
        return kill_init_thread(u, "page fault: the pool is empty");
    enum dj_status st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_MEM, (uint64_t)(uintptr_t)page >> PAGE_SHIFT, 0,
                                                          DJ_MEM_R | DJ_MEM_W), addr >> PAGE_SHIFT);
    if (st != DJ_OK)
        return kill_init_thread(u, "page fault: mapping the heap page failed");
    init_heap_faults++;
    return DJ_MTD(0, 0);
}

/* One handler EC serves every event portal of init; the kernel puts the
 * event's vector (DJ_EV_STARTUP for the startup event) into arch.vector. */
static uint64_t event_handler(uint64_t badge, struct dj_utcb *u)
{
    if (badge != INIT_BADGE)
        return kill_init_thread(u, "event from an unknown badge");
    switch (u->arch.vector) {
    case DJ_EV_STARTUP:
        u->arch.rip = init_entry;
        u->arch.rsp = DJ_CHILD_STACK_TOP;
        return DJ_MTD(0, 0);
    case VEC_PF:
        return page_fault(u);
    default:
        return kill_init_thread(u, "exception");
    }
}

/* ---- The memory portal --------------------------------------------------- */

static uint64_t mem_reply(struct dj_utcb *u, enum dj_status st, uint64_t pages, unsigned items)
{
    u->words[0] = st;
    u->words[1] = pages;
    return DJ_MTD(DJ_MEM_REPLY_WORDS, items);
}

/* The request is init's: every field is checked before anything is given. */
static enum dj_status mem_check(uint64_t badge, const struct dj_utcb *u)
{
    if (badge != INIT_BADGE || u->mtd != DJ_MTD(DJ_MEM_REQ_WORDS, 0) || u->words[0] != DJ_MEM_OP_ALLOC)
        return DJ_E_BAD_PARAM;
    uint64_t n = u->words[1], va = u->words[2], rights = u->words[3];
    if (!(rights & DJ_MEM_R) || (rights & ~(uint64_t)DJ_MEM_ALL))
        return DJ_E_BAD_PARAM;
    if (n == 0 || n > DJ_MEM_REQ_MAX_PAGES || (va & (PAGE - 1)) || va == 0 || va >= DJ_CHILD_STACK_TOP ||
        n > (DJ_CHILD_STACK_TOP - va) / PAGE)
        return DJ_E_BAD_PARAM;
    return n > pool_pages - pool_used ? DJ_E_QUOTA : DJ_OK;
}

/* n pages as typed items, one per set bit of n (largest first), each a
 * contiguous run of pool pages landing contiguously at the destination. */
static unsigned mem_items(struct dj_utcb *u, uint64_t src_page, uint64_t dst_page, uint64_t n, unsigned rights)
{
    unsigned count = 0;
    for (unsigned order = 0; (1ull << order) <= n; order++)
        count += (n >> order) & 1;
    struct dj_typed_item *items = dj_utcb_typed(u, count);
    unsigned i = 0;
    for (int order = 63; order >= 0; order--) {
        if (!((n >> order) & 1))
            continue;
        items[i].crd = DJ_CRD(DJ_CRD_MEM, src_page, (unsigned)order, rights);
        items[i].hotspot = dst_page;
        src_page += 1ull << order;
        dst_page += 1ull << order;
        i++;
    }
    return count;
}

static uint64_t mem_handler(uint64_t badge, struct dj_utcb *u)
{
    enum dj_status st = mem_check(badge, u);
    if (st != DJ_OK)
        return mem_reply(u, st, 0, 0);
    uint64_t n = u->words[1], dst_page = u->words[2] >> PAGE_SHIFT;
    unsigned rights = (unsigned)u->words[3];
    void *pages = pool_take(n);
    init_mem_pages += n;
    unsigned items = mem_items(u, (uint64_t)(uintptr_t)pages >> PAGE_SHIFT, dst_page, n, rights);
    return mem_reply(u, DJ_OK, n, items);
}

/* ---- Building init ------------------------------------------------------- */

static enum dj_status server(uint64_t ec, uint64_t utcb_va, void *stack, dj_handler_fn fn, uint64_t pt,
                             uint64_t mtd)
{
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = ec, .pt_sel = pt, .cpu = dj_boot_cpu, .utcb_va = utcb_va,
        .stack = stack, .stack_size = HANDLER_STACK_BYTES, .mtd = mtd, .badge = INIT_BADGE, .handler = fn,
    };
    return dj_server_create(&s);
}

/* Another portal to an existing handler EC, badged, handed to init. */
static enum dj_status event_portal(unsigned vector, uint64_t mtd)
{
    uint64_t sel = SEL_EVENT_PT_BASE + vector;
    enum dj_status st = dj_create_pt(sel, DJ_SEL_SELF_PD, SEL_EVENT_EC, mtd, (uint64_t)(uintptr_t)dj_portal_entry);
    if (st == DJ_OK)
        st = dj_pt_ctrl(sel, INIT_BADGE);
    if (st == DJ_OK)
        st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_OBJ, sel, 0, DJ_PT_CALL), DJ_CHILD_EVENT_BASE + vector);
    return st;
}

static enum dj_status give_portals(void)
{
    enum dj_status st = server(SEL_EVENT_EC, EVENT_UTCB_VA, event_stack, event_handler,
                               SEL_EVENT_PT_BASE + DJ_EV_STARTUP, DJ_MTD_RIP_RSP);
    if (st == DJ_OK)
        st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_OBJ, SEL_EVENT_PT_BASE + DJ_EV_STARTUP, 0, DJ_PT_CALL),
                         DJ_CHILD_EVENT_BASE + DJ_EV_STARTUP);
    static const unsigned fatal[] = {VEC_DE, VEC_UD, VEC_GP, VEC_PF};
    for (unsigned i = 0; st == DJ_OK && i < sizeof(fatal) / sizeof(fatal[0]); i++)
        st = event_portal(fatal[i], DJ_MTD_QUAL | DJ_MTD_RIP_RSP);
    if (st == DJ_OK)
        st = server(SEL_MEM_EC, MEM_UTCB_VA, mem_stack, mem_handler, SEL_MEM_PT, 0);
    if (st == DJ_OK)
        st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_OBJ, SEL_MEM_PT, 0, DJ_PT_CALL), INIT_SEL_MEM);
    return st;
}

/* The boot information page and every module's pages, read-only, at the
 * addresses sigma0 has them, so the page's module addresses hold for init. */
static enum dj_status give_boot_info(void)
{
    enum dj_status st = dj_map_into(SEL_INIT_PD, bootinfo, (uint64_t)(uintptr_t)bootinfo, 1, DJ_MEM_R);
    for (uint32_t i = 0; st == DJ_OK && i < bootinfo->module_count && i < DJ_BOOTINFO_MAX_MODULES; i++) {
        const struct dj_boot_module *m = &bootinfo->modules[i];
        uint64_t first = m->va & ~(PAGE - 1), end = (m->va + m->size + PAGE - 1) & ~(PAGE - 1);
        st = dj_map_into(SEL_INIT_PD, (const void *)(uintptr_t)first, first, (end - first) / PAGE, DJ_MEM_R);
    }
    return st;
}

static enum dj_status give_start_info(bool io_granted)
{
    struct dj_start_info *si = pool_take(1);
    if (!si)
        return DJ_E_QUOTA;
    si->magic = DJ_START_MAGIC;
    memcpy(si->name, INIT_MODULE, sizeof(INIT_MODULE));
    si->id = INIT_BADGE;
    si->heap_va = DJ_CHILD_HEAP_VA;
    si->heap_pages = INIT_HEAP_PAGES;
    si->bootinfo_va = (uint64_t)(uintptr_t)bootinfo;
    si->ncaps = 1;
    memcpy(si->caps[0].name, "mem", sizeof("mem"));
    si->caps[0].sel = INIT_SEL_MEM;
    si->nio = 1;
    si->io[0] = (struct dj_start_io){0, IO_PORT_MAX, io_granted};
    return dj_map_into(SEL_INIT_PD, si, DJ_START_INFO_VA, 1, DJ_MEM_R);
}

/* All I/O ports, if the kernel delegates them yet; init passes ranges on. */
static bool give_io_ports(void)
{
    enum dj_status st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_IO, 0, IO_ALL_ORDER, DJ_IO_ACCESS), 0);
    if (st != DJ_OK)
        printf("sigma0: I/O ports not delegated to init (status %d): the kernel refused DJ_CRD_IO\n", st);
    return st == DJ_OK;
}

#define IRQ_CAPS_ORDER 8 /* 256 selectors from DJ_SEL_IRQ_BASE: every line there is */
#define MSI_CAPS_ORDER 6 /* DJ_MSI_COUNT selectors from DJ_SEL_MSI_BASE */
_Static_assert(1u << MSI_CAPS_ORDER == DJ_MSI_COUNT, "one delegation hands over every MSI capability");

static enum dj_status give_caps(void)
{
    enum dj_status st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_OBJ, SEL_INIT_PD, 0, DJ_PD_CREATE | DJ_PD_DELEGATE),
                                    DJ_SEL_SELF_PD);
    if (st == DJ_OK)
        st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_OBJ, DJ_SEL_DEBUG, 0, DJ_OBJ_ALL), DJ_SEL_DEBUG);
    /* Every interrupt line, MSI and device memory, at the same selectors:
     * init grants them on (empty selectors of a kernel without them are
     * skipped by the delegation; init looks before it grants). */
    if (st == DJ_OK)
        st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_OBJ, DJ_SEL_IRQ_BASE, IRQ_CAPS_ORDER, DJ_OBJ_ALL), DJ_SEL_IRQ_BASE);
    if (st == DJ_OK)
        st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_OBJ, DJ_SEL_MSI_BASE, MSI_CAPS_ORDER, DJ_OBJ_ALL), DJ_SEL_MSI_BASE);
    if (st == DJ_OK)
        st = dj_delegate(SEL_INIT_PD, DJ_CRD(DJ_CRD_OBJ, DJ_SEL_DEVMEM, 0, DJ_OBJ_ALL), DJ_SEL_DEVMEM);
    return st;
}

static enum dj_status give_stack(void)
{
    void *stack = pool_take(DJ_CHILD_STACK_PAGES);
    if (!stack)
        return DJ_E_QUOTA;
    return dj_map_into(SEL_INIT_PD, stack, DJ_CHILD_STACK_TOP - DJ_CHILD_STACK_PAGES * PAGE, DJ_CHILD_STACK_PAGES,
                       DJ_MEM_R | DJ_MEM_W);
}

static enum dj_status load_init(const struct dj_boot_module *m)
{
    struct dj_loader l = {.pd_sel = SEL_INIT_PD, .pages = loader_pages};
    const char *why = "";
    enum dj_status st = dj_elf_load(&l, (const void *)(uintptr_t)m->va, m->size, &init_entry, &why);
    if (st != DJ_OK)
        printf("sigma0: module '%s' not loaded: %s\n", INIT_MODULE, why);
    return st;
}

static uint64_t init_quota(void)
{
    uint64_t free_pages = 0, limit = 0;
    if (!dj_boot_module(bootinfo, VMM_MODULE) || dj_pd_quota(DJ_SEL_SELF_PD, &free_pages, &limit) != DJ_OK ||
        free_pages < INIT_QUOTA_PAGES + SIGMA0_RESERVE_PAGES)
        return INIT_QUOTA_PAGES;
    printf("sigma0: a VMM is on board: init gets %lu pages of quota for its VMs\n",
           (unsigned long)(free_pages - SIGMA0_RESERVE_PAGES));
    return free_pages - SIGMA0_RESERVE_PAGES;
}

static enum dj_status start_init(void)
{
    const struct dj_boot_module *m = dj_boot_module(bootinfo, INIT_MODULE);
    if (!m) {
        printf("sigma0: no boot module named '%s': nothing to start\n", INIT_MODULE);
        return DJ_E_BAD_PARAM;
    }
    enum dj_status st = dj_create_pd(SEL_INIT_PD, DJ_SEL_SELF_PD, init_quota());
    if (st == DJ_OK)
        st = load_init(m);
    if (st == DJ_OK)
        st = give_stack();
    if (st == DJ_OK)
        st = give_caps();
    if (st == DJ_OK)
        st = give_boot_info();
    if (st == DJ_OK)
        st = give_start_info(give_io_ports());
    if (st == DJ_OK)
        st = give_portals();
    if (st == DJ_OK)
        st = dj_create_ec(SEL_INIT_EC, SEL_INIT_PD, dj_boot_cpu, DJ_CHILD_UTCB_VA, 0, DJ_CHILD_EVENT_BASE, true);
    if (st == DJ_OK)
        st = dj_create_sc(SEL_INIT_SC, SEL_INIT_PD, SEL_INIT_EC, INIT_PRIO, INIT_QUANTUM_US);
    return st;
}

/* The kernel's start message; false when there is none (under usersim). */
static bool read_start_message(void)
{
    struct dj_utcb *u = dj_utcb();
    if (DJ_MTD_UNTYPED(u->mtd) < START_WORDS)
        return false;
    pool_va = u->words[START_POOL_VA];
    pool_pages = u->words[START_POOL_PAGES];
    bootinfo = (const struct dj_bootinfo *)(uintptr_t)u->words[START_BOOTINFO];
    return bootinfo && bootinfo->magic == DJ_BOOTINFO_MAGIC;
}

int main(void)
{
    dj_debug_puts("sigma0: hello\n");
    if (!read_start_message()) {
        /* Only a host emulation starts sigma0 without one (usersim). */
        puts("sigma0: no start message from the kernel: nothing to hand out");
        return 0;
    }
    printf("sigma0: pool of %lu pages at %#lx, %u boot modules\n", (unsigned long)pool_pages,
           (unsigned long)pool_va, (unsigned)bootinfo->module_count);
    enum dj_status st = start_init();
    if (st != DJ_OK)
        printf("sigma0: cannot start init (status %d)\n", st);
    else
        printf("sigma0: init started (%lu pool pages used)\n", (unsigned long)pool_used);
    /* Blocked, not spinning: nothing else may run otherwise. */
    dj_block_forever(SEL_SLEEP_SM);
}
