/* SPDX-License-Identifier: GPL-2.0-only */
/* Entry points the arch layer calls for ring-3 syscalls and faults once
 * user PDs run under the scheduler. */
#pragma once
#include <stddef.h>
#include "arch/x86_64/idt.h"
#include "kernel/pd.h"

uint64_t syscall_dispatch_ec(struct trap_frame *f);
/* Every syscall the IPC fast path (arch/x86_64/ipc_fast.S) does not take. */
uint64_t syscall_entry_ec(struct trap_frame *f);
/* Let calls and replies take the fast path (once the scheduler runs). */
void ipc_fast_enable(void);
void fault_dispatch_ec(struct trap_frame *f);
/* Revoke what crd names in pd (children; the capability itself with self). */
int revoke_range(struct pd *pd, uint64_t crd, bool self);
/* Copy len bytes from user address src; 0, or -1 when a page is missing. */
int user_copy_in(void *dst, uint64_t src, size_t len);
