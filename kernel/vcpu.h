/* SPDX-License-Identifier: GPL-2.0-only */
/* vCPUs: the ECs of a VM PD. Where the kernel would resume a thread in
 * user mode, it runs a vCPU's guest instead (vcpu_resume), and every VM
 * exit the host does not absorb becomes a call of the exit portal
 * event_base + DJ_VMEXIT_* (ipc_fault), answered like a fault call. */
#pragma once
#include "kernel/ec.h"

#define VCPU_NO_EXIT 0xffffffffu /* ec->vm_exit when no exit waits for its call */

/* Run ec's guest on this CPU until something needs the kernel; ec is
 * this CPU's current EC (ec_switch_to). Starts on a fresh kernel stack. */
__attribute__((noreturn)) void vcpu_resume(struct ec *ec);
/* The exit message in the handler's UTCB: exit_reason and the groups
 * the portal's MTD names, zero elsewhere. */
void vcpu_exit_message(struct ec *ec, struct dj_utcb *u, uint64_t portal_mtd, unsigned reason);
/* The handler's reply: write back the groups mtd names. False: the
 * reply is refused (message counts set, or the backend refuses). */
bool vcpu_reply(struct ec *ec, const struct dj_utcb *u, uint64_t mtd);
/* A TLB shootdown reached this CPU: flush guest translations before the
 * next guest entry here (tlb.c). */
void vcpu_guest_tlbs_stale(void);
