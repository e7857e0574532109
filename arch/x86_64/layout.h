/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's virtual address-space layout. */
#pragma once
#define KERNEL_VMA 0xffffffff80000000ull  /* kernel image: phys + KERNEL_VMA */
#define DIRECT_MAP_BASE 0xffff800000000000ull /* all RAM (and 0..4 GiB): phys + DIRECT_MAP_BASE */
#define IOREMAP_BASE 0xffffff0000000000ull /* device memory windows */
#define IOREMAP_SIZE 0x0000008000000000ull
#define PAGE_SIZE 4096ull
#define PAGE_SHIFT 12
#define LARGE_PAGE_SIZE (2ull << 20)

#ifndef __ASSEMBLY__
#include <stdint.h>
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)(pa + DIRECT_MAP_BASE); }
static inline uint64_t virt_to_phys(const void *va)
{
    uint64_t v = (uint64_t)(uintptr_t)va;
    return v >= KERNEL_VMA ? v - KERNEL_VMA : v - DIRECT_MAP_BASE;
}
#endif
