/* SPDX-License-Identifier: GPL-2.0-only */
#include "arch/x86_64/gdt.h"
#include "common/string.h"

/* Segment descriptor bits. */
#define SEG_PRESENT (1ull << 47)
#define SEG_DPL3 (3ull << 45)
#define SEG_CODE_DATA (1ull << 44)
#define SEG_EXECUTABLE (1ull << 43)
#define SEG_RW (1ull << 41)
#define SEG_LONG (1ull << 53)
#define SEG_DB (1ull << 54)
#define SEG_GRANULARITY (1ull << 55)
#define SEG_LIMIT_MAX (0xffffull | (0xfull << 48))
#define SEG_TYPE_TSS_AVAILABLE (0x9ull << 40)
#define SEG_TSS_BUSY (1ull << 41) /* set by LTR; LTR refuses a busy descriptor */

#define KERNEL_CODE (SEG_PRESENT | SEG_CODE_DATA | SEG_EXECUTABLE | SEG_RW | SEG_LONG | SEG_GRANULARITY | SEG_LIMIT_MAX)
#define KERNEL_DATA (SEG_PRESENT | SEG_CODE_DATA | SEG_RW | SEG_DB | SEG_GRANULARITY | SEG_LIMIT_MAX)
#define USER_CODE (KERNEL_CODE | SEG_DPL3)
#define USER_DATA (KERNEL_DATA | SEG_DPL3)

struct gdt_pointer {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static void set_tss_descriptor(uint64_t *slot, const struct tss *tss)
{
    uint64_t base = (uint64_t)tss;
    uint64_t limit = sizeof(*tss) + TSS_IOMAP_BYTES; /* [helper H] the I/O bitmap and its final byte */
    slot[0] = (limit & 0xffff) | ((base & 0xffffff) << 16) | SEG_TYPE_TSS_AVAILABLE | SEG_PRESENT |
              (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    slot[1] = base >> 32;
}

void gdt_init_cpu(struct cpu_tables *t, uint64_t kernel_stack_top, const uint64_t ist_tops[3])
{
    memset(t, 0, sizeof(*t));
    t->gdt[GDT_KERNEL_CS / 8] = KERNEL_CODE;
    t->gdt[GDT_KERNEL_DS / 8] = KERNEL_DATA;
    t->gdt[GDT_USER_DS / 8] = USER_DATA;
    t->gdt[GDT_USER_CS / 8] = USER_CODE;
    set_tss_descriptor(&t->gdt[GDT_TSS / 8], &t->tss);

    t->tss.rsp[0] = kernel_stack_top;
    t->tss.ist[IST_NMI - 1] = ist_tops[0];
    t->tss.ist[IST_DOUBLE_FAULT - 1] = ist_tops[1];
    t->tss.ist[IST_MACHINE_CHECK - 1] = ist_tops[2];
    /* [helper H] No PD's bitmap loaded yet: a base past the limit denies
     * all ports to ring 3 (the zeroed bitmap would allow them all). */
    t->tss.iomap_base = TSS_IOMAP_DENY;
    t->iomap[TSS_IOMAP_BYTES] = 0xff;

    struct gdt_pointer p = {sizeof(t->gdt) - 1, (uint64_t)t->gdt};
    __asm__ volatile("lgdt %0\n\t"
                     "pushq %1\n\t"
                     "leaq 1f(%%rip), %%rax\n\t"
                     "pushq %%rax\n\t"
                     "lretq\n"
                     "1:\n\t"
                     "movw %w2, %%ax\n\t"
                     "movw %%ax, %%ds\n\t"
                     "movw %%ax, %%es\n\t"
                     "movw %%ax, %%ss\n\t"
                     "ltr %w3"
                     :
                     : "m"(p), "i"((uint64_t)GDT_KERNEL_CS), "r"((uint32_t)GDT_KERNEL_DS), "r"((uint32_t)GDT_TSS)
                     : "rax", "memory");
}

/* [helper H] See gdt.h. */
void gdt_reload_tr(struct cpu_tables *t)
{
    t->gdt[GDT_TSS / 8] &= ~SEG_TSS_BUSY;
    __asm__ volatile("ltr %w0" ::"r"((uint32_t)GDT_TSS) : "memory");
}
