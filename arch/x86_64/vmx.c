/* SPDX-License-Identifier: GPL-2.0-only */
/* The VT-x backend of the vCPU interface (virt.h): VMXON on every CPU,
 * one VMCS per vCPU (EPT, VPID, unrestricted guest), the translation of
 * struct dj_vcpu_state to and from the VMCS, and of native exits to
 * DJ_VMEXIT_*. Safety rests on three things: the controls make every
 * sensitive guest action exit; every value a VMM writes is checked here
 * or by the hardware on entry (a refusal is an entry-failure exit, never
 * a host fault); and the host state an exit does not restore (GDT/IDT
 * limits, TR, XCR0, CR2) is put back by hand. */
#include "arch/x86_64/vmx.h"
#include <stddef.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/user_mode.h"
#include "arch/x86_64/virt.h"
#include "common/string.h"
#include "kernel/console.h"
#include "kernel/frame_alloc.h"
#include "kernel/pd.h"

enum {
    RFLAGS_VALID = 0x3f7fd7,   /* CF .. ID without the reserved bits 3, 5, 15 */
    CR0_NW = 1 << 29, CR0_CD = 1 << 30,
    VPID_MAX = 0xffff, COMPACT_AR = 0xfff,
    SEGMENTS = 6,              /* ES CS SS DS FS GS, then LDTR and TR */
};
#define NOT_LOADED 0xffffffffu

/* The controls the backend needs: every sensitive guest action exits. */
enum {
    PIN_WANT = VMX_PIN_EXTINT_EXITING | VMX_PIN_NMI_EXITING,
    PROC_WANT = VMX_PROC_HLT_EXITING | VMX_PROC_MWAIT_EXITING | VMX_PROC_RDPMC_EXITING | VMX_PROC_CR8_LOAD_EXITING |
                VMX_PROC_CR8_STORE_EXITING | VMX_PROC_MOV_DR_EXITING | VMX_PROC_USE_IO_BITMAPS |
                VMX_PROC_USE_MSR_BITMAPS | VMX_PROC_MONITOR_EXITING | VMX_PROC_SECONDARY_CTLS | VMX_PROC_TSC_OFFSETTING,
    PROC2_WANT = VMX_PROC2_ENABLE_EPT | VMX_PROC2_ENABLE_VPID | VMX_PROC2_UNRESTRICTED_GUEST | VMX_PROC2_WBINVD_EXITING,
    /* Where the CPU has it: without it INVPCID raises #UD in the guest,
     * which sees the host's INVPCID in CPUID (Linux uses it to flush). */
    PROC2_IF_OFFERED = VMX_PROC2_ENABLE_INVPCID,
    EXIT_WANT = VMX_EXITCTL_HOST_64BIT | VMX_EXITCTL_SAVE_PAT | VMX_EXITCTL_LOAD_PAT | VMX_EXITCTL_SAVE_EFER |
                VMX_EXITCTL_LOAD_EFER,
    ENTRY_WANT = VMX_ENTRYCTL_LOAD_PAT | VMX_ENTRYCTL_LOAD_EFER,
};
#define EPT_CAPS_WANT                                                                                      \
    (VMX_EPT_CAP_WALK_4 | VMX_EPT_CAP_MEMTYPE_WB | VMX_EPT_CAP_INVEPT | VMX_EPT_CAP_INVEPT_ALL | \
     VMX_VPID_CAP_INVVPID | VMX_VPID_CAP_INVVPID_ALL)

/* The guest's syscall MSRs: loaded on entry and stored on exit from one
 * area, the host's loaded from another on exit (no software cost). */
#define SWITCHED_MSRS 5
static const uint32_t switched_msrs[SWITCHED_MSRS] = {MSR_STAR, MSR_LSTAR, MSR_CSTAR, MSR_SFMASK, MSR_KERNEL_GS_BASE};

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

struct msr_entry {
    uint32_t index, reserved;
    uint64_t value;
};

/* One page from the VM PD's quota; gpr first (the entry code's layout). */
struct vcpu_hw {
    uint64_t gpr[16]; /* encoding order; gpr[4] unused (RSP is in the VMCS) */
    struct msr_entry guest_msrs[SWITCHED_MSRS] __attribute__((aligned(16)));
    struct msr_entry host_msrs[SWITCHED_MSRS] __attribute__((aligned(16)));
    void *vmcs;
    struct vcpu_hw *next_stale;
    uint64_t eptp, iopm_pa, cr2, xcr0, ctrl, qual[2], inst_len, cr0_mask, cr4_mask;
    struct desc_ptr host_gdtr, host_idtr;
    uint32_t cpu; /* whose VMCS cache holds it; NOT_LOADED before its first use */
    uint32_t proc, entry, vpid_gen;
    uint32_t fail_kind; /* DJ_VMFAIL_* of a refused value: entries fail until a load fixes it */
    bool launched;
};
_Static_assert(sizeof(struct vcpu_hw) <= PAGE_SIZE, "vcpu_hw fits a page");

static struct {
    uint64_t basic, pin, proc, proc2, exit, entry, ept_vpid, cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    uint64_t msr_bitmap_pa;
} caps;

static struct vmx_cpu {
    bool on;               /* VMXON done */
    uint64_t current_vmcs; /* physical address of the current VMCS, 0: none */
    uint32_t vpid_next, vpid_gen;
    struct vcpu_hw *stale; /* destroyed on another CPU, still to clear (vmx_vcpu_destroy) */
} vmx_cpus[MAX_CPUS];

/* ---- Entering the guest: 0 after a VM exit (guest GPRs in gpr[]), 1 for
 * VMfailInvalid, 2 for VMfailValid. ---- */
int vmx_enter(uint64_t *gpr, int launched);
void vmx_exit_stub(void);
#define XSTR(x) STR(x)
#define STR(x) #x
__asm__(".text\n"
        ".globl vmx_enter\n"
        "vmx_enter:\n"
        "    push %rbp; push %rbx; push %r12; push %r13; push %r14; push %r15; push %rdi\n"
        "    mov $" XSTR(VMCS_HOST_RSP) ", %eax; vmwrite %rsp, %rax\n"
        "    test %esi, %esi\n"
        "    mov 8(%rdi), %rcx; mov 16(%rdi), %rdx; mov 24(%rdi), %rbx; mov 40(%rdi), %rbp; mov 48(%rdi), %rsi\n"
        "    mov 64(%rdi), %r8; mov 72(%rdi), %r9; mov 80(%rdi), %r10; mov 88(%rdi), %r11; mov 96(%rdi), %r12\n"
        "    mov 104(%rdi), %r13; mov 112(%rdi), %r14; mov 120(%rdi), %r15; mov 0(%rdi), %rax; mov 56(%rdi), %rdi\n"
        "    jnz 1f\n"
        "    vmlaunch; jmp 2f\n"
        "1:  vmresume\n"
        "2:  mov $1, %eax; jc 3f; mov $2, %eax\n"
        "3:  add $8, %rsp; pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp\n"
        "    ret\n"
        ".globl vmx_exit_stub\n"
        "vmx_exit_stub:\n" /* RSP = HOST_RSP: the saved gpr pointer on top */
        "    push %rdi; mov 8(%rsp), %rdi\n"
        "    mov %rax, 0(%rdi); mov %rcx, 8(%rdi); mov %rdx, 16(%rdi); mov %rbx, 24(%rdi); mov %rbp, 40(%rdi)\n"
        "    mov %rsi, 48(%rdi); mov %r8, 64(%rdi); mov %r9, 72(%rdi); mov %r10, 80(%rdi); mov %r11, 88(%rdi)\n"
        "    mov %r12, 96(%rdi); mov %r13, 104(%rdi); mov %r14, 112(%rdi); mov %r15, 120(%rdi)\n"
        "    pop %rax; mov %rax, 56(%rdi)\n"
        "    add $8, %rsp; pop %r15; pop %r14; pop %r13; pop %r12; pop %rbx; pop %rbp\n"
        "    xor %eax, %eax; ret\n");

/* ---- Enabling VMX ---- */

/* VMXON on this CPU: feature control, fixed CR0/CR4 bits, CR4.VMXE. */
static bool vmx_cpu_enable(void)
{
    struct vmx_cpu *c = &vmx_cpus[this_cpu()->index];
    if (c->on)
        return true;
    uint64_t fc = rdmsr(MSR_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK))
        wrmsr(MSR_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX);
    uint64_t cr0 = read_cr0(), cr4 = read_cr4() | CR4_VMXE | caps.cr4_fixed0, region = 0;
    if (!(rdmsr(MSR_FEATURE_CONTROL) & FEATURE_CONTROL_VMXON_OUTSIDE_SMX) ||
        (cr0 & caps.cr0_fixed0) != caps.cr0_fixed0 || (cr0 & ~caps.cr0_fixed1) || (cr4 & ~caps.cr4_fixed1) ||
        !(region = frame_alloc()))
        return false;
    memset(phys_to_virt(region), 0, PAGE_SIZE);
    *(uint32_t *)phys_to_virt(region) = VMX_BASIC_REVISION(caps.basic);
    write_cr4(cr4);
    if (!vmx_vmxon(region)) {
        write_cr4(read_cr4() & ~CR4_VMXE);
        frame_free(region);
        return false;
    }
    c->on = true;
    c->vpid_next = c->vpid_gen = 1;
    vmx_invalidate(true, INVEPT_ALL_CONTEXT, 0);
    vmx_invalidate(false, INVVPID_ALL_CONTEXT, 0);
    return true;
}

static bool has_controls(uint32_t msr, uint64_t *cap, uint32_t want)
{
    *cap = rdmsr((caps.basic & VMX_BASIC_TRUE_CTLS) && msr != MSR_VMX_PROCBASED_CTLS2 ? msr + MSR_VMX_TRUE_CTLS_OFFSET
                                                                                     : msr);
    return (vmx_adjust_controls(*cap, want) & want) == want;
}

static bool vmx_init_bsp(void)
{
    caps.basic = rdmsr(MSR_VMX_BASIC);
    if (VMX_BASIC_REGION_SIZE(caps.basic) > PAGE_SIZE || (caps.basic & VMX_BASIC_PHYS_32BIT) ||
        !(caps.basic & VMX_BASIC_INS_OUTS_INFO) ||
        VMX_BASIC_MEMTYPE(caps.basic) != EPT_MEMTYPE_WB || !has_controls(MSR_VMX_PINBASED_CTLS, &caps.pin, PIN_WANT) ||
        !has_controls(MSR_VMX_PROCBASED_CTLS, &caps.proc, PROC_WANT) ||
        !has_controls(MSR_VMX_EXIT_CTLS, &caps.exit, EXIT_WANT) ||
        !has_controls(MSR_VMX_ENTRY_CTLS, &caps.entry, ENTRY_WANT) ||
        !has_controls(MSR_VMX_PROCBASED_CTLS2, &caps.proc2, PROC2_WANT))
        return false;
    caps.ept_vpid = rdmsr(MSR_VMX_EPT_VPID_CAP);
    for (unsigned i = 0; i < 4; i++) /* CR0_FIXED0, CR0_FIXED1, CR4_FIXED0, CR4_FIXED1 */
        (&caps.cr0_fixed0)[i] = rdmsr(MSR_VMX_CR0_FIXED0 + i);
    uint64_t bitmap = (caps.ept_vpid & EPT_CAPS_WANT) == EPT_CAPS_WANT ? frame_alloc() : 0;
    if (!bitmap)
        return false;
    uint8_t *b = phys_to_virt(bitmap);
    memset(b, 0xff, PAGE_SIZE);
    for (unsigned i = 0; i < VIRT_OPEN_MSRS; i++) { /* every other MSR exits */
        unsigned at = (virt_open_msrs[i] >= VMX_MSR_HIGH_BASE ? VMX_MSR_BITMAP_HIGH : 0) +
                      (virt_open_msrs[i] & VMX_MSR_INDEX_MASK) / 8;
        uint8_t bit = (uint8_t)(1u << (virt_open_msrs[i] % 8));
        b[at] &= (uint8_t)~bit;
        b[at + VMX_MSR_BITMAP_WRITE] &= (uint8_t)~bit;
    }
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
    if (!bsp || caps.msr_bitmap_pa) /* APs, and the BSP again after the self-test */
        return caps.msr_bitmap_pa && vmx_cpu_enable();
    return cpu_features.vmx && vmx_init_bsp();
}

/* EPT leaf flags. RAM follows the guest's PAT; device memory keeps its
 * type whatever the guest says. */
uint64_t vmx_gpt_leaf_flags(unsigned rights, unsigned cache)
{
    uint64_t e = EPT_READ | ((rights & DJ_MEM_W) ? EPT_WRITE : 0) | ((rights & DJ_MEM_X) ? EPT_EXEC : 0);
    if (cache == DJ_CACHE_WB)
        return e | EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT;
    return e | (cache == DJ_CACHE_WC ? EPT_MEMTYPE_WC : EPT_MEMTYPE_UC) << EPT_MEMTYPE_SHIFT | EPT_IGNORE_PAT;
}

/* ---- Creating and destroying vCPUs ---- */

struct vcpu_hw *vmx_vcpu_create(struct pd *vm, int *status)
{
    void *vmcs;
    struct vcpu_hw *v = virt_alloc_pair(vm, &vmcs, status);
    if (!v)
        return 0;
    v->vmcs = vmcs;
    v->eptp = virt_to_phys(vm->root) | EPT_MEMTYPE_WB | EPTP_WALK_LENGTH_4;
    v->iopm_pa = virt_to_phys(vm->vm_iopm);
    v->xcr0 = virt_reset_state.xcr0;
    v->cpu = NOT_LOADED;
    for (unsigned i = 0; i < SWITCHED_MSRS; i++)
        v->guest_msrs[i].index = v->host_msrs[i].index = switched_msrs[i];
    return v;
}

/* Only the CPU a VMCS is active on may VMCLEAR it (which writes back
 * what that CPU caches of it): a vCPU destroyed elsewhere pays its quota
 * back at once but keeps its pages until its CPU's next run clears them. */
static void vmcs_clear(struct vmx_cpu *c, struct vcpu_hw *v)
{
    vmx_vmclear(virt_to_phys(v->vmcs));
    if (c->current_vmcs == virt_to_phys(v->vmcs))
        c->current_vmcs = 0;
}

static void clear_stale(struct vmx_cpu *c)
{
    for (struct vcpu_hw *v = __atomic_exchange_n(&c->stale, 0, __ATOMIC_ACQUIRE), *next; v; v = next) {
        next = v->next_stale;
        vmcs_clear(c, v);
        frame_free(virt_to_phys(v->vmcs));
        frame_free(virt_to_phys(v));
    }
}

void vmx_vcpu_destroy(struct pd *vm, struct vcpu_hw *v)
{
    if (v->cpu != NOT_LOADED && v->cpu != this_cpu()->index) {
        struct vmx_cpu *c = &vmx_cpus[v->cpu];
        v->next_stale = __atomic_load_n(&c->stale, __ATOMIC_RELAXED);
        while (!__atomic_compare_exchange_n(&c->stale, &v->next_stale, v, true, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            ;
        quota_release(vm->pages.quota, 2);
        return;
    }
    if (v->cpu != NOT_LOADED)
        vmcs_clear(&vmx_cpus[v->cpu], v);
    page_source_free(&vm->pages, v->vmcs);
    page_source_free(&vm->pages, v);
}

/* ---- The VMCS: set up on the vCPU's CPU at its first use ---- */

static void write_segment(unsigned i, const struct dj_vm_seg *s)
{
    vmwrite(VMCS_GUEST_SEL + 2 * i, s->sel);
    vmwrite(VMCS_GUEST_LIMIT + 2 * i, s->limit);
    vmwrite(VMCS_GUEST_BASE + 2 * i, s->base);
    vmwrite(VMCS_GUEST_AR + 2 * i, s->ar ? (s->ar & 0xffu) | (s->ar & 0xf00u) << 4 : VMX_AR_UNUSABLE);
}

static void read_segment(unsigned i, struct dj_vm_seg *s)
{
    uint32_t ar = (uint32_t)vmread(VMCS_GUEST_AR + 2 * i);
    *s = (struct dj_vm_seg){(uint16_t)vmread(VMCS_GUEST_SEL + 2 * i),
                            (ar & VMX_AR_UNUSABLE) ? 0 : (uint16_t)((ar & 0xff) | ((ar >> 4) & 0xf00)),
                            (uint32_t)vmread(VMCS_GUEST_LIMIT + 2 * i), vmread(VMCS_GUEST_BASE + 2 * i)};
}

static uint64_t cr_view(const struct vcpu_hw *v, bool cr4)
{
    uint64_t mask = cr4 ? v->cr4_mask : v->cr0_mask;
    return (vmread(cr4 ? VMCS_GUEST_CR4 : VMCS_GUEST_CR0) & ~mask) | (vmread(cr4 ? VMCS_CR4_SHADOW : VMCS_CR0_SHADOW) & mask);
}

/* The CR0/CR4 bits the host owns (the VMX fixed bits, VMXE), or all of
 * them while the VMM wants every write (DJ_CTRL_CR_WRITE); the read
 * shadows hold the guest's view of every bit. */
static void set_cr_masks(struct vcpu_hw *v, bool all)
{
    uint64_t cr0 = cr_view(v, false), cr4 = cr_view(v, true);
    v->cr0_mask = all ? ~0ull : (caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)) | ~caps.cr0_fixed1;
    v->cr4_mask = all ? ~0ull : caps.cr4_fixed0 | ~caps.cr4_fixed1;
    vmwrite(VMCS_CR0_MASK, v->cr0_mask);
    vmwrite(VMCS_CR4_MASK, v->cr4_mask);
    vmwrite(VMCS_CR0_SHADOW, cr0);
    vmwrite(VMCS_CR4_SHADOW, cr4);
}

/* The fields that start at zero and that loading the reset state does not
 * write (a fresh VMCS's content is the implementation's). */
static const uint16_t zeroed_fields[] = {
    VMCS_GUEST_PENDING_DBG, VMCS_GUEST_INTERRUPTIBILITY, VMCS_GUEST_ACTIVITY, VMCS_GUEST_DEBUGCTL,
    VMCS_EXCEPTION_BITMAP, VMCS_PF_ERROR_MASK, VMCS_PF_ERROR_MATCH, VMCS_CR3_TARGET_COUNT, VMCS_ENTRY_INTR_INFO,
    VMCS_HOST_SEL + 8, VMCS_HOST_SEL + 10,
};

/* Controls, host state and the architectural reset state (virt.h). */
static void setup_vmcs(struct vcpu_hw *v)
{
    v->proc = vmx_adjust_controls(caps.proc, PROC_WANT);
    v->entry = vmx_adjust_controls(caps.entry, ENTRY_WANT);
    const uint64_t fields[][2] = {
        {VMCS_PIN_CTLS, vmx_adjust_controls(caps.pin, PIN_WANT)}, {VMCS_PROC_CTLS, v->proc},
        {VMCS_PROC2_CTLS, vmx_adjust_controls(caps.proc2, PROC2_WANT | PROC2_IF_OFFERED)},
        {VMCS_EXIT_CTLS, vmx_adjust_controls(caps.exit, EXIT_WANT)}, {VMCS_ENTRY_CTLS, v->entry},
        {VMCS_IO_BITMAP_A, v->iopm_pa}, {VMCS_IO_BITMAP_B, v->iopm_pa + PAGE_SIZE},
        {VMCS_MSR_BITMAP, caps.msr_bitmap_pa}, {VMCS_EPT_POINTER, v->eptp},
        {VMCS_EXIT_MSR_STORE_ADDR, virt_to_phys(v->guest_msrs)}, {VMCS_ENTRY_MSR_LOAD_ADDR, virt_to_phys(v->guest_msrs)},
        {VMCS_EXIT_MSR_LOAD_ADDR, virt_to_phys(v->host_msrs)}, {VMCS_EXIT_MSR_STORE_COUNT, SWITCHED_MSRS},
        {VMCS_ENTRY_MSR_LOAD_COUNT, SWITCHED_MSRS}, {VMCS_EXIT_MSR_LOAD_COUNT, SWITCHED_MSRS},
        {VMCS_LINK_POINTER, ~0ull},
        {VMCS_HOST_CR0, read_cr0()}, {VMCS_HOST_CR4, read_cr4()}, {VMCS_HOST_SEL + 2, GDT_KERNEL_CS},
        {VMCS_HOST_SEL + 4, GDT_KERNEL_DS}, {VMCS_HOST_SEL + 6, GDT_KERNEL_DS}, {VMCS_HOST_SEL, GDT_KERNEL_DS},
        {VMCS_HOST_SEL + 12, GDT_TSS}, {VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE)},
        {VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE)}, {VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)&this_cpu()->tables.tss},
        {VMCS_HOST_PAT, rdmsr(MSR_PAT)}, {VMCS_HOST_EFER, rdmsr(MSR_EFER)},
        {VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_stub},
    };
    for (unsigned i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
        vmwrite(fields[i][0], fields[i][1]);
    for (unsigned i = 0; i < sizeof(zeroed_fields) / sizeof(zeroed_fields[0]); i++)
        vmwrite(zeroed_fields[i], 0);
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(v->host_gdtr), "=m"(v->host_idtr));
    vmwrite(VMCS_HOST_GDTR_BASE, v->host_gdtr.base);
    vmwrite(VMCS_HOST_IDTR_BASE, v->host_idtr.base);
    for (unsigned i = 0; i < SWITCHED_MSRS; i++)
        v->host_msrs[i].value = rdmsr(switched_msrs[i]);
    vmx_vcpu_load(v, &virt_reset_state, DJ_MTD_RIP_RSP | DJ_MTD_RFLAGS | DJ_MTD_CR | DJ_MTD_SEG | DJ_MTD_SYS_SEG |
                                             DJ_MTD_DR7 | DJ_MTD_SYSENTER | DJ_MTD_PAT | DJ_MTD_TSC);
    v->cr0_mask = v->cr4_mask = ~0ull; /* the shadows hold the whole view */
    set_cr_masks(v, false);
}

/* Make v's VMCS current on this CPU (set up at its first use); false on
 * another CPU than its own (vCPUs are pinned). */
static bool vmcs_current(struct vcpu_hw *v)
{
    uint32_t cpu = this_cpu()->index;
    uint64_t pa = virt_to_phys(v->vmcs);
    if (v->cpu == NOT_LOADED) {
        *(uint32_t *)v->vmcs = VMX_BASIC_REVISION(caps.basic);
        if (!vmx_vmclear(pa) || !vmx_vmptrld(pa))
            return false;
        v->cpu = cpu;
        vmx_cpus[cpu].current_vmcs = pa;
        setup_vmcs(v);
    }
    if (v->cpu != cpu || (vmx_cpus[cpu].current_vmcs != pa && !vmx_vmptrld(pa)))
        return false;
    vmx_cpus[cpu].current_vmcs = pa;
    return true;
}

/* ---- State transfer ---- */

/* State words that are one VMCS field each, and what their values must
 * be: anything (NATURAL), 32 bits (CHECK32: a 32-bit field; LIMIT: a
 * uint32_t word), a canonical address, an RFLAGS, EFER or PAT value, a
 * physical address. */
enum { NATURAL, CHECK32, LIMIT, CANONICAL, RFLAGS, EFER, PAT, PHYS };
#define AT(field) offsetof(struct dj_vcpu_state, field)
static const struct plain_field {
    uint16_t field, offset, kind;
    uint64_t group;
} plain_fields[] = {
    {VMCS_GUEST_RIP, AT(rip), NATURAL, DJ_MTD_RIP_RSP},
    {VMCS_GUEST_RSP, AT(gpr[DJ_GPR_RSP]), NATURAL, DJ_MTD_RIP_RSP},
    {VMCS_GUEST_RFLAGS, AT(rflags), RFLAGS, DJ_MTD_RFLAGS},
    {VMCS_GUEST_CR3, AT(cr3), PHYS, DJ_MTD_CR},
    {VMCS_GUEST_EFER, AT(efer), EFER, DJ_MTD_CR},
    {VMCS_GUEST_GDTR_BASE, AT(gdtr.base), CANONICAL, DJ_MTD_SYS_SEG},
    {VMCS_GUEST_GDTR_LIMIT, AT(gdtr.limit), LIMIT, DJ_MTD_SYS_SEG},
    {VMCS_GUEST_IDTR_BASE, AT(idtr.base), CANONICAL, DJ_MTD_SYS_SEG},
    {VMCS_GUEST_IDTR_LIMIT, AT(idtr.limit), LIMIT, DJ_MTD_SYS_SEG},
    {VMCS_GUEST_DR7, AT(dr7), NATURAL, DJ_MTD_DR7},
    {VMCS_GUEST_SYSENTER_CS, AT(sysenter_cs), CHECK32, DJ_MTD_SYSENTER},
    {VMCS_GUEST_SYSENTER_ESP, AT(sysenter_esp), CANONICAL, DJ_MTD_SYSENTER},
    {VMCS_GUEST_SYSENTER_EIP, AT(sysenter_eip), CANONICAL, DJ_MTD_SYSENTER},
    {VMCS_GUEST_PAT, AT(pat), PAT, DJ_MTD_PAT},
    {VMCS_GUEST_INTERRUPTIBILITY, AT(intr_state), CHECK32, DJ_MTD_STA},
    {VMCS_GUEST_ACTIVITY, AT(actv_state), CHECK32, DJ_MTD_STA},
    {VMCS_TSC_OFFSET, AT(tsc_offset), NATURAL, DJ_MTD_TSC},
};
#define PLAIN_FIELDS (sizeof(plain_fields) / sizeof(plain_fields[0]))
#define field_size(f) ((f)->kind == LIMIT ? sizeof(uint32_t) : sizeof(uint64_t))

static void refuse(struct vcpu_hw *v, uint32_t kind)
{
    v->fail_kind = v->fail_kind ? v->fail_kind : kind;
}

/* Whether to load a group of state the VMM sent: only when it is wanted
 * and good; bad state makes the next entry fail instead. */
static bool accept(struct vcpu_hw *v, uint64_t wanted, bool bad)
{
    if (wanted && bad)
        refuse(v, DJ_VMFAIL_STATE);
    return wanted && !bad;
}

static bool value_ok(unsigned kind, uint64_t x)
{
    switch (kind) {
    case CHECK32: return !(x >> 32);
    case CANONICAL: return is_canonical(x);
    case RFLAGS: return (x & RFLAGS_RESERVED_1) && !(x & ~RFLAGS_VALID);
    case EFER: return !(x & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE));
    case PHYS: return !(x >> cpu_features.phys_bits);
    case PAT: return virt_pat_ok(x);
    }
    return true;
}

static void load_special(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd)
{
    if (accept(v, mtd & DJ_MTD_CR, (s->cr0 >> 32) || (s->cr4 >> 32) || (s->cr4 & CR4_VMXE) || !virt_xcr0_ok(s->xcr0) ||
                                       (s->cr0 & (CR0_NW | CR0_CD)) == CR0_NW)) {
        vmwrite(VMCS_GUEST_CR0, s->cr0 | (caps.cr0_fixed0 & ~(CR0_PE | CR0_PG)));
        vmwrite(VMCS_CR0_SHADOW, s->cr0);
        vmwrite(VMCS_GUEST_CR4, s->cr4 | caps.cr4_fixed0);
        vmwrite(VMCS_CR4_SHADOW, s->cr4);
        v->entry = (s->efer & EFER_LMA) ? v->entry | VMX_ENTRYCTL_IA32E_GUEST : v->entry & ~VMX_ENTRYCTL_IA32E_GUEST;
        vmwrite(VMCS_ENTRY_CTLS, v->entry);
        v->cr2 = s->cr2;
        v->xcr0 = s->xcr0;
    }
    for (unsigned i = 0; i <= VMCS_SEG_TR; i++) {
        const struct dj_vm_seg *seg = &(&s->es)[i];
        if (accept(v, mtd & (i < SEGMENTS ? DJ_MTD_SEG : DJ_MTD_SYS_SEG),
                   (seg->ar & ~COMPACT_AR) || !is_canonical(seg->base)))
            write_segment(i, seg);
    }
    if (accept(v, mtd & DJ_MTD_SYSCALL,
               !is_canonical(s->lstar) || !is_canonical(s->cstar) || !is_canonical(s->kernel_gs_base)))
        for (unsigned i = 0; i < SWITCHED_MSRS; i++)
            v->guest_msrs[i].value = (&s->star)[i]; /* star .. kernel_gs_base: switched_msrs' order */
    if (accept(v, mtd & DJ_MTD_INJ, !virt_event_ok(s->inj_info, s->inj_error) || (s->inst_len >> 32))) {
        vmwrite(VMCS_ENTRY_INTR_INFO, s->inj_info);
        vmwrite(VMCS_ENTRY_ERROR_CODE, s->inj_error);
        vmwrite(VMCS_ENTRY_INSTRUCTION_LEN, s->inst_len);
    }
}

static void load_ctrl(struct vcpu_hw *v, uint64_t ctrl)
{
    if (ctrl & ~(DJ_CTRL_INTR_WINDOW | DJ_CTRL_CR_WRITE | DJ_CTRL_HLT_PASS | ~0ull << DJ_CTRL_EXC_SHIFT))
        return refuse(v, DJ_VMFAIL_CONTROL);
    v->ctrl = ctrl;
    v->proc &= ~(VMX_PROC_INTR_WINDOW_EXITING | VMX_PROC_CR3_LOAD_EXITING);
    v->proc |= (ctrl & DJ_CTRL_INTR_WINDOW) ? VMX_PROC_INTR_WINDOW_EXITING : 0;
    v->proc = vmx_adjust_controls(caps.proc, v->proc | ((ctrl & DJ_CTRL_CR_WRITE) ? VMX_PROC_CR3_LOAD_EXITING : 0));
    vmwrite(VMCS_PROC_CTLS, v->proc);
    vmwrite(VMCS_EXCEPTION_BITMAP, ctrl >> DJ_CTRL_EXC_SHIFT);
    set_cr_masks(v, ctrl & DJ_CTRL_CR_WRITE);
}

bool vmx_vcpu_load(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd)
{
    if (!vmcs_current(v))
        return false;
    v->fail_kind = 0;
    if (!accept(v, mtd & DJ_MTD_STA, (s->intr_state & ~(DJ_INTR_STI_SHADOW | DJ_INTR_MOVSS_SHADOW | DJ_INTR_NMI_BLOCKED)) ||
                                         s->actv_state > DJ_ACTV_HLT))
        mtd &= ~DJ_MTD_STA;
    for (unsigned i = 0; (mtd & DJ_MTD_GPR) && i < 16; i++)
        v->gpr[i] = i == DJ_GPR_RSP ? 0 : s->gpr[i];
    /* A VMM that moves RIP on has completed the instruction, and with it
     * an STI or MOV SS shadow (which would refuse an injection). */
    uint64_t intr = vmread(VMCS_GUEST_INTERRUPTIBILITY), shadows = DJ_INTR_STI_SHADOW | DJ_INTR_MOVSS_SHADOW;
    if ((mtd & DJ_MTD_RIP_RSP) && !(mtd & DJ_MTD_STA) && (intr & shadows) && s->rip != vmread(VMCS_GUEST_RIP))
        vmwrite(VMCS_GUEST_INTERRUPTIBILITY, intr & ~shadows);
    for (unsigned i = 0; i < PLAIN_FIELDS; i++) {
        const struct plain_field *f = &plain_fields[i];
        uint64_t val = 0;
        if (!(mtd & f->group)) /* skipped early: the exit path's cost */
            continue;
        memcpy(&val, (const uint8_t *)s + f->offset, field_size(f));
        if (accept(v, true, !value_ok(f->kind, val)))
            vmwrite(f->field, val);
    }
    load_special(v, s, mtd);
    if (mtd & DJ_MTD_CTRL)
        load_ctrl(v, s->ctrl);
    return true;
}

void vmx_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd)
{
    if (!vmcs_current(v))
        return;
    for (unsigned i = 0; (mtd & DJ_MTD_GPR) && i < 16; i++)
        if (i != DJ_GPR_RSP)
            s->gpr[i] = v->gpr[i];
    for (unsigned i = 0; i < PLAIN_FIELDS; i++) {
        const struct plain_field *f = &plain_fields[i];
        if (!(mtd & f->group))
            continue;
        uint64_t val = vmread(f->field);
        memcpy((uint8_t *)s + f->offset, &val, field_size(f)); /* the low bytes: x86 is little-endian */
    }
    if (mtd & DJ_MTD_RIP_RSP)
        s->inst_len = v->inst_len;
    if (mtd & DJ_MTD_QUAL)
        memcpy(s->qual, v->qual, sizeof(s->qual));
    if (mtd & DJ_MTD_CR) {
        s->cr0 = cr_view(v, false);
        s->cr4 = cr_view(v, true);
        s->cr2 = v->cr2;
        s->xcr0 = v->xcr0;
    }
    for (unsigned i = 0; i <= VMCS_SEG_TR; i++)
        if (mtd & (i < SEGMENTS ? DJ_MTD_SEG : DJ_MTD_SYS_SEG))
            read_segment(i, &(&s->es)[i]);
    for (unsigned i = 0; (mtd & DJ_MTD_SYSCALL) && i < SWITCHED_MSRS; i++)
        (&s->star)[i] = v->guest_msrs[i].value;
    if (mtd & DJ_MTD_INJ) { /* an injection no entry delivered yet (an exit clears it), else what the exit interrupted */
        bool pending = vmread(VMCS_ENTRY_INTR_INFO) & DJ_INJ_VALID;
        s->inj_info = vmread(pending ? VMCS_ENTRY_INTR_INFO : VMCS_IDT_VECTORING_INFO);
        s->inj_error = vmread(pending ? VMCS_ENTRY_ERROR_CODE : VMCS_IDT_VECTORING_ERROR_CODE);
    }
    if (mtd & DJ_MTD_TSC)
        s->tsc = rdtsc() + s->tsc_offset;
    if (mtd & DJ_MTD_CTRL)
        s->ctrl = v->ctrl;
}

/* ---- Exits ---- */

/* Exits that need no more than their reason: DJ_VMEXIT_*, or OTHER(code)
 * for DJ_VMEXIT_OTHER with DJ_VMOTHER_* code. */
static const uint8_t simple_exits[VMX_EXIT_REASONS] = {
    [VMX_EXIT_TRIPLE_FAULT] = DJ_VMEXIT_SHUTDOWN, [VMX_EXIT_INIT] = DJ_VMEXIT_INIT,
    [VMX_EXIT_CPUID] = DJ_VMEXIT_CPUID, [VMX_EXIT_HLT] = DJ_VMEXIT_HLT, [VMX_EXIT_VMCALL] = DJ_VMEXIT_HYPERCALL,
    [VMX_EXIT_XSETBV] = DJ_VMEXIT_XSETBV, [VMX_EXIT_PAUSE] = DJ_VMEXIT_PAUSE,
    [VMX_EXIT_TASK_SWITCH] = VIRT_OTHER(DJ_VMOTHER_TASK_SWITCH), [VMX_EXIT_INVD] = VIRT_OTHER(DJ_VMOTHER_INVD),
    [VMX_EXIT_WBINVD] = VIRT_OTHER(DJ_VMOTHER_WBINVD), [VMX_EXIT_MONITOR] = VIRT_OTHER(DJ_VMOTHER_MONITOR),
    [VMX_EXIT_MWAIT] = VIRT_OTHER(DJ_VMOTHER_MWAIT), [VMX_EXIT_RDPMC] = VIRT_OTHER(DJ_VMOTHER_RDPMC),
    [VMX_EXIT_VMCLEAR ... VMX_EXIT_VMXON] = VIRT_OTHER(DJ_VMOTHER_VIRT_INSN), [VMX_EXIT_INVEPT] = VIRT_OTHER(DJ_VMOTHER_VIRT_INSN),
    [VMX_EXIT_INVVPID] = VIRT_OTHER(DJ_VMOTHER_VIRT_INSN), [VMX_EXIT_VMFUNC] = VIRT_OTHER(DJ_VMOTHER_VIRT_INSN),
};

static uint64_t io_qualification(uint64_t q)
{
    uint64_t dj = VMX_IO_PORT(q) | (uint64_t)VMX_IO_SIZE(q) << 16 | ((q & VMX_IO_IN) ? DJ_VMIO_IN : 0) |
                  ((q & VMX_IO_REP) ? DJ_VMIO_REP : 0);
    if (!(q & VMX_IO_STRING))
        return dj;
    uint64_t info = vmread(VMCS_EXIT_INSTRUCTION_INFO); /* address size and segment (VMX_BASIC_INS_OUTS_INFO) */
    return dj | DJ_VMIO_STRING | (2ull << VMX_INSN_ADDR_SIZE(info)) << 22 | VMX_INSN_SEG(info) << 26;
}

/* The DJ_VMEXIT_* of the exit that just happened (and its qualification);
 * VIRT_EXIT_HOST for what only served the host (an interrupt or NMI). */
static unsigned decode_exit(struct vcpu_hw *v, uint32_t reason)
{
    uint64_t q = vmread(VMCS_EXIT_QUALIFICATION), info = vmread(VMCS_EXIT_INTR_INFO);
    v->qual[0] = v->qual[1] = 0;
    v->inst_len = vmread(VMCS_EXIT_INSTRUCTION_LEN); /* of instruction exits and software exceptions */
    switch (reason) {
    case VMX_EXIT_EXCEPTION_NMI:
        if ((info & VMX_INTR_TYPE_MASK) == DJ_INJ_NMI) {
            __asm__ volatile("int $2"); /* the host's NMI, taken now */
            return VIRT_EXIT_HOST;
        }
        v->qual[0] = (info & DJ_INJ_ERROR_CODE) ? vmread(VMCS_EXIT_INTR_ERROR_CODE) : 0;
        v->qual[1] = q; /* #PF: the address; #DB: DR6 bits */
        return DJ_VMEXIT_EXCEPTION(DJ_INJ_VECTOR(info));
    case VMX_EXIT_EXTINT:
        return VIRT_EXIT_HOST;
    case VMX_EXIT_INTR_WINDOW:
        load_ctrl(v, v->ctrl & ~DJ_CTRL_INTR_WINDOW);
        return DJ_VMEXIT_RECALL;
    case VMX_EXIT_EPT_VIOLATION:
        v->qual[0] = vmread(VMCS_GUEST_PHYSICAL_ADDRESS);
        v->qual[1] = (q & EPT_VIOL_ACCESS) | ((q & EPT_VIOL_PRESENT) ? DJ_VMMEM_PRESENT : 0);
        return DJ_VMEXIT_MEM;
    case VMX_EXIT_IO:
        v->qual[0] = io_qualification(q);
        v->qual[1] = vmread(VMCS_GUEST_RIP) + v->inst_len;
        return DJ_VMEXIT_IO;
    case VMX_EXIT_RDMSR:
    case VMX_EXIT_WRMSR:
        v->qual[0] = (uint32_t)v->gpr[1];
        v->qual[1] = (uint32_t)v->gpr[0] | v->gpr[2] << 32;
        return reason == VMX_EXIT_RDMSR ? DJ_VMEXIT_RDMSR : DJ_VMEXIT_WRMSR;
    case VMX_EXIT_CR: /* number, access type (0 MOV to, 1 MOV from, 2 CLTS, 3 LMSW), GPR; */
    case VMX_EXIT_DR: /* the same for DRs: number in bits 2:0, bits 3 and 5 clear (MOV to or from) */
        v->qual[0] = (q & 0xf) | (((q >> 4) & 3) == 1 ? 0 : DJ_VMCR_WRITE) |
                     (((q >> 4) & 3) <= 1 ? (q >> 8) & 0xf : DJ_VMCR_GPR_UNKNOWN) << 8;
        return reason == VMX_EXIT_CR ? DJ_VMEXIT_CR : DJ_VMEXIT_DR;
    }
    return virt_simple_exit(reason < VMX_EXIT_REASONS ? simple_exits[reason] : 0, reason, v->qual);
}

static unsigned entry_failed(struct vcpu_hw *v, uint64_t code, uint64_t kind)
{
    v->qual[0] = code;
    v->qual[1] = kind;
    return DJ_VMEXIT_ENTRY_FAIL;
}

unsigned vmx_vcpu_run(struct vcpu_hw *v, bool flush_tlb)
{
    struct vmx_cpu *c = &vmx_cpus[this_cpu()->index];
    if (c->stale)
        clear_stale(c);
    if (!vmcs_current(v))
        return entry_failed(v, VMXERR_VMPTRLD_INVALID_ADDR, DJ_VMFAIL_CONTROL);
    if (v->fail_kind)
        return entry_failed(v, v->fail_kind == DJ_VMFAIL_STATE ? VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST_STATE
                                                               : VMXERR_ENTRY_INVALID_CONTROLS, v->fail_kind);
    if (v->vpid_gen != c->vpid_gen || c->vpid_next > VPID_MAX) {
        /* A fresh VPID (per CPU: vCPUs are pinned); it also drops what a
         * former user of the same EPT root left in the TLB. */
        if (c->vpid_next > VPID_MAX) {
            c->vpid_gen++;
            c->vpid_next = 1;
            vmx_invalidate(false, INVVPID_ALL_CONTEXT, 0);
        }
        vmwrite(VMCS_VPID, c->vpid_next++);
        v->vpid_gen = c->vpid_gen;
        flush_tlb = true;
    }
    if (flush_tlb)
        vmx_invalidate(true, (caps.ept_vpid & VMX_EPT_CAP_INVEPT_SINGLE) ? INVEPT_SINGLE_CONTEXT : INVEPT_ALL_CONTEXT,
                       v->eptp);
    vmwrite(VMCS_HOST_CR3, read_cr3());
    bool swap_xcr0 = cpu_features.xsave && v->xcr0 != cpu_features.xcr0;
    if (swap_xcr0)
        virt_xsetbv(v->xcr0);
    write_cr2(v->cr2);
    int rc = vmx_enter(v->gpr, v->launched);
    v->cr2 = read_cr2();
    if (swap_xcr0)
        virt_xsetbv(cpu_features.xcr0);
    /* The exit left the GDT and IDT limits at 0xffff and TR's at 0x67. */
    __asm__ volatile("lgdt %0; lidt %1" ::"m"(v->host_gdtr), "m"(v->host_idtr));
    gdt_reload_tr(&this_cpu()->tables);
    uint64_t error = rc == 2 ? vmread(VMCS_INSTRUCTION_ERROR) : VMXERR_VMPTRLD_INVALID_ADDR;
    if (rc)
        return entry_failed(v, error,
                            error == VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS ? DJ_VMFAIL_STATE : DJ_VMFAIL_CONTROL);
    uint32_t reason = (uint32_t)vmread(VMCS_EXIT_REASON);
    if (reason & VMX_EXIT_ENTRY_FAILURE)
        return entry_failed(v, reason, DJ_VMFAIL_STATE);
    v->launched = true;
    unsigned dj = decode_exit(v, reason & 0xffff);
    uint64_t vectoring = vmread(VMCS_IDT_VECTORING_INFO);
    if (dj == VIRT_EXIT_HOST && (vectoring & DJ_INJ_VALID)) {
        /* An event the host interrupted on its way into the guest: deliver it next time. */
        vmwrite(VMCS_ENTRY_INTR_INFO, vectoring & VMX_INTR_INJECTABLE);
        vmwrite(VMCS_ENTRY_ERROR_CODE, vmread(VMCS_IDT_VECTORING_ERROR_CODE));
        vmwrite(VMCS_ENTRY_INSTRUCTION_LEN, v->inst_len);
    }
    return dj;
}
