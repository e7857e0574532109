/* Interrupt and exception entry. Every vector gets a stub that pushes a
 * uniform frame (struct trap_frame in idt.h) and calls trap_dispatch. */
#include "layout.h"


    .text
    .altmacro
.macro trap_stub vec
    .balign 16
trap_stub_\vec:
    .if !((\vec == 8) || ((\vec >= 10) && (\vec <= 14)) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30))
    pushq $0
    .endif
    pushq $\vec
    jmp trap_common
.endm

    .set i, 0
    .rept 256
    trap_stub %i
    .set i, i + 1
    .endr

trap_common:
    /* Entered from user mode: switch to the kernel's GS base. */
    testb $3, 24(%rsp)
    jz 1f
    swapgs
1:  pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    cld
    movq %rsp, %rdi
    /* Link the trap into the frame-pointer chain so backtraces cross it. */
    pushq 17 * 8(%rsp)         /* interrupted RIP */
    pushq %rbp
    movq %rsp, %rbp
    call trap_dispatch
    addq $16, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    testb $3, 24(%rsp)
    jz 2f
    swapgs
2:  addq $16, %rsp             /* vector and error code */
    iretq

    .section .rodata
    .balign 8
    .global trap_stub_table
trap_stub_table:
    .set i, 0
.macro stub_addr vec
    .quad trap_stub_\vec
.endm
    .rept 256
    stub_addr %i
    .set i, i + 1
    .endr
