/* SPDX-License-Identifier: GPL-2.0-only */
/* The SVM backend (arch/x86_64/svm.c) refuses to hand the host's own state
 * to a VMM: a long-mode guest whose RIP and CR3 after an exit are the
 * host's resume RIP and the kernel's CR3 (what QEMU's TCG once left in a
 * VMCB) comes back as DJ_VMEXIT_ENTRY_FAIL with the reset state, and the
 * same guest with another CR3 as the nested page fault it is. The nested
 * page tables are empty, so the guest's first page walk exits. And a
 * host interrupt pending at entry ends a run and is taken before the next
 * one. Skips without SVM. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"
#include "arch/x86_64/virt.h"
#include "common/string.h"
#include "kernel/frame_alloc.h"
#include "kernel/pd.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/x86_64/guest_frames.h"

#define CR0_LONG_MODE 0x80000031ull /* PG, NE, ET, PE */
#define EFER_LONG_MODE 0x500ull /* LME, LMA */
#define AR_CODE64 0x29b         /* present, code, accessed, L */
#define AR_DATA 0x93
#define AR_LDT 0x82
#define AR_TSS64 0x8b
#define RFLAGS_FIXED 2
#define RESET_RIP 0xfff0

extern volatile uint64_t smp_ipi_wake_count[MAX_CPUS]; /* smp.c */

static void long_mode_state(struct dj_vcpu_state *s, uint64_t rip, uint64_t cr3)
{
    memset(s, 0, sizeof(*s));
    s->cs = (struct dj_vm_seg){0x8, AR_CODE64, 0xffffffff, 0};
    s->es = s->ss = s->ds = s->fs = s->gs = (struct dj_vm_seg){0x10, AR_DATA, 0xffffffff, 0};
    s->ldtr = (struct dj_vm_seg){0, AR_LDT, 0xffff, 0};
    s->tr = (struct dj_vm_seg){0, AR_TSS64, 0xffff, 0};
    s->rip = rip;
    s->rflags = RFLAGS_FIXED;
    s->cr0 = CR0_LONG_MODE;
    s->cr3 = cr3;
    s->cr4 = CR4_PAE; /* cpu.h */
    s->efer = EFER_LONG_MODE;
    s->xcr0 = 1;
    s->dr7 = 0x400;
    s->pat = 0x0007040600070406ull;
}

/* A fresh vCPU in the state given, run until an exit for the VMM; the
 * exit reason, and the state after it in *s. A host interrupt ends a run
 * (VIRT_EXIT_HOST) and is taken before the next one: with interrupts
 * held off across the loop, a pending tick would end every run at once. */
static unsigned run_once(struct pd *vm, struct dj_vcpu_state *s, int *status, bool wake_ipi_first)
{
    struct vcpu_hw *v = svm_vcpu_create(vm, status);
    if (!v)
        return ~0u;
    uint64_t flags = read_rflags();
    irq_disable();
    if (wake_ipi_first) /* pending at the first entry: it must end that run and be taken */
        smp_send_wake(this_cpu()->index);
    unsigned r = ~0u;
    if (svm_vcpu_load(v, s, DJ_MTD_VM_ALL))
        for (;;) {
            r = svm_vcpu_run(v, true);
            if (r != VIRT_EXIT_HOST)
                break;
            if (flags & (1ull << 9))
                cpu_interrupt_window(); /* as vcpu_loop does */
        }
    memset(s, 0, sizeof(*s));
    svm_vcpu_save(v, s, DJ_MTD_VM_ALL);
    if (flags & (1ull << 9))
        irq_enable();
    svm_vcpu_destroy(vm, v);
    return r;
}

/* A VM of its own on empty nested tables (a guest's first page walk
 * exits) for body, whose verdict counts only if every page of the VM's
 * quota comes back after it. */
typedef bool (*svm_test_body)(struct pd *vm, char *why, size_t why_len);

static enum ktest_result with_empty_vm(svm_test_body body, char *why, size_t why_len)
{
    static struct pd vm;
    memset(&vm, 0, sizeof(vm));
    quota_init_root(&vm.quota, 4);
    vm.pages = (struct page_source){guest_page_alloc, guest_page_free, 0, &vm.quota};
    uint64_t root = frame_alloc(), iopm = frame_alloc_contig(VIRT_IOPM_PAGES, PAGE_SIZE);
    bool ok = root && iopm;
    if (!ok) {
        ksnprintf(why, why_len, "out of memory");
    } else {
        memset(phys_to_virt(iopm), 0xff, VIRT_IOPM_PAGES * PAGE_SIZE);
        vm.root = phys_to_virt(root); /* zeroed: nothing mapped */
        vm.vm_iopm = phys_to_virt(iopm);
        ok = body(&vm, why, why_len);
        if (ok && vm.quota.used_pages) {
            ksnprintf(why, why_len, "%llu pages still charged", (unsigned long long)vm.quota.used_pages);
            ok = false;
        }
    }
    if (root)
        frame_free(root);
    if (iopm)
        frame_free_contig(iopm, VIRT_IOPM_PAGES);
    return ok ? KTEST_PASS : KTEST_FAIL;
}

static bool pending_interrupt_taken(struct pd *vm, char *why, size_t why_len)
{
    static struct dj_vcpu_state s;
    int status = DJ_OK;
    uint64_t before = smp_ipi_wake_count[this_cpu()->index];
    long_mode_state(&s, 0x1000, PAGE_SIZE);
    unsigned r = run_once(vm, &s, &status, true);
    uint64_t taken = smp_ipi_wake_count[this_cpu()->index] - before;
    if (r == DJ_VMEXIT_MEM && taken == 1)
        return true;
    ksnprintf(why, why_len, "exit %u (status %d), want MEM; %llu wake IPIs taken, want 1", r, status,
              (unsigned long long)taken);
    return false;
}

/* A host interrupt pending at entry ends the run (VIRT_EXIT_HOST); the
 * loop takes it before the next entry, else every entry would end at
 * once for ever (this test's own loop once did that under load). */
KTEST(svm_host_interrupt_taken_between_runs)
{
    KTEST_SKIP_IF(virt_kind != DJ_VIRT_SVM, "no SVM in use");
    KTEST_SKIP_IF(!(read_rflags() & (1ull << 9)), "kernel tests run with interrupts off");
    return with_empty_vm(pending_interrupt_taken, why, why_len);
}

static bool host_state_refused(struct pd *vm, char *why, size_t why_len)
{
    static struct dj_vcpu_state s;
    int status = DJ_OK;
    uint64_t host_rip = (uint64_t)(uintptr_t)svm_resume, host_cr3 = paging_kernel_cr3();
    long_mode_state(&s, host_rip, host_cr3 + PAGE_SIZE);
    unsigned r = run_once(vm, &s, &status, false);
    if (r != DJ_VMEXIT_MEM) {
        ksnprintf(why, why_len, "control guest: exit %u (status %d), want MEM", r, status);
        return false;
    }
    long_mode_state(&s, host_rip, host_cr3);
    r = run_once(vm, &s, &status, false);
    if (r != DJ_VMEXIT_ENTRY_FAIL || s.qual[1] != DJ_VMFAIL_STATE) {
        ksnprintf(why, why_len, "host state in the VMCB: exit %u qual %llu, want ENTRY_FAIL STATE", r,
                  (unsigned long long)s.qual[1]);
        return false;
    }
    if (s.rip != RESET_RIP || s.cr3 == host_cr3 || s.gpr[DJ_GPR_RSP]) {
        ksnprintf(why, why_len, "the host's state was handed out: rip %#llx cr3 %#llx", (unsigned long long)s.rip,
                  (unsigned long long)s.cr3);
        return false;
    }
    return true;
}

KTEST(svm_host_state_not_handed_out)
{
    KTEST_SKIP_IF(virt_kind != DJ_VIRT_SVM, "no SVM in use");
    return with_empty_vm(host_state_refused, why, why_len);
}
