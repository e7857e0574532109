/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-CPU GDT and TSS. */
#pragma once

#define GDT_KERNEL_CS 0x08
#define GDT_KERNEL_DS 0x10
#define GDT_USER_DS 0x1b /* user data, RPL 3 (sysret expects data before code) */
#define GDT_USER_CS 0x23 /* user 64-bit code, RPL 3 */
#define GDT_TSS 0x28     /* 16-byte system descriptor */
#define GDT_ENTRIES 7

#define IST_NMI 1
#define IST_DOUBLE_FAULT 2
#define IST_MACHINE_CHECK 3

#ifndef __ASSEMBLY__
#include <stdint.h>

struct tss {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
} __attribute__((packed));

/* [helper H: I/O permission bitmap] One bit per port (1 = denied) right
 * after the TSS, inside its limit, plus the all-ones byte the CPU reads past
 * the last port. arch/x86_64/iobitmap.c fills it and points iomap_base at it
 * for a PD that holds ports; TSS_IOMAP_DENY (beyond the limit) denies all. */
#define TSS_IOMAP_BYTES (65536 / 8)
#define TSS_IOMAP_DENY 0xffff

struct cpu_tables {
    uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(16)));
    struct tss tss __attribute__((aligned(16)));
    uint8_t iomap[TSS_IOMAP_BYTES + 1]; /* must follow tss directly */
};

/* Load this CPU's GDT and TSS; stack tops are for ring-0 entry and ISTs. */
void gdt_init_cpu(struct cpu_tables *t, uint64_t kernel_stack_top, const uint64_t ist_tops[3]);
/* [helper H] Reload TR from t (this CPU's tables): a VMX exit sets TR's
 * limit to 0x67, which cuts off the I/O permission bitmap. */
void gdt_reload_tr(struct cpu_tables *t);
#endif
