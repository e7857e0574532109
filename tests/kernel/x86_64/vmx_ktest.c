/* SPDX-License-Identifier: GPL-2.0-only */
/* The VT-x backend (arch/x86_64/vmx.c) driven directly through its vCPU
 * interface, without the generic code: a real-mode guest on EPT walks
 * through one exit of each class (CPUID, OUT, REP INSB, RDMSR, CR0 write,
 * EPT violation, intercepted #UD, HLT, interrupt window, triple fault),
 * and refused state (bad CR4, bad RFLAGS, bad ctrl) comes back as
 * DJ_VMEXIT_ENTRY_FAIL, never as a host fault. Skips without VT-x. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/virt.h"
#include "arch/x86_64/vmx.h"
#include "common/string.h"
#include "kernel/frame_alloc.h"
#include "kernel/pd.h"
#include "tests/kernel/ktest.h"
#include "tests/kernel/x86_64/guest_frames.h"

#define CODE_GPA 0x1000ull
#define DATA_GPA 0x3000ull
#define HOLE_GPA 0x5000ull /* not mapped: an EPT violation */
#define TEST_PORT 0x80
#define INS_PORT 0x64
#define TEST_MSR 0x1b /* IA32_APIC_BASE: not open, so RDMSR exits */
#define EXC_UD 6

/* Real-mode code; offsets noted for the RIP checks. */
static const uint8_t guest_code[] = {
    0x0f, 0xa2,             /* 0x00 cpuid */
    0xe6, TEST_PORT,        /* 0x02 out %al, $0x80 */
    0xf3, 0x6c,             /* 0x04 rep insb (%dx), %es:(%di) */
    0x0f, 0x32,             /* 0x06 rdmsr */
    0x0f, 0x20, 0xc0,       /* 0x08 mov %cr0, %eax */
    0x66, 0x83, 0xe0, 0xdf, /* 0x0b and $~CR0.NE, %eax */
    0x0f, 0x22, 0xc0,       /* 0x0f mov %eax, %cr0: NE is host-owned, exits */
    0xa0, 0x00, 0x50,       /* 0x12 mov 0x5000, %al: EPT violation */
    0x0f, 0x0b,             /* 0x15 ud2 */
    0xf4,                   /* 0x17 hlt */
};
#define AT(off) (CODE_GPA + (off))

enum { T_PML4, T_PDPT, T_PD, T_PT, T_CODE, T_DATA, T_COUNT };

struct vmx_test {
    uint64_t frame[T_COUNT], iopm;
    struct pd vm; /* only what the backend reads of a VM PD: pages, root, vm_iopm */
    struct vcpu_hw *v;
    struct dj_vcpu_state s;
};

static uint64_t *table(struct vmx_test *t, int i) { return phys_to_virt(t->frame[i]); }

static void build_ept(struct vmx_test *t)
{
    uint64_t link = DJ_MEM_ALL; /* P|W|U in table entries reads R|W|X in EPT */
    table(t, T_PML4)[0] = t->frame[T_PDPT] | link;
    table(t, T_PDPT)[0] = t->frame[T_PD] | link;
    table(t, T_PD)[0] = t->frame[T_PT] | link;
    uint64_t ram = vmx_gpt_leaf_flags(DJ_MEM_ALL, DJ_CACHE_WB);
    table(t, T_PT)[CODE_GPA / PAGE_SIZE] = t->frame[T_CODE] | ram;
    table(t, T_PT)[DATA_GPA / PAGE_SIZE] = t->frame[T_DATA] | ram;
    memcpy(phys_to_virt(t->frame[T_CODE]), guest_code, sizeof(guest_code));
}

static void real_mode_state(struct dj_vcpu_state *s)
{
    memset(s, 0, sizeof(*s));
    const struct dj_vm_seg code = {0, 0x9b, 0xffff, 0}, data = {0, 0x93, 0xffff, 0};
    s->cs = code;
    s->es = s->ss = s->ds = s->fs = s->gs = data;
    s->ldtr = (struct dj_vm_seg){0, 0x82, 0xffff, 0};
    s->tr = (struct dj_vm_seg){0, 0x88b, 0xfffff, 0}; /* G (bit 11 compact, 15 in the VMCS) round-trips */
    s->idtr.limit = 0x3ff;
    s->gdtr.limit = 0xffff;
    s->rip = CODE_GPA;
    s->gpr[DJ_GPR_RSP] = 0x2000;
    s->rflags = 2;
    s->cr0 = CR0_NE | (1u << 4); /* ET */
    s->xcr0 = 1;
    s->dr7 = 0x400;
    s->pat = 0x0007040600070406ull;
    s->ctrl = 1ull << (DJ_CTRL_EXC_SHIFT + EXC_UD);
}

/* Run until an exit for the VMM; host interrupts are taken in between. */
static unsigned run(struct vmx_test *t)
{
    for (;;) {
        uint64_t flags = read_rflags();
        irq_disable();
        unsigned r = vmx_vcpu_run(t->v, false);
        if (r != VIRT_EXIT_HOST) {
            memset(&t->s, 0, sizeof(t->s));
            vmx_vcpu_save(t->v, &t->s, DJ_MTD_VM_ALL);
        }
        if (flags & (1ull << 9))
            irq_enable();
        if (r != VIRT_EXIT_HOST)
            return r;
    }
}

static bool load(struct vmx_test *t, uint64_t mtd)
{
    uint64_t flags = read_rflags();
    irq_disable();
    bool ok = vmx_vcpu_load(t->v, &t->s, mtd);
    if (flags & (1ull << 9))
        irq_enable();
    return ok;
}

/* Skip the exiting instruction (len bytes, or inst_len). */
static bool skip(struct vmx_test *t, uint64_t len)
{
    t->s.rip += len ? len : t->s.inst_len;
    return load(t, DJ_MTD_GPR | DJ_MTD_RIP_RSP);
}

#define EXPECT(cond, ...)                          \
    do {                                           \
        if (!(cond)) {                             \
            ksnprintf(why, why_len, __VA_ARGS__);  \
            return false;                          \
        }                                          \
    } while (0)
#define EXPECT_EXIT(want, at)                                                                              \
    do {                                                                                                   \
        unsigned got_ = run(t);                                                                            \
        EXPECT(got_ == (want) && t->s.rip == (at), "exit %u at rip %#llx (qual %#llx %#llx), expected %u at %#llx", \
               got_, (unsigned long long)t->s.rip, (unsigned long long)t->s.qual[0],                       \
               (unsigned long long)t->s.qual[1], (unsigned)(want), (unsigned long long)(at));             \
    } while (0)

static bool exits_in_order(struct vmx_test *t, char *why, size_t why_len)
{
    real_mode_state(&t->s);
    EXPECT(load(t, DJ_MTD_VM_ALL & ~DJ_MTD_INJ), "load of the initial state refused");
    EXPECT_EXIT(DJ_VMEXIT_CPUID, AT(0));
    EXPECT(t->s.inst_len == 2 && t->s.tr.ar == 0x88b && t->s.ldtr.ar == 0x82 && t->s.tr.limit == 0xfffff,
           "CPUID: inst_len %llu, TR ar %#x limit %#x, LDTR ar %#x", (unsigned long long)t->s.inst_len, t->s.tr.ar,
           t->s.tr.limit, t->s.ldtr.ar);
    t->s.gpr[0] = 0x1234542;
    EXPECT(skip(t, 0), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_IO, AT(2));
    EXPECT(t->s.qual[0] == (TEST_PORT | 1ull << 16) && t->s.qual[1] == AT(4) && (t->s.gpr[0] & 0xff) == 0x42,
           "OUT: qual %#llx next %#llx al %#llx", (unsigned long long)t->s.qual[0],
           (unsigned long long)t->s.qual[1], (unsigned long long)t->s.gpr[0]);
    t->s.gpr[2] = INS_PORT;
    t->s.gpr[1] = 3;
    EXPECT(skip(t, 0), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_IO, AT(4));
    uint64_t want_ins = INS_PORT | 1ull << 16 | DJ_VMIO_IN | DJ_VMIO_STRING | DJ_VMIO_REP | 2ull << 22;
    EXPECT((t->s.qual[0] & ~(7ull << 26)) == want_ins && t->s.gpr[1] == 3, "REP INSB: qual %#llx, expected %#llx",
           (unsigned long long)t->s.qual[0], (unsigned long long)want_ins);
    t->s.gpr[1] = TEST_MSR;
    EXPECT(skip(t, 0), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_RDMSR, AT(6));
    EXPECT(t->s.qual[0] == TEST_MSR, "RDMSR: qual %#llx", (unsigned long long)t->s.qual[0]);
    t->s.gpr[0] = t->s.gpr[2] = 0;
    EXPECT(skip(t, 0), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_CR, AT(0xf));
    EXPECT(t->s.qual[0] == DJ_VMCR_WRITE && t->s.inst_len == 3 && (t->s.cr0 & CR0_NE) &&
               t->s.gpr[0] == (t->s.cr0 & ~CR0_NE),
           "CR: qual %#llx len %llu cr0 %#llx eax %#llx", (unsigned long long)t->s.qual[0],
           (unsigned long long)t->s.inst_len, (unsigned long long)t->s.cr0, (unsigned long long)t->s.gpr[0]);
    EXPECT(skip(t, 0), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_MEM, AT(0x12));
    EXPECT(t->s.qual[0] == HOLE_GPA && t->s.qual[1] == DJ_VMMEM_READ, "MEM: qual %#llx %#llx",
           (unsigned long long)t->s.qual[0], (unsigned long long)t->s.qual[1]);
    EXPECT(skip(t, 3), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_EXCEPTION(EXC_UD), AT(0x15));
    EXPECT(skip(t, 2), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_HLT, AT(0x17));
    EXPECT(t->s.inst_len == 1, "HLT: inst_len %llu", (unsigned long long)t->s.inst_len);
    /* IF set and an interrupt window asked for: the exit comes before the HLT. */
    t->s.rflags |= 1ull << 9;
    t->s.ctrl |= DJ_CTRL_INTR_WINDOW;
    EXPECT(load(t, DJ_MTD_RFLAGS | DJ_MTD_CTRL), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_RECALL, AT(0x17));
    EXPECT(!(t->s.ctrl & DJ_CTRL_INTR_WINDOW), "the window exit left ctrl %#llx", (unsigned long long)t->s.ctrl);
    EXPECT_EXIT(DJ_VMEXIT_HLT, AT(0x17));
    return true;
}

static bool refused_state(struct vmx_test *t, char *why, size_t why_len)
{
    struct dj_vcpu_state good = t->s;
    t->s.cr4 |= CR4_VMXE;
    EXPECT(load(t, DJ_MTD_CR), "load refused outright");
    EXPECT_EXIT(DJ_VMEXIT_ENTRY_FAIL, AT(0x17));
    EXPECT(t->s.qual[1] == DJ_VMFAIL_STATE && !(t->s.cr4 & CR4_VMXE), "CR4.VMXE: qual %#llx %#llx cr4 %#llx",
           (unsigned long long)t->s.qual[0], (unsigned long long)t->s.qual[1], (unsigned long long)t->s.cr4);
    t->s = good;
    t->s.rflags = 0; /* bit 1 must be set: the hardware refuses the entry */
    EXPECT(load(t, DJ_MTD_RFLAGS), "load refused outright");
    EXPECT_EXIT(DJ_VMEXIT_ENTRY_FAIL, AT(0x17));
    EXPECT(t->s.qual[0] == (VMX_EXIT_ENTRY_FAILURE | VMX_EXIT_BAD_GUEST_STATE) &&
               t->s.qual[1] == DJ_VMFAIL_STATE,
           "RFLAGS 0: qual %#llx %#llx", (unsigned long long)t->s.qual[0], (unsigned long long)t->s.qual[1]);
    t->s = good;
    t->s.ctrl = 1ull << 5; /* reserved */
    EXPECT(load(t, DJ_MTD_RFLAGS | DJ_MTD_CTRL), "load refused outright");
    EXPECT_EXIT(DJ_VMEXIT_ENTRY_FAIL, AT(0x17));
    EXPECT(t->s.qual[1] == DJ_VMFAIL_CONTROL, "bad ctrl: qual %#llx %#llx", (unsigned long long)t->s.qual[0],
           (unsigned long long)t->s.qual[1]);
    /* Fixed, the guest runs on. */
    t->s = good;
    EXPECT(load(t, DJ_MTD_RFLAGS | DJ_MTD_CTRL), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_HLT, AT(0x17));
    /* No #UD intercept and an empty IDT: #UD, #GP, double fault, shutdown. */
    t->s.ctrl = 0;
    t->s.rip = AT(0x15);
    t->s.idtr.limit = 0;
    EXPECT(load(t, DJ_MTD_RIP_RSP | DJ_MTD_CTRL | DJ_MTD_SYS_SEG), "load refused");
    EXPECT_EXIT(DJ_VMEXIT_SHUTDOWN, AT(0x15));
    return true;
}

KTEST(vmx_backend_exits)
{
    static struct vmx_test test;
    struct vmx_test *t = &test;
    memset(t, 0, sizeof(*t));
    KTEST_SKIP_IF(!cpu_features.vmx, "no VT-x on this CPU");
    KTEST_SKIP_IF(!vmx_init(true), "VT-x without EPT, VPID or unrestricted guest");
    quota_init_root(&t->vm.quota, 8);
    t->vm.pages = (struct page_source){guest_page_alloc, guest_page_free, 0, &t->vm.quota};
    bool ok = false, have_frames = true;
    int status = DJ_OK;
    t->iopm = frame_alloc_contig(VIRT_IOPM_PAGES, PAGE_SIZE);
    for (int i = 0; i < T_COUNT; i++) {
        t->frame[i] = frame_alloc();
        if (t->frame[i])
            memset(phys_to_virt(t->frame[i]), 0, PAGE_SIZE);
        else
            have_frames = false;
    }
    if (!t->iopm || !have_frames) {
        ksnprintf(why, why_len, "out of memory");
        goto out;
    }
    memset(phys_to_virt(t->iopm), 0xff, VIRT_IOPM_PAGES * PAGE_SIZE);
    build_ept(t);
    t->vm.root = phys_to_virt(t->frame[T_PML4]);
    t->vm.vm_iopm = phys_to_virt(t->iopm);
    t->v = vmx_vcpu_create(&t->vm, &status);
    if (!t->v) {
        ksnprintf(why, why_len, "vcpu create: status %d", status);
        goto out;
    }
    ok = exits_in_order(t, why, why_len) && refused_state(t, why, why_len);
    vmx_vcpu_destroy(&t->vm, t->v);
    if (ok && t->vm.quota.used_pages) {
        ksnprintf(why, why_len, "%llu pages still charged", (unsigned long long)t->vm.quota.used_pages);
        ok = false;
    }
out:
    for (int i = 0; i < T_COUNT; i++)
        if (t->frame[i])
            frame_free(t->frame[i]);
    if (t->iopm)
        frame_free_contig(t->iopm, VIRT_IOPM_PAGES);
    return ok ? KTEST_PASS : KTEST_FAIL;
}
