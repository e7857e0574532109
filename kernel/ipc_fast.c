/* SPDX-License-Identifier: GPL-2.0-only */
/* The IPC fast path's C side: the system-call entry every other call
 * takes, the switch that turns the fast path on, and the structure
 * layout the assembly fast path (arch/x86_64/ipc_fast.S) reads.
 *
 * The fast path handles a call or reply with untyped words only, between
 * ECs on this CPU, with an idle handler; it does exactly what ipc_call and
 * ipc_reply do for such messages (the user tests run every message size
 * through both). Anything else it hands, untouched, to syscall_entry_ec.
 * The offsets of the structures it reads: arch/x86_64/asm_offsets.c. */
#include <stddef.h>
#include "kernel/capspace.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/iobitmap.h"
#include "kernel/ipc.h"
#include "kernel/sched.h"
#include "kernel/syscalls.h"
#include "arch/x86_64/user_segments.h"

/* Read by syscall_entry (entry.S): system call numbers below it take the
 * fast path. 0 until the scheduler runs, so the kernel's self-tests keep
 * their own system-call handlers. */
uint64_t ipc_fast_limit;

void ipc_fast_enable(void)
{
    _Static_assert(DJ_SYS_CALL == 0 && DJ_SYS_REPLY == 1, "the fast path takes the two lowest numbers");
    /* The fast path switches FPU state with XSAVE only: without it (CPUs
     * from before about 2010) every call takes the general path. */
    ipc_fast_limit = cpu_features.xsave ? DJ_SYS_REPLY + 1 : 0;
}

uint64_t syscall_entry_ec(struct trap_frame *f)
{
    sched_kernel_entry();
    return syscall_dispatch_ec(f);
}
