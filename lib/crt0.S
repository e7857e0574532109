/* SPDX-License-Identifier: BSD-2-Clause */
/* Start code of every user program.
 * Entry state (set by the kernel, see docs in lib/utcb.h):
 *   RSP  a valid stack (the kernel or the creator chose it)
 *   RDI  this EC's UTCB address
 *   RSI  the CPU number the EC runs on
 * The ELF loader has already zeroed .bss (memsz beyond filesz), so nothing
 * is cleared here. */

    .section .text.start, "ax"
    .global _start
    .type _start, @function
_start:
    movq %rdi, dj_utcb_self(%rip)
    movl %esi, dj_boot_cpu(%rip)
    xorl %ebp, %ebp             /* ends frame-pointer backtraces here */
    andq $-16, %rsp             /* the SysV ABI wants 16-byte alignment at a call */
    call main
    movl %eax, dj_exit_status(%rip)
    jmp dj_idle
    .size _start, . - _start

/* The ABI has no exit system call yet: a finished program spins here.
 * `pause` keeps the spin cheap for a hyperthread sibling; a blocking
 * semaphore down replaces this once the root PD hands out semaphores. */
    .text
    .global dj_idle
    .type dj_idle, @function
dj_idle:
1:  pause
    jmp 1b
    .size dj_idle, . - dj_idle

    .bss
    .balign 8
    .global dj_utcb_self, dj_boot_cpu, dj_exit_status
dj_utcb_self:   .zero 8
dj_boot_cpu:    .zero 4
dj_exit_status: .zero 4

    .section .note.GNU-stack, "", @progbits
