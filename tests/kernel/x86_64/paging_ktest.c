/* SPDX-License-Identifier: GPL-2.0-only */
/* W^X and direct-map checks on the live kernel page tables. */
#include "arch/x86_64/cpu_features.h"
#include "tests/kernel/x86_64/fault_probe.h"
#include "tests/kernel/ktest.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"

#define PF_ERR_PRESENT (1u << 0)
#define PF_ERR_WRITE (1u << 1)
#define PF_ERR_FETCH (1u << 4)
#define VEC_PAGE_FAULT 14

extern char __text_start[], __text_end[], __rodata_start[], __rodata_end[], __data_start[], __kernel_end[];

static const char *wx_violation(uint64_t start, uint64_t end, bool want_write, bool want_nx)
{
    for (uint64_t va = start; va < end; va += PAGE_SIZE) {
        uint64_t f = paging_query(va);
        if (!(f & PTE_PRESENT))
            return "unmapped page";
        if (!!(f & PTE_WRITE) != want_write)
            return want_write ? "page not writable" : "page writable";
        if (cpu_features.nx && !!(f & PTE_NX) != want_nx)
            return want_nx ? "page executable" : "code page not executable";
    }
    return 0;
}

KTEST_PHASE(paging_wx_kernel_image, KTEST_EARLY)
{
    const char *e = wx_violation((uint64_t)__text_start, (uint64_t)__text_end, false, false);
    KTEST_REQUIRE(!e, "text: %s", e);
    e = wx_violation((uint64_t)__rodata_start, (uint64_t)__rodata_end, false, true);
    KTEST_REQUIRE(!e, "rodata: %s", e);
    e = wx_violation((uint64_t)__data_start, (uint64_t)__kernel_end, true, true);
    KTEST_REQUIRE(!e, "data: %s", e);
    return KTEST_PASS;
}

KTEST_PHASE(paging_text_write_faults, KTEST_EARLY)
{
    volatile char *target = (volatile char *)__text_start;
    struct fault_report r = probe_write(target);
    KTEST_REQUIRE(r.faulted, "writing kernel text did not fault");
    KTEST_REQUIRE(r.vector == VEC_PAGE_FAULT && r.cr2 == (uint64_t)target &&
                      (r.error_code & (PF_ERR_PRESENT | PF_ERR_WRITE)) == (PF_ERR_PRESENT | PF_ERR_WRITE),
                  "vector %llu error %#llx cr2 %#llx", (unsigned long long)r.vector,
                  (unsigned long long)r.error_code, (unsigned long long)r.cr2);
    return KTEST_PASS;
}

KTEST_PHASE(paging_direct_map_text_alias_readonly, KTEST_EARLY)
{
    volatile char *alias = phys_to_virt((uint64_t)__text_start - KERNEL_VMA);
    struct fault_report r = probe_write(alias);
    KTEST_REQUIRE(r.faulted && r.vector == VEC_PAGE_FAULT, "kernel text is writable through the direct map");
    return KTEST_PASS;
}

/* An indirect `jmp *%rcx` placed in writable data. */
static unsigned char data_code[16] __attribute__((aligned(16))) = {0xff, 0xe1};

KTEST_PHASE(paging_data_execute_faults, KTEST_EARLY)
{
    KTEST_SKIP_IF(!cpu_features.nx, "CPU has no NX");
    struct fault_report r = probe_execute(data_code);
    KTEST_REQUIRE(r.faulted, "executing kernel data did not fault");
    KTEST_REQUIRE(r.vector == VEC_PAGE_FAULT && (r.error_code & PF_ERR_FETCH), "vector %llu error %#llx",
                  (unsigned long long)r.vector, (unsigned long long)r.error_code);
    return KTEST_PASS;
}

KTEST_PHASE(paging_null_page_unmapped, KTEST_EARLY)
{
    KTEST_REQUIRE(paging_query(0) == 0, "virtual address 0 is mapped");
    struct fault_report r = probe_write((volatile void *)8);
    KTEST_REQUIRE(r.faulted && r.vector == VEC_PAGE_FAULT && !(r.error_code & PF_ERR_PRESENT),
                  "write to page 0 did not take a not-present fault");
    return KTEST_PASS;
}
