/* SPDX-License-Identifier: GPL-2.0-only */
/* The hardware-virtualization backend interface: what the generic vCPU
 * code (kernel/vcpu.c) needs from SVM (arch/x86_64/svm.c) or VT-x
 * (arch/x86_64/vmx.c). Exactly one backend is active, chosen at boot by
 * virt_init(); the generic code calls the virt_* functions below, which
 * switch on virt_kind to the backend's svm_* or vmx_* function of the same
 * name (direct calls: no indirect calls on the exit path).
 *
 * Ownership: the generic code owns the EC, its scheduling, the exit
 * portal call and the guest-physical space: the VM PD's memspace and its
 * page tables (pd->root, written by paging.c's user-range functions with
 * the leaf flags virt_gpt_leaf_flags gives; the tables hold no kernel
 * half; guest-physical addresses are below USER_TOP). A backend owns its
 * per-vCPU control block (VMCB or VMCS, and what else it needs), the
 * per-CPU enable state and the translation of struct dj_vcpu_state to
 * and from it, including every check of what a VMM writes.
 *
 * Calling context: every function runs on the vCPU's own CPU (a vCPU
 * never migrates; its handler runs on the same CPU) with interrupts off;
 * virt_vcpu_run without the kernel lock, the others with it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <donjon/abi.h>

struct pd;
struct vcpu_hw;

/* DJ_VIRT_* of this machine (DJ_VIRT_NONE until virt_init found one). */
extern unsigned virt_kind;

/* Detect SVM+NPT or VT-x+EPT+VPID+unrestricted guest and enable it on the
 * boot CPU; virt_init_ap on every other CPU (the same kind, or none
 * anywhere: an AP that cannot follow turns it off before any VM exists).
 * No usable support: virt_kind stays DJ_VIRT_NONE and creating a VM PD
 * fails with DJ_E_BAD_PARAM. */
void virt_init(void);
void virt_init_ap(void);

/* Flags of a guest-physical leaf entry for a page with DJ_MEM_* rights
 * (R always set) and a DJ_CACHE_* mode: everything but the address and
 * the large-page bit (bit 7, the same in both formats), which paging.c
 * adds. NPT leaves are x86-64 entries with P and U set (guest accesses
 * count as user accesses); EPT leaves have R/W/X in bits 0-2 and the
 * memory type in bits 3-5. Table entries are P|W|U (bits 0-2), which
 * EPT reads as R|W|X: both formats share paging.c's walker. */
uint64_t virt_gpt_leaf_flags(unsigned rights, unsigned cache);

/* Per-vCPU backend state, charged to the VM PD's quota; NULL with
 * *status (DJ_E_QUOTA) on failure. Its guest-physical root is vm->root,
 * its I/O permission map vm->vm_iopm. The initial state is the x86 reset
 * state (real mode at f000:fff0), which the VMM normally overwrites at
 * DJ_VMEXIT_STARTUP. */
struct vcpu_hw *virt_vcpu_create(struct pd *vm, int *status);
void virt_vcpu_destroy(struct pd *vm, struct vcpu_hw *v);

/* Enter the guest on this CPU until an exit; return its DJ_VMEXIT_*
 * reason, or VIRT_EXIT_HOST when the exit only served the host (an
 * external interrupt or NMI, pending for the host to take once the caller
 * opens an interrupt window). flush_tlb: this CPU's guest translations
 * may be stale (a revoke happened): flush before entering. State a VMM
 * wrote that fails the backend's checks gives DJ_VMEXIT_ENTRY_FAIL
 * without entering (and so does a failed hardware entry). */
#define VIRT_EXIT_HOST 0xffffffffu
unsigned virt_vcpu_run(struct vcpu_hw *v, bool flush_tlb);

/* Copy the state groups mtd names (DJ_MTD_* bits 32..) into s (the last
 * exit's qualification with DJ_MTD_QUAL; zero for DJ_VMEXIT_STARTUP and
 * recalls), and back in. load returns false only when the VMM asked for
 * something the kernel refuses outright (the vCPU is then killed); values
 * that fail the checks make the next entries fail (DJ_VMEXIT_ENTRY_FAIL)
 * until a later load fixes them. */
void virt_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd);
bool virt_vcpu_load(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd);

/* The VM's I/O permission map: VIRT_IOPM_PAGES contiguous pages, one bit
 * per port (1 = exit), all ones when a VM PD is created; kernel/pd.c
 * opens and closes ports in it with iobitmap_set_bits (iobitmap.h). */
#define VIRT_IOPM_PAGES 3

/* Shared by the backends. The MSRs a guest reaches without an exit (FS
 * and GS bases, KERNEL_GS_BASE, SYSENTER, the SYSCALL MSRs): the ones
 * both switch with the guest. */
#define VIRT_OPEN_MSRS 10
extern const uint32_t virt_open_msrs[VIRT_OPEN_MSRS];
/* The state a new vCPU starts in (both backends load it). */
extern const struct dj_vcpu_state virt_reset_state;
/* Exits that need no more than their code: a backend's table holds the
 * DJ_VMEXIT_* for a code, VIRT_OTHER(DJ_VMOTHER_*) for DJ_VMEXIT_OTHER,
 * or 0 (DJ_VMOTHER_UNKNOWN); the OTHER exits get qual {kind, code}. */
#define VIRT_OTHER(kind) (0x80 | (kind))
unsigned virt_simple_exit(uint8_t dj, uint64_t code, uint64_t qual[2]);
/* The per-vCPU pages (returned, and *second), charged to vm's quota;
 * NULL with *status DJ_E_QUOTA. */
struct vcpu_hw *virt_alloc_pair(struct pd *vm, void **second, int *status);
/* Values a VMM writes: XCR0 as XSETBV would take it within what the host
 * enables; a PAT without reserved types; an event the VMM may inject (a
 * known type, the vector that type needs, an error code only with
 * exceptions, no reserved bits: VIRT_EVENT_BITS). */
#define VIRT_EVENT_BITS 0x80000fffull /* vector, type, error-code flag, valid */
bool virt_xcr0_ok(uint64_t x);
bool virt_pat_ok(uint64_t pat);
bool virt_event_ok(uint64_t info, uint64_t error);
static inline void virt_xsetbv(uint64_t x)
{
    __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)x), "d"((uint32_t)(x >> 32)));
}

/* The backends: each virt_* above calls svm_* or vmx_* with the same
 * arguments. *_init returns whether it enabled the feature on this CPU. */
bool svm_init(bool bsp);
uint64_t svm_gpt_leaf_flags(unsigned rights, unsigned cache);
struct vcpu_hw *svm_vcpu_create(struct pd *vm, int *status);
void svm_vcpu_destroy(struct pd *vm, struct vcpu_hw *v);
unsigned svm_vcpu_run(struct vcpu_hw *v, bool flush_tlb);
void svm_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd);
bool svm_vcpu_load(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd);
extern const char svm_resume[]; /* the host RIP that VMRUN saves */
bool vmx_init(bool bsp);
uint64_t vmx_gpt_leaf_flags(unsigned rights, unsigned cache);
struct vcpu_hw *vmx_vcpu_create(struct pd *vm, int *status);
void vmx_vcpu_destroy(struct pd *vm, struct vcpu_hw *v);
unsigned vmx_vcpu_run(struct vcpu_hw *v, bool flush_tlb);
void vmx_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd);
bool vmx_vcpu_load(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd);
