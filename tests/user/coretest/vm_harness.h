/* SPDX-License-Identifier: GPL-2.0-only */
/* Tiny test guests (vm_tests.c, vm_bench.c): a VM PD with RAM_PAGES of
 * guest RAM at guest-physical 0 (the page at GPA_RO read-only, the page
 * at GPA_REVOCABLE delegated on its own), one vCPU whose every exit
 * portal is the test's handler on the vCPU's CPU, and a guest program
 * copied to GPA_CODE, started in real, protected or long mode. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

#define GPA_CODE 0x1000ull
#define GPA_DATA 0x3000ull
#define GPA_RO 0x4000ull
#define GPA_REVOCABLE 0x5000ull
#define GPA_STACK_TOP 0x7000ull
#define GPA_GDT 0x8000ull
#define GPA_PML4 0x10000ull
#define GPA_UNBACKED 0x100000ull
#define RAM_PAGES 32

enum vm_mode { VM_REAL, VM_PROT32, VM_LONG };

struct vm {
    uint64_t pd, vcpu, sc, event_base, quota_pd, done;
    uint64_t quota_before; /* the quota PD's free pages before the VM PD */
    uint8_t *ram; /* our view of guest-physical 0 .. RAM_PAGES pages */
    unsigned cpu;
};

/* What the test's handler does on an exit, before (instead of) the
 * standard treatment: return VM_DEFAULT to get the standard one, else
 * the reply MTD. */
#define VM_DEFAULT (~0ull)
typedef uint64_t (*vm_exit_fn)(struct vm *vm, struct dj_vcpu_state *s);

/* The handler writes the MTD of a full state with these groups. */
#define VM_STATE_GROUPS                                                                                          \
    (DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_RFLAGS | DJ_MTD_CR | DJ_MTD_SEG | DJ_MTD_SYS_SEG | DJ_MTD_DR7 |        \
     DJ_MTD_SYSENTER | DJ_MTD_SYSCALL | DJ_MTD_PAT | DJ_MTD_INJ | DJ_MTD_STA | DJ_MTD_CTRL)

/* Create and start a VM running code (len bytes) in mode on cpu, with
 * exits handled by fn (may be NULL), or, when exit_pt is not 0, by that
 * portal (on cpu) for all exits but the startup. false with why on failure. */
bool vm_start(struct vm *vm, unsigned cpu, enum vm_mode mode, uint64_t ctrl, const void *code, size_t len,
              vm_exit_fn fn, uint64_t exit_pt, char *why, size_t why_len);
/* Wait (at most VM_WAIT_US) until the handler ended the run (vm_finish). */
#define VM_WAIT_US 20000000ull
bool vm_wait(struct vm *vm);
/* From a handler: the run is over; kill the vCPU and wake the test. */
uint64_t vm_finish(struct vm *vm);
/* Destroy the VM PD; true when its quota PD got every page back. */
bool vm_destroy(struct vm *vm);
/* The real, protected or long mode start state (all VM_STATE_GROUPS). */
void vm_mode_state(struct dj_vcpu_state *s, enum vm_mode mode, uint64_t ctrl);
/* A second CPU for the vCPU when there is one (recall by IPI), else the boot CPU. */
unsigned vm_other_cpu(void);
/* Whether this machine runs VMs (else the caller skips). */
bool vm_supported(void);
