/* SPDX-License-Identifier: GPL-2.0-only */
/* SVM smoke self-tests: detect AMD-V and its features, then run a tiny
 * real-mode guest (CPUID, OUT 0x80, HLT) under nested paging and check each
 * #VMEXIT. Everything is set up and torn down inside the test: EFER.SVME,
 * the host save area, one VMCB with ASID 1, NPT tables and the I/O
 * permission map. */
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/frame_alloc.h"
#include "tests/kernel/x86_64/guest_frames.h"
#include "common/string.h"
#include "tests/kernel/ktest.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/svm.h"

#define RFLAGS_IF (1ull << 9)
#define RFLAGS_FIXED1 (1ull << 1)
#define CR0_ET (1ull << 4)
#define DR6_INIT 0xffff0ff0ull
#define DR7_INIT 0x400ull
#define GUEST_ASID 1

#define GUEST_CODE_GPA 0x1000ull
#define GUEST_STACK_GPA 0x2000ull
#define GUEST_STACK_TOP (GUEST_STACK_GPA + PAGE_SIZE - 16)
#define NPT_FLAGS (PTE_PRESENT | PTE_WRITE | PTE_USER) /* guest accesses count as user accesses */

/* cpuid; mov al, 0x42; out 0x80, al; hlt (16-bit code). */
static const uint8_t guest_code[] = {0x0f, 0xa2, 0xb0, 0x42, 0xe6, 0x80, 0xf4};
#define GUEST_PORT 0x80
#define GUEST_OUT_VALUE 0x42
#define CPUID_ANSWER_EAX 0x12345678u
#define CPUID_ANSWER_EBX 0x6e6f446au
#define CPUID_ANSWER_ECX 0x6e6f6a6eu
#define CPUID_ANSWER_EDX 0x21212121u

/* Guest registers not held in the VMCB (RAX, RSP, RIP are). */
struct svm_gprs {
    uint64_t rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

/* CLGI; VMSAVE host; load guest GPRs; VMLOAD guest; VMRUN; VMSAVE guest;
 * store guest GPRs; VMLOAD host; STGI. Host callee-saved registers are
 * preserved; VMRUN itself restores RSP, RAX and RFLAGS on #VMEXIT. */
void svm_smoke_run(uint64_t vmcb_pa, uint64_t host_save_pa, struct svm_gprs *g);
__asm__(".text\n"
        ".globl svm_smoke_run\n"
        ".type svm_smoke_run, @function\n"
        "svm_smoke_run:\n"
        "    push %rbp\n"
        "    push %rbx\n"
        "    push %r12\n"
        "    push %r13\n"
        "    push %r14\n"
        "    push %r15\n"
        "    push %rdx\n" /* 16(%rsp): g */
        "    push %rsi\n" /*  8(%rsp): host save area */
        "    push %rdi\n" /*  0(%rsp): guest VMCB */
        "    clgi\n"
        "    mov %rsi, %rax\n"
        "    vmsave %rax\n"
        "    mov %rdx, %rax\n"
        "    mov 0(%rax), %rbx\n"
        "    mov 8(%rax), %rcx\n"
        "    mov 16(%rax), %rdx\n"
        "    mov 24(%rax), %rsi\n"
        "    mov 32(%rax), %rdi\n"
        "    mov 40(%rax), %rbp\n"
        "    mov 48(%rax), %r8\n"
        "    mov 56(%rax), %r9\n"
        "    mov 64(%rax), %r10\n"
        "    mov 72(%rax), %r11\n"
        "    mov 80(%rax), %r12\n"
        "    mov 88(%rax), %r13\n"
        "    mov 96(%rax), %r14\n"
        "    mov 104(%rax), %r15\n"
        "    mov 0(%rsp), %rax\n"
        "    vmload %rax\n"
        "    vmrun %rax\n"
        "    mov 0(%rsp), %rax\n"
        "    vmsave %rax\n"
        "    mov 16(%rsp), %rax\n"
        "    mov %rbx, 0(%rax)\n"
        "    mov %rcx, 8(%rax)\n"
        "    mov %rdx, 16(%rax)\n"
        "    mov %rsi, 24(%rax)\n"
        "    mov %rdi, 32(%rax)\n"
        "    mov %rbp, 40(%rax)\n"
        "    mov %r8, 48(%rax)\n"
        "    mov %r9, 56(%rax)\n"
        "    mov %r10, 64(%rax)\n"
        "    mov %r11, 72(%rax)\n"
        "    mov %r12, 80(%rax)\n"
        "    mov %r13, 88(%rax)\n"
        "    mov %r14, 96(%rax)\n"
        "    mov %r15, 104(%rax)\n"
        "    mov 8(%rsp), %rax\n"
        "    vmload %rax\n"
        "    stgi\n"
        "    add $24, %rsp\n"
        "    pop %r15\n"
        "    pop %r14\n"
        "    pop %r13\n"
        "    pop %r12\n"
        "    pop %rbx\n"
        "    pop %rbp\n"
        "    ret\n"
        ".size svm_smoke_run, . - svm_smoke_run\n");
_Static_assert(__builtin_offsetof(struct svm_gprs, r15) == 104, "asm offsets");

struct svm_caps {
    uint32_t revision, asids, features; /* CPUID 0x8000000a EAX, EBX, EDX */
};

static enum ktest_result svm_probe(struct svm_caps *c, char *why, size_t why_len)
{
    memset(c, 0, sizeof(*c));
    if (!cpu_features.svm) {
        ksnprintf(why, why_len, "no SVM on this CPU");
        return KTEST_SKIP;
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        ksnprintf(why, why_len, "SVM disabled by firmware");
        return KTEST_SKIP;
    }
    if (cpuid(0x80000000, 0).eax < CPUID_LEAF_SVM) {
        ksnprintf(why, why_len, "no CPUID leaf %#x", CPUID_LEAF_SVM);
        return KTEST_SKIP;
    }
    struct cpuid_regs r = cpuid(CPUID_LEAF_SVM, 0);
    c->revision = r.eax & 0xff;
    c->asids = r.ebx;
    c->features = r.edx;
    return KTEST_PASS;
}

KTEST(svm_detect)
{
    struct svm_caps c;
    enum ktest_result r = svm_probe(&c, why, why_len);
    if (r != KTEST_PASS)
        return r;
    uint32_t f = c.features;
    kprintf("svm: revision %u, %u ASIDs, npt %d, nrips %d, vmcb clean %d, flush by asid %d, decode assists %d, "
            "avic %d, vgif %d\n",
            c.revision, c.asids, !!(f & CPUID_SVM_EDX_NP), !!(f & CPUID_SVM_EDX_NRIPS),
            !!(f & CPUID_SVM_EDX_VMCB_CLEAN), !!(f & CPUID_SVM_EDX_FLUSH_BY_ASID),
            !!(f & CPUID_SVM_EDX_DECODE_ASSISTS), !!(f & CPUID_SVM_EDX_AVIC), !!(f & CPUID_SVM_EDX_VGIF));
    KTEST_REQUIRE(c.asids > GUEST_ASID, "only %u ASIDs", c.asids);
    return KTEST_PASS;
}

/* ---- the guest run ---- */

enum { F_HSAVE, F_VMCB, F_HOST_SAVE, F_NPT_PML4, F_NPT_PDPT, F_NPT_PD, F_NPT_PT, F_CODE, F_STACK, F_COUNT };

struct svm_run {
    struct svm_caps caps;
    uint64_t frame[F_COUNT];
    uint64_t iopm;
    struct svm_gprs gprs;
    char *why;
    size_t why_len;
};

static void *frame_ptr(const struct svm_run *r, int f)
{
    return phys_to_virt(r->frame[f]);
}

static void build_npt(struct svm_run *r)
{
    guest_nested_tables(r->frame[F_NPT_PML4], r->frame[F_NPT_PDPT], r->frame[F_NPT_PD], r->frame[F_NPT_PT],
                        NPT_FLAGS);
    guest_nested_map(r->frame[F_NPT_PT], GUEST_CODE_GPA, r->frame[F_CODE], NPT_FLAGS);
    guest_nested_map(r->frame[F_NPT_PT], GUEST_STACK_GPA, r->frame[F_STACK], NPT_FLAGS);
    memcpy(frame_ptr(r, F_CODE), guest_code, sizeof(guest_code));
    memset(phys_to_virt(r->iopm), 0xff, SVM_IOPM_SIZE); /* intercept every port */
}

static void build_vmcb(struct svm_run *r)
{
    void *v = frame_ptr(r, F_VMCB);
    vmcb_write32(v, VMCB_INTERCEPT_MISC1,
                 SVM_INTERCEPT1_CPUID | SVM_INTERCEPT1_HLT | SVM_INTERCEPT1_IOIO_PROT | SVM_INTERCEPT1_SHUTDOWN);
    vmcb_write32(v, VMCB_INTERCEPT_MISC2, SVM_INTERCEPT2_VMRUN);
    vmcb_write64(v, VMCB_IOPM_BASE_PA, r->iopm);
    vmcb_write32(v, VMCB_GUEST_ASID, GUEST_ASID);
    vmcb_write8(v, VMCB_TLB_CONTROL, SVM_TLB_CONTROL_FLUSH_ALL);
    vmcb_write64(v, VMCB_NP_CONTROL, SVM_NP_ENABLE);
    vmcb_write64(v, VMCB_N_CR3, r->frame[F_NPT_PML4]);
    vmcb_write32(v, VMCB_CLEAN_BITS, 0);

    /* Real mode at 0:0x1000, interrupts off. */
    uint16_t data = SVM_ATTR_P | SVM_ATTR_S | 0x3, code = SVM_ATTR_P | SVM_ATTR_S | 0xb;
    vmcb_set_segment(v, VMCB_CS, 0, code, 0xffff, 0);
    vmcb_set_segment(v, VMCB_SS, 0, data, 0xffff, 0);
    vmcb_set_segment(v, VMCB_DS, 0, data, 0xffff, 0);
    vmcb_set_segment(v, VMCB_ES, 0, data, 0xffff, 0);
    vmcb_set_segment(v, VMCB_FS, 0, data, 0xffff, 0);
    vmcb_set_segment(v, VMCB_GS, 0, data, 0xffff, 0);
    vmcb_set_segment(v, VMCB_GDTR, 0, 0, 0xffff, 0);
    vmcb_set_segment(v, VMCB_IDTR, 0, 0, 0xffff, 0);
    vmcb_set_segment(v, VMCB_LDTR, 0, SVM_ATTR_P | 0x2, 0xffff, 0);
    vmcb_set_segment(v, VMCB_TR, 0, SVM_ATTR_P | 0xb, 0xffff, 0);
    vmcb_write8(v, VMCB_CPL, 0);
    vmcb_write64(v, VMCB_EFER, EFER_SVME);
    vmcb_write64(v, VMCB_CR0, CR0_ET | CR0_NE);
    vmcb_write64(v, VMCB_CR3, 0);
    vmcb_write64(v, VMCB_CR4, 0);
    vmcb_write64(v, VMCB_DR6, DR6_INIT);
    vmcb_write64(v, VMCB_DR7, DR7_INIT);
    vmcb_write64(v, VMCB_RFLAGS, RFLAGS_FIXED1);
    vmcb_write64(v, VMCB_RIP, GUEST_CODE_GPA);
    vmcb_write64(v, VMCB_RSP, GUEST_STACK_TOP);
    vmcb_write64(v, VMCB_RAX, 0);
    vmcb_write64(v, VMCB_G_PAT, rdmsr(MSR_PAT));
}

/* Length of the guest instruction at rip, for CPUs without NRIPS: this
 * guest only uses these three. */
static uint64_t decode_length(const struct svm_run *r, uint64_t rip)
{
    if (rip < GUEST_CODE_GPA || rip >= GUEST_CODE_GPA + sizeof(guest_code))
        return 0;
    const uint8_t *p = (const uint8_t *)frame_ptr(r, F_CODE) + (rip - GUEST_CODE_GPA);
    if (p[0] == 0x0f && p[1] == 0xa2) /* cpuid */
        return 2;
    if (p[0] == 0xe6) /* out imm8, al */
        return 2;
    if (p[0] == 0xf4) /* hlt */
        return 1;
    return 0;
}

struct expected_exit {
    uint64_t code, rip, len;
    const char *name;
};
static const struct expected_exit expected_exits[] = {
    {SVM_EXIT_CPUID, GUEST_CODE_GPA + 0, 2, "CPUID"},
    {SVM_EXIT_IOIO, GUEST_CODE_GPA + 4, 2, "IOIO"},
    {SVM_EXIT_HLT, GUEST_CODE_GPA + 6, 1, "HLT"},
};
#define IOIO_CHECK_MASK (0xffff0000ull | SVM_IOIO_SZ_MASK | SVM_IOIO_TYPE_IN | SVM_IOIO_STR | SVM_IOIO_REP)
#define IOIO_EXPECTED (((uint64_t)GUEST_PORT << 16) | SVM_IOIO_SZ8) /* OUT, 8-bit, not string */

static bool run_guest(struct svm_run *r)
{
    void *v = frame_ptr(r, F_VMCB);
    bool nrips = r->caps.features & CPUID_SVM_EDX_NRIPS;
    memset(&r->gprs, 0, sizeof(r->gprs));
    for (unsigned i = 0; i < sizeof(expected_exits) / sizeof(expected_exits[0]); i++) {
        const struct expected_exit *x = &expected_exits[i];
        svm_smoke_run(r->frame[F_VMCB], r->frame[F_HOST_SAVE], &r->gprs);
        vmcb_write8(v, VMCB_TLB_CONTROL, SVM_TLB_CONTROL_NONE);
        uint64_t code = vmcb_read64(v, VMCB_EXITCODE), rip = vmcb_read64(v, VMCB_RIP);
        uint64_t info1 = vmcb_read64(v, VMCB_EXITINFO1), info2 = vmcb_read64(v, VMCB_EXITINFO2);
        uint64_t rax = vmcb_read64(v, VMCB_RAX);
        if (code == SVM_EXIT_INVALID) {
            ksnprintf(r->why, r->why_len, "VMRUN %u failed: VMEXIT_INVALID (VMCB consistency checks)", i);
            return false;
        }
        if (code != x->code) {
            ksnprintf(r->why, r->why_len, "exit %u: code %#llx at rip %#llx (info1 %#llx info2 %#llx), expected %s", i,
                      (unsigned long long)code, (unsigned long long)rip, (unsigned long long)info1,
                      (unsigned long long)info2, x->name);
            return false;
        }
        uint64_t len = decode_length(r, rip);
        uint64_t next = nrips ? vmcb_read64(v, VMCB_NEXT_RIP) : rip + len;
        if (rip != x->rip || len != x->len || next != x->rip + x->len) {
            ksnprintf(r->why, r->why_len, "%s exit at rip %#llx (length %llu, next rip %#llx%s), expected %#llx",
                      x->name, (unsigned long long)rip, (unsigned long long)len, (unsigned long long)next,
                      nrips ? " from nRIP" : "", (unsigned long long)x->rip);
            return false;
        }
        if (code == SVM_EXIT_CPUID) {
            if (rax != 0 || r->gprs.rcx != 0) {
                ksnprintf(r->why, r->why_len, "CPUID exit with rax %#llx rcx %#llx, expected 0",
                          (unsigned long long)rax, (unsigned long long)r->gprs.rcx);
                return false;
            }
            vmcb_write64(v, VMCB_RAX, CPUID_ANSWER_EAX);
            r->gprs.rbx = CPUID_ANSWER_EBX;
            r->gprs.rcx = CPUID_ANSWER_ECX;
            r->gprs.rdx = CPUID_ANSWER_EDX;
        } else if (code == SVM_EXIT_IOIO) {
            uint64_t want_rax = (CPUID_ANSWER_EAX & ~0xffull) | GUEST_OUT_VALUE;
            if ((info1 & IOIO_CHECK_MASK) != IOIO_EXPECTED || info2 != next) {
                ksnprintf(r->why, r->why_len, "IOIO exitinfo1 %#llx (port %#llx), exitinfo2 %#llx, expected %#llx, %#llx",
                          (unsigned long long)info1, (unsigned long long)SVM_IOIO_PORT(info1),
                          (unsigned long long)info2, (unsigned long long)IOIO_EXPECTED, (unsigned long long)next);
                return false;
            }
            if (rax != want_rax || r->gprs.rbx != CPUID_ANSWER_EBX || r->gprs.rcx != CPUID_ANSWER_ECX ||
                r->gprs.rdx != CPUID_ANSWER_EDX) {
                ksnprintf(r->why, r->why_len, "guest registers at OUT: rax %#llx rbx %#llx rdx %#llx, expected rax %#llx",
                          (unsigned long long)rax, (unsigned long long)r->gprs.rbx, (unsigned long long)r->gprs.rdx,
                          (unsigned long long)want_rax);
                return false;
            }
        }
        vmcb_write64(v, VMCB_RIP, next);
    }
    return true;
}

static bool svm_session(struct svm_run *r)
{
    uint64_t rflags = read_rflags();
    irq_disable();
    uint64_t efer = rdmsr(MSR_EFER), hsave = rdmsr(MSR_VM_HSAVE_PA);
    wrmsr(MSR_EFER, efer | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, r->frame[F_HSAVE]);
    bool ok = run_guest(r);
    wrmsr(MSR_VM_HSAVE_PA, hsave);
    wrmsr(MSR_EFER, efer);
    if (rflags & RFLAGS_IF)
        irq_enable();
    return ok;
}

KTEST(svm_guest_exits)
{
    static struct svm_run run;
    struct svm_run *r = &run;
    memset(r, 0, sizeof(*r));
    enum ktest_result pr = svm_probe(&r->caps, why, why_len);
    if (pr != KTEST_PASS)
        return pr;
    KTEST_SKIP_IF(!(r->caps.features & CPUID_SVM_EDX_NP), "no nested paging on this CPU");
    r->why = why;
    r->why_len = why_len;
    bool have_frames = guest_frames_alloc(r->frame, F_COUNT);
    r->iopm = frame_alloc_contig(SVM_IOPM_PAGES, PAGE_SIZE);
    bool ok = false;
    if (!have_frames || !r->iopm) {
        ksnprintf(why, why_len, "out of memory");
    } else {
        build_npt(r);
        build_vmcb(r);
        ok = svm_session(r);
    }
    guest_frames_free(r->frame, F_COUNT);
    if (r->iopm)
        for (int i = 0; i < SVM_IOPM_PAGES; i++)
            frame_free(r->iopm + i * PAGE_SIZE);
    if (!ok)
        return KTEST_FAIL;
    kprintf("svm: real-mode guest ran CPUID, OUT, HLT: 3 exits as expected (%s)\n",
            (r->caps.features & CPUID_SVM_EDX_NRIPS) ? "nRIP" : "decoded lengths");
    return KTEST_PASS;
}
