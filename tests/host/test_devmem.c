// host-test-sources: kernel/devmem.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* DJ_SYS_MMIO_MAP's checks (kernel/devmem.c) on the host, against a fake
 * page table that records every page mapped: the exact pages of a call
 * (none more, none less), every limit at its edge, and the memory map read
 * no further than its count. The fakes below stand in for the PD, the
 * memory map and the kernel's own devices. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "arch/x86_64/cpu_features.h"
#include "kernel/devmem.h"
#include "kernel/kernel.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"

#define PAGE 4096ull
#define RAM_END 0x10000000ull           /* RAM: [0, 256 MiB) */
#define KERNEL_DEVICE 0xfec00000ull     /* one kernel device page (an IOAPIC) */
#define DEVICE 0xd0000000ull            /* plain device memory */
#define INTERRUPT_WINDOW 0xfee00000ull
#define INTERRUPT_WINDOW_END 0xfef00000ull
#define MAX_ORDER 10
#define MAX_MAPPED 4096

struct boot_info boot_info;
struct cpu_features cpu_features;

static struct {
    uint64_t va, pa;
    unsigned order;
} mapped[MAX_MAPPED];
static unsigned mapped_count;
static uint64_t busy_va = ~0ull; /* pd_lookup reports this page as mapped */

bool paging_is_kernel_device(uint64_t phys, uint64_t len)
{
    return phys < KERNEL_DEVICE + PAGE && KERNEL_DEVICE < phys + len;
}

bool pd_lookup(struct pd *pd, uint64_t va, uint64_t *pa, unsigned *rights)
{
    (void)pd, (void)pa, (void)rights;
    return va == busy_va;
}

/* Device memory derives from the DEVMEM capability used (cap). */
int pd_map_below(struct pd *pd, struct mdb_node *cap, uint64_t va, uint64_t pa, unsigned order, unsigned rights,
                 unsigned attr)
{
    (void)pd, (void)cap, (void)rights, (void)attr;
    assert_true(mapped_count < MAX_MAPPED);
    mapped[mapped_count].va = va;
    mapped[mapped_count].pa = pa;
    mapped[mapped_count].order = order;
    mapped_count++;
    return DJ_OK;
}

/* Pages mapped in total, and whether [va, va+pages) is exactly covered. */
static uint64_t pages_mapped(void)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < mapped_count; i++)
        n += 1ull << mapped[i].order;
    return n;
}

static bool covers_exactly(uint64_t va, uint64_t pa, uint64_t pages)
{
    if (pages_mapped() != pages)
        return false;
    for (unsigned i = 0; i < mapped_count; i++) {
        uint64_t len = PAGE << mapped[i].order;
        if (mapped[i].va < va || mapped[i].va + len > va + pages * PAGE || mapped[i].pa - pa != mapped[i].va - va)
            return false;
    }
    return true;
}

static int setup(void **state)
{
    (void)state;
    memset(&boot_info, 0, sizeof(boot_info));
    boot_info.mem[0] = (struct mem_region){.base = 0, .len = RAM_END, .type = MEM_USABLE};
    boot_info.mem_count = 1;
    cpu_features.phys_bits = 36;
    mapped_count = 0;
    busy_va = ~0ull;
    return 0;
}

static int map(uint64_t va, uint64_t phys, unsigned order)
{
    return devmem_map(NULL, NULL, va, phys, order, DJ_MEM_R, DJ_CACHE_UC);
}

static void pagewise_range_is_exact(void **state)
{
    (void)state;
    uint64_t va = 0x10001000ull; /* not aligned to 4 pages: page by page */
    assert_int_equal(map(va, DEVICE, 2), DJ_OK);
    assert_int_equal(mapped_count, 4);
    assert_true(covers_exactly(va, DEVICE, 4));
}

static void aligned_range_is_one_node(void **state)
{
    (void)state;
    assert_int_equal(map(0x10000000ull, DEVICE, 2), DJ_OK);
    assert_int_equal(mapped_count, 1);
    assert_true(covers_exactly(0x10000000ull, DEVICE, 4));
}

static void order_limit(void **state)
{
    (void)state;
    uint64_t va = 0x40000000ull;
    assert_int_equal(map(va, DEVICE, MAX_ORDER), DJ_OK);
    assert_true(covers_exactly(va, DEVICE, 1ull << MAX_ORDER));
    mapped_count = 0;
    assert_int_equal(map(va, DEVICE, MAX_ORDER + 1), DJ_E_BAD_PARAM);
    assert_int_equal(mapped_count, 0);
}

static void rights_and_cache(void **state)
{
    (void)state;
    uint64_t va = 0x10000000ull;
    assert_int_equal(devmem_map(NULL, NULL, va, DEVICE, 0, DJ_MEM_R | DJ_MEM_W, DJ_CACHE_WC), DJ_OK);
    assert_int_equal(devmem_map(NULL, NULL, va, DEVICE, 0, DJ_MEM_R, DJ_CACHE_WC + 1), DJ_E_BAD_PARAM);
    assert_int_equal(devmem_map(NULL, NULL, va, DEVICE, 0, DJ_MEM_W, DJ_CACHE_UC), DJ_E_BAD_PARAM);
    assert_int_equal(devmem_map(NULL, NULL, va, DEVICE, 0, DJ_MEM_R | DJ_MEM_X, DJ_CACHE_UC), DJ_E_BAD_PARAM);
    assert_int_equal(mapped_count, 1);
}

static void user_half_edges(void **state)
{
    (void)state;
    assert_int_equal(map(USER_TOP - PAGE, DEVICE, 0), DJ_OK);
    assert_int_equal(map(USER_TOP - 2 * PAGE, DEVICE, 1), DJ_OK);
    assert_int_equal(map(USER_TOP, DEVICE, 0), DJ_E_BAD_ADDR);
    assert_int_equal(map(USER_TOP - PAGE, DEVICE, 1), DJ_E_BAD_ADDR);
    assert_int_equal(map(0x10000008ull, DEVICE, 0), DJ_E_BAD_ADDR);
    assert_int_equal(map(~0ull - PAGE + 1, DEVICE, 0), DJ_E_BAD_ADDR);
    assert_int_equal(pages_mapped(), 3);
}

/* The page right after RAM is device memory; the last RAM page is not. */
static void ram_edges(void **state)
{
    (void)state;
    uint64_t va = 0x10000000ull;
    assert_int_equal(map(va, RAM_END, 0), DJ_OK);
    assert_int_equal(map(va, RAM_END - PAGE, 0), DJ_E_BAD_PARAM);
    assert_int_equal(map(va, RAM_END - PAGE, 1), DJ_E_BAD_PARAM); /* one page of two is RAM */
    assert_int_equal(map(va, DEVICE + 8, 0), DJ_E_BAD_PARAM);       /* unaligned */
    assert_int_equal(pages_mapped(), 1);
}

/* Only the first mem_count entries are the memory map: a stale entry
 * after them says nothing. */
static void memory_map_read_to_its_count(void **state)
{
    (void)state;
    boot_info.mem[1] = (struct mem_region){.base = DEVICE, .len = PAGE, .type = MEM_USABLE};
    assert_int_equal(map(0x10000000ull, DEVICE, 0), DJ_OK);
    boot_info.mem_count = 2;
    assert_int_equal(map(0x10001000ull, DEVICE, 0), DJ_E_BAD_PARAM);
    boot_info.mem[1].type = MEM_RESERVED;
    assert_int_equal(map(0x10001000ull, DEVICE, 0), DJ_OK);
}

static void kernel_devices_and_interrupt_window(void **state)
{
    (void)state;
    uint64_t va = 0x10000000ull;
    assert_int_equal(map(va, KERNEL_DEVICE, 0), DJ_E_BAD_PARAM);
    assert_int_equal(map(va, KERNEL_DEVICE - PAGE, 0), DJ_OK);
    assert_int_equal(map(va + PAGE, KERNEL_DEVICE + PAGE, 0), DJ_OK);
    assert_int_equal(map(va, INTERRUPT_WINDOW, 0), DJ_E_BAD_PARAM);
    assert_int_equal(map(va, INTERRUPT_WINDOW_END - PAGE, 0), DJ_E_BAD_PARAM);
    assert_int_equal(map(va + 2 * PAGE, INTERRUPT_WINDOW - PAGE, 0), DJ_OK);
    assert_int_equal(map(va + 3 * PAGE, INTERRUPT_WINDOW_END, 0), DJ_OK);
    assert_int_equal(pages_mapped(), 4);
}

/* Up to the CPU's physical width: the last page below it, not at it. */
static void physical_width(void **state)
{
    (void)state;
    uint64_t limit = 1ull << cpu_features.phys_bits;
    assert_int_equal(map(0x10000000ull, limit - PAGE, 0), DJ_OK);
    assert_int_equal(map(0x10001000ull, limit, 0), DJ_E_BAD_PARAM);
    assert_int_equal(map(0x10002000ull, limit - PAGE, 1), DJ_E_BAD_PARAM);
    assert_int_equal(pages_mapped(), 1);
}

/* A mapped page anywhere in the range refuses the whole call, before
 * anything is mapped; the page right after the range does not. */
static void busy_range_maps_nothing(void **state)
{
    (void)state;
    uint64_t va = 0x10001000ull;
    busy_va = va + 3 * PAGE;
    assert_int_equal(map(va, DEVICE, 2), DJ_E_BUSY);
    assert_int_equal(mapped_count, 0);
    busy_va = va + 4 * PAGE;
    assert_int_equal(map(va, DEVICE, 2), DJ_OK);
    assert_true(covers_exactly(va, DEVICE, 4));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(pagewise_range_is_exact, setup),
        cmocka_unit_test_setup(aligned_range_is_one_node, setup),
        cmocka_unit_test_setup(order_limit, setup),
        cmocka_unit_test_setup(rights_and_cache, setup),
        cmocka_unit_test_setup(user_half_edges, setup),
        cmocka_unit_test_setup(ram_edges, setup),
        cmocka_unit_test_setup(memory_map_read_to_its_count, setup),
        cmocka_unit_test_setup(kernel_devices_and_interrupt_window, setup),
        cmocka_unit_test_setup(physical_width, setup),
        cmocka_unit_test_setup(busy_range_maps_nothing, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
