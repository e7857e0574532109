/* SPDX-License-Identifier: BSD-2-Clause */
/* Portal entry stub: RSP is the handler EC's stack pointer as
 * dj_handler_stack laid it out (UTCB address, then handler function). */
    .text
    .global dj_portal_entry
    .type dj_portal_entry, @function
dj_portal_entry:
    movq 0(%rsp), %rdi          /* struct dj_utcb * */
    movq 8(%rsp), %rsi          /* dj_handler_fn */
    xorl %ebp, %ebp
    call dj_portal_dispatch     /* RSP is 16-aligned here, as a call wants */
    ud2                         /* not reached: dj_portal_dispatch replies */
    .size dj_portal_entry, . - dj_portal_entry

    .section .note.GNU-stack, "", @progbits
