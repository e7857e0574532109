/* SPDX-License-Identifier: GPL-2.0-only */
/* Application processor trampoline. smp.c copies the bytes between
 * ap_trampoline_start and ap_trampoline_end to a page below 1 MiB whose
 * page number is the STARTUP IPI vector, fills in the parameter block at
 * ap_trampoline_params, and identity-maps the page in the kernel page
 * tables. An AP starts here in real mode at CS:IP = page:0 and goes:
 * real mode -> 32-bit protected mode -> (PAE, kernel CR3, EFER.LME/NXE,
 * paging) -> 64-bit mode -> the kernel's C entry on its own stack.
 *
 * The code is position-independent: it learns its base from CS in real mode
 * (kept in EBX) and patches the GDT pointer and far-jump targets itself.
 * The parameter block layout must match struct ap_boot_params in smp.c. */

#define TRAMP_CODE32 0x08
#define TRAMP_DATA 0x10
#define TRAMP_CODE64 0x18
#define CR0_PE 0x00000001
#define CR0_PG 0x80000000
#define CR0_CACHE_OFF 0x60000000 /* CD | NW: set after INIT */
#define CR4_PAE 0x20
#define MSR_EFER 0xc0000080

#define OFF(sym) ((sym) - ap_trampoline_start)

    .section .rodata
    .balign 16
    .global ap_trampoline_start
    .global ap_trampoline_end
    .global ap_trampoline_params

    .code16
ap_trampoline_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    movl $1, OFF(ap_params_started)     /* tell the BSP we got the SIPI */
    xorl %ebx, %ebx
    movw %ax, %bx
    shll $4, %ebx                       /* EBX = linear (= physical) base */
    leal OFF(ap_gdt)(%ebx), %eax
    movl %eax, OFF(ap_gdtr) + 2
    leal OFF(ap_pm32)(%ebx), %eax
    movl %eax, OFF(ap_pm32_ptr)
    leal OFF(ap_lm64)(%ebx), %eax
    movl %eax, OFF(ap_lm64_ptr)
    lgdtl OFF(ap_gdtr)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl *OFF(ap_pm32_ptr)

    .code32
ap_pm32:
    movw $TRAMP_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl OFF(ap_params_cr3)(%ebx), %eax
    movl %eax, %cr3
    /* EFER.LME, and EFER.NXE when the CPU has NX: the kernel's page
     * tables set NX bits, which are reserved (a fault) while NXE is off. */
    movl $MSR_EFER, %ecx
    rdmsr
    orl OFF(ap_params_efer)(%ebx), %eax
    wrmsr
    movl %cr0, %eax
    andl $~CR0_CACHE_OFF, %eax
    orl $(CR0_PG | CR0_PE), %eax
    movl %eax, %cr0
    ljmpl *OFF(ap_lm64_ptr)(%ebx)

    .code64
ap_lm64:
    movw $TRAMP_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs
    movl %ebx, %ebx                     /* upper halves are undefined after the switch */
    movq OFF(ap_params_stack)(%rbx), %rsp
    movq OFF(ap_params_arg)(%rbx), %rdi
    movq OFF(ap_params_entry)(%rbx), %rax
    xorl %ebp, %ebp
    pushq $0                            /* no return address: ends backtraces, keeps ABI alignment */
    jmpq *%rax

    .balign 8
ap_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff            /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff            /* 0x10: data */
    .quad 0x00af9a000000ffff            /* 0x18: 64-bit code */
ap_gdt_end:
ap_gdtr:
    .word ap_gdt_end - ap_gdt - 1
    .long 0                             /* patched: linear address of ap_gdt */
ap_pm32_ptr:
    .long 0                             /* patched */
    .word TRAMP_CODE32
ap_lm64_ptr:
    .long 0                             /* patched */
    .word TRAMP_CODE64

    .balign 8
ap_trampoline_params:
ap_params_cr3:      .quad 0
ap_params_efer:     .quad 0
ap_params_stack:    .quad 0
ap_params_entry:    .quad 0
ap_params_arg:      .quad 0
ap_params_started:  .long 0
                    .long 0
ap_trampoline_end:

    .section .note.GNU-stack, "", @progbits
