/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel page tables: the image (W^X), the direct map, device windows. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/boot_info.h"

#define PTE_PRESENT (1ull << 0)
#define PTE_WRITE (1ull << 1)
#define PTE_USER (1ull << 2)
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_ACCESSED (1ull << 5)
#define PTE_DIRTY (1ull << 6)
#define PTE_LARGE (1ull << 7) /* PS in PDE/PDPTE; PAT bit in a 4K PTE */
#define PTE_GLOBAL (1ull << 8)
#define PTE_NX (1ull << 63)
#define PTE_ADDR_MASK 0x000ffffffffff000ull

/* PAT entries selected by PWT/PCD (cpu_features.c programs the PAT). */
#define PTE_CACHE_WC PTE_PWT
#define PTE_CACHE_UC (PTE_PWT | PTE_PCD)

enum cache_mode { CACHE_WB, CACHE_WC, CACHE_UC };

/* Build the final kernel page tables and switch to them (BSP, once). */
void paging_init(const struct boot_info *bi);
uint64_t paging_kernel_cr3(void);
/* Map/unmap one 4 KiB page in the kernel address space. */
int paging_map_page(uint64_t va, uint64_t pa, uint64_t pte_flags);
void paging_unmap_page(uint64_t va);
/* Map device memory; returns a kernel pointer or NULL when out of window. */
void *ioremap(uint64_t phys, size_t len, enum cache_mode mode);
/* Does [phys, phys + len) meet anything the kernel ioremapped? */
bool paging_is_kernel_device(uint64_t phys, uint64_t len);
/* User address spaces: a root whose kernel half is shared with the kernel's.
 * Page-table frames come from alloc (charged by the caller). */
#define USER_TOP 0x0000800000000000ull
uint64_t *paging_new_root(uint64_t (*alloc)(void *), void *ctx);
int paging_map_user(uint64_t *root, uint64_t va, uint64_t pa, uint64_t pte_flags, uint64_t (*alloc)(void *), void *ctx);
/* Returns the old PTE (0 when nothing was mapped); the caller flushes TLBs. */
uint64_t paging_unmap_user(uint64_t *root, uint64_t va);
/* Leaf levels of user mappings: a 4 KiB PTE, a 2 MiB PDE, a 1 GiB PDPTE. */
#define PAGING_LEAF_4K 1
#define PAGING_LEAF_2M 2
#define PAGING_LEAF_1G 3
/* The largest leaf level this CPU supports (1 GiB pages need pdpe1gb). */
unsigned paging_user_leaf_max(void);
/* Bytes one leaf entry at `level` maps. */
uint64_t paging_leaf_size(unsigned level);
/* Map [va, va + len) to [pa, pa + len) with leaf entries of `level` (va,
 * pa and len aligned to its size); present leaves are rewritten (rights
 * changes). A leaf slot that holds a page table, left from earlier smaller
 * mappings, is mapped with the next smaller leaves instead. -1 when a table
 * page cannot be allocated: the caller unmaps the range. */
/* In pte_flags: take the flags as they are (only the address and, for
 * large leaves, PTE_LARGE added): guest-physical tables (virt.h). */
#define PAGING_EXACT_FLAGS (1ull << 52)
int paging_map_user_range(uint64_t *root, uint64_t va, uint64_t pa, uint64_t len, unsigned level,
                          uint64_t pte_flags, uint64_t (*alloc)(void *), void *ctx);
/* Clear every leaf entry, of any size, that maps part of [va, va + len);
 * tables stay. The caller flushes TLBs. */
void paging_unmap_user_range(uint64_t *root, uint64_t va, uint64_t len);
/* The physical address of the page va lies in, and its leaf entry; false
 * when va is not mapped. */
bool paging_translate_in(uint64_t *root, uint64_t va, uint64_t *pa, uint64_t *entry);
void paging_free_root(uint64_t *root, void (*free_fn)(uint64_t, void *), void *ctx);
/* Free the user half's page tables (not the pages they map, nor root) in
 * steps: at most *budget tables (each counted off *budget) go to free_fn,
 * bottom up; false when the budget ran out first. Freed entries are
 * cleared, so the next call takes up where this one stopped. */
bool paging_free_user_tables(uint64_t *root, size_t *budget, void (*free_fn)(void *table, void *ctx), void *ctx);
/* The PTE flags of a user mapping with DJ_MEM_* rights (read is implied)
 * and a DJ_CACHE_* mode (the PAT entry cpu_features.c programs for it). */
uint64_t paging_user_pte_flags(unsigned rights, unsigned cache);
/* The DJ_MEM_* rights a present user PTE grants. */
unsigned paging_user_rights(uint64_t pte);
/* The PTE (flags and address) mapping va in the kernel's tables or in root;
 * 0 when unmapped. */
uint64_t paging_query(uint64_t va);
uint64_t paging_query_in(uint64_t *root, uint64_t va);
void paging_flush_user(uint64_t va);
