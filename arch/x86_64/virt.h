/* SPDX-License-Identifier: GPL-2.0-only */
/* The hardware-virtualization backend interface: what the generic vCPU
 * code (kernel/vcpu.c) needs from SVM (arch/x86_64/svm.c) or VT-x
 * (arch/x86_64/vmx.c). Exactly one backend is active, chosen at boot by
 * virt_init(); the generic code calls through the virt_* functions below,
 * which switch on virt_kind (direct calls: the production kernel has no
 * indirect calls on its hot paths).
 *
 * Ownership: the generic code owns the EC, its scheduling, the exit
 * portal call and the guest-physical space (the VM PD's memspace and its
 * NPT/EPT tables, kernel/vm_space.c). A backend owns its per-vCPU control
 * block (VMCB or VMCS plus bitmaps), the per-CPU enable state and the
 * translation of struct dj_vcpu_state to and from it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "include/donjon/abi.h"

struct ec;
struct pd;

/* DJ_VIRT_* of this machine (DJ_VIRT_NONE until virt_init found one). */
extern unsigned virt_kind;

/* Detect SVM+NPT or VT-x+EPT+VPID+unrestricted guest and enable it on the
 * boot CPU; virt_init_ap on every other CPU. No usable support: virt_kind
 * stays DJ_VIRT_NONE and creating a VM PD fails with DJ_E_BAD_PARAM. */
void virt_init(void);
void virt_init_ap(void);

/* Format of a guest-physical page-table entry: NPT uses the x86-64 page
 * table format (with U set, guest accesses count as user accesses), EPT
 * its own. Leaf entries for the page at pa with DJ_MEM_* rights and a
 * DJ_CACHE_* mode; table entries that allow everything below them. */
uint64_t virt_gpt_leaf(uint64_t pa, unsigned rights, unsigned cache, bool large);
uint64_t virt_gpt_table(uint64_t table_pa);

/* Per-vCPU backend state, allocated from the VM PD's quota; NULL with
 * *status (DJ_E_QUOTA) on failure. gpt_root is the guest-physical table
 * root of its PD. */
struct vcpu_hw;
struct vcpu_hw *virt_vcpu_create(struct pd *vm, uint64_t gpt_root_pa, int *status);
void virt_vcpu_destroy(struct pd *vm, struct vcpu_hw *v);

/* Enter the guest on this CPU (interrupts off, kernel lock dropped by the
 * caller) until an exit; return its DJ_VMEXIT_* reason, or
 * VIRT_EXIT_HOST when the exit only served the host (an external
 * interrupt or NMI, now pending for the host to take after the caller
 * enables interrupts). flush_tlb: this CPU's guest translations may be
 * stale (a revoke happened): flush before entering. */
#define VIRT_EXIT_HOST 0xffffffffu
unsigned virt_vcpu_run(struct vcpu_hw *v, bool flush_tlb);

/* Copy the state groups mtd names out of the control block into s (the
 * exit's qualification included), and back in; load checks each value
 * and returns false only when the VMM asked for something the kernel
 * refuses outright (the vCPU is killed); values the hardware checks on
 * entry turn into a DJ_VMEXIT_ENTRY_FAIL exit instead. */
void virt_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd);
bool virt_vcpu_load(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd);

/* Open or close guest access to I/O ports [base, base + count) for every
 * vCPU of the VM (the VM's one I/O permission map, in struct vm_space). */
void virt_io_allow(uint8_t *iopm, uint64_t base, uint64_t count, bool allow);
