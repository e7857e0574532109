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
#define EVENT_BITS 0x80000fffull /* vector, type, error-code flag, valid */
#define INST_LEN_MAX 15
#define DECODE_VALID (1ull << 63) /* EXITINFO1 of MOV CR/DR with decode assists */
#define CR0_CD (1ull << 30)
#define CR0_NW (1ull << 29)
#define CR4_GUEST_BITS 0x7f0fffull /* VME..UMIP, FSGSBASE, PCIDE, OSXSAVE, SMEP, SMAP, PKE */
#define EFER_GUEST_BITS (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)
#define RFLAGS_DEFINED 0x3f7fd7ull
#define RESET_CR0 0x60000010ull
#define RESET_PAT 0x0007040600070406ull
#define RESET_DR6 0xffff0ff0ull
#define RESET_DR7 0x400ull
#define XCR0_X87 1ull
#define XCR0_SSE 2ull
#define XCR0_AVX 4ull
#define XCR0_AVX512 0xe0ull
#define MSR_SYSENTER_CS 0x174
#define MSR_STAR 0xc0000081

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
        "    mov 8(%rsp), %rax\n vmload %rax\n vmrun %rax\n vmsave %rax\n"
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

static inline void xsetbv0(uint64_t v)
{
    __asm__ volatile("xsetbv" ::"c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
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
    static const uint32_t passed[] = {MSR_SYSENTER_CS, MSR_SYSENTER_CS + 1, MSR_SYSENTER_CS + 2, MSR_STAR,
                                      MSR_STAR + 1, MSR_STAR + 2, MSR_STAR + 3, MSR_FS_BASE, MSR_GS_BASE,
                                      MSR_KERNEL_GS_BASE};
    for (unsigned i = 0; i < sizeof(passed) / sizeof(passed[0]); i++)
        msr_pass(pm, passed[i]);
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

static void reset_state(void *m)
{
    uint16_t data = SVM_ATTR_P | SVM_ATTR_S | 0x3, code = SVM_ATTR_P | SVM_ATTR_S | 0xb;
    vmcb_set_segment(m, VMCB_CS, 0xf000, code, 0xffff, 0xffff0000);
    for (unsigned seg = VMCB_ES; seg <= VMCB_GS; seg += 16)
        if (seg != VMCB_CS)
            vmcb_set_segment(m, seg, 0, data, 0xffff, 0);
    vmcb_set_segment(m, VMCB_LDTR, 0, SVM_ATTR_P | 0x2, 0xffff, 0);
    vmcb_set_segment(m, VMCB_TR, 0, SVM_ATTR_P | 0xb, 0xffff, 0);
    vmcb_set_segment(m, VMCB_GDTR, 0, 0, 0xffff, 0);
    vmcb_set_segment(m, VMCB_IDTR, 0, 0, 0xffff, 0);
    vmcb_write64(m, VMCB_CR0, RESET_CR0);
    vmcb_write64(m, VMCB_EFER, EFER_SVME);
    vmcb_write64(m, VMCB_RFLAGS, RFLAGS_RESERVED_1);
    vmcb_write64(m, VMCB_RIP, 0xfff0);
    vmcb_write64(m, VMCB_DR6, RESET_DR6);
    vmcb_write64(m, VMCB_DR7, RESET_DR7);
    vmcb_write64(m, VMCB_G_PAT, RESET_PAT);
}

struct vcpu_hw *svm_vcpu_create(struct pd *vm, int *status)
{
    struct vcpu_hw *v = page_source_alloc(&vm->pages); /* zeroed */
    void *m = v ? page_source_alloc(&vm->pages) : 0;
    if (!m) {
        if (v)
            page_source_free(&vm->pages, v);
        *status = DJ_E_QUOTA;
        return 0;
    }
    v->vmcb = m;
    v->vmcb_pa = virt_to_phys(m);
    v->xcr0 = XCR0_X87;
    vmcb_write32(m, VMCB_INTERCEPT_DR, ~0u);
    vmcb_write32(m, VMCB_INTERCEPT_MISC2, INTERCEPTS2);
    vmcb_write64(m, VMCB_IOPM_BASE_PA, virt_to_phys(vm->vm_iopm));
    vmcb_write64(m, VMCB_MSRPM_BASE_PA, msrpm_pa);
    vmcb_write64(m, VMCB_NP_CONTROL, SVM_NP_ENABLE);
    vmcb_write64(m, VMCB_N_CR3, virt_to_phys(vm->root));
    apply_ctrl(v);
    reset_state(m);
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

static unsigned other(struct vcpu_hw *v, uint64_t kind, uint64_t code)
{
    v->qual[0] = kind;
    v->qual[1] = code;
    return DJ_VMEXIT_OTHER;
}

/* MOV CR/DR: the register number, the direction, and the GPR when the
 * CPU decoded it (decode assists), else DJ_VMCR_GPR_UNKNOWN. */
static unsigned mov_exit(struct vcpu_hw *v, unsigned number, bool write, uint64_t info, unsigned reason)
{
    unsigned gpr = decode_assists && (info & DECODE_VALID) ? info & 0xf : DJ_VMCR_GPR_UNKNOWN;
    v->qual[0] = number | (write ? DJ_VMCR_WRITE : 0) | (uint64_t)gpr << 8;
    return reason;
}

static unsigned translate_exit(struct vcpu_hw *v)
{
    void *m = v->vmcb;
    uint64_t code = vmcb_read64(m, VMCB_EXITCODE), i1 = vmcb_read64(m, VMCB_EXITINFO1);
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
    case SVM_EXIT_CPUID: return DJ_VMEXIT_CPUID;
    case SVM_EXIT_HLT: return DJ_VMEXIT_HLT;
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
    case SVM_EXIT_SHUTDOWN: return DJ_VMEXIT_SHUTDOWN;
    case SVM_EXIT_INIT: return DJ_VMEXIT_INIT;
    case SVM_EXIT_VMMCALL: return DJ_VMEXIT_HYPERCALL;
    case SVM_EXIT_XSETBV: return DJ_VMEXIT_XSETBV;
    case SVM_EXIT_PAUSE: return DJ_VMEXIT_PAUSE;
    case SVM_EXIT_INVALID:
        v->qual[0] = code;
        v->qual[1] = DJ_VMFAIL_STATE;
        return DJ_VMEXIT_ENTRY_FAIL;
    case SVM_EXIT_INVD: return other(v, DJ_VMOTHER_INVD, code);
    case SVM_EXIT_WBINVD: return other(v, DJ_VMOTHER_WBINVD, code);
    case SVM_EXIT_MONITOR: return other(v, DJ_VMOTHER_MONITOR, code);
    case SVM_EXIT_MWAIT:
    case SVM_EXIT_MWAIT_CONDITIONAL: return other(v, DJ_VMOTHER_MWAIT, code);
    case SVM_EXIT_RDPMC: return other(v, DJ_VMOTHER_RDPMC, code);
    case SVM_EXIT_TASK_SWITCH: return other(v, DJ_VMOTHER_TASK_SWITCH, code);
    case SVM_EXIT_VMRUN:
    case SVM_EXIT_VMLOAD ... SVM_EXIT_SKINIT:
    case SVM_EXIT_INVLPGA: return other(v, DJ_VMOTHER_VIRT_INSN, code);
    case SVM_EXIT_EXCP(0) ... SVM_EXIT_EXCP(31):
        v->qual[0] = i1;
        v->qual[1] = i2;
        return (unsigned)(code - SVM_EXIT_EXCP(0));
    case SVM_EXIT_CR_READ(0) ... SVM_EXIT_CR_WRITE(15):
        return mov_exit(v, code & 0xf, code >= SVM_EXIT_CR_WRITE(0), i1, DJ_VMEXIT_CR);
    case SVM_EXIT_DR_READ(0) ... SVM_EXIT_DR_WRITE(15):
        return mov_exit(v, code & 0xf, code >= SVM_EXIT_DR_WRITE(0), i1, DJ_VMEXIT_DR);
    default: return other(v, DJ_VMOTHER_UNKNOWN, code);
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
        xsetbv0(v->xcr0);
    svm_enter(v->vmcb_pa, c->host_save_pa, v->gpr);
    /* Also when the XSETBV intercept failed to fire (QEMU's TCG lacks it). */
    if (swap_xcr0 || (cpu_features.xsave && xgetbv0() != cpu_features.xcr0))
        xsetbv0(cpu_features.xcr0);
    return translate_exit(v);
}

/* ---- state ---- */

/* Segment layouts agree: {u16 sel, u16 ar, u32 limit, u64 base}. */
_Static_assert(sizeof(struct dj_vm_seg) == 16, "VMCB segment layout");
#define SEGS_OFFSET(s) ((char *)(s) + __builtin_offsetof(struct dj_vcpu_state, es))

static void copy_out(const void *m, unsigned off, void *dst, unsigned len) { memcpy(dst, (const char *)m + off, len); }
static void copy_in(void *m, unsigned off, const void *src, unsigned len) { memcpy((char *)m + off, src, len); }

void svm_vcpu_save(struct vcpu_hw *v, struct dj_vcpu_state *s, uint64_t mtd)
{
    const void *m = v->vmcb;
    if (mtd & DJ_MTD_GPR) {
        memcpy(s->gpr, v->gpr, sizeof(s->gpr));
        s->gpr[GPR_RAX] = vmcb_read64(m, VMCB_RAX);
        s->gpr[DJ_GPR_RSP] = 0;
    }
    if (mtd & DJ_MTD_RIP_RSP) {
        s->rip = vmcb_read64(m, VMCB_RIP);
        s->gpr[DJ_GPR_RSP] = vmcb_read64(m, VMCB_RSP);
        s->inst_len = v->inst_len;
    }
    if (mtd & DJ_MTD_RFLAGS)
        s->rflags = vmcb_read64(m, VMCB_RFLAGS);
    if (mtd & DJ_MTD_QUAL)
        memcpy(s->qual, v->qual, sizeof(s->qual));
    if (mtd & DJ_MTD_CR) {
        s->cr0 = vmcb_read64(m, VMCB_CR0);
        s->cr2 = vmcb_read64(m, VMCB_CR2);
        s->cr3 = vmcb_read64(m, VMCB_CR3);
        s->cr4 = vmcb_read64(m, VMCB_CR4);
        s->efer = vmcb_read64(m, VMCB_EFER) & ~EFER_SVME;
        s->xcr0 = v->xcr0;
    }
    if (mtd & DJ_MTD_SEG)
        copy_out(m, VMCB_ES, SEGS_OFFSET(s), 6 * sizeof(struct dj_vm_seg));
    if (mtd & DJ_MTD_SYS_SEG) {
        copy_out(m, VMCB_LDTR, &s->ldtr, sizeof(s->ldtr));
        copy_out(m, VMCB_TR, &s->tr, sizeof(s->tr));
        copy_out(m, VMCB_GDTR, &s->gdtr, sizeof(s->gdtr));
        copy_out(m, VMCB_IDTR, &s->idtr, sizeof(s->idtr));
    }
    if (mtd & DJ_MTD_DR7)
        s->dr7 = vmcb_read64(m, VMCB_DR7);
    if (mtd & DJ_MTD_SYSENTER)
        copy_out(m, VMCB_SYSENTER_CS, &s->sysenter_cs, 3 * sizeof(uint64_t));
    if (mtd & DJ_MTD_SYSCALL)
        copy_out(m, VMCB_STAR, &s->star, 5 * sizeof(uint64_t));
    if (mtd & DJ_MTD_PAT)
        s->pat = vmcb_read64(m, VMCB_G_PAT);
    if (mtd & DJ_MTD_INJ) {
        uint64_t info = vmcb_read64(m, VMCB_EXITINTINFO);
        s->inj_info = info & EVENT_BITS;
        s->inj_error = info >> SVM_EVTINJ_ERROR_CODE_SHIFT;
    }
    if (mtd & DJ_MTD_STA)
        s->intr_state = vmcb_read64(m, VMCB_INTERRUPT_SHADOW) & 1 ? DJ_INTR_STI_SHADOW : 0;
    if (mtd & DJ_MTD_TSC) {
        s->tsc_offset = vmcb_read64(m, VMCB_TSC_OFFSET);
        s->tsc = rdtsc() + s->tsc_offset;
    }
    if (mtd & DJ_MTD_CTRL)
        s->ctrl = v->ctrl;
}

/* An event the VMM may inject: a known type, the vector that type
 * needs, an error code only with exceptions, no reserved bits. */
static bool event_ok(uint64_t info, uint64_t error)
{
    unsigned vector = DJ_INJ_VECTOR(info), type = (info >> DJ_INJ_TYPE_SHIFT) & 7;
    bool code = info & DJ_INJ_ERROR_CODE;
    if (!(info & DJ_INJ_VALID))
        return true;
    if ((info & ~EVENT_BITS) || (error >> 32))
        return false;
    switch (type << DJ_INJ_TYPE_SHIFT) {
    case DJ_INJ_EXTINT:
    case DJ_INJ_SW_INT: return !code;
    case DJ_INJ_NMI: return !code && vector == 2;
    case DJ_INJ_HW_EXC: return vector < 32 && vector != 2;
    default: return false;
    }
}

static bool pat_ok(uint64_t pat)
{
    for (unsigned i = 0; i < 8; i++) {
        unsigned t = (pat >> (8 * i)) & 0xff;
        if (t > 7 || t == 2 || t == 3)
            return false;
    }
    return true;
}

static bool xcr0_ok(uint64_t x)
{
    return (x & XCR0_X87) && !(x & ~cpu_features.xcr0) && (!(x & XCR0_AVX) || (x & XCR0_SSE)) &&
           (!(x & XCR0_AVX512) || ((x & XCR0_AVX512) == XCR0_AVX512 && (x & XCR0_AVX)));
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
               !pat_ok(vmcb_read64(m, VMCB_G_PAT));
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
        for (unsigned i = 0; i < 16; i++)
            if (i != DJ_GPR_RSP)
                v->gpr[i] = s->gpr[i];
        vmcb_write64(m, VMCB_RAX, s->gpr[GPR_RAX]);
    }
    if (mtd & DJ_MTD_RIP_RSP) {
        vmcb_write64(m, VMCB_RIP, s->rip);
        vmcb_write64(m, VMCB_RSP, s->gpr[DJ_GPR_RSP]);
    }
    if (mtd & DJ_MTD_RFLAGS)
        vmcb_write64(m, VMCB_RFLAGS, s->rflags);
    if (mtd & DJ_MTD_CR) {
        vmcb_write64(m, VMCB_CR0, s->cr0);
        vmcb_write64(m, VMCB_CR2, s->cr2);
        vmcb_write64(m, VMCB_CR3, s->cr3);
        vmcb_write64(m, VMCB_CR4, s->cr4);
        vmcb_write64(m, VMCB_EFER, s->efer | EFER_SVME);
        if (xcr0_ok(s->xcr0) || !cpu_features.xsave)
            v->xcr0 = s->xcr0;
        else
            refused = DJ_VMFAIL_STATE;
    }
    if (mtd & DJ_MTD_SEG)
        copy_in(m, VMCB_ES, SEGS_OFFSET(s), 6 * sizeof(struct dj_vm_seg));
    if (mtd & DJ_MTD_SYS_SEG) {
        copy_in(m, VMCB_LDTR, &s->ldtr, sizeof(s->ldtr));
        copy_in(m, VMCB_TR, &s->tr, sizeof(s->tr));
        copy_in(m, VMCB_GDTR, &s->gdtr, sizeof(s->gdtr));
        copy_in(m, VMCB_IDTR, &s->idtr, sizeof(s->idtr));
    }
    if (mtd & DJ_MTD_DR7)
        vmcb_write64(m, VMCB_DR7, s->dr7);
    if (mtd & DJ_MTD_SYSENTER)
        copy_in(m, VMCB_SYSENTER_CS, &s->sysenter_cs, 3 * sizeof(uint64_t));
    if (mtd & DJ_MTD_SYSCALL)
        copy_in(m, VMCB_STAR, &s->star, 5 * sizeof(uint64_t));
    if (mtd & DJ_MTD_PAT)
        vmcb_write64(m, VMCB_G_PAT, s->pat);
    if ((mtd & DJ_MTD_INJ) && event_ok(s->inj_info, s->inj_error))
        vmcb_write64(m, VMCB_EVENTINJ,
                     (s->inj_info & DJ_INJ_VALID) ? s->inj_info | s->inj_error << SVM_EVTINJ_ERROR_CODE_SHIFT : 0);
    else if (mtd & DJ_MTD_INJ)
        refused = DJ_VMFAIL_CONTROL;
    if ((mtd & DJ_MTD_STA) && s->actv_state == DJ_ACTV_ACTIVE && !(s->intr_state & ~0xfull))
        vmcb_write64(m, VMCB_INTERRUPT_SHADOW, s->intr_state & (DJ_INTR_STI_SHADOW | DJ_INTR_MOVSS_SHADOW) ? 1 : 0);
    else if (mtd & DJ_MTD_STA)
        refused = DJ_VMFAIL_STATE;
    if (mtd & DJ_MTD_TSC)
        vmcb_write64(m, VMCB_TSC_OFFSET, s->tsc_offset);
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
