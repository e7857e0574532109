/* SPDX-License-Identifier: GPL-2.0-only */
/* Tiny position-independent user programs for the ring-3 self-tests. */
#define SYS_TEST_ECHO 1
#define SYS_TEST_EXIT 2

    .section .rodata
    .global user_prog_echo, user_prog_echo_end
user_prog_echo:
    movq $0x1233, %rdi
    movl $SYS_TEST_ECHO, %eax
    syscall
    movq %rax, %rdi
    movl $SYS_TEST_EXIT, %eax
    syscall
    ud2
user_prog_echo_end:

    .global user_prog_read_kernel, user_prog_read_kernel_end
user_prog_read_kernel:
    movabsq $0xffffffff80200000, %rax
    movq (%rax), %rax
    ud2
user_prog_read_kernel_end:

    .global user_prog_port_in, user_prog_port_in_end
user_prog_port_in:
    inb $0x80, %al
    ud2
user_prog_port_in_end:
