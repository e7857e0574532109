/* SPDX-License-Identifier: GPL-2.0-only */
/* Multiboot2 entry: GRUB enters _start32 in 32-bit protected mode with
 * paging off, EAX = magic, EBX = physical address of the boot information.
 * We check the CPU can run us, build boot page tables that map 0..4 GiB
 * three times (identity, direct map, and the first GiB at the kernel's
 * higher-half address), enter long mode and jump to kmain. */
#include "arch/x86_64/layout.h"

#define MB2_HEADER_MAGIC 0xe85250d6
#define MB2_ARCH_I386 0
#define MB2_TAG_END 0
#define MB2_TAG_FRAMEBUFFER 5
#define MB2_TAG_MODULE_ALIGN 6
#define MB2_TAG_OPTIONAL 1
#define MB2_BOOTLOADER_MAGIC 0x36d76289

#define COM1 0x3f8
#define PG_PRESENT_WRITE 0x3
#define PG_LARGE 0x80
#define CPUID_EXT_LM (1 << 29)
#define CPUID_EXT_NX (1 << 20)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define CR4_PAE (1 << 5)
#define CR0_PG_PE_WP 0x80010001
#define BOOT_STACK_SIZE 16384

    .section .multiboot, "a"
    .balign 8
mb2_header:
    .long MB2_HEADER_MAGIC
    .long MB2_ARCH_I386
    .long mb2_header_end - mb2_header
    .long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
    /* Ask for a linear framebuffer; optional, so GRUB boots us without one. */
    .balign 8
    .short MB2_TAG_FRAMEBUFFER, MB2_TAG_OPTIONAL
    .long 20
    .long 1024, 768, 32
    .balign 8
    .short MB2_TAG_MODULE_ALIGN, 0
    .long 8
    .balign 8
    .short MB2_TAG_END, 0
    .long 8
mb2_header_end:

    .section .boot.text, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    movl $boot_stack32_top, %esp
    movl %eax, %edi             /* magic, kept for kmain */
    movl %ebx, %esi             /* boot information */
    cmpl $MB2_BOOTLOADER_MAGIC, %eax
    jne  .Lnot_multiboot2

    movl $0x80000000, %eax
    cpuid
    cmpl $0x80000001, %eax
    jb   .Lno_long_mode
    movl $0x80000001, %eax
    cpuid
    testl $CPUID_EXT_LM, %edx
    jz   .Lno_long_mode
    movl %edx, %ebp             /* remember NX support */

    /* Zero the boot page tables (7 pages). */
    movl $boot_pml4, %edi
    xorl %eax, %eax
    movl $(7 * 4096 / 4), %ecx
    rep stosl
    movl $MB2_BOOTLOADER_MAGIC, %edi

    /* pml4[0] and pml4[256] -> pdpt_low (identity and direct map, 0..4 GiB) */
    movl $boot_pdpt_low, %eax
    orl  $PG_PRESENT_WRITE, %eax
    movl %eax, boot_pml4
    movl %eax, boot_pml4 + 256 * 8
    /* pml4[511] -> pdpt_high; pdpt_high[510] -> first GiB (kernel image) */
    movl $boot_pdpt_high, %eax
    orl  $PG_PRESENT_WRITE, %eax
    movl %eax, boot_pml4 + 511 * 8
    movl $boot_pd, %eax
    orl  $PG_PRESENT_WRITE, %eax
    movl %eax, boot_pdpt_high + 510 * 8
    /* pdpt_low[0..3] -> the four page directories */
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $12, %eax
    addl $boot_pd, %eax
    orl  $PG_PRESENT_WRITE, %eax
    movl %eax, boot_pdpt_low(,%ecx,8)
    incl %ecx
    cmpl $4, %ecx
    jb   1b
    /* 2048 2-MiB pages cover 0..4 GiB; the high half of each entry holds
     * address bit 32+, which is 0 below 4 GiB. */
    xorl %ecx, %ecx
2:  movl %ecx, %eax
    shll $21, %eax
    orl  $(PG_PRESENT_WRITE | PG_LARGE), %eax
    movl %eax, boot_pd(,%ecx,8)
    incl %ecx
    cmpl $2048, %ecx
    jb   2b

    movl %cr4, %eax
    orl  $CR4_PAE, %eax
    movl %eax, %cr4
    movl $boot_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl  $EFER_LME, %eax
    testl $CPUID_EXT_NX, %ebp
    jz   3f
    orl  $EFER_NXE, %eax
3:  wrmsr
    movl %cr0, %eax
    orl  $CR0_PG_PE_WP, %eax
    movl %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $0x08, $.Llong_mode

.Lnot_multiboot2:
    movl $msg_not_mb2, %esi
    jmp  .Lfatal32
.Lno_long_mode:
    movl $msg_no_lm, %esi
.Lfatal32:
    /* Print to COM1 and the VGA text screen, then stop. */
    movl $0xb8000, %edi
4:  lodsb
    testb %al, %al
    jz   6f
    movb %al, %bl
    movw $(COM1 + 5), %dx
5:  inb  %dx, %al
    testb $0x20, %al
    jz   5b
    movw $COM1, %dx
    movb %bl, %al
    outb %al, %dx
    movb %bl, (%edi)
    movb $0x4f, 1(%edi)
    addl $2, %edi
    jmp  4b
6:  cli
    hlt
    jmp  6b

    .code64
.Llong_mode:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorw %ax, %ax
    movw %ax, %fs
    movw %ax, %gs
    movl %edi, %edi
    movl %esi, %esi
    movabsq $boot_stack_top, %rsp
    movabsq $kernel_entry64, %rax
    jmp  *%rax

    .section .boot.data, "aw"
    .balign 16
boot_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 64-bit code */
    .quad 0x00cf92000000ffff    /* data */
boot_gdt_end:
boot_gdt_ptr:
    .short boot_gdt_end - boot_gdt - 1
    .long boot_gdt
msg_not_mb2:
    .asciz "Donjon: not started by a multiboot2 loader; halting."
msg_no_lm:
    .asciz "Donjon: this CPU has no 64-bit long mode; halting."

    .section .boot.bss, "aw", @nobits
    .balign 4096
    .global boot_pml4
boot_pml4:      .skip 4096
boot_pdpt_low:  .skip 4096
boot_pdpt_high: .skip 4096
boot_pd:        .skip 4 * 4096
boot_stack32:   .skip 1024
boot_stack32_top:

    .text
    .global kernel_entry64
kernel_entry64:
    xorl %ebp, %ebp
    /* rdi = magic, rsi = boot information (physical) */
    call kmain
7:  cli
    hlt
    jmp 7b

    .bss
    .balign 16
    .global boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_SIZE
    .global boot_stack_top
boot_stack_top:
