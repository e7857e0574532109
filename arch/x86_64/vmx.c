/* SPDX-License-Identifier: GPL-2.0-only */
/* The VT-x backend of the vCPU interface (virt.h): VMXON on every CPU,
 * one VMCS per vCPU (EPT, VPID, unrestricted guest), the translation of
 * struct dj_vcpu_state to and from the VMCS, and of native exits to
 * DJ_VMEXIT_*. Safety rests on three things: the controls below make
 * every sensitive guest action exit, every value a VMM writes is either
 * checked here or by the hardware on entry (a refusal is an entry-failure
 * exit, never a host fault), and the host state the exit does not restore
 * (GDT/IDT limits, TR, XCR0, CR2) is put back by hand. */
#include "arch/x86_64/vmx.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/percpu.h"
#include "common/string.h"
#include "kernel/console.h"
#include "kernel/frame_alloc.h"
#include "kernel/pd.h"
#include "arch/x86_64/virt.h"

#define XCR0_X87 (1ull << 0)
#define XCR0_SSE (1ull << 1)
#define XCR0_AVX (1ull << 2)
#define RFLAGS_FIXED1 (1ull << 1)
#define DR7_RESET 0x400ull
#define PAT_RESET 0x0007040600070406ull
#define CR0_RESET 0x60000010ull /* CD, NW, ET */
#define VMCS_LINK_NONE (~0ull)
#define VPID_MAX 0xffffu
#define COMPACT_AR_BITS 0xfffu
#define NOT_LOADED 0xffffffffu

/* Controls every vCPU runs with (checked against the capability MSRs). */
#define PIN_WANT (VMX_PIN_EXTINT_EXITING | VMX_PIN_NMI_EXITING)
#define PROC_WANT                                                                                          \
    (VMX_PROC_HLT_EXITING | VMX_PROC_MWAIT_EXITING | VMX_PROC_RDPMC_EXITING | VMX_PROC_CR8_LOAD_EXITING | \
     VMX_PROC_CR8_STORE_EXITING | VMX_PROC_MOV_DR_EXITING | VMX_PROC_USE_IO_BITMAPS |                     \
     VMX_PROC_USE_MSR_BITMAPS | VMX_PROC_MONITOR_EXITING | VMX_PROC_SECONDARY_CTLS | VMX_PROC_TSC_OFFSETTING)
#define PROC2_WANT \
    (VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID | VMX_PROC2_UNRESTRICTED_GUEST | VMX_PROC2_WBINVD_EXITING)
#define EXIT_WANT                                                                                         \
    (VMX_EXITCTL_HOST_ADDR_SPACE_SIZE | VMX_EXITCTL_SAVE_IA32_PAT | VMX_EXITCTL_LOAD_IA32_PAT |           \
     VMX_EXITCTL_SAVE_IA32_EFER | VMX_EXITCTL_LOAD_IA32_EFER)
#define ENTRY_WANT (VMX_ENTRYCTL_LOAD_IA32_PAT | VMX_ENTRYCTL_LOAD_IA32_EFER)
#define EPT_CAPS_WANT (VMX_EPT_CAP_WALK_4 | VMX_EPT_CAP_MEMTYPE_WB | VMX_EPT_CAP_INVEPT | VMX_VPID_CAP_INVVPID)

/* The MSRs the guest owns beyond what the VMCS switches: loaded on entry
 * and stored on exit from one area, the host's loaded on exit. */
static const uint32_t switched_msrs[VMX_SWITCHED_MSRS] = {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK,
                                                          MSR_KERNEL_GS_BASE};
/* MSRs the guest may touch without an exit (the rest exit). */
static const uint32_t open_msrs[] = {MSR_FS_BASE,       MSR_GS_BASE,          MSR_KERNEL_GS_BASE,
                                     MSR_STAR,          MSR_LSTAR,            MSR_CSTAR,
                                     MSR_SFMASK,        MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,
                                     MSR_IA32_SYSENTER_EIP};

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

struct vmx_msr_entry {
    uint32_t index, reserved;
    uint64_t value;
};

/* One page, from the VM PD's quota; gpr first (the entry code's layout). */
struct vcpu_hw {
    uint64_t gpr[16]; /* encoding order; gpr[4] unused (RSP is in the VMCS) */
    struct vmx_msr_entry guest_msrs[VMX_SWITCHED_MSRS] __attribute__((aligned(16)));
    struct vmx_msr_entry host_msrs[VMX_SWITCHED_MSRS] __attribute__((aligned(16)));
    void *vmcs;
    uint64_t eptp, iopm_pa, cr2, xcr0, ctrl;
    uint64_t qual[2], inst_len;
    uint64_t cr0_mask, cr4_mask;
    struct desc_ptr host_gdtr, host_idtr;
    uint32_t cpu; /* the CPU whose VMCS cache holds it; NOT_LOADED before the first use */
    uint32_t proc, entry;
    uint32_t vpid_gen;
    uint32_t fail_code, fail_kind; /* a refused value: the next entry fails with these */
    bool launched;
    struct vcpu_hw *next_stale;
};
_Static_assert(sizeof(struct vcpu_hw) <= PAGE_SIZE, "vcpu_hw fits a page");

static struct {
    uint64_t basic, pin, proc, proc2, exit, entry, ept_vpid;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t msr_bitmap_pa;
} caps;

static struct vmx_cpu {
    bool on;               /* VMXON done */
    struct vcpu_hw *stale; /* destroyed on another CPU, still to clear (see vmx_vcpu_destroy_at) */
    uint64_t current_vmcs; /* physical address of the current VMCS, 0: none */
    uint32_t vpid_next, vpid_gen;
} vmx_cpus[MAX_CPUS];

/* ---- Guest entry and exit. vmx_enter returns 0 after a VM exit (guest
 * GPRs in gpr[]), 1 for VMfailInvalid, 2 for VMfailValid. ---- */
int vmx_enter(uint64_t *gpr, int launched);
void vmx_exit_stub(void);
#define XSTR(x) STR(x)
#define STR(x) #x
__asm__(".text\n"
        ".globl vmx_enter\n"
        "vmx_enter:\n"
        "    push %rbp; push %rbx; push %r12; push %r13; push %r14; push %r15\n"
        "    push %rdi\n"
        "    mov $" XSTR(VMCS_HOST_RSP) ", %eax\n"
        "    vmwrite %rsp, %rax\n"
        "    test %esi, %esi\n"
        "    mov 8(%rdi), %rcx; mov 16(%rdi), %rdx; mov 24(%rdi), %rbx; mov 40(%rdi), %rbp\n"
        "    mov 48(%rdi), %rsi; mov 64(%rdi), %r8; mov 72(%rdi), %r9; mov 80(%rdi), %r10\n"
        "    mov 88(%rdi), %r11; mov 96(%rdi), %r12; mov 104(%rdi), %r13; mov 112(%rdi), %r14\n"
        "    mov 120(%rdi), %r15; mov 0(%rdi), %rax; mov 56(%rdi), %rdi\n"
        "    jnz 1f\n"
        "    vmlaunch\n"
        "    jmp 2f\n"
        "1:  vmresume\n"
        "2:  mov $1, %eax\n"
        "    jc 3f\n"
        "    mov $2, %eax\n"
        "3:  add $8, %rsp\n"
        "    pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp\n"
        "    ret\n"
        ".globl vmx_exit_stub\n"
        "vmx_exit_stub:\n"
        "    push %rdi\n"
        "    mov 8(%rsp), %rdi\n"
        "    mov %rax, 0(%rdi); mov %rcx, 8(%rdi); mov %rdx, 16(%rdi); mov %rbx, 24(%rdi)\n"
        "    mov %rbp, 40(%rdi); mov %rsi, 48(%rdi); mov %r8, 64(%rdi); mov %r9, 72(%rdi)\n"
        "    mov %r10, 80(%rdi); mov %r11, 88(%rdi); mov %r12, 96(%rdi); mov %r13, 104(%rdi)\n"
        "    mov %r14, 112(%rdi); mov %r15, 120(%rdi)\n"
        "    pop %rax; mov %rax, 56(%rdi)\n"
        "    add $8, %rsp\n"
        "    pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp\n"
        "    xor %eax, %eax\n"
        "    ret\n");

static inline void vmw(uint64_t field, uint64_t value) { vmx_vmwrite(field, value); }
static inline uint64_t vmr(uint64_t field) { return vmx_vmread(field); }

/* ---- Enabling VMX ---- */

static uint64_t cap_msr(uint32_t true_msr, uint32_t msr)
{
    return rdmsr((caps.basic & VMX_BASIC_TRUE_CTLS) ? true_msr : msr);
}

static bool has_controls(uint64_t cap, uint32_t want)
{
    return (vmx_adjust_controls(cap, want) & want) == want;
}

/* VMXON on this CPU: feature control, fixed CR0/CR4 bits, CR4.VMXE. */
static bool vmx_cpu_enable(void)
{
    struct vmx_cpu *c = &vmx_cpus[this_cpu()->index];
    if (c->on)
        return true;
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK))
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
    if (!(rdmsr(MSR_IA32_FEATURE_CONTROL) & FEATURE_CONTROL_VMXON_OUTSIDE_SMX))
        return false;
    uint64_t cr0 = read_cr0(), cr4 = read_cr4() | CR4_VMXE;
    if ((cr0 & caps.cr0_fixed0) != caps.cr0_fixed0 || (cr0 & ~caps.cr0_fixed1) ||
        (cr4 & ~caps.cr4_fixed1))
        return false;
    uint64_t region = frame_alloc();
    if (!region)
        return false;
    memset(phys_to_virt(region), 0, PAGE_SIZE);
    *(uint32_t *)phys_to_virt(region) = (uint32_t)(caps.basic & VMX_BASIC_REVISION_MASK);
    write_cr4(cr4 | caps.cr4_fixed0);
    if (!vmx_vmxon(region)) {
        write_cr4(read_cr4() & ~CR4_VMXE);
        frame_free(region);
        return false;
    }
    c->on = true;
    c->vpid_next = 1;
    c->vpid_gen = 1;
    vmx_invept(INVEPT_ALL_CONTEXT, 0);
    vmx_invvpid(INVVPID_ALL_CONTEXT, 0, 0);
    return true;
}

static void msr_bitmap_open(uint8_t *bitmap, uint32_t msr)
{
    /* Read bitmaps at 0 (low MSRs) and 1024 (0xc0000000..), writes 2048 later. */
    unsigned base = msr >= VMX_MSR_HIGH_BASE ? VMX_MSR_BITMAP_HIGH : 0;
    unsigned bit = msr & VMX_MSR_INDEX_MASK;
    bitmap[base + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
    bitmap[base + VMX_MSR_BITMAP_WRITE + bit / 8] &= (uint8_t) ~(1u << (bit % 8));
}

static bool vmx_init_bsp(void)
{
    if (caps.msr_bitmap_pa)
        return vmx_cpu_enable();
    if (!cpu_features.vmx)
        return false;
    caps.basic = rdmsr(MSR_IA32_VMX_BASIC);
    if (VMX_BASIC_REGION_SIZE(caps.basic) > PAGE_SIZE || (caps.basic & VMX_BASIC_PHYS_32BIT) ||
        VMX_BASIC_MEMTYPE(caps.basic) != EPTP_MEMTYPE_WB)
        return false;
    caps.pin = cap_msr(MSR_IA32_VMX_TRUE_PINBASED_CTLS, MSR_IA32_VMX_PINBASED_CTLS);
    caps.proc = cap_msr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS, MSR_IA32_VMX_PROCBASED_CTLS);
    caps.exit = cap_msr(MSR_IA32_VMX_TRUE_EXIT_CTLS, MSR_IA32_VMX_EXIT_CTLS);
    caps.entry = cap_msr(MSR_IA32_VMX_TRUE_ENTRY_CTLS, MSR_IA32_VMX_ENTRY_CTLS);
    if (!has_controls(caps.pin, PIN_WANT) || !has_controls(caps.proc, PROC_WANT) ||
        !has_controls(caps.exit, EXIT_WANT) || !has_controls(caps.entry, ENTRY_WANT))
        return false;
    caps.proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
    caps.ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    if (!has_controls(caps.proc2, PROC2_WANT) || (caps.ept_vpid & EPT_CAPS_WANT) != EPT_CAPS_WANT ||
        !(caps.ept_vpid & VMX_EPT_CAP_INVEPT_ALL) || !(caps.ept_vpid & VMX_VPID_CAP_INVVPID_ALL))
        return false;
    caps.cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    caps.cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    caps.cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    caps.cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    uint64_t bitmap = frame_alloc();
    if (!bitmap)
        return false;
    memset(phys_to_virt(bitmap), 0xff, PAGE_SIZE);
    for (unsigned i = 0; i < sizeof(open_msrs) / sizeof(open_msrs[0]); i++)
        msr_bitmap_open(phys_to_virt(bitmap), open_msrs[i]);
    if (!vmx_cpu_enable()) {
        frame_free(bitmap);
        return false;
    }
    caps.msr_bitmap_pa = bitmap;
    kprintf("vmx: VT-x with EPT, VPID and unrestricted guest enabled\n");
    return true;
}

bool vmx_init(bool bsp)
{
    return bsp ? vmx_init_bsp() : vmx_cpu_enable();
}

/* ---- Guest-physical tables (EPT) ---- */

uint64_t vmx_gpt_leaf_flags(unsigned rights, unsigned cache)
{
    uint64_t e = EPT_READ;
    e |= (rights & DJ_MEM_W) ? EPT_WRITE : 0;
    e |= (rights & DJ_MEM_X) ? EPT_EXEC : 0;
    /* RAM follows the guest's PAT; device memory keeps its type whatever the guest says. */
    if (cache == DJ_CACHE_WB)
        return e | EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT;
    return e | (cache == DJ_CACHE_WC ? EPT_MEMTYPE_WC : EPT_MEMTYPE_UC) << EPT_MEMTYPE_SHIFT | EPT_IGNORE_PAT;
}

/* ---- Per-vCPU state ---- */

struct vcpu_hw *vmx_vcpu_create_at(const struct page_source *pages, uint64_t gpt_root_pa, uint64_t iopm_pa,
                                   int *status)
{
    struct vcpu_hw *v = page_source_alloc(pages);
    void *vmcs = v ? page_source_alloc(pages) : 0;
    if (!vmcs) {
        if (v)
            page_source_free(pages, v);
        *status = DJ_E_QUOTA;
        return 0;
    }
    v->vmcs = vmcs;
    v->eptp = gpt_root_pa | EPTP_MEMTYPE_WB | EPTP_WALK_LENGTH_4;
    v->iopm_pa = iopm_pa;
    v->xcr0 = XCR0_X87;
    v->cpu = NOT_LOADED;
    for (unsigned i = 0; i < VMX_SWITCHED_MSRS; i++)
        v->guest_msrs[i].index = v->host_msrs[i].index = switched_msrs[i];
    *status = DJ_OK;
    return v;
}

struct vcpu_hw *vmx_vcpu_create(struct pd *vm, int *status)
{
    return vmx_vcpu_create_at(&vm->pages, virt_to_phys(vm->root), virt_to_phys(vm->vm_iopm), status);
}

/* VMCLEAR writes back what a CPU caches of a VMCS, and only the CPU that
 * has it active may do it: a vCPU destroyed elsewhere keeps its pages
 * (its quota is paid back at once) until its own CPU clears and frees
 * them at its next run. */
static void free_vcpu_pages(struct vcpu_hw *v)
{
    frame_free(virt_to_phys(v->vmcs));
    frame_free(virt_to_phys(v));
}

static void clear_stale_vmcs(struct vmx_cpu *c)
{
    struct vcpu_hw *v = __atomic_exchange_n(&c->stale, (struct vcpu_hw *)0, __ATOMIC_ACQ_REL);
    while (v) {
        struct vcpu_hw *next = v->next_stale;
        vmx_vmclear(virt_to_phys(v->vmcs));
        if (c->current_vmcs == virt_to_phys(v->vmcs))
            c->current_vmcs = 0;
        free_vcpu_pages(v);
        v = next;
    }
}

void vmx_vcpu_destroy_at(const struct page_source *pages, struct vcpu_hw *v)
{
    uint64_t pa = virt_to_phys(v->vmcs);
    if (v->cpu != NOT_LOADED && v->cpu != this_cpu()->index) {
        struct vmx_cpu *c = &vmx_cpus[v->cpu];
        v->next_stale = __atomic_load_n(&c->stale, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&c->stale, &v->next_stale, v, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            ;
        quota_release(pages->quota, 2);
        return;
    }
    if (v->cpu != NOT_LOADED) {
        vmx_vmclear(pa);
        if (vmx_cpus[v->cpu].current_vmcs == pa)
            vmx_cpus[v->cpu].current_vmcs = 0;
    }
    page_source_free(pages, v->vmcs);
    page_source_free(pages, v);
}

void vmx_vcpu_destroy(struct pd *vm, struct vcpu_hw *v)
{
    vmx_vcpu_destroy_at(&vm->pages, v);
}

static void write_segment(unsigned i, const struct dj_vm_seg *s)
{
    vmw(VMCS_GUEST_ES_SELECTOR + 2 * i, s->sel);
    vmw(VMCS_GUEST_ES_LIMIT + 2 * i, s->limit);
    vmw(VMCS_GUEST_ES_BASE + 2 * i, s->base);
    uint32_t ar = s->ar ? (s->ar & 0xff) | (uint32_t)(s->ar & 0xf00) << 4 : VMX_AR_UNUSABLE;
    vmw(VMCS_GUEST_ES_AR + 2 * i, ar);
}

static void read_segment(unsigned i, struct dj_vm_seg *s)
{
    s->sel = (uint16_t)vmr(VMCS_GUEST_ES_SELECTOR + 2 * i);
    s->limit = (uint32_t)vmr(VMCS_GUEST_ES_LIMIT + 2 * i);
    s->base = vmr(VMCS_GUEST_ES_BASE + 2 * i);
    uint32_t ar = (uint32_t)vmr(VMCS_GUEST_ES_AR + 2 * i);
    s->ar = (ar & VMX_AR_UNUSABLE) ? 0 : (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00));
}

/* The CR0/CR4 bits the host keeps (the VMX fixed bits, VMXE), or all of
 * them while the VMM wants every write (DJ_CTRL_CR_WRITE). The read
 * shadows always hold the guest's view of every bit. */
static void set_cr_masks(struct vcpu_hw *v, bool all)
{
    uint64_t cr0_view = (vmr(VMCS_GUEST_CR0) & ~v->cr0_mask) | (vmr(VMCS_CR0_READ_SHADOW) & v->cr0_mask);
    uint64_t cr4_view = (vmr(VMCS_GUEST_CR4) & ~v->cr4_mask) | (vmr(VMCS_CR4_READ_SHADOW) & v->cr4_mask);
    v->cr0_mask = all ? ~0ull : (caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | ~caps.cr0_fixed1;
    v->cr4_mask = all ? ~0ull : caps.cr4_fixed0 | ~caps.cr4_fixed1;
    vmw(VMCS_CR0_GUEST_HOST_MASK, v->cr0_mask);
    vmw(VMCS_CR4_GUEST_HOST_MASK, v->cr4_mask);
    vmw(VMCS_CR0_READ_SHADOW, cr0_view);
    vmw(VMCS_CR4_READ_SHADOW, cr4_view);
}

static void setup_host_state(struct vcpu_hw *v)
{
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(v->host_gdtr), "=m"(v->host_idtr));
    vmw(VMCS_HOST_CR0, read_cr0());
    vmw(VMCS_HOST_CR4, read_cr4());
    vmw(VMCS_HOST_CS_SELECTOR, GDT_KERNEL_CS);
    vmw(VMCS_HOST_SS_SELECTOR, GDT_KERNEL_DS);
    vmw(VMCS_HOST_DS_SELECTOR, GDT_KERNEL_DS);
    vmw(VMCS_HOST_ES_SELECTOR, GDT_KERNEL_DS);
    vmw(VMCS_HOST_TR_SELECTOR, GDT_TSS);
    vmw(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmw(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE)); /* this CPU's percpu */
    vmw(VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)&this_cpu()->tables.tss);
    vmw(VMCS_HOST_GDTR_BASE, v->host_gdtr.base);
    vmw(VMCS_HOST_IDTR_BASE, v->host_idtr.base);
    vmw(VMCS_HOST_IA32_PAT, rdmsr(MSR_PAT));
    vmw(VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
    vmw(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_stub);
    for (unsigned i = 0; i < VMX_SWITCHED_MSRS; i++)
        v->host_msrs[i].value = rdmsr(switched_msrs[i]);
}

/* The architectural reset state (real mode at f000:fff0), so fields the
 * VMM never writes hold sane values. */
static const uint32_t zeroed_fields[] = {
    VMCS_GUEST_CR3, VMCS_GUEST_RSP, VMCS_GUEST_PENDING_DBG_EXCEPTIONS, VMCS_GUEST_INTERRUPTIBILITY,
    VMCS_GUEST_ACTIVITY_STATE, VMCS_GUEST_IA32_DEBUGCTL, VMCS_GUEST_IA32_SYSENTER_CS, VMCS_GUEST_IA32_SYSENTER_ESP,
    VMCS_GUEST_IA32_SYSENTER_EIP, VMCS_GUEST_IA32_EFER, VMCS_GUEST_GDTR_BASE, VMCS_GUEST_IDTR_BASE, VMCS_TSC_OFFSET,
    VMCS_EXCEPTION_BITMAP, VMCS_PF_ERROR_CODE_MASK, VMCS_PF_ERROR_CODE_MATCH, VMCS_CR3_TARGET_COUNT,
    VMCS_ENTRY_INTR_INFO, VMCS_HOST_FS_SELECTOR, VMCS_HOST_GS_SELECTOR, VMCS_HOST_IA32_SYSENTER_CS,
    VMCS_HOST_IA32_SYSENTER_ESP, VMCS_HOST_IA32_SYSENTER_EIP};

static void setup_guest_state(struct vcpu_hw *v)
{
    for (unsigned i = 0; i < sizeof(zeroed_fields) / sizeof(zeroed_fields[0]); i++)
        vmw(zeroed_fields[i], 0);
    const struct dj_vm_seg code = {0xf000, 0x9b, 0xffff, 0xffff0000ull}, data = {0, 0x93, 0xffff, 0};
    const struct dj_vm_seg ldt = {0, 0x82, 0xffff, 0}, tss = {0, 0x8b, 0xffff, 0};
    for (unsigned i = 0; i < 6; i++)
        write_segment(i, i == 1 ? &code : &data);
    write_segment(6, &ldt);
    write_segment(7, &tss);
    vmw(VMCS_GUEST_GDTR_LIMIT, 0xffff);
    vmw(VMCS_GUEST_IDTR_LIMIT, 0xffff);
    vmw(VMCS_GUEST_CR0, CR0_RESET | (caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)));
    vmw(VMCS_GUEST_CR4, caps.cr4_fixed0);
    vmw(VMCS_CR0_READ_SHADOW, CR0_RESET);
    vmw(VMCS_CR4_READ_SHADOW, 0);
    v->cr0_mask = v->cr4_mask = ~0ull; /* the shadows hold the whole view */
    set_cr_masks(v, false);
    vmw(VMCS_GUEST_RIP, 0xfff0);
    vmw(VMCS_GUEST_RFLAGS, RFLAGS_FIXED1);
    vmw(VMCS_GUEST_DR7, DR7_RESET);
    vmw(VMCS_GUEST_IA32_PAT, PAT_RESET);
    vmw(VMCS_LINK_POINTER, VMCS_LINK_NONE);
}

static void setup_controls(struct vcpu_hw *v)
{
    v->proc = vmx_adjust_controls(caps.proc, PROC_WANT);
    v->entry = vmx_adjust_controls(caps.entry, ENTRY_WANT);
    vmw(VMCS_PIN_BASED_CTLS, vmx_adjust_controls(caps.pin, PIN_WANT));
    vmw(VMCS_PROC_BASED_CTLS, v->proc);
    vmw(VMCS_SECONDARY_PROC_BASED_CTLS, vmx_adjust_controls(caps.proc2, PROC2_WANT));
    vmw(VMCS_EXIT_CTLS, vmx_adjust_controls(caps.exit, EXIT_WANT));
    vmw(VMCS_ENTRY_CTLS, v->entry);
    vmw(VMCS_IO_BITMAP_A, v->iopm_pa);
    vmw(VMCS_IO_BITMAP_B, v->iopm_pa + PAGE_SIZE);
    vmw(VMCS_MSR_BITMAP, caps.msr_bitmap_pa);
    vmw(VMCS_EPT_POINTER, v->eptp);
    vmw(VMCS_EXIT_MSR_STORE_ADDR, virt_to_phys(v->guest_msrs));
    vmw(VMCS_ENTRY_MSR_LOAD_ADDR, virt_to_phys(v->guest_msrs));
    vmw(VMCS_EXIT_MSR_LOAD_ADDR, virt_to_phys(v->host_msrs));
    vmw(VMCS_EXIT_MSR_STORE_COUNT, VMX_SWITCHED_MSRS);
    vmw(VMCS_ENTRY_MSR_LOAD_COUNT, VMX_SWITCHED_MSRS);
    vmw(VMCS_EXIT_MSR_LOAD_COUNT, VMX_SWITCHED_MSRS);
}

/* Make v's VMCS current on this CPU, initializing it on first use; false
 * when it belongs to another CPU (vCPUs are pinned). */
static bool vmcs_current(struct vcpu_hw *v)
{
    uint32_t cpu = this_cpu()->index;
    uint64_t pa = virt_to_phys(v->vmcs);
    if (v->cpu == cpu) {
        if (vmx_cpus[cpu].current_vmcs != pa && !vmx_vmptrld(pa))
            return false;
        vmx_cpus[cpu].current_vmcs = pa;
        return true;
    }
    if (v->cpu != NOT_LOADED)
        return false;
    *(uint32_t *)v->vmcs = (uint32_t)(caps.basic & VMX_BASIC_REVISION_MASK);
    if (!vmx_vmclear(pa) || !vmx_vmptrld(pa))
        return false;
    v->cpu = cpu;
    vmx_cpus[cpu].current_vmcs = pa;
    setup_controls(v);
    setup_host_state(v);
    setup_guest_state(v);
    return true;
}

/* ---- State transfer ---- */

static bool canonical(uint64_t a)
{
    return (uint64_t)(((int64_t)a << 16) >> 16) == a;
}

static void refuse(struct vcpu_hw *v, uint32_t kind)
{
    if (!v->fail_kind) {
        v->fail_kind = kind;
        v->fail_code = kind == DJ_VMFAIL_STATE ? VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_INVALID_GUEST_STATE
                                               : VMXERR_ENTRY_INVALID_CONTROLS;
    }
}

/* XCR0 as XSETBV would take it, within what the host enables. */
static bool xcr0_valid(uint64_t x)
{
    if (!cpu_features.xsave)
        return x == XCR0_X87;
    return (x & XCR0_X87) && !(x & ~cpu_features.xcr0) && (!(x & XCR0_AVX) || (x & XCR0_SSE)) &&
           ((x & XCR0_AVX512_ALL) == 0 || ((x & XCR0_AVX512_ALL) == XCR0_AVX512_ALL && (x & XCR0_AVX)));
}

static void load_cr(struct vcpu_hw *v, const struct dj_vcpu_state *s)
{
    if ((s->cr0 >> 32) || (s->cr4 & CR4_VMXE) || (s->cr4 >> 32) || !xcr0_valid(s->xcr0))
        return refuse(v, DJ_VMFAIL_STATE);
    vmw(VMCS_GUEST_CR0, s->cr0 | (caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)));
    vmw(VMCS_CR0_READ_SHADOW, s->cr0);
    vmw(VMCS_GUEST_CR4, s->cr4 | caps.cr4_fixed0);
    vmw(VMCS_CR4_READ_SHADOW, s->cr4);
    vmw(VMCS_GUEST_CR3, s->cr3);
    vmw(VMCS_GUEST_IA32_EFER, s->efer);
    v->entry = (s->efer & EFER_LMA) ? v->entry | VMX_ENTRYCTL_IA32E_MODE_GUEST
                                    : v->entry & ~VMX_ENTRYCTL_IA32E_MODE_GUEST;
    vmw(VMCS_ENTRY_CTLS, v->entry);
    v->cr2 = s->cr2;
    v->xcr0 = s->xcr0;
}

static void load_segments(struct vcpu_hw *v, const struct dj_vm_seg *seg, unsigned first, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        if (seg[i].ar & ~COMPACT_AR_BITS)
            return refuse(v, DJ_VMFAIL_STATE);
    for (unsigned i = 0; i < n; i++)
        write_segment(first + i, &seg[i]);
}

static void load_syscall(struct vcpu_hw *v, const struct dj_vcpu_state *s)
{
    const uint64_t val[VMX_SWITCHED_MSRS] = {s->star, s->lstar, s->cstar, s->sfmask, s->kernel_gs_base};
    if (!canonical(s->lstar) || !canonical(s->cstar) || !canonical(s->kernel_gs_base))
        return refuse(v, DJ_VMFAIL_STATE);
    for (unsigned i = 0; i < VMX_SWITCHED_MSRS; i++)
        v->guest_msrs[i].value = val[i];
}

static void load_injection(struct vcpu_hw *v, const struct dj_vcpu_state *s)
{
    if ((s->inj_info >> 32) || (s->inj_error >> 32) || (s->inst_len >> 32))
        return refuse(v, DJ_VMFAIL_STATE);
    vmw(VMCS_ENTRY_INTR_INFO, s->inj_info);
    vmw(VMCS_ENTRY_EXCEPTION_ERROR_CODE, s->inj_error);
    vmw(VMCS_ENTRY_INSTRUCTION_LEN, s->inst_len);
}

static void load_ctrl(struct vcpu_hw *v, uint64_t ctrl)
{
    if (ctrl & ~(DJ_CTRL_INTR_WINDOW | DJ_CTRL_CR_WRITE | DJ_CTRL_HLT_PASS | ~0ull << DJ_CTRL_EXC_SHIFT))
        return refuse(v, DJ_VMFAIL_CONTROL);
    v->ctrl = ctrl;
    v->proc &= ~(VMX_PROC_INTR_WINDOW_EXITING | VMX_PROC_CR3_LOAD_EXITING);
    v->proc |= (ctrl & DJ_CTRL_INTR_WINDOW) ? VMX_PROC_INTR_WINDOW_EXITING : 0;
    v->proc |= (ctrl & DJ_CTRL_CR_WRITE) ? VMX_PROC_CR3_LOAD_EXITING : 0;
    v->proc = vmx_adjust_controls(caps.proc, v->proc);
    vmw(VMCS_PROC_BASED_CTLS, v->proc);
    vmw(VMCS_EXCEPTION_BITMAP, ctrl >> DJ_CTRL_EXC_SHIFT);
    set_cr_masks(v, ctrl & DJ_CTRL_CR_WRITE);
}

bool vmx_vcpu_load(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd)
{
    if (!vmcs_current(v))
        return false;
    v->fail_kind = 0;
    if (mtd & DJ_MTD_GPR)
        for (unsigned i = 0; i < 16; i++)
            v->gpr[i] = i == DJ_GPR_RSP ? 0 : s->gpr[i];
    if (mtd & DJ_MTD_RIP_RSP) {
        vmw(VMCS_GUEST_RIP, s->rip);
        vmw(VMCS_GUEST_RSP, s->gpr[DJ_GPR_RSP]);
    }
    if (mtd & DJ_MTD_RFLAGS)
        vmw(VMCS_GUEST_RFLAGS, s->rflags);
    if (mtd & DJ_MTD_CR)
        load_cr(v, s);
    if (mtd & DJ_MTD_SEG)
        load_segments(v, &s->es, 0, 6);
    if (mtd & DJ_MTD_SYS_SEG) {
        load_segments(v, &s->ldtr, 6, 2);
        vmw(VMCS_GUEST_GDTR_BASE, s->gdtr.base);
        vmw(VMCS_GUEST_GDTR_LIMIT, s->gdtr.limit);
        vmw(VMCS_GUEST_IDTR_BASE, s->idtr.base);
        vmw(VMCS_GUEST_IDTR_LIMIT, s->idtr.limit);
    }
    if (mtd & DJ_MTD_DR7)
        vmw(VMCS_GUEST_DR7, s->dr7);
    if (mtd & DJ_MTD_SYSENTER) {
        if (s->sysenter_cs >> 32)
            refuse(v, DJ_VMFAIL_STATE);
        vmw(VMCS_GUEST_IA32_SYSENTER_CS, s->sysenter_cs);
        vmw(VMCS_GUEST_IA32_SYSENTER_ESP, s->sysenter_esp);
        vmw(VMCS_GUEST_IA32_SYSENTER_EIP, s->sysenter_eip);
    }
    if (mtd & DJ_MTD_SYSCALL)
        load_syscall(v, s);
    if (mtd & DJ_MTD_PAT)
        vmw(VMCS_GUEST_IA32_PAT, s->pat);
    if (mtd & DJ_MTD_INJ)
        load_injection(v, s);
    if (mtd & DJ_MTD_STA) {
        if (s->intr_state & ~(DJ_INTR_STI_SHADOW | DJ_INTR_MOVSS_SHADOW | DJ_INTR_NMI_BLOCKED) ||
            s->actv_state > DJ_ACTV_HLT)
            refuse(v, DJ_VMFAIL_STATE);
        else {
            vmw(VMCS_GUEST_INTERRUPTIBILITY, s->intr_state);
            vmw(VMCS_GUEST_ACTIVITY_STATE, s->actv_state);
        }
    }
    if (mtd & DJ_MTD_TSC)
        vmw(VMCS_TSC_OFFSET, s->tsc_offset);
    if (mtd & DJ_MTD_CTRL)
        load_ctrl(v, s->ctrl);
    return true;
}

void vmx_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd)
{
    if (!vmcs_current(v))
        return;
    if (mtd & DJ_MTD_GPR)
        for (unsigned i = 0; i < 16; i++)
            if (i != DJ_GPR_RSP)
                s->gpr[i] = v->gpr[i];
    if (mtd & DJ_MTD_RIP_RSP) {
        s->rip = vmr(VMCS_GUEST_RIP);
        s->gpr[DJ_GPR_RSP] = vmr(VMCS_GUEST_RSP);
        s->inst_len = v->inst_len;
    }
    if (mtd & DJ_MTD_RFLAGS)
        s->rflags = vmr(VMCS_GUEST_RFLAGS);
    if (mtd & DJ_MTD_QUAL) {
        s->qual[0] = v->qual[0];
        s->qual[1] = v->qual[1];
    }
    if (mtd & DJ_MTD_CR) {
        s->cr0 = (vmr(VMCS_GUEST_CR0) & ~v->cr0_mask) | (vmr(VMCS_CR0_READ_SHADOW) & v->cr0_mask);
        s->cr4 = (vmr(VMCS_GUEST_CR4) & ~v->cr4_mask) | (vmr(VMCS_CR4_READ_SHADOW) & v->cr4_mask);
        s->cr2 = v->cr2;
        s->cr3 = vmr(VMCS_GUEST_CR3);
        s->efer = vmr(VMCS_GUEST_IA32_EFER);
        s->xcr0 = v->xcr0;
    }
    if (mtd & DJ_MTD_SEG)
        for (unsigned i = 0; i < 6; i++)
            read_segment(i, &(&s->es)[i]);
    if (mtd & DJ_MTD_SYS_SEG) {
        read_segment(6, &s->ldtr);
        read_segment(7, &s->tr);
        s->gdtr = (struct dj_vm_seg){0, 0, (uint32_t)vmr(VMCS_GUEST_GDTR_LIMIT), vmr(VMCS_GUEST_GDTR_BASE)};
        s->idtr = (struct dj_vm_seg){0, 0, (uint32_t)vmr(VMCS_GUEST_IDTR_LIMIT), vmr(VMCS_GUEST_IDTR_BASE)};
    }
    if (mtd & DJ_MTD_DR7)
        s->dr7 = vmr(VMCS_GUEST_DR7);
    if (mtd & DJ_MTD_SYSENTER) {
        s->sysenter_cs = vmr(VMCS_GUEST_IA32_SYSENTER_CS);
        s->sysenter_esp = vmr(VMCS_GUEST_IA32_SYSENTER_ESP);
        s->sysenter_eip = vmr(VMCS_GUEST_IA32_SYSENTER_EIP);
    }
    if (mtd & DJ_MTD_SYSCALL) {
        s->star = v->guest_msrs[0].value;
        s->lstar = v->guest_msrs[1].value;
        s->cstar = v->guest_msrs[2].value;
        s->sfmask = v->guest_msrs[3].value;
        s->kernel_gs_base = v->guest_msrs[4].value;
    }
    if (mtd & DJ_MTD_PAT)
        s->pat = vmr(VMCS_GUEST_IA32_PAT);
    if (mtd & DJ_MTD_INJ) {
        s->inj_info = vmr(VMCS_IDT_VECTORING_INFO);
        s->inj_error = vmr(VMCS_IDT_VECTORING_ERROR_CODE);
    }
    if (mtd & DJ_MTD_STA) {
        s->intr_state = vmr(VMCS_GUEST_INTERRUPTIBILITY);
        s->actv_state = vmr(VMCS_GUEST_ACTIVITY_STATE);
    }
    if (mtd & DJ_MTD_TSC) {
        s->tsc_offset = vmr(VMCS_TSC_OFFSET);
        s->tsc = rdtsc() + s->tsc_offset;
    }
    if (mtd & DJ_MTD_CTRL)
        s->ctrl = v->ctrl;
}

/* ---- Running ---- */

static unsigned entry_failed(struct vcpu_hw *v, uint64_t code, uint64_t kind)
{
    v->qual[0] = code;
    v->qual[1] = kind;
    return DJ_VMEXIT_ENTRY_FAIL;
}

/* A fresh VPID after a rollover of this CPU's VPID space (VPIDs are per
 * CPU: vCPUs are pinned). A new VPID also drops translations a previous
 * user of the same EPT root may have left. */
static void assign_vpid(struct vcpu_hw *v)
{
    struct vmx_cpu *c = &vmx_cpus[v->cpu];
    if (v->vpid_gen == c->vpid_gen)
        return;
    if (c->vpid_next > VPID_MAX) {
        c->vpid_gen++;
        c->vpid_next = 1;
        vmx_invvpid(INVVPID_ALL_CONTEXT, 0, 0);
    }
    vmw(VMCS_VPID, c->vpid_next++);
    v->vpid_gen = c->vpid_gen;
    vmx_invept(INVEPT_ALL_CONTEXT, 0);
}

static uint64_t io_qualification(uint64_t q)
{
    uint64_t dj = VMX_IO_QUAL_PORT(q) | (uint64_t)VMX_IO_QUAL_SIZE(q) << 16;
    dj |= (q & VMX_IO_QUAL_IN) ? DJ_VMIO_IN : 0;
    dj |= (q & VMX_IO_QUAL_REP) ? DJ_VMIO_REP : 0;
    if (q & VMX_IO_QUAL_STRING) {
        /* Address size and segment from the instruction information
         * (VMX_BASIC_INS_OUTS_INFO), else from CS: no prefix decoding. */
        uint64_t info = vmr(VMCS_EXIT_INSTRUCTION_INFO), addr, seg = 3;
        if (caps.basic & VMX_BASIC_INS_OUTS_INFO) {
            addr = 2ull << ((info >> 7) & 3);
            seg = (info >> 15) & 7;
        } else {
            uint64_t cs_ar = vmr(VMCS_GUEST_CS_AR);
            addr = (cs_ar & VMX_AR_L) ? 8 : (cs_ar & VMX_AR_DB) ? 4 : 2;
        }
        dj |= DJ_VMIO_STRING | addr << 22 | seg << 26;
    }
    return dj;
}

static uint64_t cr_qualification(uint64_t q, bool dr)
{
    uint64_t type = (q >> 4) & 3, gpr = (q >> 8) & 0xf;
    if (dr) /* bit 4: 0 = MOV to DR */
        return (q & 7) | (type & 1 ? 0 : DJ_VMCR_WRITE) | gpr << 8;
    bool by_gpr = type <= 1; /* MOV to / from CR; else CLTS, LMSW */
    return (q & 0xf) | (type == 1 ? 0 : DJ_VMCR_WRITE) | (by_gpr ? gpr : DJ_VMCR_GPR_UNKNOWN) << 8;
}

static unsigned other_exit(struct vcpu_hw *v, unsigned what, uint32_t reason)
{
    v->qual[0] = what;
    v->qual[1] = reason;
    return DJ_VMEXIT_OTHER;
}

/* Translate the exit that just happened; VIRT_EXIT_HOST for what only
 * served the host (an interrupt or NMI). */
static unsigned decode_exit(struct vcpu_hw *v, uint32_t reason)
{
    uint64_t q = vmr(VMCS_EXIT_QUALIFICATION);
    v->qual[0] = v->qual[1] = 0;
    v->inst_len = vmr(VMCS_EXIT_INSTRUCTION_LEN); /* meaningful for instruction exits and software exceptions */
    switch (reason) {
    case VMX_EXIT_EXCEPTION_NMI: {
        uint64_t info = vmr(VMCS_EXIT_INTR_INFO);
        if ((info & VMX_INTR_TYPE_MASK) == DJ_INJ_NMI) {
            __asm__ volatile("int $2"); /* the host's NMI, taken now */
            return VIRT_EXIT_HOST;
        }
        v->qual[0] = (info & DJ_INJ_ERROR_CODE) ? vmr(VMCS_EXIT_INTR_ERROR_CODE) : 0;
        v->qual[1] = q; /* #PF: the address; #DB: DR6 bits */
        return DJ_VMEXIT_EXCEPTION(DJ_INJ_VECTOR(info));
    }
    case VMX_EXIT_EXTERNAL_INTERRUPT:
        return VIRT_EXIT_HOST;
    case VMX_EXIT_TRIPLE_FAULT:
        return DJ_VMEXIT_SHUTDOWN;
    case VMX_EXIT_INIT:
        return DJ_VMEXIT_INIT;
    case VMX_EXIT_INTERRUPT_WINDOW:
        load_ctrl(v, v->ctrl & ~DJ_CTRL_INTR_WINDOW);
        return DJ_VMEXIT_RECALL;
    case VMX_EXIT_EPT_VIOLATION:
        v->qual[0] = vmr(VMCS_GUEST_PHYSICAL_ADDRESS);
        v->qual[1] = (q & (EPT_VIOL_READ | EPT_VIOL_WRITE | EPT_VIOL_FETCH)) | ((q & EPT_VIOL_PRESENT) ? DJ_VMMEM_PRESENT : 0);
        return DJ_VMEXIT_MEM;
    case VMX_EXIT_TASK_SWITCH:
        return other_exit(v, DJ_VMOTHER_TASK_SWITCH, reason);
    }
    switch (reason) {
    case VMX_EXIT_CPUID:
        return DJ_VMEXIT_CPUID;
    case VMX_EXIT_HLT:
        return DJ_VMEXIT_HLT;
    case VMX_EXIT_IO_INSTRUCTION:
        v->qual[0] = io_qualification(q);
        v->qual[1] = vmr(VMCS_GUEST_RIP) + v->inst_len;
        return DJ_VMEXIT_IO;
    case VMX_EXIT_RDMSR:
    case VMX_EXIT_WRMSR:
        v->qual[0] = (uint32_t)v->gpr[1];
        v->qual[1] = (uint32_t)v->gpr[0] | v->gpr[2] << 32;
        return reason == VMX_EXIT_RDMSR ? DJ_VMEXIT_RDMSR : DJ_VMEXIT_WRMSR;
    case VMX_EXIT_CR_ACCESS:
        v->qual[0] = cr_qualification(q, false);
        return DJ_VMEXIT_CR;
    case VMX_EXIT_DR_ACCESS:
        v->qual[0] = cr_qualification(q, true);
        return DJ_VMEXIT_DR;
    case VMX_EXIT_VMCALL:
        return DJ_VMEXIT_HYPERCALL;
    case VMX_EXIT_XSETBV:
        return DJ_VMEXIT_XSETBV;
    case VMX_EXIT_PAUSE:
        return DJ_VMEXIT_PAUSE;
    case VMX_EXIT_INVD:
        return other_exit(v, DJ_VMOTHER_INVD, reason);
    case VMX_EXIT_WBINVD:
        return other_exit(v, DJ_VMOTHER_WBINVD, reason);
    case VMX_EXIT_MONITOR:
        return other_exit(v, DJ_VMOTHER_MONITOR, reason);
    case VMX_EXIT_MWAIT:
        return other_exit(v, DJ_VMOTHER_MWAIT, reason);
    case VMX_EXIT_RDPMC:
        return other_exit(v, DJ_VMOTHER_RDPMC, reason);
    }
    if ((reason >= VMX_EXIT_VMCLEAR && reason <= VMX_EXIT_VMXON) || reason == VMX_EXIT_INVEPT ||
        reason == VMX_EXIT_INVVPID || reason == VMX_EXIT_VMFUNC)
        return other_exit(v, DJ_VMOTHER_VIRT_INSN, reason);
    return other_exit(v, DJ_VMOTHER_UNKNOWN, reason);
}

static inline void write_xcr0(uint64_t x)
{
    __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)x), "d"((uint32_t)(x >> 32)));
}

unsigned vmx_vcpu_run(struct vcpu_hw *v, bool flush_tlb)
{
    if (vmx_cpus[this_cpu()->index].stale)
        clear_stale_vmcs(&vmx_cpus[this_cpu()->index]);
    if (!vmcs_current(v))
        return entry_failed(v, VMXERR_VMPTRLD_INVALID_ADDR, DJ_VMFAIL_CONTROL);
    if (v->fail_kind) /* until a load fixes it */
        return entry_failed(v, v->fail_code, v->fail_kind);
    assign_vpid(v);
    if (flush_tlb)
        vmx_invept((caps.ept_vpid & VMX_EPT_CAP_INVEPT_SINGLE) ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXT, v->eptp);
    vmw(VMCS_HOST_CR3, read_cr3());
    bool xsave = cpu_features.xsave && v->xcr0 != cpu_features.xcr0;
    if (xsave)
        write_xcr0(v->xcr0);
    write_cr2(v->cr2);
    int rc = vmx_enter(v->gpr, v->launched);
    v->cr2 = read_cr2();
    if (xsave)
        write_xcr0(cpu_features.xcr0);
    /* The exit left the GDT and IDT limits at 0xffff and TR's at 0x67. */
    __asm__ volatile("lgdt %0; lidt %1" ::"m"(v->host_gdtr), "m"(v->host_idtr));
    gdt_reload_tr(&this_cpu()->tables);
    if (rc)
        return entry_failed(v, rc == 2 ? vmr(VMCS_VM_INSTRUCTION_ERROR) : VMXERR_VMPTRLD_INVALID_ADDR,
                            rc == 2 && vmr(VMCS_VM_INSTRUCTION_ERROR) == VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS
                                ? DJ_VMFAIL_STATE
                                : DJ_VMFAIL_CONTROL);
    uint32_t reason = (uint32_t)vmr(VMCS_EXIT_REASON);
    if (reason & VMX_EXIT_REASON_ENTRY_FAILURE)
        return entry_failed(v, reason, DJ_VMFAIL_STATE);
    v->launched = true;
    unsigned dj = decode_exit(v, VMX_EXIT_REASON_BASIC(reason));
    uint64_t vectoring = vmr(VMCS_IDT_VECTORING_INFO);
    if (dj == VIRT_EXIT_HOST && (vectoring & DJ_INJ_VALID)) {
        /* An event the host interrupted on its way into the guest: deliver it next time. */
        vmw(VMCS_ENTRY_INTR_INFO, vectoring & VMX_INTR_INFO_INJECTABLE);
        vmw(VMCS_ENTRY_EXCEPTION_ERROR_CODE, vmr(VMCS_IDT_VECTORING_ERROR_CODE));
        vmw(VMCS_ENTRY_INSTRUCTION_LEN, vmr(VMCS_EXIT_INSTRUCTION_LEN));
    }
    return dj;
}
