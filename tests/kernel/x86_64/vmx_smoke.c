/* SPDX-License-Identifier: GPL-2.0-only */
/* VMX smoke self-tests: detect VT-x and its features, then run a tiny guest
 * (CPUID, OUT 0x80, HLT) under EPT and check each VM exit. The guest runs in
 * real mode with unrestricted guest, or in 32-bit paged protected mode when
 * the CPU lacks it. Everything is set up and torn down inside the test:
 * VMXON, one VMCS, EPT tables, VMXOFF, CR4.VMXE cleared again. */
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/frame_alloc.h"
#include "tests/kernel/x86_64/guest_frames.h"
#include "arch/x86_64/gdt.h"
#include "common/string.h"
#include "tests/kernel/ktest.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/vmx.h"

#define RFLAGS_IF (1ull << 9)
#define RFLAGS_FIXED1 (1ull << 1)
#define CR0_ET (1ull << 4)
#define CR4_PSE (1ull << 4)
#define DR7_INIT 0x400ull
#define VMCS_LINK_NONE (~0ull)

/* Guest-physical layout: code, stack, and (protected mode only) a page
 * directory mapping the first 4 MiB with one large page. */
#define GUEST_CODE_GPA 0x1000ull
#define GUEST_STACK_GPA 0x2000ull
#define GUEST_PD_GPA 0x3000ull
#define GUEST_STACK_TOP (GUEST_STACK_GPA + PAGE_SIZE - 16)
#define GUEST_PDE_4M_RW 0x83u /* present, writable, 4 MiB page */
#define GUEST_SEL_CODE 0x08
#define GUEST_SEL_DATA 0x10
#define GUEST_SEL_TSS 0x18
#define GUEST_TSS_LIMIT 0x67

/* cpuid; mov al, 0x42; out 0x80, al; hlt - the same bytes in 16- and 32-bit
 * code. The host answers the CPUID with the values below. */
static const uint8_t guest_code[] = {0x0f, 0xa2, 0xb0, 0x42, 0xe6, 0x80, 0xf4};
#define GUEST_PORT 0x80
#define GUEST_OUT_VALUE 0x42
#define CPUID_ANSWER_EAX 0x12345678u
#define CPUID_ANSWER_EBX 0x6e6f446au /* "jDon" */
#define CPUID_ANSWER_ECX 0x6e6f6a6eu
#define CPUID_ANSWER_EDX 0x21212121u

struct vmx_caps {
    uint64_t basic, misc, ept_vpid;
    uint64_t pin, proc, proc2, exit, entry; /* capability MSR values */
    bool true_ctls, secondary, ept, vpid, unrestricted;
};

/* Guest general-purpose registers, saved and loaded around VM entry; RSP
 * and RIP live in the VMCS. The offsets are used by the assembly below. */
struct vmx_gprs {
    uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Enter the guest (VMLAUNCH, or VMRESUME when resume != 0). Returns 0 after
 * a VM exit with the guest registers in *g, 1 when the instruction failed
 * with VMfailInvalid, 2 with VMfailValid (see VM_INSTRUCTION_ERROR), 3 when
 * HOST_RSP could not be written. Host callee-saved registers and the stack
 * are restored on every path; RFLAGS comes back as 0x2 after an exit. */
int vmx_smoke_enter(struct vmx_gprs *g, int resume);
void vmx_smoke_exit_stub(void);

#define XSTR(x) STR(x)
#define STR(x) #x
__asm__(".text\n"
        ".globl vmx_smoke_enter\n"
        ".type vmx_smoke_enter, @function\n"
        "vmx_smoke_enter:\n"
        "    push %rbp\n"
        "    push %rbx\n"
        "    push %r12\n"
        "    push %r13\n"
        "    push %r14\n"
        "    push %r15\n"
        "    push %rdi\n" /* g: found at (%rsp) again by the exit stub */
        "    mov $" XSTR(VMCS_HOST_RSP) ", %eax\n"
        "    vmwrite %rsp, %rax\n"
        "    jna 3f\n"
        "    test %esi, %esi\n" /* flags survive the movs below */
        "    mov 8(%rdi), %rbx\n"
        "    mov 16(%rdi), %rcx\n"
        "    mov 24(%rdi), %rdx\n"
        "    mov 32(%rdi), %rsi\n"
        "    mov 48(%rdi), %rbp\n"
        "    mov 56(%rdi), %r8\n"
        "    mov 64(%rdi), %r9\n"
        "    mov 72(%rdi), %r10\n"
        "    mov 80(%rdi), %r11\n"
        "    mov 88(%rdi), %r12\n"
        "    mov 96(%rdi), %r13\n"
        "    mov 104(%rdi), %r14\n"
        "    mov 112(%rdi), %r15\n"
        "    mov 0(%rdi), %rax\n"
        "    mov 40(%rdi), %rdi\n"
        "    jnz 1f\n"
        "    vmlaunch\n"
        "    jmp 2f\n"
        "1:  vmresume\n"
        "2:  mov $1, %eax\n" /* still here: the entry failed */
        "    jc 4f\n"
        "    mov $2, %eax\n"
        "    jmp 4f\n"
        "3:  mov $3, %eax\n"
        "4:  add $8, %rsp\n"
        "    pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbx\n"
        "    pop %rbp\n"
        "    ret\n"
        ".size vmx_smoke_enter, . - vmx_smoke_enter\n"
        "\n"
        ".globl vmx_smoke_exit_stub\n"
        ".type vmx_smoke_exit_stub, @function\n"
        "vmx_smoke_exit_stub:\n" /* HOST_RIP: RSP = HOST_RSP, guest GPRs live */
        "    push %rax\n"
        "    mov 8(%rsp), %rax\n"
        "    mov %rbx, 8(%rax)\n"
        "    mov %rcx, 16(%rax)\n"
        "    mov %rdx, 24(%rax)\n"
        "    mov %rsi, 32(%rax)\n"
        "    mov %rdi, 40(%rax)\n"
        "    mov %rbp, 48(%rax)\n"
        "    mov %r8, 56(%rax)\n"
        "    mov %r9, 64(%rax)\n"
        "    mov %r10, 72(%rax)\n"
        "    mov %r11, 80(%rax)\n"
        "    mov %r12, 88(%rax)\n"
        "    mov %r13, 96(%rax)\n"
        "    mov %r14, 104(%rax)\n"
        "    mov %r15, 112(%rax)\n"
        "    pop %rbx\n"
        "    mov %rbx, 0(%rax)\n"
        "    add $8, %rsp\n"
        "    pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbx\n"
        "    pop %rbp\n"
        "    xor %eax, %eax\n"
        "    ret\n"
        ".size vmx_smoke_exit_stub, . - vmx_smoke_exit_stub\n");
_Static_assert(__builtin_offsetof(struct vmx_gprs, rdi) == 40, "asm offsets");
_Static_assert(__builtin_offsetof(struct vmx_gprs, r15) == 112, "asm offsets");

/* Reads the capability MSRs. Returns KTEST_PASS when VMX is usable,
 * otherwise KTEST_SKIP with the reason in why. IA32_FEATURE_CONTROL is
 * locked here (with VMXON outside SMX enabled) when firmware left it open. */
static enum ktest_result vmx_probe(struct vmx_caps *c, char *why, size_t why_len)
{
    memset(c, 0, sizeof(*c));
    if (!cpu_features.vmx) {
        ksnprintf(why, why_len, "no VMX on this CPU");
        return KTEST_SKIP;
    }
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK)) {
        fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMXON_OUTSIDE_SMX;
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
        fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    }
    if (!(fc & FEATURE_CONTROL_VMXON_OUTSIDE_SMX)) {
        ksnprintf(why, why_len, "VMX disabled by firmware");
        return KTEST_SKIP;
    }
    c->basic = rdmsr(MSR_IA32_VMX_BASIC);
    c->misc = rdmsr(MSR_IA32_VMX_MISC);
    c->true_ctls = c->basic & VMX_BASIC_TRUE_CTLS;
    c->pin = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_PINBASED_CTLS : MSR_IA32_VMX_PINBASED_CTLS);
    c->proc = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_PROCBASED_CTLS : MSR_IA32_VMX_PROCBASED_CTLS);
    c->exit = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_EXIT_CTLS : MSR_IA32_VMX_EXIT_CTLS);
    c->entry = rdmsr(c->true_ctls ? MSR_IA32_VMX_TRUE_ENTRY_CTLS : MSR_IA32_VMX_ENTRY_CTLS);
    c->secondary = (c->proc >> 32) & VMX_PROC_SECONDARY_CTLS;
    if (c->secondary) {
        c->proc2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
        uint32_t allowed1 = (uint32_t)(c->proc2 >> 32);
        c->ept = allowed1 & VMX_PROC2_ENABLE_EPT;
        c->vpid = allowed1 & VMX_PROC2_ENABLE_VPID;
        c->unrestricted = allowed1 & VMX_PROC2_UNRESTRICTED_GUEST;
        if (c->ept || c->vpid)
            c->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    }
    return KTEST_PASS;
}

KTEST(vmx_detect)
{
    struct vmx_caps c;
    enum ktest_result r = vmx_probe(&c, why, why_len);
    if (r != KTEST_PASS)
        return r;
    uint64_t size = VMX_BASIC_REGION_SIZE(c.basic);
    uint64_t e = c.ept_vpid;
    kprintf("vmx: revision %#llx, VMCS %llu bytes, memory type %llu, true controls %d, secondary %d\n",
            (unsigned long long)(c.basic & VMX_BASIC_REVISION_MASK), (unsigned long long)size,
            (unsigned long long)VMX_BASIC_MEMTYPE(c.basic), c.true_ctls, c.secondary);
    kprintf("vmx: ept %d (4-level %d, WB %d, 2M %d, 1G %d, A/D %d, invept %d), vpid %d (invvpid %d), "
            "unrestricted guest %d, preemption timer %d\n",
            c.ept, !!(e & VMX_EPT_CAP_WALK_4), !!(e & VMX_EPT_CAP_MEMTYPE_WB), !!(e & VMX_EPT_CAP_2M_PAGES),
            !!(e & VMX_EPT_CAP_1G_PAGES), !!(e & VMX_EPT_CAP_AD_FLAGS), !!(e & VMX_EPT_CAP_INVEPT), c.vpid,
            !!(e & VMX_VPID_CAP_INVVPID), c.unrestricted, !!((c.pin >> 32) & VMX_PIN_PREEMPTION_TIMER));
    KTEST_REQUIRE(size > 0 && size <= PAGE_SIZE, "VMCS region size %llu not in 1..4096", (unsigned long long)size);
    KTEST_REQUIRE(!(c.basic & VMX_BASIC_PHYS_32BIT), "VMX limited to 32-bit physical addresses");
    KTEST_REQUIRE(!c.ept || (e & VMX_EPT_CAP_WALK_4), "EPT without 4-level walks");
    return KTEST_PASS;
}

/* ---- the guest run ---- */

enum { F_VMXON, F_VMCS, F_EPT_PML4, F_EPT_PDPT, F_EPT_PD, F_EPT_PT, F_CODE, F_STACK, F_GUEST_PD, F_COUNT };

struct vmx_run {
    struct vmx_caps caps;
    uint64_t frame[F_COUNT];
    uint64_t eptp;
    bool protected_mode; /* no unrestricted guest: 32-bit paged guest */
    bool write_failed;
    uint64_t failed_field;
    struct vmx_gprs gprs;
    char *why;
    size_t why_len;
};

static void *frame_ptr(const struct vmx_run *r, int f)
{
    return phys_to_virt(r->frame[f]);
}

static void vmcs_write(struct vmx_run *r, uint64_t field, uint64_t value)
{
    if (!vmx_vmwrite(field, value) && !r->write_failed) {
        r->write_failed = true;
        r->failed_field = field;
    }
}

/* EPT: identity-map the guest pages at the start of guest-physical memory. */
static void build_ept(struct vmx_run *r)
{
    guest_nested_tables(r->frame[F_EPT_PML4], r->frame[F_EPT_PDPT], r->frame[F_EPT_PD], r->frame[F_EPT_PT],
                        EPT_RWX);
    uint64_t leaf = EPT_RWX | (EPT_MEMTYPE_WB << EPT_MEMTYPE_SHIFT);
    guest_nested_map(r->frame[F_EPT_PT], GUEST_CODE_GPA, r->frame[F_CODE], leaf);
    guest_nested_map(r->frame[F_EPT_PT], GUEST_STACK_GPA, r->frame[F_STACK], leaf);
    guest_nested_map(r->frame[F_EPT_PT], GUEST_PD_GPA, r->frame[F_GUEST_PD], leaf);
    uint64_t memtype = (r->caps.ept_vpid & VMX_EPT_CAP_MEMTYPE_WB) ? EPTP_MEMTYPE_WB : EPTP_MEMTYPE_UC;
    r->eptp = r->frame[F_EPT_PML4] | EPTP_WALK_LENGTH_4 | memtype;

    memcpy(frame_ptr(r, F_CODE), guest_code, sizeof(guest_code));
    uint32_t *guest_pd = frame_ptr(r, F_GUEST_PD);
    guest_pd[0] = GUEST_PDE_4M_RW;
}

struct desc_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

static uint16_t read_tr(void)
{
    uint16_t sel;
    __asm__ volatile("str %0" : "=r"(sel));
    return sel;
}

/* Controls: required bits must survive the capability adjustment. */
static bool set_controls(struct vmx_run *r)
{
    const struct vmx_caps *c = &r->caps;
    uint32_t pin = vmx_adjust_controls(c->pin, 0);
    uint32_t want_proc = VMX_PROC_HLT_EXITING | VMX_PROC_UNCOND_IO_EXITING | VMX_PROC_SECONDARY_CTLS;
    uint32_t proc = vmx_adjust_controls(c->proc, want_proc);
    uint32_t want_proc2 = VMX_PROC2_ENABLE_EPT | (r->protected_mode ? 0 : VMX_PROC2_UNRESTRICTED_GUEST);
    uint32_t proc2 = vmx_adjust_controls(c->proc2, want_proc2);
    uint32_t want_exit = VMX_EXITCTL_HOST_ADDR_SPACE_SIZE;
    uint32_t exit = vmx_adjust_controls(c->exit, want_exit | VMX_EXITCTL_LOAD_IA32_EFER | VMX_EXITCTL_SAVE_IA32_EFER);
    uint32_t entry = vmx_adjust_controls(c->entry, VMX_ENTRYCTL_LOAD_IA32_EFER);
    if ((proc & want_proc) != want_proc || (proc2 & want_proc2) != want_proc2 || (exit & want_exit) != want_exit ||
        (entry & VMX_ENTRYCTL_IA32E_MODE_GUEST)) {
        ksnprintf(r->why, r->why_len, "controls not allowed: proc %#x/%#x proc2 %#x/%#x exit %#x/%#x", proc,
                  want_proc, proc2, want_proc2, exit, want_exit);
        return false;
    }
    vmcs_write(r, VMCS_PIN_BASED_CTLS, pin);
    vmcs_write(r, VMCS_PROC_BASED_CTLS, proc);
    vmcs_write(r, VMCS_SECONDARY_PROC_BASED_CTLS, proc2);
    vmcs_write(r, VMCS_EXIT_CTLS, exit);
    vmcs_write(r, VMCS_ENTRY_CTLS, entry);
    vmcs_write(r, VMCS_EXCEPTION_BITMAP, 0);
    vmcs_write(r, VMCS_PF_ERROR_CODE_MASK, 0);
    vmcs_write(r, VMCS_PF_ERROR_CODE_MATCH, 0);
    vmcs_write(r, VMCS_CR3_TARGET_COUNT, 0);
    vmcs_write(r, VMCS_EXIT_MSR_STORE_COUNT, 0);
    vmcs_write(r, VMCS_EXIT_MSR_LOAD_COUNT, 0);
    vmcs_write(r, VMCS_ENTRY_MSR_LOAD_COUNT, 0);
    vmcs_write(r, VMCS_ENTRY_INTR_INFO, 0);
    vmcs_write(r, VMCS_EPT_POINTER, r->eptp);
    vmcs_write(r, VMCS_CR0_GUEST_HOST_MASK, 0);
    vmcs_write(r, VMCS_CR4_GUEST_HOST_MASK, 0);
    vmcs_write(r, VMCS_LINK_POINTER, VMCS_LINK_NONE);
    if (exit & VMX_EXITCTL_LOAD_IA32_EFER)
        vmcs_write(r, VMCS_HOST_IA32_EFER, rdmsr(MSR_EFER));
    if (entry & VMX_ENTRYCTL_LOAD_IA32_EFER)
        vmcs_write(r, VMCS_GUEST_IA32_EFER, 0);
    return true;
}

static void set_host_state(struct vmx_run *r, const struct desc_ptr *gdtr, const struct desc_ptr *idtr)
{
    vmcs_write(r, VMCS_HOST_CR0, read_cr0());
    vmcs_write(r, VMCS_HOST_CR3, read_cr3());
    vmcs_write(r, VMCS_HOST_CR4, read_cr4());
    vmcs_write(r, VMCS_HOST_CS_SELECTOR, GDT_KERNEL_CS);
    vmcs_write(r, VMCS_HOST_SS_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(r, VMCS_HOST_DS_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(r, VMCS_HOST_ES_SELECTOR, GDT_KERNEL_DS);
    vmcs_write(r, VMCS_HOST_FS_SELECTOR, 0);
    vmcs_write(r, VMCS_HOST_GS_SELECTOR, 0);
    vmcs_write(r, VMCS_HOST_TR_SELECTOR, read_tr());
    vmcs_write(r, VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
    vmcs_write(r, VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
    vmcs_write(r, VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)&this_cpu()->tables.tss);
    vmcs_write(r, VMCS_HOST_GDTR_BASE, gdtr->base);
    vmcs_write(r, VMCS_HOST_IDTR_BASE, idtr->base);
    vmcs_write(r, VMCS_HOST_IA32_SYSENTER_CS, 0);
    vmcs_write(r, VMCS_HOST_IA32_SYSENTER_ESP, 0);
    vmcs_write(r, VMCS_HOST_IA32_SYSENTER_EIP, 0);
    vmcs_write(r, VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_smoke_exit_stub);
    /* HOST_RSP is written by vmx_smoke_enter right before entry. */
}

static void set_guest_segment(struct vmx_run *r, int i, uint16_t sel, uint32_t ar, uint32_t limit)
{
    /* Selector, limit, access-rights and base fields of ES..TR are laid out
     * at the same index (ES = 0, ..., TR = 7) with a stride of 2. */
    vmcs_write(r, VMCS_GUEST_ES_SELECTOR + 2 * i, sel);
    vmcs_write(r, VMCS_GUEST_ES_LIMIT + 2 * i, limit);
    vmcs_write(r, VMCS_GUEST_ES_AR + 2 * i, ar);
    vmcs_write(r, VMCS_GUEST_ES_BASE + 2 * i, 0);
}
enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS, SEG_LDTR, SEG_TR };

static void set_guest_state(struct vmx_run *r)
{
    const uint64_t cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0), cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    const uint64_t cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0), cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    uint64_t cr0, cr4, cr3;
    uint32_t code_ar, data_ar, limit;
    uint16_t code_sel, data_sel, tss_sel;
    if (r->protected_mode) {
        cr0 = ((CR0_PE | CR0_PG | CR0_NE | CR0_ET) | cr0_fixed0) & cr0_fixed1;
        cr4 = ((CR4_PSE | CR4_VMXE) | cr4_fixed0) & cr4_fixed1;
        cr3 = GUEST_PD_GPA;
        code_ar = VMX_AR_G | VMX_AR_DB | VMX_AR_P | VMX_AR_S | X86_SEG_TYPE_CODE_RX_ACCESSED;
        data_ar = VMX_AR_G | VMX_AR_DB | VMX_AR_P | VMX_AR_S | X86_SEG_TYPE_DATA_RW_ACCESSED;
        limit = 0xffffffffu;
        code_sel = GUEST_SEL_CODE, data_sel = GUEST_SEL_DATA, tss_sel = GUEST_SEL_TSS;
    } else {
        /* Unrestricted guest: PE and PG may be clear, other fixed bits apply. */
        cr0 = ((CR0_NE | CR0_ET) | (cr0_fixed0 & ~(CR0_PE | CR0_PG))) & cr0_fixed1;
        cr4 = (CR4_VMXE | cr4_fixed0) & cr4_fixed1;
        cr3 = 0;
        code_ar = VMX_AR_P | VMX_AR_S | X86_SEG_TYPE_CODE_RX_ACCESSED;
        data_ar = VMX_AR_P | VMX_AR_S | X86_SEG_TYPE_DATA_RW_ACCESSED;
        limit = 0xffff;
        code_sel = data_sel = tss_sel = 0;
    }
    vmcs_write(r, VMCS_GUEST_CR0, cr0);
    vmcs_write(r, VMCS_GUEST_CR3, cr3);
    vmcs_write(r, VMCS_GUEST_CR4, cr4);
    vmcs_write(r, VMCS_CR0_READ_SHADOW, cr0);
    vmcs_write(r, VMCS_CR4_READ_SHADOW, cr4 & ~CR4_VMXE);
    set_guest_segment(r, SEG_CS, code_sel, code_ar, limit);
    set_guest_segment(r, SEG_SS, data_sel, data_ar, limit);
    set_guest_segment(r, SEG_DS, data_sel, data_ar, limit);
    set_guest_segment(r, SEG_ES, data_sel, data_ar, limit);
    set_guest_segment(r, SEG_FS, data_sel, data_ar, limit);
    set_guest_segment(r, SEG_GS, data_sel, data_ar, limit);
    set_guest_segment(r, SEG_LDTR, 0, VMX_AR_UNUSABLE, 0);
    set_guest_segment(r, SEG_TR, tss_sel, VMX_AR_P | X86_SEG_TYPE_TSS_BUSY, GUEST_TSS_LIMIT);
    vmcs_write(r, VMCS_GUEST_GDTR_BASE, 0);
    vmcs_write(r, VMCS_GUEST_GDTR_LIMIT, 0xffff);
    vmcs_write(r, VMCS_GUEST_IDTR_BASE, 0);
    vmcs_write(r, VMCS_GUEST_IDTR_LIMIT, 0xffff);
    vmcs_write(r, VMCS_GUEST_DR7, DR7_INIT);
    vmcs_write(r, VMCS_GUEST_RSP, GUEST_STACK_TOP);
    vmcs_write(r, VMCS_GUEST_RIP, GUEST_CODE_GPA);
    vmcs_write(r, VMCS_GUEST_RFLAGS, RFLAGS_FIXED1); /* IF = 0: host interrupts stay pending */
    vmcs_write(r, VMCS_GUEST_PENDING_DBG_EXCEPTIONS, 0);
    vmcs_write(r, VMCS_GUEST_INTERRUPTIBILITY, 0);
    vmcs_write(r, VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
    vmcs_write(r, VMCS_GUEST_IA32_DEBUGCTL, 0);
    vmcs_write(r, VMCS_GUEST_IA32_SYSENTER_CS, 0);
    vmcs_write(r, VMCS_GUEST_IA32_SYSENTER_ESP, 0);
    vmcs_write(r, VMCS_GUEST_IA32_SYSENTER_EIP, 0);
}

struct expected_exit {
    uint32_t reason;
    uint64_t rip, len;
    const char *name;
};
static const struct expected_exit expected_exits[] = {
    {VMX_EXIT_CPUID, GUEST_CODE_GPA + 0, 2, "CPUID"},
    {VMX_EXIT_IO_INSTRUCTION, GUEST_CODE_GPA + 4, 2, "I/O"},
    {VMX_EXIT_HLT, GUEST_CODE_GPA + 6, 1, "HLT"},
};
#define EXPECTED_IO_QUAL (((uint64_t)GUEST_PORT << 16) | VMX_IO_QUAL_IMMEDIATE) /* 1 byte, OUT */

static bool describe_entry_failure(struct vmx_run *r, int rc, bool resume)
{
    const char *insn = resume ? "VMRESUME" : "VMLAUNCH";
    if (rc == 1)
        ksnprintf(r->why, r->why_len, "%s failed: VMfailInvalid (no current VMCS)", insn);
    else if (rc == 2)
        ksnprintf(r->why, r->why_len, "%s failed: VM-instruction error %llu", insn,
                  (unsigned long long)vmx_vmread(VMCS_VM_INSTRUCTION_ERROR));
    else
        ksnprintf(r->why, r->why_len, "VMWRITE of HOST_RSP failed");
    return false;
}

/* Runs the guest through its three exits. VMX root operation, current VMCS
 * loaded, interrupts off. */
static bool run_guest(struct vmx_run *r)
{
    memset(&r->gprs, 0, sizeof(r->gprs)); /* CPUID leaf 0, subleaf 0 */
    for (unsigned i = 0; i < sizeof(expected_exits) / sizeof(expected_exits[0]); i++) {
        const struct expected_exit *x = &expected_exits[i];
        int rc = vmx_smoke_enter(&r->gprs, i > 0);
        if (rc != 0)
            return describe_entry_failure(r, rc, i > 0);
        uint32_t reason = (uint32_t)vmx_vmread(VMCS_EXIT_REASON);
        uint64_t rip = vmx_vmread(VMCS_GUEST_RIP), len = vmx_vmread(VMCS_EXIT_INSTRUCTION_LEN);
        uint64_t qual = vmx_vmread(VMCS_EXIT_QUALIFICATION);
        if (reason & VMX_EXIT_REASON_ENTRY_FAILURE) {
            uint32_t basic = VMX_EXIT_REASON_BASIC(reason);
            ksnprintf(r->why, r->why_len, "VM entry %u failed: reason %u (%s), qualification %#llx", i, basic,
                      basic == VMX_EXIT_INVALID_GUEST_STATE ? "invalid guest state"
                      : basic == VMX_EXIT_MSR_LOADING   ? "MSR loading"
                                                        : "machine check",
                      (unsigned long long)qual);
            return false;
        }
        if (reason != x->reason) {
            ksnprintf(r->why, r->why_len, "exit %u: reason %u at rip %#llx (qual %#llx, gpa %#llx), expected %s", i,
                      reason, (unsigned long long)rip, (unsigned long long)qual,
                      (unsigned long long)vmx_vmread(VMCS_GUEST_PHYSICAL_ADDRESS), x->name);
            return false;
        }
        if (rip != x->rip || len != x->len) {
            ksnprintf(r->why, r->why_len, "%s exit at rip %#llx len %llu, expected %#llx len %llu", x->name,
                      (unsigned long long)rip, (unsigned long long)len, (unsigned long long)x->rip,
                      (unsigned long long)x->len);
            return false;
        }
        const struct vmx_gprs *g = &r->gprs;
        if (reason == VMX_EXIT_CPUID) {
            if (g->rax != 0 || g->rcx != 0) {
                ksnprintf(r->why, r->why_len, "CPUID exit with rax %#llx rcx %#llx, expected 0",
                          (unsigned long long)g->rax, (unsigned long long)g->rcx);
                return false;
            }
            r->gprs.rax = CPUID_ANSWER_EAX;
            r->gprs.rbx = CPUID_ANSWER_EBX;
            r->gprs.rcx = CPUID_ANSWER_ECX;
            r->gprs.rdx = CPUID_ANSWER_EDX;
        } else if (reason == VMX_EXIT_IO_INSTRUCTION) {
            uint64_t want_rax = (CPUID_ANSWER_EAX & ~0xffull) | GUEST_OUT_VALUE;
            if (qual != EXPECTED_IO_QUAL) {
                ksnprintf(r->why, r->why_len, "I/O exit qualification %#llx (port %#llx size %llu %s), expected %#llx",
                          (unsigned long long)qual, (unsigned long long)VMX_IO_QUAL_PORT(qual),
                          (unsigned long long)VMX_IO_QUAL_SIZE(qual), (qual & VMX_IO_QUAL_IN) ? "in" : "out",
                          (unsigned long long)EXPECTED_IO_QUAL);
                return false;
            }
            if (g->rax != want_rax || g->rbx != CPUID_ANSWER_EBX || g->rcx != CPUID_ANSWER_ECX ||
                g->rdx != CPUID_ANSWER_EDX) {
                ksnprintf(r->why, r->why_len, "guest registers at OUT: rax %#llx rbx %#llx rdx %#llx, expected rax %#llx",
                          (unsigned long long)g->rax, (unsigned long long)g->rbx, (unsigned long long)g->rdx,
                          (unsigned long long)want_rax);
                return false;
            }
        }
        /* Skip the instruction, as a hypervisor emulating it would. */
        if (!vmx_vmwrite(VMCS_GUEST_RIP, rip + len)) {
            ksnprintf(r->why, r->why_len, "VMWRITE of GUEST_RIP failed");
            return false;
        }
    }
    return true;
}

/* VMXON .. VMXOFF with interrupts off; returns true when the guest ran as
 * expected, false with the reason in r->why. */
static bool vmx_session(struct vmx_run *r)
{
    bool ok = false;
    uint64_t rflags = read_rflags();
    irq_disable();
    uint64_t cr0 = read_cr0(), cr4 = read_cr4();
    if (cr4 & CR4_VMXE) {
        ksnprintf(r->why, r->why_len, "CR4.VMXE already set (VMX in use)");
        goto out_flags;
    }
    uint64_t cr0_vmx = (cr0 | rdmsr(MSR_IA32_VMX_CR0_FIXED0)) & rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    uint64_t cr4_vmx = (cr4 | CR4_VMXE | rdmsr(MSR_IA32_VMX_CR4_FIXED0)) & rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    if (!(cr4_vmx & CR4_VMXE) || ((cr0_vmx ^ cr0) & (CR0_PE | CR0_PG))) {
        ksnprintf(r->why, r->why_len, "CR fixed bits refuse VMX: cr0 %#llx cr4 %#llx", (unsigned long long)cr0_vmx,
                  (unsigned long long)cr4_vmx);
        goto out_flags;
    }
    if (cr0_vmx != cr0)
        write_cr0(cr0_vmx);
    write_cr4(cr4_vmx);

    uint32_t revision = (uint32_t)(r->caps.basic & VMX_BASIC_REVISION_MASK);
    *(uint32_t *)frame_ptr(r, F_VMXON) = revision;
    *(uint32_t *)frame_ptr(r, F_VMCS) = revision;
    if (!vmx_vmxon(r->frame[F_VMXON])) {
        ksnprintf(r->why, r->why_len, "VMXON failed");
        goto out_cr;
    }
    if (!vmx_vmclear(r->frame[F_VMCS]) || !vmx_vmptrld(r->frame[F_VMCS])) {
        ksnprintf(r->why, r->why_len, "VMCLEAR/VMPTRLD failed (error %llu)",
                  (unsigned long long)vmx_vmread(VMCS_VM_INSTRUCTION_ERROR));
        goto out_vmxoff;
    }
    bool invept_all = (r->caps.ept_vpid & (VMX_EPT_CAP_INVEPT | VMX_EPT_CAP_INVEPT_ALL)) ==
                      (VMX_EPT_CAP_INVEPT | VMX_EPT_CAP_INVEPT_ALL);
    if (invept_all)
        vmx_invept(INVEPT_ALL_CONTEXT, 0);

    struct desc_ptr gdtr, idtr;
    __asm__ volatile("sgdt %0; sidt %1" : "=m"(gdtr), "=m"(idtr));
    if (!set_controls(r))
        goto out_clear;
    set_host_state(r, &gdtr, &idtr);
    set_guest_state(r);
    if (r->write_failed) {
        ksnprintf(r->why, r->why_len, "VMWRITE of field %#llx failed (error %llu)",
                  (unsigned long long)r->failed_field, (unsigned long long)vmx_vmread(VMCS_VM_INSTRUCTION_ERROR));
        goto out_clear;
    }
    ok = run_guest(r);
    /* A VM exit leaves the GDT and IDT limits at 0xffff: put them back. */
    __asm__ volatile("lgdt %0; lidt %1" ::"m"(gdtr), "m"(idtr));
    /* [helper H] ... and TR's limit at 0x67, which hides the I/O bitmap
     * after the TSS (every port would #GP): reload TR. */
    gdt_reload_tr(&this_cpu()->tables);
out_clear:
    if (invept_all)
        vmx_invept(INVEPT_ALL_CONTEXT, 0);
    vmx_vmclear(r->frame[F_VMCS]);
out_vmxoff:
    if (!vmx_vmxoff() && ok) {
        ksnprintf(r->why, r->why_len, "VMXOFF failed");
        ok = false;
    }
out_cr:
    write_cr4(cr4);
    if (read_cr0() != cr0)
        write_cr0(cr0);
out_flags:
    if (rflags & RFLAGS_IF)
        irq_enable();
    return ok;
}

KTEST(vmx_guest_exits)
{
    static struct vmx_run run; /* large; keep it off the stack */
    struct vmx_run *r = &run;
    memset(r, 0, sizeof(*r));
    enum ktest_result pr = vmx_probe(&r->caps, why, why_len);
    if (pr != KTEST_PASS)
        return pr;
    KTEST_SKIP_IF(!r->caps.ept, "no EPT on this CPU");
    r->protected_mode = !r->caps.unrestricted;
    r->why = why;
    r->why_len = why_len;
    bool have_frames = guest_frames_alloc(r->frame, F_COUNT);
    bool ok = false;
    if (!have_frames) {
        ksnprintf(why, why_len, "out of memory");
    } else {
        build_ept(r);
        ok = vmx_session(r);
    }
    guest_frames_free(r->frame, F_COUNT);
    if (!ok)
        return KTEST_FAIL;
    kprintf("vmx: guest in %s ran CPUID, OUT, HLT: 3 exits as expected\n",
            r->protected_mode ? "32-bit protected mode" : "real mode (unrestricted guest)");
    return KTEST_PASS;
}
