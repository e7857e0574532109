/* SPDX-License-Identifier: GPL-2.0-only */
/* Instructions that fault on purpose, each followed by the label where a
 * hostile exception handler resumes the thread (hostile.c finds them by
 * address). Each stub is a leaf function: RDI an address, RSI a value;
 * RAX comes back as the handler left it (or the loaded value). */
    .text

    .macro FAULT_STUB name
    .global fz_\name, fz_\name\()_at, fz_\name\()_end
    .type fz_\name, @function
fz_\name:
    xorl %eax, %eax
fz_\name\()_at:
    .endm

    .macro FAULT_END name
fz_\name\()_end:
    ret
    .size fz_\name, . - fz_\name
    .endm

    FAULT_STUB ud       /* #UD */
    ud2
    FAULT_END ud

    FAULT_STUB bp       /* #BP: a trap, RIP already past it */
    int3
    FAULT_END bp

    FAULT_STUB load     /* #PF or #GP, depending on RDI */
    movq (%rdi), %rax
    FAULT_END load

    FAULT_STUB store
    movq %rsi, (%rdi)
    FAULT_END store

    FAULT_STUB out      /* #GP unless the PD holds the port */
    movl %esi, %eax
    outb %al, $0x80
    FAULT_END out

    FAULT_STUB in
    inb $0x80, %al
    FAULT_END in

    FAULT_STUB div      /* #DE */
    xorl %ecx, %ecx
    divl %ecx
    FAULT_END div

    FAULT_STUB hlt      /* #GP: privileged */
    hlt
    FAULT_END hlt

    FAULT_STUB cli      /* #GP at IOPL 0 */
    cli
    FAULT_END cli

    .section .note.GNU-stack, "", @progbits
