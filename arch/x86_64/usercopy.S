/* SPDX-License-Identifier: GPL-2.0-only */
/* Copies from user memory: the only place the kernel reads user pages.
 * SMAP is opened (stac) just around the copy; a fault inside it returns -1
 * through the fixup that trap_dispatch applies. */
    .text
    .global user_copy_in, user_copy_fault_start, user_copy_fault_end, user_copy_fixup
/* int user_copy_in(void *dst, uint64_t src, size_t len) */
user_copy_in:
    movq %rdx, %rcx
    cmpb $0, smap_enabled(%rip)
    je 1f
    stac
1:
user_copy_fault_start:
    rep movsb
user_copy_fault_end:
    cmpb $0, smap_enabled(%rip)
    je 2f
    clac
2:  xorl %eax, %eax
    ret
user_copy_fixup:
    cmpb $0, smap_enabled(%rip)
    je 3f
    clac
3:  movl $-1, %eax
    ret
