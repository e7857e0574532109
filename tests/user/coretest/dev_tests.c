/* SPDX-License-Identifier: GPL-2.0-only */
/* Device access by capability: device memory (DJ_SYS_MMIO_MAP) with cache
 * attributes, physical addresses for DMA (DJ_SYS_LOOKUP on memory), and
 * MSI capabilities. The root holds the device-memory capability and every
 * MSI; a child PD without them is refused. */
#include <stdbool.h>
#include "echo_server.h"
#include "lib/server.h"
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define BIOS_AREA 0xf0000ull        /* firmware ROM window: device memory on every PC */
#define LAPIC_DEFAULT 0xfee00000ull /* the kernel's: interrupt window */
#define BEYOND_ANY_CPU (1ull << 52) /* past the widest physical address x86 allows */
#define MSI_ADDRESS_BASE 0xfee00000ull
#define MSI_DEST_MASK 0x000ff000ull
#define MSI_ADDRESS_WINDOW 0xfff00000ull
#define MSI_REMAPPABLE 0x10ull
#define MSI_VECTOR_MIN 0x20
#define MSI_VECTOR_MAX 0xef
#define CHILD_EMPTY_SELECTOR 100 /* the IRQ capability is checked first */

UTEST(dev_mem_phys_reports_ram_pages)
{
    uint64_t va = utest_va(2), pa0 = 0, pa1 = 0;
    unsigned cache = 99;
    UTEST_REQUIRE(dj_mem_alloc(va, 1, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "allocation failed");
    UTEST_REQUIRE(dj_mem_phys(va + 12, &pa0, &cache) == DJ_OK, "lookup of a mapped page failed");
    UTEST_REQUIRE(dj_mem_phys(va + UTEST_PAGE, &pa1, 0) == DJ_OK, "lookup of the second page failed");
    UTEST_REQUIRE((pa0 & 0xfff) == 12 && pa0 > 0xfff, "physical address %#llx", (unsigned long long)pa0);
    UTEST_REQUIRE((pa0 & ~0xfffull) != (pa1 & ~0xfffull), "two pages share a frame");
    UTEST_REQUIRE(cache == DJ_CACHE_WB, "RAM reported with cache mode %u", cache);
    UTEST_REQUIRE(dj_mem_phys(utest_va(1), &pa0, 0) == DJ_E_BAD_ADDR, "an unmapped page has an address");
    return true;
}

UTEST(dev_lookup_memory_bad_address)
{
    uint64_t user_pages = 1ull << 35;
    enum dj_status st = dj_lookup(DJ_CRD(DJ_CRD_MEM, user_pages, 0, 0), 0, 0);
    UTEST_REQUIRE(st == DJ_E_BAD_ADDR, "a kernel page number gave status %d", st);
    return true;
}

UTEST(dev_mmio_map_reads_device_memory_uncached)
{
    uint64_t va = utest_va(1), pa = 0;
    unsigned cache = 99;
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC) == DJ_OK,
                  "mapping the firmware window failed");
    volatile uint32_t first = *(volatile uint32_t *)va; /* a fault here fails the run */
    (void)first;
    UTEST_REQUIRE(dj_mem_phys(va, &pa, &cache) == DJ_OK && pa == BIOS_AREA && cache == DJ_CACHE_UC,
                  "lookup says %#llx cache %u", (unsigned long long)pa, cache);
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC) == DJ_E_BUSY,
                  "mapped twice at one address");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_ALL), true) == DJ_OK, "revoke");
    UTEST_REQUIRE(dj_mem_phys(va, &pa, 0) == DJ_E_BAD_ADDR, "still mapped after revoke");
    return true;
}

UTEST(dev_mmio_map_write_combining_attribute_kept)
{
    uint64_t va = utest_va(1);
    unsigned cache = 99;
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_WC) == DJ_OK, "map failed");
    UTEST_REQUIRE(dj_mem_phys(va, 0, &cache) == DJ_OK && cache == DJ_CACHE_WC, "cache mode %u", cache);
    return true;
}

#define BIOS_AREA_ORDER 4 /* 0xf0000-0xfffff: 16 pages, aligned to its size */

UTEST(dev_mmio_map_aligned_range_is_one_node)
{
    uint64_t pages = 1ull << BIOS_AREA_ORDER, span = pages * UTEST_PAGE;
    uint64_t va = (utest_va(2 * pages) + span - 1) & ~(span - 1), pa = 0;
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, va, BIOS_AREA, BIOS_AREA_ORDER, DJ_MEM_R, DJ_CACHE_UC) == DJ_OK,
                  "mapping 16 pages failed");
    for (uint64_t i = 0; i < pages; i++)
        UTEST_REQUIRE(dj_mem_phys(va + i * UTEST_PAGE, &pa, 0) == DJ_OK && pa == BIOS_AREA + i * UTEST_PAGE,
                      "page %llu at %#llx", (unsigned long long)i, (unsigned long long)pa);
    /* One node: a revoke of one page does not cover it, so it stays whole
     * (docs/abi.md, Revocation); one of the whole range removes it. */
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE + 3, 0, DJ_MEM_ALL), true) == DJ_OK, "revoke");
    UTEST_REQUIRE(dj_mem_phys(va + 3 * UTEST_PAGE, &pa, 0) == DJ_OK, "a part of one node was revoked");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, BIOS_AREA_ORDER, DJ_MEM_ALL), true) == DJ_OK,
                  "revoke");
    for (uint64_t i = 0; i < pages; i++)
        UTEST_REQUIRE(dj_mem_phys(va + i * UTEST_PAGE, &pa, 0) == DJ_E_BAD_ADDR, "page %llu still mapped",
                      (unsigned long long)i);
    return true;
}

UTEST(dev_mmio_map_busy_maps_nothing)
{
    uint64_t va = utest_va(2), pa = 0;
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, va + UTEST_PAGE, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC) == DJ_OK, "map");
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, va, BIOS_AREA, 1, DJ_MEM_R, DJ_CACHE_UC) == DJ_E_BUSY,
                  "mapped over a mapped page");
    UTEST_REQUIRE(dj_mem_phys(va, &pa, 0) == DJ_E_BAD_ADDR, "the free page before it was mapped");
    return true;
}

UTEST(dev_mmio_map_refuses_ram_and_kernel_devices)
{
    uint64_t ram_va = utest_va(1), pa = 0, va = utest_va(1);
    UTEST_REQUIRE(dj_mem_alloc(ram_va, 0, DJ_MEM_R) == DJ_OK && dj_mem_phys(ram_va, &pa, 0) == DJ_OK, "RAM page");
    enum dj_status st = dj_mmio_map(DJ_SEL_DEVMEM, va, pa, 0, DJ_MEM_R | DJ_MEM_W, DJ_CACHE_UC);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "RAM mapped as device memory (status %d)", st);
    st = dj_mmio_map(DJ_SEL_DEVMEM, va, LAPIC_DEFAULT, 0, DJ_MEM_R, DJ_CACHE_UC);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "the local APIC window mapped (status %d)", st);
    st = dj_mmio_map(DJ_SEL_DEVMEM, va, BEYOND_ANY_CPU, 0, DJ_MEM_R, DJ_CACHE_UC);
    UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "an address beyond the CPU mapped (status %d)", st);
    return true;
}

UTEST(dev_mmio_map_bad_arguments_refused)
{
    uint64_t va = utest_va(1);
    struct {
        uint64_t sel, va, phys;
        unsigned order, rights, cache;
        enum dj_status want;
    } cases[] = {
        {DJ_SEL_DEBUG, va, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC, DJ_E_BAD_CAP},   /* wrong object type */
        {0x3ffff, va, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC, DJ_E_BAD_CAP},        /* empty selector */
        {DJ_SEL_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_ALL, DJ_CACHE_UC, DJ_E_BAD_PARAM}, /* executable */
        {DJ_SEL_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_W, DJ_CACHE_UC, DJ_E_BAD_PARAM},   /* no read */
        {DJ_SEL_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_R, 3, DJ_E_BAD_PARAM},             /* no such cache mode */
        {DJ_SEL_DEVMEM, va, BIOS_AREA, 11, DJ_MEM_R, DJ_CACHE_UC, DJ_E_BAD_PARAM},  /* too large */
        {DJ_SEL_DEVMEM, va, BIOS_AREA + 8, 0, DJ_MEM_R, DJ_CACHE_UC, DJ_E_BAD_PARAM}, /* unaligned */
        {DJ_SEL_DEVMEM, va + 8, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC, DJ_E_BAD_ADDR},
        {DJ_SEL_DEVMEM, 1ull << 47, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC, DJ_E_BAD_ADDR}, /* kernel half */
    };
    for (unsigned i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        enum dj_status st = dj_mmio_map(cases[i].sel, cases[i].va, cases[i].phys, cases[i].order, cases[i].rights,
                                        cases[i].cache);
        UTEST_REQUIRE(st == cases[i].want, "case %u: status %d, expected %d", i, st, cases[i].want);
    }
    return true;
}

/* Runs in a child PD that holds no device capability. */
static uint64_t unprivileged_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    uint64_t va = u->words[0], sm = u->words[1];
    u->words[0] = dj_mmio_map(DJ_SEL_DEVMEM, va, BIOS_AREA, 0, DJ_MEM_R, DJ_CACHE_UC);
    u->words[1] = dj_msi_bind(DJ_SEL_MSI_BASE, sm, 0, 0);
    return DJ_MTD(2, 0);
}

UTEST(dev_child_without_capabilities_refused)
{
    void *stack;
    uint64_t child = child_pd_create(&stack), pt = utest_selector();
    UTEST_REQUIRE(child, "child PD");
    struct dj_server s = {
        .pd_sel = child, .ec_sel = utest_selector(), .pt_sel = pt, .cpu = dj_boot_cpu, .utcb_va = utest_va(1),
        .stack = stack, .stack_size = ECHO_STACK_PAGES * UTEST_PAGE, .handler = unprivileged_handler,
    };
    UTEST_REQUIRE(dj_server_create(&s) == DJ_OK, "server in the child");
    struct dj_utcb *u = dj_utcb();
    u->words[0] = utest_va(1);
    u->words[1] = CHILD_EMPTY_SELECTOR;
    UTEST_REQUIRE(dj_call(pt, DJ_MTD(2, 0), 0) == DJ_OK, "call");
    UTEST_REQUIRE(u->words[0] == DJ_E_BAD_CAP, "device memory mapped without the capability (%llu)",
                  (unsigned long long)u->words[0]);
    UTEST_REQUIRE(u->words[1] == DJ_E_BAD_CAP, "an MSI bound without the capability (%llu)",
                  (unsigned long long)u->words[1]);
    return true;
}

UTEST(dev_msi_bind_gives_message_for_this_cpu)
{
    uint64_t sm = utest_selector(), addr = 0, data = 0, msi = DJ_SEL_MSI_BASE + 1;
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore");
    UTEST_REQUIRE(dj_msi_bind(msi, sm, &addr, &data) == DJ_OK, "binding an MSI failed");
    if (utest_bootinfo->intr_remap) { /* VT-d: a remappable-format message naming a kernel entry */
        UTEST_REQUIRE((addr & MSI_ADDRESS_WINDOW) == MSI_ADDRESS_BASE && (addr & MSI_REMAPPABLE) && data == 0,
                      "remappable MSI address %#llx data %#llx", (unsigned long long)addr, (unsigned long long)data);
    } else {
        UTEST_REQUIRE((addr & ~MSI_DEST_MASK) == MSI_ADDRESS_BASE, "MSI address %#llx", (unsigned long long)addr);
        UTEST_REQUIRE(data >= MSI_VECTOR_MIN && data <= MSI_VECTOR_MAX, "MSI data %#llx", (unsigned long long)data);
    }
    UTEST_REQUIRE(dj_msi_bind(msi, sm, &addr, &data) == DJ_E_BUSY, "bound twice");
    UTEST_REQUIRE(dj_irq_ctrl(msi, DJ_IRQ_OP_ACK, 0, 0) == DJ_OK, "acknowledging an MSI");
    UTEST_REQUIRE(dj_irq_ctrl(msi, DJ_IRQ_OP_UNBIND, 0, 0) == DJ_OK, "unbind");
    UTEST_REQUIRE(dj_irq_ctrl(msi, DJ_IRQ_OP_UNBIND, 0, 0) == DJ_E_BAD_PARAM, "unbound twice");
    UTEST_REQUIRE(dj_irq_ctrl(msi, DJ_IRQ_OP_BIND, sm, DJ_IRQ_LEVEL) == DJ_E_BAD_PARAM, "a level-triggered MSI");
    UTEST_REQUIRE(dj_msi_bind(DJ_SEL_MSI_BASE + DJ_MSI_COUNT, sm, 0, 0) == DJ_E_BAD_CAP, "MSI beyond the count");
    uint64_t other = 0;
    uint64_t other_addr = 0;
    UTEST_REQUIRE(dj_msi_bind(DJ_SEL_MSI_BASE + 2, sm, &other_addr, &other) == DJ_OK &&
                      (other != data || other_addr != addr),
                  "two MSIs share the message %#llx/%#llx", (unsigned long long)other_addr, (unsigned long long)other);
    dj_irq_ctrl(DJ_SEL_MSI_BASE + 2, DJ_IRQ_OP_UNBIND, 0, 0);
    return true;
}
