/* SPDX-License-Identifier: BSD-2-Clause */
/* Loading an ELF boot module into a child PD: the checks are the kernel's
 * own (common/elf.c, compiled into the runtime), the pages come from the
 * caller (sigma0's pool, or memory init got from sigma0) and reach the
 * child by DJ_SYS_DELEGATE with each segment's rights. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

struct dj_loader {
    uint64_t pd_sel; /* the child PD (DJ_PD_DELEGATE) */
    /* n fresh pages, page aligned, writable here; NULL when out of memory */
    void *(*pages)(void *ctx, uint64_t n);
    void *ctx;
};

/* Validates image and maps every segment into the child. DJ_OK and
 * *entry; otherwise the failing step's status and *why in English. */
enum dj_status dj_elf_load(const struct dj_loader *l, const void *image, size_t size, uint64_t *entry,
                           const char **why);

/* Delegates n pages mapped here at local (page aligned) to the child at
 * child_va with rights, in the largest naturally aligned pieces. */
enum dj_status dj_map_into(uint64_t pd_sel, const void *local, uint64_t child_va, uint64_t n, unsigned rights);
