/* SPDX-License-Identifier: GPL-2.0-only */
/* The AMD SVM backend (virt.h): one VMCB per vCPU, nested paging over the
 * VM PD's tables, the VM's I/O permission map, one MSR permission map for
 * all VMs (only the MSRs VMLOAD/VMSAVE switch pass), ASIDs per CPU with
 * generations so the number of vCPUs is unbounded.
 *
 * Host state: VMRUN saves what it needs in this CPU's host save area
 * (VM_HSAVE_PA); FS/GS/TR/LDTR, KERNEL_GS_BASE and the SYSCALL/SYSENTER
 * MSRs are switched by VMSAVE/VMLOAD around it; XCR0 by hand. The guest's
 * FPU state is its EC's (ec_switch_to); CR8 is virtual (V_INTR_MASKING),
 * debug registers and every other MSR exit. */
#include "arch/x86_64/virt.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/svm.h"
#include "arch/x86_64/user_mode.h"
#include "common/string.h"
#include "kernel/console.h"
#include "kernel/frame_alloc.h"
#include "kernel/pd.h"

#define GPR_RAX 0
#define GPR_RCX 1
#define GPR_RDX 2
#define INTERCEPTS1 (SVM_INTERCEPT1_INTR | SVM_INTERCEPT1_NMI | SVM_INTERCEPT1_INIT | SVM_INTERCEPT1_CPUID | \
                     SVM_INTERCEPT1_RDPMC | SVM_INTERCEPT1_INVD | SVM_INTERCEPT1_HLT | SVM_INTERCEPT1_INVLPGA | \
                     SVM_INTERCEPT1_IOIO_PROT | SVM_INTERCEPT1_MSR_PROT | SVM_INTERCEPT1_TASK_SWITCH |        \
                     SVM_INTERCEPT1_SHUTDOWN)
#define INTERCEPTS2 (SVM_INTERCEPT2_VMRUN | SVM_INTERCEPT2_VMMCALL | SVM_INTERCEPT2_VMLOAD | SVM_INTERCEPT2_VMSAVE | \
                     SVM_INTERCEPT2_STGI | SVM_INTERCEPT2_CLGI | SVM_INTERCEPT2_SKINIT | SVM_INTERCEPT2_RDTSCP |     \
                     SVM_INTERCEPT2_WBINVD | SVM_INTERCEPT2_MONITOR | SVM_INTERCEPT2_MWAIT |                      \
                     SVM_INTERCEPT2_MWAIT_ARMED | SVM_INTERCEPT2_XSETBV | SVM_INTERCEPT2_RDPRU)
#define CR_WRITE_INTERCEPTS ((1u << 0 | 1u << 3 | 1u << 4) << 16) /* CR0, CR3, CR4 */
#define CTRL_KNOWN (DJ_CTRL_INTR_WINDOW | DJ_CTRL_CR_WRITE | ~0ull << DJ_CTRL_EXC_SHIFT)
#define VINTR_WINDOW (SVM_VINTR_IRQ | SVM_VINTR_IGN_TPR | 0xfull << SVM_VINTR_PRIO_SHIFT)
#define INST_LEN_MAX 15
#define DECODE_VALID (1ull << 63) /* EXITINFO1 of MOV CR/DR with decode assists */
#define CR0_CD (1ull << 30)
#define CR0_NW (1ull << 29)
#define CR4_GUEST_BITS 0x770fffull /* VME..UMIP, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE */
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define RFLAGS_DEFINED 0x3f7fd7ull
#define RESET_DR6 0xffff0ff0ull

struct gprs {
    uint64_t r[16];
};
#define FAST_GROUPS (DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_QUAL)

struct vcpu_hw {
    void *vmcb;
    uint64_t vmcb_pa;
    uint64_t gpr[16]; /* the GPRs the VMCB does not hold (RAX and RSP are there) */
    uint64_t qual[2], inst_len;
    uint64_t xcr0, ctrl;
    uint64_t asid_gen;
    uint32_t asid;
    unsigned fail; /* DJ_VMFAIL_*: the state a VMM wrote fails the checks */
};

struct svm_cpu {
    uint64_t hsave_pa, host_save_pa;
    uint64_t asid_gen;
    uint32_t next_asid;
};
static struct svm_cpu cpus[MAX_CPUS];
static uint32_t asid_count; /* ASIDs 1 .. asid_count - 1 serve guests */
static uint64_t msrpm_pa;
static bool nrips, decode_assists;

/* CLGI, STI (with V_INTR_MASKING the host's IF at VMRUN decides whether
 * host interrupts end the guest's run: they must); VMSAVE host; guest GPRs in; VMLOAD, VMRUN, VMSAVE guest; guest
 * GPRs out; VMLOAD host; CLI, STGI: the interrupt that ended the run stays pending for the
 * caller. VMRUN restores RSP, RAX and RFLAGS itself. */
void svm_enter(uint64_t vmcb_pa, uint64_t host_save_pa, uint64_t *gpr);
__asm__(".text\n"
        ".type svm_enter, @function\n"
        "svm_enter:\n"
        "    push %rbp\n push %rbx\n push %r12\n push %r13\n push %r14\n push %r15\n"
        "    push %rdx\n push %rdi\n push %rsi\n" /* 16: gpr, 8: vmcb, 0: host save */
        "    clgi\n sti\n" /* GIF holds interrupts; IF=1 lets them end the guest's run */
        "    mov %rsi, %rax\n vmsave %rax\n"
        "    mov %rdx, %rax\n"
        "    mov 8(%rax), %rcx\n mov 16(%rax), %rdx\n mov 24(%rax), %rbx\n mov 40(%rax), %rbp\n"
        "    mov 48(%rax), %rsi\n mov 56(%rax), %rdi\n mov 64(%rax), %r8\n mov 72(%rax), %r9\n"
        "    mov 80(%rax), %r10\n mov 88(%rax), %r11\n mov 96(%rax), %r12\n mov 104(%rax), %r13\n"
        "    mov 112(%rax), %r14\n mov 120(%rax), %r15\n"
        "    mov 8(%rsp), %rax\n vmload %rax\n vmrun %rax\n"
        ".globl svm_resume\nsvm_resume:\n" /* the host RIP VMRUN saves: see host_state_in_vmcb */
        "    vmsave %rax\n"
        "    mov 16(%rsp), %rax\n"
        "    mov %rcx, 8(%rax)\n mov %rdx, 16(%rax)\n mov %rbx, 24(%rax)\n mov %rbp, 40(%rax)\n"
        "    mov %rsi, 48(%rax)\n mov %rdi, 56(%rax)\n mov %r8, 64(%rax)\n mov %r9, 72(%rax)\n"
        "    mov %r10, 80(%rax)\n mov %r11, 88(%rax)\n mov %r12, 96(%rax)\n mov %r13, 104(%rax)\n"
        "    mov %r14, 112(%rax)\n mov %r15, 120(%rax)\n"
        "    mov 0(%rsp), %rax\n vmload %rax\n"
        "    cli\n stgi\n"
        "    add $24, %rsp\n"
        "    pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbx\n pop %rbp\n"
        "    ret\n"
        ".size svm_enter, . - svm_enter\n");

static inline uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return lo | (uint64_t)hi << 32;
}

/* Let the guest read and write an MSR (two bits per MSR in three ranges). */
static void msr_pass(uint8_t *pm, uint32_t msr)
{
    uint32_t range = msr < 0x2000 ? 0 : msr < 0xc0010000 ? 0x800 : 0x1000, i = msr & 0x1fff;
    pm[range + i / 4] &= (uint8_t)~(3u << (i % 4 * 2));
}

static bool msrpm_build(void)
{
    msrpm_pa = frame_alloc_contig(SVM_MSRPM_PAGES, PAGE_SIZE);
    if (!msrpm_pa)
        return false;
    uint8_t *pm = phys_to_virt(msrpm_pa);
    memset(pm, 0xff, SVM_MSRPM_SIZE);
    for (unsigned i = 0; i < VIRT_OPEN_MSRS; i++)
        msr_pass(pm, virt_open_msrs[i]);
    return true;
}

bool svm_init(bool bsp)
{
    if (!cpu_features.svm || cpuid(0x80000000, 0).eax < CPUID_LEAF_SVM || (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS))
        return false;
    struct cpuid_regs r = cpuid(CPUID_LEAF_SVM, 0);
    if (!(r.edx & CPUID_SVM_EDX_NP) || r.ebx < 2)
        return false;
    if (bsp) {
        asid_count = r.ebx;
        nrips = r.edx & CPUID_SVM_EDX_NRIPS;
        decode_assists = r.edx & CPUID_SVM_EDX_DECODE_ASSISTS;
        if (!msrpm_build())
            return false;
        kprintf("svm: %u ASIDs, next RIP %s, decode assists %s\n", asid_count, nrips ? "saved" : "not saved",
                decode_assists ? "yes" : "no");
    }
    struct svm_cpu *c = &cpus[this_cpu()->index];
    c->hsave_pa = frame_alloc();
    c->host_save_pa = frame_alloc();
    if (!c->hsave_pa || !c->host_save_pa || r.ebx < asid_count)
        return false;
    c->asid_gen = c->next_asid = 1;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, c->hsave_pa);
    return true;
}

uint64_t svm_gpt_leaf_flags(unsigned rights, unsigned cache)
{
    return paging_user_pte_flags(rights, cache) | PTE_PRESENT | PTE_USER;
}

/* State that is a plain copy of VMCB bytes (segment layouts agree: {u16
 * sel, u16 ar, u32 limit, u64 base}; SYSENTER and STAR..KERNEL_GS_BASE
 * are consecutive in both). */
_Static_assert(sizeof(struct dj_vm_seg) == 16, "VMCB segment layout");
#define AT(field) __builtin_offsetof(struct dj_vcpu_state, field)
static const struct {
    uint16_t vmcb, state, len;
    uint64_t group;
} copies[] = {
    {VMCB_RFLAGS, AT(rflags), 8, DJ_MTD_RFLAGS}, {VMCB_CR0, AT(cr0), 8, DJ_MTD_CR}, {VMCB_CR2, AT(cr2), 8, DJ_MTD_CR},
    {VMCB_CR3, AT(cr3), 8, DJ_MTD_CR}, {VMCB_CR4, AT(cr4), 8, DJ_MTD_CR}, {VMCB_ES, AT(es), 6 * 16, DJ_MTD_SEG},
    {VMCB_LDTR, AT(ldtr), 16, DJ_MTD_SYS_SEG}, {VMCB_TR, AT(tr), 16, DJ_MTD_SYS_SEG},
    {VMCB_GDTR, AT(gdtr), 16, DJ_MTD_SYS_SEG}, {VMCB_IDTR, AT(idtr), 16, DJ_MTD_SYS_SEG},
    {VMCB_DR7, AT(dr7), 8, DJ_MTD_DR7}, {VMCB_SYSENTER_CS, AT(sysenter_cs), 3 * 8, DJ_MTD_SYSENTER},
    {VMCB_STAR, AT(star), 5 * 8, DJ_MTD_SYSCALL}, {VMCB_G_PAT, AT(pat), 8, DJ_MTD_PAT},
    {VMCB_TSC_OFFSET, AT(tsc_offset), 8, DJ_MTD_TSC},
};

static void copy(void *m, void *s, uint64_t mtd, bool load)
{
    for (unsigned i = 0; i < sizeof(copies) / sizeof(copies[0]); i++)
        if (mtd & copies[i].group)
            memcpy(load ? (char *)m + copies[i].vmcb : (char *)s + copies[i].state,
                   load ? (char *)s + copies[i].state : (char *)m + copies[i].vmcb, copies[i].len);
}

/* The intercepts and virtual-interrupt request that ctrl asks for. */
static void apply_ctrl(struct vcpu_hw *v)
{
    void *m = v->vmcb;
    bool window = v->ctrl & DJ_CTRL_INTR_WINDOW;
    vmcb_write32(m, VMCB_INTERCEPT_MISC1, INTERCEPTS1 | (window ? SVM_INTERCEPT1_VINTR : 0));
    vmcb_write32(m, VMCB_INTERCEPT_CR, v->ctrl & DJ_CTRL_CR_WRITE ? CR_WRITE_INTERCEPTS : 0);
    vmcb_write32(m, VMCB_INTERCEPT_EXC, (uint32_t)(v->ctrl >> DJ_CTRL_EXC_SHIFT));
    uint64_t vintr = vmcb_read64(m, VMCB_VINTR) & SVM_VINTR_TPR_MASK;
    vmcb_write64(m, VMCB_VINTR, vintr | SVM_VINTR_MASKING | (window ? VINTR_WINDOW : 0));
}

/* The architectural reset state in the save area (RSP and RAX 0). */
static void save_area_reset(void *m)
{
    copy(m, (void *)&virt_reset_state, ~0ull, true);
    vmcb_write64(m, VMCB_EFER, EFER_SVME);
    vmcb_write64(m, VMCB_RIP, virt_reset_state.rip);
    vmcb_write64(m, VMCB_DR6, RESET_DR6);
    vmcb_write64(m, VMCB_RSP, 0);
    vmcb_write64(m, VMCB_RAX, 0);
}

struct vcpu_hw *svm_vcpu_create(struct pd *vm, int *status)
{
    void *m;
    struct vcpu_hw *v = virt_alloc_pair(vm, &m, status);
    if (!v)
        return 0;
    v->vmcb = m;
    v->vmcb_pa = virt_to_phys(m);
    v->xcr0 = virt_reset_state.xcr0;
    vmcb_write32(m, VMCB_INTERCEPT_DR, ~0u);
    vmcb_write32(m, VMCB_INTERCEPT_MISC2, INTERCEPTS2);
    vmcb_write64(m, VMCB_IOPM_BASE_PA, virt_to_phys(vm->vm_iopm));
    vmcb_write64(m, VMCB_MSRPM_BASE_PA, msrpm_pa);
    vmcb_write64(m, VMCB_NP_CONTROL, SVM_NP_ENABLE);
    vmcb_write64(m, VMCB_N_CR3, virt_to_phys(vm->root));
    apply_ctrl(v);
    save_area_reset(m);
    return v;
}

void svm_vcpu_destroy(struct pd *vm, struct vcpu_hw *v)
{
    page_source_free(&vm->pages, v->vmcb);
    page_source_free(&vm->pages, v);
}

/* ---- exits ---- */

static unsigned io_exit(struct vcpu_hw *v, uint64_t info, uint64_t next_rip, uint64_t rip)
{
    unsigned size = (info & SVM_IOIO_SZ32) ? 4 : (info & SVM_IOIO_SZ16) ? 2 : 1;
    unsigned addr = (info & SVM_IOIO_A64) ? 8 : (info & SVM_IOIO_A32) ? 4 : 2;
    v->qual[0] = SVM_IOIO_PORT(info) | (uint64_t)size << 16 | ((info & SVM_IOIO_TYPE_IN) ? DJ_VMIO_IN : 0) |
                 ((info & SVM_IOIO_STR) ? DJ_VMIO_STRING : 0) | ((info & SVM_IOIO_REP) ? DJ_VMIO_REP : 0) |
                 (uint64_t)addr << 22 | (uint64_t)SVM_IOIO_SEG(info) << 26;
    v->qual[1] = next_rip;
    v->inst_len = next_rip - rip;
    return DJ_VMEXIT_IO;
}

/* Exits that need no more than their code (virt_simple_exit). */
static const uint8_t simple_exits[SVM_EXIT_XSETBV + 1] = {
    [SVM_EXIT_CPUID] = DJ_VMEXIT_CPUID, [SVM_EXIT_HLT] = DJ_VMEXIT_HLT, [SVM_EXIT_SHUTDOWN] = DJ_VMEXIT_SHUTDOWN,
    [SVM_EXIT_INIT] = DJ_VMEXIT_INIT, [SVM_EXIT_VMMCALL] = DJ_VMEXIT_HYPERCALL, [SVM_EXIT_XSETBV] = DJ_VMEXIT_XSETBV,
    [SVM_EXIT_PAUSE] = DJ_VMEXIT_PAUSE, [SVM_EXIT_INVD] = VIRT_OTHER(DJ_VMOTHER_INVD),
    [SVM_EXIT_WBINVD] = VIRT_OTHER(DJ_VMOTHER_WBINVD), [SVM_EXIT_MONITOR] = VIRT_OTHER(DJ_VMOTHER_MONITOR),
    [SVM_EXIT_MWAIT ... SVM_EXIT_MWAIT_CONDITIONAL] = VIRT_OTHER(DJ_VMOTHER_MWAIT),
    [SVM_EXIT_RDPMC] = VIRT_OTHER(DJ_VMOTHER_RDPMC), [SVM_EXIT_TASK_SWITCH] = VIRT_OTHER(DJ_VMOTHER_TASK_SWITCH),
    [SVM_EXIT_VMRUN] = VIRT_OTHER(DJ_VMOTHER_VIRT_INSN), [SVM_EXIT_INVLPGA] = VIRT_OTHER(DJ_VMOTHER_VIRT_INSN),
    [SVM_EXIT_VMLOAD ... SVM_EXIT_SKINIT] = VIRT_OTHER(DJ_VMOTHER_VIRT_INSN),
};

/* MOV CR/DR: the register number, the direction, and the GPR when the
 * CPU decoded it (decode assists), else DJ_VMCR_GPR_UNKNOWN. */
static unsigned mov_exit(struct vcpu_hw *v, unsigned number, bool write, uint64_t info, unsigned reason)
{
    unsigned gpr = decode_assists && (info & DECODE_VALID) ? info & 0xf : DJ_VMCR_GPR_UNKNOWN;
    v->qual[0] = number | (write ? DJ_VMCR_WRITE : 0) | (uint64_t)gpr << 8;
    return reason;
}

/* Does the save area hold the host's state (the RIP and CR3 VMRUN saved
 * for the host) instead of the guest's? Hardware never does that; QEMU's
 * TCG emulation of SVM did, rarely, under load with two CPUs: the guest
 * then ran on the host's CR3 and RIP, and its VMM saw kernel addresses.
 * The guest's state is lost; what is left is scrubbed to the reset state
 * and reported as invalid guest state (docs/abi.md, ENTRY_FAIL). */
static bool host_state_in_vmcb(const void *m)
{
    return vmcb_read64(m, VMCB_RIP) == (uint64_t)(uintptr_t)svm_resume &&
           vmcb_read64(m, VMCB_CR3) == paging_kernel_cr3();
}

static unsigned host_state_exit(struct vcpu_hw *v, uint64_t code)
{
    const void *m = v->vmcb;
    /* What tells the suspected causes apart: a host save area (of any
     * CPU) in this VMCB's frame, so that a VMRUN saved the host's state
     * where a VMRUN loads the guest's; or a second exit taken in host
     * mode (no event pending then). */
    for (unsigned i = 0; i < MAX_CPUS; i++)
        if (cpus[i].hsave_pa == v->vmcb_pa || cpus[i].host_save_pa == v->vmcb_pa)
            kprintf("svm: this VMCB's frame is cpu %u's host save area\n", i);
    kprintf("svm: exit %#llx left the host's state in a vCPU's VMCB (an emulator defect): guest state lost\n",
            (unsigned long long)code);
    kprintf("svm: cpu %u vmcb %#llx hsave %#llx info %#llx %#llx intinfo %#llx rsp %#llx rax %#llx\n",
            this_cpu()->index, (unsigned long long)v->vmcb_pa, (unsigned long long)rdmsr(MSR_VM_HSAVE_PA),
            (unsigned long long)vmcb_read64(m, VMCB_EXITINFO1), (unsigned long long)vmcb_read64(m, VMCB_EXITINFO2),
            (unsigned long long)vmcb_read64(m, VMCB_EXITINTINFO), (unsigned long long)vmcb_read64(m, VMCB_RSP),
            (unsigned long long)vmcb_read64(m, VMCB_RAX));
    save_area_reset(v->vmcb);
    v->qual[0] = code;
    v->qual[1] = DJ_VMFAIL_STATE;
    return DJ_VMEXIT_ENTRY_FAIL;
}

static unsigned translate_exit(struct vcpu_hw *v)
{
    void *m = v->vmcb;
    uint64_t code = vmcb_read64(m, VMCB_EXITCODE), i1 = vmcb_read64(m, VMCB_EXITINFO1);
    if (host_state_in_vmcb(m))
        return host_state_exit(v, code);
    uint64_t i2 = vmcb_read64(m, VMCB_EXITINFO2), rip = vmcb_read64(m, VMCB_RIP);
    uint64_t next = nrips ? vmcb_read64(m, VMCB_NEXT_RIP) : 0;
    v->inst_len = next > rip && next - rip <= INST_LEN_MAX ? next - rip : 0;
    switch (code) {
    case SVM_EXIT_INTR:
    case SVM_EXIT_NMI:
    case SVM_EXIT_SMI: return VIRT_EXIT_HOST;
    case SVM_EXIT_VINTR:
        v->ctrl &= ~DJ_CTRL_INTR_WINDOW;
        apply_ctrl(v);
        return DJ_VMEXIT_RECALL;
    case SVM_EXIT_CPUID: return DJ_VMEXIT_CPUID; /* the most frequent exit: no table lookup */
    case SVM_EXIT_IOIO: return io_exit(v, i1, i2, rip);
    case SVM_EXIT_MSR:
        v->qual[0] = (uint32_t)v->gpr[GPR_RCX];
        v->qual[1] = (uint32_t)vmcb_read64(m, VMCB_RAX) | v->gpr[GPR_RDX] << 32;
        return i1 ? DJ_VMEXIT_WRMSR : DJ_VMEXIT_RDMSR;
    case SVM_EXIT_CR0_SEL_WRITE: return mov_exit(v, 0, true, i1, DJ_VMEXIT_CR);
    case SVM_EXIT_NPF:
        v->qual[0] = i2;
        v->qual[1] = ((i1 & SVM_NPF_WRITE) ? DJ_VMMEM_WRITE : (i1 & SVM_NPF_FETCH) ? DJ_VMMEM_EXEC : DJ_VMMEM_READ) |
                     ((i1 & SVM_NPF_PRESENT) ? DJ_VMMEM_PRESENT : 0);
        return DJ_VMEXIT_MEM;
    case SVM_EXIT_INVALID:
        v->qual[0] = code;
        v->qual[1] = DJ_VMFAIL_STATE;
        return DJ_VMEXIT_ENTRY_FAIL;
    case SVM_EXIT_EXCP(0) ... SVM_EXIT_EXCP(31):
        v->qual[0] = i1;
        v->qual[1] = i2;
        return (unsigned)(code - SVM_EXIT_EXCP(0));
    case SVM_EXIT_CR_READ(0) ... SVM_EXIT_CR_WRITE(15):
        return mov_exit(v, code & 0xf, code >= SVM_EXIT_CR_WRITE(0), i1, DJ_VMEXIT_CR);
    case SVM_EXIT_DR_READ(0) ... SVM_EXIT_DR_WRITE(15):
        return mov_exit(v, code & 0xf, code >= SVM_EXIT_DR_WRITE(0), i1, DJ_VMEXIT_DR);
    default: return virt_simple_exit(code < sizeof(simple_exits) ? simple_exits[code] : 0, code, v->qual);
    }
}

unsigned svm_vcpu_run(struct vcpu_hw *v, bool flush_tlb)
{
    v->qual[0] = v->qual[1] = v->inst_len = 0;
    if (v->fail) {
        v->qual[1] = v->fail;
        return DJ_VMEXIT_ENTRY_FAIL;
    }
    struct svm_cpu *c = &cpus[this_cpu()->index];
    if (v->asid_gen != c->asid_gen) {
        if (c->next_asid >= asid_count) { /* all used: a new generation on a flushed TLB */
            c->asid_gen++;
            c->next_asid = 1;
            flush_tlb = true;
        }
        v->asid = c->next_asid++;
        v->asid_gen = c->asid_gen;
    }
    void *m = v->vmcb;
    vmcb_write32(m, VMCB_GUEST_ASID, v->asid);
    vmcb_write8(m, VMCB_TLB_CONTROL, flush_tlb ? SVM_TLB_CONTROL_FLUSH_ALL : SVM_TLB_CONTROL_NONE);
    vmcb_write32(m, VMCB_CLEAN_BITS, 0);
    bool swap_xcr0 = cpu_features.xsave && v->xcr0 != cpu_features.xcr0;
    if (swap_xcr0)
        virt_xsetbv(v->xcr0);
    svm_enter(v->vmcb_pa, c->host_save_pa, v->gpr);
    /* The injected event is delivered, or EXITINTINFO has it: an
     * EVENTINJ still valid at the next exit means "not entered yet". */
    vmcb_write64(m, VMCB_EVENTINJ, 0);
    /* Also when the XSETBV intercept failed to fire (QEMU's TCG lacks it). */
    if (swap_xcr0 || (cpu_features.xsave && xgetbv0() != cpu_features.xcr0))
        virt_xsetbv(cpu_features.xcr0);
    return translate_exit(v);
}

/* ---- state ---- */

void svm_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd)
{
    const void *m = v->vmcb;
    if (mtd & DJ_MTD_GPR) {
        *(struct gprs *)s->gpr = *(const struct gprs *)v->gpr;
        s->gpr[GPR_RAX] = vmcb_read64(m, VMCB_RAX);
        s->gpr[DJ_GPR_RSP] = 0;
    }
    if (mtd & DJ_MTD_RIP_RSP) {
        s->rip = vmcb_read64(m, VMCB_RIP);
        s->gpr[DJ_GPR_RSP] = vmcb_read64(m, VMCB_RSP);
        s->inst_len = v->inst_len;
    }
    if (mtd & DJ_MTD_QUAL) {
        s->qual[0] = v->qual[0];
        s->qual[1] = v->qual[1];
    }
    if (!(mtd & ~FAST_GROUPS))
        return; /* the common exits stop here */
    copy(v->vmcb, s, mtd, false);
    if (mtd & DJ_MTD_CR) {
        s->efer = vmcb_read64(m, VMCB_EFER) & ~EFER_SVME;
        s->xcr0 = v->xcr0;
    }
    if (mtd & DJ_MTD_INJ) {
        /* An event the VMM injected that no VMRUN has delivered yet (an
         * exit such as a recall before entry) is still in EVENTINJ: it is
         * the pending event, else what the last exit interrupted. */
        uint64_t info = vmcb_read64(m, VMCB_EVENTINJ);
        if (!(info & DJ_INJ_VALID))
            info = vmcb_read64(m, VMCB_EXITINTINFO);
        s->inj_info = info & VIRT_EVENT_BITS;
        s->inj_error = info >> SVM_EVTINJ_ERROR_CODE_SHIFT;
    }
    if (mtd & DJ_MTD_STA)
        s->intr_state = vmcb_read64(m, VMCB_INTERRUPT_SHADOW) & 1 ? DJ_INTR_STI_SHADOW : 0;
    if (mtd & DJ_MTD_TSC)
        s->tsc = rdtsc() + s->tsc_offset;
    if (mtd & DJ_MTD_CTRL)
        s->ctrl = v->ctrl;
}

static uint16_t seg_attr(const void *m, unsigned seg)
{
    return *(const volatile uint16_t *)((const char *)m + seg + VMCB_SEG_ATTRIB);
}

/* What VMRUN would refuse or the host must not load (VMLOAD takes the
 * bases and MSRs as they are): checked before the guest state is used. */
static unsigned state_check(const void *m)
{
    uint64_t cr0 = vmcb_read64(m, VMCB_CR0), cr4 = vmcb_read64(m, VMCB_CR4), efer = vmcb_read64(m, VMCB_EFER);
    uint64_t rflags = vmcb_read64(m, VMCB_RFLAGS);
    uint16_t cs_ar = seg_attr(m, VMCB_CS);
    bool paging = cr0 & CR0_PG, lma = efer & EFER_LMA;
    bool bad = (cr0 >> 32) || ((cr0 & CR0_NW) && !(cr0 & CR0_CD)) || (paging && !(cr0 & CR0_PE)) ||
               (cr4 & ~CR4_GUEST_BITS) || (efer & ~(EFER_GUEST_BITS | EFER_SVME)) ||
               lma != ((efer & EFER_LME) && paging) ||
               (lma && (!(cr4 & CR4_PAE) || ((cs_ar & SVM_ATTR_L) && (cs_ar & SVM_ATTR_DB)))) ||
               (vmcb_read64(m, VMCB_CR3) >> cpu_features.phys_bits) || (rflags & ~RFLAGS_DEFINED) ||
               !(rflags & RFLAGS_RESERVED_1) || (vmcb_read64(m, VMCB_DR7) >> 32) ||
               !virt_pat_ok(vmcb_read64(m, VMCB_G_PAT));
    for (unsigned seg = VMCB_ES; seg <= VMCB_TR; seg += 16)
        bad = bad || (seg_attr(m, seg) & 0xf000) ||
              !is_canonical(vmcb_read64(m, seg + VMCB_SEG_BASE));
    static const unsigned addresses[] = {VMCB_KERNEL_GS_BASE, VMCB_LSTAR, VMCB_CSTAR, VMCB_SYSENTER_ESP,
                                         VMCB_SYSENTER_EIP};
    for (unsigned i = 0; i < sizeof(addresses) / sizeof(addresses[0]); i++)
        bad = bad || !is_canonical(vmcb_read64(m, addresses[i]));
    return bad ? DJ_VMFAIL_STATE : 0;
}

#define CHECKED_GROUPS (DJ_MTD_RFLAGS | DJ_MTD_CR | DJ_MTD_SEG | DJ_MTD_SYS_SEG | DJ_MTD_DR7 | DJ_MTD_SYSENTER | \
                        DJ_MTD_SYSCALL | DJ_MTD_PAT | DJ_MTD_INJ | DJ_MTD_STA | DJ_MTD_CTRL)

bool svm_vcpu_load(struct vcpu_hw *v, const struct dj_vcpu_state *s, uint64_t mtd)
{
    void *m = v->vmcb;
    unsigned refused = 0; /* values not taken: the next entry fails */
    if (mtd & DJ_MTD_GPR) {
        *(struct gprs *)v->gpr = *(const struct gprs *)s->gpr; /* RSP and RAX: the VMCB's */
        vmcb_write64(m, VMCB_RAX, s->gpr[GPR_RAX]);
    }
    if (mtd & DJ_MTD_RIP_RSP) {
        vmcb_write64(m, VMCB_RIP, s->rip);
        vmcb_write64(m, VMCB_RSP, s->gpr[DJ_GPR_RSP]);
    }
    if (!(mtd & ~FAST_GROUPS))
        return true; /* the common replies stop here: nothing to check */
    copy(m, (void *)s, mtd, true);
    if (mtd & DJ_MTD_CR) {
        vmcb_write64(m, VMCB_EFER, s->efer | EFER_SVME);
        if (virt_xcr0_ok(s->xcr0))
            v->xcr0 = s->xcr0;
        else
            refused = DJ_VMFAIL_STATE;
    }
    if ((mtd & DJ_MTD_INJ) && virt_event_ok(s->inj_info, s->inj_error))
        vmcb_write64(m, VMCB_EVENTINJ,
                     (s->inj_info & DJ_INJ_VALID) ? s->inj_info | s->inj_error << SVM_EVTINJ_ERROR_CODE_SHIFT : 0);
    else if (mtd & DJ_MTD_INJ)
        refused = DJ_VMFAIL_CONTROL;
    if ((mtd & DJ_MTD_STA) && s->actv_state == DJ_ACTV_ACTIVE && !(s->intr_state & ~0xfull))
        vmcb_write64(m, VMCB_INTERRUPT_SHADOW, s->intr_state & (DJ_INTR_STI_SHADOW | DJ_INTR_MOVSS_SHADOW) ? 1 : 0);
    else if (mtd & DJ_MTD_STA)
        refused = DJ_VMFAIL_STATE;
    if ((mtd & DJ_MTD_CTRL) && !(s->ctrl & ~CTRL_KNOWN)) {
        v->ctrl = s->ctrl;
        apply_ctrl(v);
    } else if (mtd & DJ_MTD_CTRL) {
        refused = DJ_VMFAIL_CONTROL;
    }
    if (mtd & CHECKED_GROUPS)
        v->fail = refused ? refused : state_check(m);
    return true;
}
