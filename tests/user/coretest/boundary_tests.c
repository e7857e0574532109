/* SPDX-License-Identifier: GPL-2.0-only */
/* Limits at their exact edges (the last valid and the first invalid value)
 * and exact checks of what a call maps: no page more, no page less. Each
 * test here kills mutants of `make mutate` (docs/mutation.md) that the
 * broader tests let through: a flipped comparison at a limit, an error
 * return turned into success. */
#include <stdbool.h>
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define USER_TOP 0x800000000000ull /* end of the user half (docs/abi.md) */
#define TOP_PAGE_VA (USER_TOP - UTEST_PAGE)
#define BIOS_AREA 0xf0000ull        /* firmware ROM window: device memory on every PC */
#define PCI_HOLE 0xd0000000ull      /* below 4 GiB, never RAM with the test ISO's 256 MiB */
#define DEVMEM_MAX_ORDER 10         /* DJ_SYS_MMIO_MAP: 4 MiB a call */
#define MEM_ALLOC_MAX_ORDER 18      /* DJ_SYS_MEM_ALLOC: 1 GiB a call */
#define IO_PORTS 0x10000ull
#define IO_MAX_ORDER 16
#define ROOT_STACK_TOP 0x7fff00000000ull /* the root's initial stack ends here */
#define ROOT_STACK_PAGES 16

static bool mapped(uint64_t va)
{
    return dj_mem_phys(va, 0, 0) == DJ_OK;
}

static bool unmap(uint64_t va, unsigned order)
{
    return dj_revoke(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, order, DJ_MEM_ALL), true) == DJ_OK;
}

/* Two pages at a place not aligned to their size go page by page: exactly
 * those two pages, at the right frames, and not the page after. */
UTEST(boundary_mmio_map_pagewise_maps_exact_range)
{
    uint64_t va = utest_va(4) + UTEST_PAGE, phys = BIOS_AREA + UTEST_PAGE, pa = 0;
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, va, phys, 1, DJ_MEM_R, DJ_CACHE_UC) == DJ_OK, "map failed");
    for (unsigned i = 0; i < 2; i++) {
        UTEST_REQUIRE(dj_mem_phys(va + i * UTEST_PAGE, &pa, 0) == DJ_OK && pa == phys + i * UTEST_PAGE,
                      "page %u at %#llx", i, (unsigned long long)pa);
        (void)*(volatile uint32_t *)(va + i * UTEST_PAGE); /* a fault here fails the run */
    }
    UTEST_REQUIRE(!mapped(va - UTEST_PAGE), "the page before the range was mapped");
    UTEST_REQUIRE(!mapped(va + 2 * UTEST_PAGE), "the page after the range was mapped");
    return true;
}

/* The same for a range aligned to its size (one node, large pages when
 * they fit). */
UTEST(boundary_mmio_map_aligned_maps_exact_range)
{
    uint64_t span = 4 * UTEST_PAGE, va = (utest_va(12) + span - 1) & ~(span - 1);
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, va, BIOS_AREA, 2, DJ_MEM_R, DJ_CACHE_UC) == DJ_OK, "map failed");
    for (unsigned i = 0; i < 4; i++)
        UTEST_REQUIRE(mapped(va + i * UTEST_PAGE), "page %u missing", i);
    UTEST_REQUIRE(!mapped(va + span), "the page after the range was mapped");
    UTEST_REQUIRE(!mapped(va - UTEST_PAGE), "the page before the range was mapped");
    return true;
}

/* The largest order is accepted (4 MiB of the PCI hole), one more is not. */
UTEST(boundary_mmio_map_largest_order)
{
    uint64_t span = UTEST_PAGE << DEVMEM_MAX_ORDER, va = (utest_va(3 * 1024) + span - 1) & ~(span - 1);
    enum dj_status st = dj_mmio_map(DJ_SEL_DEVMEM, va, PCI_HOLE, DEVMEM_MAX_ORDER, DJ_MEM_R, DJ_CACHE_UC);
    UTEST_REQUIRE(st == DJ_OK, "order %u refused (status %d)", DEVMEM_MAX_ORDER, st);
    UTEST_REQUIRE(mapped(va + span - UTEST_PAGE) && !mapped(va + span), "not exactly 4 MiB mapped");
    UTEST_REQUIRE(unmap(va, DEVMEM_MAX_ORDER), "unmap");
    st = dj_mmio_map(DJ_SEL_DEVMEM, va, PCI_HOLE, DEVMEM_MAX_ORDER + 1, DJ_MEM_R, DJ_CACHE_UC);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "order %u gave status %d", DEVMEM_MAX_ORDER + 1, st);
    UTEST_REQUIRE(!mapped(va), "a refused call mapped something");
    return true;
}

/* The last page of the user half can be mapped; a range that reaches past
 * it, or one that starts at its end, cannot. */
UTEST(boundary_mmio_map_user_top)
{
    enum dj_status st = dj_mmio_map(DJ_SEL_DEVMEM, USER_TOP, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "va USER_TOP gave status %d", st);
    st = dj_mmio_map(DJ_SEL_DEVMEM, TOP_PAGE_VA, BIOS_AREA, 1, DJ_MEM_R, DJ_CACHE_UC);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "two pages from the last page gave status %d", st);
    st = dj_mmio_map(DJ_SEL_DEVMEM, TOP_PAGE_VA - UTEST_PAGE, BIOS_AREA, 1, DJ_MEM_R, DJ_CACHE_UC);
    UTEST_REQUIRE(st == DJ_OK, "the last two pages refused (status %d)", st);
    UTEST_REQUIRE(mapped(TOP_PAGE_VA) && mapped(TOP_PAGE_VA - UTEST_PAGE), "the last two pages are not mapped");
    UTEST_REQUIRE(!mapped(TOP_PAGE_VA - 2 * UTEST_PAGE), "a page below the range was mapped");
    UTEST_REQUIRE(unmap(TOP_PAGE_VA - UTEST_PAGE, 1), "unmap"); /* one node: aligned to its size */
    UTEST_REQUIRE(!mapped(TOP_PAGE_VA), "the last page stayed mapped");
    return true;
}

UTEST(boundary_mem_alloc_user_top)
{
    enum dj_status st = dj_mem_alloc(USER_TOP, 0, DJ_MEM_R);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "va USER_TOP gave status %d", st);
    st = dj_mem_alloc(TOP_PAGE_VA, 0, DJ_MEM_R | DJ_MEM_W);
    UTEST_REQUIRE(st == DJ_OK, "the last page refused (status %d)", st);
    *(volatile uint64_t *)TOP_PAGE_VA = 1;
    UTEST_REQUIRE(!mapped(TOP_PAGE_VA - UTEST_PAGE), "the page below was mapped too");
    UTEST_REQUIRE(unmap(TOP_PAGE_VA, 0), "unmap");
    return true;
}

/* The largest order passes the argument checks (and then needs 1 GiB of
 * quota, which the test root does not have); one more is a bad parameter. */
UTEST(boundary_mem_alloc_largest_order)
{
    uint64_t free_pages = 0, limit = 0;
    UTEST_REQUIRE(dj_pd_quota(DJ_SEL_SELF_PD, &free_pages, &limit) == DJ_OK, "quota");
    uint64_t span = UTEST_PAGE << MEM_ALLOC_MAX_ORDER, va = 0x400000000000ull;
    enum dj_status st = dj_mem_alloc(va, MEM_ALLOC_MAX_ORDER, DJ_MEM_R);
    if (free_pages < (1ull << MEM_ALLOC_MAX_ORDER))
        UTEST_REQUIRE(st == DJ_E_QUOTA, "order %u with %llu free pages gave status %d", MEM_ALLOC_MAX_ORDER,
                      (unsigned long long)free_pages, st);
    else
        UTEST_REQUIRE(st == DJ_OK && unmap(va, MEM_ALLOC_MAX_ORDER), "order %u gave status %d",
                      MEM_ALLOC_MAX_ORDER, st);
    UTEST_REQUIRE(!mapped(va) && !mapped(va + span - UTEST_PAGE), "a refused allocation left pages");
    st = dj_mem_alloc(va, MEM_ALLOC_MAX_ORDER + 1, DJ_MEM_R);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "order %u gave status %d", MEM_ALLOC_MAX_ORDER + 1, st);
    return true;
}

/* An allocation of 2^order pages maps exactly that many. */
UTEST(boundary_mem_alloc_maps_exact_range)
{
    uint64_t va = utest_va(8);
    UTEST_REQUIRE(dj_mem_alloc(va + UTEST_PAGE, 1, DJ_MEM_R) == DJ_OK, "unaligned two pages");
    UTEST_REQUIRE(!mapped(va) && mapped(va + UTEST_PAGE) && mapped(va + 2 * UTEST_PAGE) && !mapped(va + 3 * UTEST_PAGE),
                  "not exactly the two pages");
    UTEST_REQUIRE(dj_mem_alloc(va + 4 * UTEST_PAGE, 2, DJ_MEM_R) == DJ_OK, "four aligned pages");
    for (unsigned i = 4; i < 8; i++)
        UTEST_REQUIRE(mapped(va + i * UTEST_PAGE), "page %u missing", i);
    UTEST_REQUIRE(!mapped(va + 8 * UTEST_PAGE), "the page after was mapped");
    return true;
}

/* I/O ports: the last port and the whole space are valid; the first port
 * past it, an order too large and a base not aligned to the order are not. */
UTEST(boundary_port_delegation_limits)
{
    uint64_t child = utest_selector();
    UTEST_REQUIRE(dj_create_pd(child, DJ_SEL_SELF_PD, 64) == DJ_OK, "child PD");
    struct {
        uint64_t base;
        unsigned order;
        enum dj_status want;
    } cases[] = {
        {IO_PORTS - 1, 0, DJ_OK},
        {IO_PORTS, 0, DJ_E_BAD_PARAM},
        {0x3f9, 1, DJ_E_BAD_PARAM},   /* misaligned: 0x3f9 is odd */
        {0x3f8, 3, DJ_OK},            /* aligned to eight ports */
        {0x3fc, 3, DJ_E_BAD_PARAM},   /* aligned to four, not to eight */
        {0, IO_MAX_ORDER + 1, DJ_E_BAD_PARAM},
        {0, IO_MAX_ORDER, DJ_OK},
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum dj_status st =
            dj_delegate(child, DJ_CRD(DJ_CRD_IO, cases[i].base, cases[i].order, DJ_IO_ACCESS), 0);
        UTEST_REQUIRE(st == cases[i].want, "case %u (port %#llx order %u): status %d, expected %d", i,
                      (unsigned long long)cases[i].base, cases[i].order, st, cases[i].want);
    }
    UTEST_REQUIRE(dj_pd_kill(child) == DJ_OK, "kill");
    return true;
}

/* The root's stack: exactly ROOT_STACK_PAGES pages below its top. */
UTEST(boundary_root_stack_pages)
{
    uint64_t lowest = ROOT_STACK_TOP - ROOT_STACK_PAGES * UTEST_PAGE;
    UTEST_REQUIRE(mapped(lowest), "the lowest stack page is not mapped");
    UTEST_REQUIRE(mapped(ROOT_STACK_TOP - UTEST_PAGE), "the top stack page is not mapped");
    UTEST_REQUIRE(!mapped(lowest - UTEST_PAGE), "a page below the stack is mapped");
    UTEST_REQUIRE(!mapped(ROOT_STACK_TOP), "the page above the stack is mapped");
    return true;
}

/* Revocation ranges: the last port and the last user page are inside their
 * spaces, the first one past them is not. */
UTEST(boundary_revoke_space_edges)
{
    uint64_t user_pages = USER_TOP / UTEST_PAGE;
    enum dj_status st = dj_revoke(DJ_CRD(DJ_CRD_IO, IO_PORTS - 1, 0, DJ_IO_ACCESS), false);
    UTEST_REQUIRE(st == DJ_OK, "revoking from the last port gave status %d", st);
    st = dj_revoke(DJ_CRD(DJ_CRD_IO, IO_PORTS - 2, 1, DJ_IO_ACCESS), false);
    UTEST_REQUIRE(st == DJ_OK, "revoking from the last two ports gave status %d", st);
    st = dj_revoke(DJ_CRD(DJ_CRD_IO, IO_PORTS - 1, 1, DJ_IO_ACCESS), false);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "two ports from the last one gave status %d", st);
    st = dj_revoke(DJ_CRD(DJ_CRD_MEM, user_pages - 1, 0, DJ_MEM_W), false);
    UTEST_REQUIRE(st == DJ_OK, "revoking from the last user page gave status %d", st);
    st = dj_revoke(DJ_CRD(DJ_CRD_MEM, user_pages - 1, 1, DJ_MEM_W), false);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "two pages from the last one gave status %d", st);
    st = dj_revoke(DJ_CRD(DJ_CRD_MEM, user_pages, 0, DJ_MEM_W), false);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "the first kernel page gave status %d", st);
    return true;
}

/* A PD whose quota is used up by its own creation cannot take a delegated
 * page (the mapping-database node needs quota): DJ_E_QUOTA, and nothing
 * is mapped in it. */
UTEST(boundary_delegation_into_exhausted_quota)
{
    uint64_t child = 0, free_pages = 1, limit = 0;
    for (uint64_t q = 1; q <= 256 && !child; q++) {
        uint64_t sel = utest_selector();
        if (dj_create_pd(sel, DJ_SEL_SELF_PD, q) == DJ_OK)
            child = sel;
    }
    UTEST_REQUIRE(child, "no child PD with up to 256 pages of quota");
    UTEST_REQUIRE(dj_pd_quota(child, &free_pages, &limit) == DJ_OK, "quota");
    UTEST_REQUIRE(free_pages == 0, "the smallest PD has %llu pages free", (unsigned long long)free_pages);
    uint64_t va = utest_va(1);
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "page");
    enum dj_status st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_R), va / UTEST_PAGE);
    UTEST_REQUIRE(st == DJ_E_QUOTA, "delegation into a PD without quota gave status %d", st);
    UTEST_REQUIRE(dj_pd_kill(child) == DJ_OK, "kill");
    return true;
}

/* Interrupt lines and MSIs: every error return of DJ_SYS_IRQ_CTRL that
 * irq_ctrl_bad_arguments_refused does not reach. */
UTEST(boundary_irq_ctrl_error_returns)
{
    uint64_t sm = utest_selector(), line = DJ_SEL_IRQ_BASE + 8; /* the RTC's GSI */
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore");
    enum dj_status st = dj_irq_ctrl(DJ_SEL_MSI_BASE, DJ_IRQ_OP_BIND, sm, DJ_IRQ_LEVEL);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "an MSI bound with trigger flags (status %d)", st);
    st = dj_irq_ctrl(DJ_SEL_MSI_BASE, DJ_IRQ_OP_UNBIND, 0, 0);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "an unbound MSI was unbound (status %d)", st);
    st = dj_irq_ctrl(DJ_SEL_MSI_BASE, DJ_IRQ_OP_ACK, 0, 0);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "an unbound MSI was acknowledged (status %d)", st);
    enum dj_obj_type type = DJ_OBJ_NONE;
    if (dj_lookup(DJ_CRD(DJ_CRD_OBJ, line, 0, 0), 0, &type) == DJ_OK && type == DJ_OBJ_IRQ) {
        st = dj_irq_ctrl(line, DJ_IRQ_OP_UNBIND, 0, 0);
        UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "an unbound line was unbound (status %d)", st);
    }
    return true;
}

/* The kernel's own priority check (the runtime's dj_create_sc refuses a
 * priority above DJ_PRIO_MAX before the kernel sees it): a raw
 * DJ_SYS_CREATE_SC with DJ_PRIO_MAX + 1 is refused and creates nothing. */
UTEST(boundary_create_sc_priority_above_max)
{
    uint64_t ec = utest_selector(), sc = utest_selector();
    UTEST_REQUIRE(dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, utest_va(1), 0, 0, true) == DJ_OK, "thread");
    struct dj_sysret r = dj_syscall(DJ_SYS_CREATE_SC, sc, DJ_SEL_SELF_PD, ec, DJ_PRIO_MAX + 1, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "priority %u gave status %llu", DJ_PRIO_MAX + 1,
                  (unsigned long long)r.status);
    enum dj_obj_type type = DJ_OBJ_NONE;
    UTEST_REQUIRE(dj_lookup(DJ_CRD(DJ_CRD_OBJ, sc, 0, 0), 0, &type) == DJ_OK && type == DJ_OBJ_NONE,
                  "a refused call left an object");
    UTEST_REQUIRE(dj_ec_kill(ec) == DJ_OK, "kill the thread");
    return true;
}

/* DJ_SYS_LOOKUP knows memory and object capabilities; I/O and null
 * descriptors are bad parameters. */
UTEST(boundary_lookup_kinds)
{
    enum dj_status st = dj_lookup(DJ_CRD(DJ_CRD_IO, 0x3f8, 0, 0), 0, 0);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "an I/O descriptor gave status %d", st);
    st = dj_lookup(DJ_CRD(DJ_CRD_NULL, 0, 0, 0), 0, 0);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "a null descriptor gave status %d", st);
    return true;
}

#define SELECTORS (1ull << 18) /* selectors 0 .. 2^18-1 (docs/abi.md) */

/* The last selector takes an object; the first past it is a bad parameter. */
UTEST(boundary_selector_limit)
{
    enum dj_status st = dj_create_sm(SELECTORS - 1, DJ_SEL_SELF_PD, 0);
    UTEST_REQUIRE(st == DJ_OK, "the last selector refused (status %d)", st);
    st = dj_create_sm(SELECTORS - 1, DJ_SEL_SELF_PD, 0);
    UTEST_REQUIRE(st == DJ_E_BUSY, "the last selector taken twice (status %d)", st);
    st = dj_create_sm(SELECTORS, DJ_SEL_SELF_PD, 0);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "selector 2^18 gave status %d", st);
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_OBJ, SELECTORS - 1, 0, DJ_OBJ_ALL), true) == DJ_OK, "revoke");
    return true;
}

/* Error returns of DJ_SYS_REPLY, DJ_SYS_EC_CTRL and DJ_SYS_DEBUG that the
 * runtime's wrappers do not reach. */
UTEST(boundary_reply_ec_ctrl_debug_errors)
{
    struct dj_sysret r = dj_syscall(DJ_SYS_REPLY, 0, 0, 0, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_CAP, "a reply from a thread gave status %llu", (unsigned long long)r.status);
    uint64_t ec = utest_selector();
    UTEST_REQUIRE(dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, utest_va(1), 0, 0, true) == DJ_OK, "thread");
    r = dj_syscall(DJ_SYS_EC_CTRL, ec, 2, 0, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "EC_CTRL op 2 gave status %llu", (unsigned long long)r.status);
    UTEST_REQUIRE(dj_ec_kill(ec) == DJ_OK, "kill the thread");
    /* A string at the end of the user half: even an empty one is refused. */
    r = dj_syscall(DJ_SYS_DEBUG, 0, USER_TOP, 0, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_ADDR, "a string at USER_TOP gave status %llu", (unsigned long long)r.status);
    r = dj_syscall(DJ_SYS_DEBUG, 0, USER_TOP - 1, 1, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_ADDR, "a string in the last byte (unmapped) gave status %llu",
                  (unsigned long long)r.status);
    r = dj_syscall(DJ_SYS_DEBUG, 0, USER_TOP - 1, 2, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_ADDR, "a string past USER_TOP gave status %llu", (unsigned long long)r.status);
    return true;
}

/* Capabilities and ports also need a node from the receiver's quota. */
UTEST(boundary_cap_and_port_delegation_into_exhausted_quota)
{
    uint64_t child = 0, free_pages = 1, limit = 0, sm = utest_selector();
    for (uint64_t q = 1; q <= 256 && !child; q++) {
        uint64_t sel = utest_selector();
        if (dj_create_pd(sel, DJ_SEL_SELF_PD, q) == DJ_OK)
            child = sel;
    }
    UTEST_REQUIRE(child, "no child PD with up to 256 pages of quota");
    UTEST_REQUIRE(dj_pd_quota(child, &free_pages, &limit) == DJ_OK && free_pages == 0, "quota left");
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore");
    enum dj_status st = dj_delegate(child, DJ_CRD(DJ_CRD_OBJ, sm, 0, DJ_OBJ_ALL), 64);
    UTEST_REQUIRE(st == DJ_E_QUOTA, "a capability into a PD without quota gave status %d", st);
    st = dj_delegate(child, DJ_CRD(DJ_CRD_IO, 0x3f8, 3, DJ_IO_ACCESS), 0);
    UTEST_REQUIRE(st == DJ_E_QUOTA, "ports into a PD without quota gave status %d", st);
    UTEST_REQUIRE(dj_pd_kill(child) == DJ_OK, "kill");
    return true;
}

/* Memory delegation: the source range and the destination range must both
 * lie in the user half; the last page is fine, one page past it is not. */
UTEST(boundary_memory_delegation_ranges)
{
    uint64_t child = utest_selector(), user_pages = USER_TOP / UTEST_PAGE, va = utest_va(1);
    UTEST_REQUIRE(dj_create_pd(child, DJ_SEL_SELF_PD, 64) == DJ_OK, "child PD");
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "page");
    uint64_t page = va / UTEST_PAGE;
    enum dj_status st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, page, 0, DJ_MEM_R), user_pages - 1);
    UTEST_REQUIRE(st == DJ_OK, "to the last user page: status %d", st);
    st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, page, 0, DJ_MEM_R), user_pages);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "to the first kernel page: status %d", st);
    st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, page, 1, DJ_MEM_R), user_pages - 1);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "two pages to the last user page: status %d", st);
    st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, user_pages - 1, 0, DJ_MEM_R), page);
    UTEST_REQUIRE(st == DJ_OK, "from the last user page (empty): status %d", st);
    st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, user_pages - 1, 1, DJ_MEM_R), page);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "two pages from the last user page: status %d", st);
    st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, 0, 28, DJ_MEM_R), 0);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "order 28 (beyond one top-level entry): status %d", st);
    UTEST_REQUIRE(dj_pd_kill(child) == DJ_OK, "kill");
    return true;
}

/* Argument widths the kernel checks before narrowing them: a CPU number
 * above 32 bits, an MMIO order above 63 or a cache field above 8 bits. */
UTEST(boundary_wide_arguments_refused)
{
    uint64_t ec = utest_selector(), va = utest_va(1);
    enum dj_status st = dj_create_ec(ec, DJ_SEL_SELF_PD, 1ull << 32, utest_va(1), 0, 0, true);
    UTEST_REQUIRE(st == DJ_E_BAD_CPU, "CPU 2^32 gave status %d", st);
    enum dj_obj_type type = DJ_OBJ_NONE;
    UTEST_REQUIRE(dj_lookup(DJ_CRD(DJ_CRD_OBJ, ec, 0, 0), 0, &type) == DJ_OK && type == DJ_OBJ_NONE,
                  "a refused call left an object");
    struct dj_sysret r = dj_syscall(DJ_SYS_MMIO_MAP, DJ_SEL_DEVMEM, va, BIOS_AREA, 64, DJ_MEM_R, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "order 64 gave status %llu", (unsigned long long)r.status);
    r = dj_syscall(DJ_SYS_MMIO_MAP, DJ_SEL_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_R | (uint64_t)(0x100 | DJ_CACHE_UC) << 8, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "cache field 0x100 gave status %llu", (unsigned long long)r.status);
    UTEST_REQUIRE(!mapped(va), "a refused call mapped the page");
    return true;
}

static uint64_t quota_free(void)
{
    uint64_t free_pages = 0, limit = 0;
    dj_pd_quota(DJ_SEL_SELF_PD, &free_pages, &limit);
    return free_pages;
}

/* Maps 1 << order pages at va; what that cost the quota, or UINT64_MAX
 * when the kernel refused. */
static uint64_t alloc_cost(uint64_t va, unsigned order)
{
    uint64_t before = quota_free();
    return dj_mem_alloc(va, order, DJ_MEM_R) == DJ_OK ? before - quota_free() : UINT64_MAX;
}

/* Besides its frames, a mapping may take a slab page for its mapping node
 * or a page of the memspace's tree (kernel/pd.c: charged to the quota
 * too), depending on what the PD mapped before. A mapping that did stays
 * (a spacer) and the next place is tried: in QUOTA_ATTEMPTS places at
 * least one needs no such page. Returns the place whose mapping cost
 * exactly its frames, or 0. */
#define QUOTA_ATTEMPTS 4
static uint64_t map_at_exact_cost(uint64_t *next, unsigned order, uint64_t *spacers, unsigned *nspacers)
{
    for (unsigned i = 0; i < QUOTA_ATTEMPTS; i++) {
        uint64_t va = *next;
        *next += UTEST_PAGE << order;
        uint64_t cost = alloc_cost(va, order);
        if (cost == (1ull << order))
            return va;
        if (cost == UINT64_MAX || cost > (1ull << order) + 2)
            return 0;
        spacers[(*nspacers)++] = va | order;
    }
    return 0;
}

/* DJ_SYS_MEM_ALLOC charges exactly its pages to the quota, and removing
 * them gives exactly those pages back: one page, and two contiguous ones. */
UTEST(boundary_mem_alloc_quota_exact)
{
    uint64_t spacers[2 * QUOTA_ATTEMPTS];
    unsigned nspacers = 0;
    uint64_t va = utest_va(4 * QUOTA_ATTEMPTS + 4);
    va = (va + 2 * UTEST_PAGE - 1) & ~(2 * UTEST_PAGE - 1);
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_R) == DJ_OK, "first page"); /* page tables and a node page now exist */
    uint64_t next = va + 2 * UTEST_PAGE;
    uint64_t one = map_at_exact_cost(&next, 0, spacers, &nspacers);
    UTEST_REQUIRE(one, "no page of %d cost exactly one page", QUOTA_ATTEMPTS);
    uint64_t before = quota_free();
    UTEST_REQUIRE(unmap(one, 0), "unmap");
    UTEST_REQUIRE(quota_free() == before + 1, "removing one page gave back %lld pages",
                  (long long)(quota_free() - before));
    next = (next + 2 * UTEST_PAGE - 1) & ~(2 * UTEST_PAGE - 1);
    uint64_t two = map_at_exact_cost(&next, 1, spacers, &nspacers);
    UTEST_REQUIRE(two, "no two pages of %d tries cost exactly two pages", QUOTA_ATTEMPTS);
    before = quota_free();
    UTEST_REQUIRE(unmap(two, 1), "unmap");
    UTEST_REQUIRE(quota_free() == before + 2, "removing two pages gave back %lld pages",
                  (long long)(quota_free() - before));
    for (unsigned i = 0; i < nspacers; i++)
        UTEST_REQUIRE(unmap(spacers[i] & ~1ull, (unsigned)(spacers[i] & 1)), "unmap a spacer");
    UTEST_REQUIRE(unmap(va, 0), "unmap");
    return true;
}

/* A portal's entry point must be a user address: the kernel half is
 * canonical but refused. */
UTEST(boundary_portal_entry_in_user_half)
{
    uint64_t ec = utest_selector(), pt = utest_selector();
    UTEST_REQUIRE(dj_create_ec(ec, DJ_SEL_SELF_PD, dj_boot_cpu, utest_va(1), 0, 0, false) == DJ_OK, "handler EC");
    enum dj_status st = dj_create_pt(pt, DJ_SEL_SELF_PD, ec, 0, 0xffff800000000000ull);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "an entry in the kernel half gave status %d", st);
    st = dj_create_pt(pt, DJ_SEL_SELF_PD, ec, 0, USER_TOP - 1);
    UTEST_REQUIRE(st == DJ_OK, "an entry at the last user byte gave status %d", st);
    return true;
}

/* Delegating again part of what a child already has, with no new rights,
 * changes nothing and succeeds. */
UTEST(boundary_repeated_partial_delegation)
{
    uint64_t child = utest_selector(), va = utest_va(4), dst = 0x10000;
    va = (va + 2 * UTEST_PAGE - 1) & ~(2 * UTEST_PAGE - 1);
    UTEST_REQUIRE(dj_create_pd(child, DJ_SEL_SELF_PD, 64) == DJ_OK, "child PD");
    UTEST_REQUIRE(dj_mem_alloc(va, 1, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "two pages");
    uint64_t page = va / UTEST_PAGE;
    enum dj_status st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, page, 1, DJ_MEM_R), dst);
    UTEST_REQUIRE(st == DJ_OK, "two pages: status %d", st);
    st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, page, 0, DJ_MEM_R), dst);
    UTEST_REQUIRE(st == DJ_OK, "the first page again: status %d", st);
    st = dj_delegate(child, DJ_CRD(DJ_CRD_MEM, page + 1, 0, DJ_MEM_R), dst + 1);
    UTEST_REQUIRE(st == DJ_OK, "the second page again: status %d", st);
    UTEST_REQUIRE(dj_pd_kill(child) == DJ_OK, "kill");
    return true;
}
