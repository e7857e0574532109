/* SPDX-License-Identifier: GPL-2.0-only */
/* VM exits (docs/vmm.md, "How exits flow"). Every exit of vCPU i is a
 * call to one of its portals, served by its handler EC on its CPU: the
 * badge says vCPU and exit reason, the UTCB words hold the state the
 * portal's MTD selected (struct dj_vcpu_state). The handler takes the
 * VMM lock, emulates, then injects the highest pending interrupt if the
 * guest can take it (or asks for an interrupt-window exit), and replies
 * with the MTD groups it changed. */
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "core.h"
#include "decode.h"
#include "lapic.h"

#define RFLAGS_IF (1ull << 9)
#define RFLAGS_DF (1ull << 10)
#define VEC_NMI 2
#define VEC_UD 6
#define VEC_GP 13
#define CPUID_LEN 2
#define MSR_INSN_LEN 2
#define HLT_LEN 1
#define XSETBV_LEN 3
#define VMCALL_LEN 3
#define PAUSE_LEN 2
#define WBINVD_LEN 2
#define IO_STRING_BATCH 4096 /* elements per exit: a REP flood exits again */
#define XCR0_X87 1ull
#define XCR0_SSE 2ull
#define XCR0_AVX 4ull
#define UNBACKED_REPORTS 8

static uint64_t unbacked_count;

/* Groups every handler gets (they also decide injection). */
#define MTD_REPLY_BASE (DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_RFLAGS | DJ_MTD_INJ | DJ_MTD_CTRL)

static void skip(struct dj_vcpu_state *s, unsigned fixed_len)
{
    s->rip += s->inst_len ? s->inst_len : fixed_len;
}

/* A hardware exception: #GP with error code 0, the others without one. */
static uint64_t inject(struct dj_vcpu_state *s, unsigned vec)
{
    s->inj_info = DJ_INJ_VALID | DJ_INJ_HW_EXC | vec | (vec == VEC_GP ? DJ_INJ_ERROR_CODE : 0);
    s->inj_error = 0;
    return MTD_REPLY_BASE;
}

static uint64_t on_cpuid(struct vcpu *v, struct dj_vcpu_state *s)
{
    uint32_t r[4];
    cpuid_emulate(v, s, (uint32_t)s->gpr[0], (uint32_t)s->gpr[1], r);
    s->gpr[0] = r[0];
    s->gpr[3] = r[1]; /* EBX: gpr order is rax rcx rdx rbx */
    s->gpr[1] = r[2];
    s->gpr[2] = r[3];
    skip(s, CPUID_LEN);
    return MTD_REPLY_BASE;
}

static uint64_t on_rdmsr(struct vcpu *v, struct dj_vcpu_state *s)
{
    uint64_t value;
    if (!msr_read(v, s, (uint32_t)s->gpr[1], &value))
        return inject(s, VEC_GP);
    s->gpr[0] = (uint32_t)value; /* 32-bit results zero-extend */
    s->gpr[2] = value >> 32;
    skip(s, MSR_INSN_LEN);
    return MTD_REPLY_BASE;
}

static uint64_t on_wrmsr(struct vcpu *v, struct dj_vcpu_state *s)
{
    uint64_t value = (uint32_t)s->gpr[0] | s->gpr[2] << 32;
    if (!msr_write(v, s, (uint32_t)s->gpr[1], value))
        return inject(s, VEC_GP);
    skip(s, MSR_INSN_LEN);
    return MTD_REPLY_BASE | DJ_MTD_CR | DJ_MTD_PAT; /* EFER, PAT */
}

/* One element of INS / OUTS at the guest-linear address lin. */
static bool string_element(struct dj_vcpu_state *s, uint64_t q, uint64_t lin)
{
    unsigned size = DJ_VMIO_SIZE(q);
    uint64_t gpa;
    void *p;
    if (!vmm_guest_translate(&vm.ram, s, lin, &gpa) || !(p = vmm_gpa_ptr(&vm.ram, gpa, size)))
        return false;
    if (q & DJ_VMIO_IN) {
        uint64_t value = vmm_bus_read(&vm.io, DJ_VMIO_PORT(q), size);
        memcpy(p, &value, size);
    } else {
        uint64_t value = 0;
        memcpy(&value, p, size);
        vmm_bus_write(&vm.io, DJ_VMIO_PORT(q), size, value);
    }
    return true;
}

/* INS / OUTS (REP too): at most IO_STRING_BATCH elements per exit; with
 * count left, RIP stays so the guest exits again. An element outside RAM
 * stops the string with #GP. */
static uint64_t io_string(struct dj_vcpu_state *s, uint64_t q)
{
    unsigned size = DJ_VMIO_SIZE(q), asz = DJ_VMIO_ADDR_SIZE(q);
    uint64_t amask = vmm_size_mask(asz ? asz : 8);
    bool in = q & DJ_VMIO_IN, rep = q & DJ_VMIO_REP;
    unsigned idx = in ? 7 : 6; /* RDI : RSI */
    const struct dj_vm_seg *segs[] = {&s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs};
    const struct dj_vm_seg *seg = in ? &s->es : DJ_VMIO_SEG(q) < 6 ? segs[DJ_VMIO_SEG(q)] : &s->ds;
    int64_t step = (s->rflags & RFLAGS_DF) ? -(int64_t)size : (int64_t)size;
    uint64_t count = rep ? s->gpr[1] & amask : 1;
    for (unsigned n = 0; count && n < IO_STRING_BATCH; n++) {
        uint64_t off = s->gpr[idx] & amask;
        if (!string_element(s, q, seg->base + off))
            return inject(s, VEC_GP);
        s->gpr[idx] = (s->gpr[idx] & ~amask) | ((off + (uint64_t)step) & amask);
        count--;
        if (rep)
            s->gpr[1] = (s->gpr[1] & ~amask) | count;
    }
    if (!count)
        s->rip = s->qual[1] ? s->qual[1] : s->rip + s->inst_len;
    return MTD_REPLY_BASE;
}

static uint64_t on_io(struct dj_vcpu_state *s)
{
    uint64_t q = s->qual[0];
    unsigned size = DJ_VMIO_SIZE(q);
    if (size != 1 && size != 2 && size != 4)
        return inject(s, VEC_GP);
    if (q & DJ_VMIO_STRING)
        return io_string(s, q);
    if (q & DJ_VMIO_IN) {
        uint64_t value = vmm_bus_read(&vm.io, DJ_VMIO_PORT(q), size) & vmm_size_mask(size);
        s->gpr[0] = size == 4 ? value : (s->gpr[0] & ~vmm_size_mask(size)) | value;
    } else
        vmm_bus_write(&vm.io, DJ_VMIO_PORT(q), size, s->gpr[0] & vmm_size_mask(size));
    s->rip = s->qual[1] ? s->qual[1] : s->rip + s->inst_len;
    return MTD_REPLY_BASE;
}

/* A nested-paging fault outside RAM: decode the instruction at RIP and
 * perform it on the MMIO bus (decode.h). */
static uint64_t on_mem(struct vcpu *v, struct dj_vcpu_state *s)
{
    uint64_t gpa = s->qual[0];
    struct vmm_insn insn;
    if (vmm_gpa_ptr(&vm.ram, gpa, 1)) {
        vm_stop("a nested-paging fault on guest RAM (the kernel's mapping is gone)");
        return 0;
    }
    enum vmm_decode_status st = vmm_decode(&vm.ram, s, &insn);
    if (st != VMM_DECODE_OK) {
        uint8_t b[4] = {0};
        vmm_fetch_code(&vm.ram, s, b, sizeof b);
        vmm_log("vCPU %u: MMIO access at %#lx, rip %#lx (code %02x %02x %02x %02x): %s", v->id, (unsigned long)gpa,
                (unsigned long)s->rip, b[0], b[1], b[2], b[3], vmm_decode_status_name(st));
        vm_stop("an MMIO instruction the VMM cannot emulate");
        return 0;
    }
    if (!vmm_bus_find(&vm.mmio, gpa, 1) && unbacked_count++ < UNBACKED_REPORTS)
        vmm_log("vCPU %u: access to unbacked guest-physical %#lx (rip %#lx): reads all ones, writes dropped", v->id,
                (unsigned long)gpa, (unsigned long)s->rip);
    vmm_insn_execute(&insn, s, gpa, &vm.mmio);
    return MTD_REPLY_BASE;
}

static uint64_t on_xsetbv(struct dj_vcpu_state *s)
{
    uint64_t value = (uint32_t)s->gpr[0] | s->gpr[2] << 32;
    uint32_t r[4];
    cpuid_emulate(&vm.vcpu[0], s, 0xd, 0, r);
    uint64_t supported = (uint64_t)r[3] << 32 | r[0];
    if ((uint32_t)s->gpr[1] != 0 || !(value & XCR0_X87) || (value & ~supported) ||
        ((value & XCR0_AVX) && !(value & XCR0_SSE)))
        return inject(s, VEC_GP);
    s->xcr0 = value;
    skip(s, XSETBV_LEN);
    return MTD_REPLY_BASE | DJ_MTD_CR;
}

static uint64_t on_hlt(struct vcpu *v, struct dj_vcpu_state *s)
{
    skip(s, HLT_LEN);
    for (;;) {
        uint64_t deadline = platform_timer_deadline(v->id);
        if (vm.stopped || v->init_pending)
            break;
        struct lapic *l = platform_lapic(v->id);
        if (l->nmi_pending || (lapic_pending_vector(l) >= 0 && (s->rflags & RFLAGS_IF)))
            break;
        vcpu_block(v, deadline);
    }
    return MTD_REPLY_BASE;
}

/* MOV to / from a debug register. SVM without decode assists does not
 * say which register, so the instruction ([REX] 0F 21/23 ModRM) is read.
 * Debug registers are shadowed, never loaded into the hardware: the
 * guest reads back what it wrote, and breakpoints never fire. */
#define OPC_TWO_BYTE 0x0f
#define OPC_MOV_FROM_DR 0x21
#define OPC_MOV_TO_DR 0x23
#define REX_FIRST 0x40
#define REX_LAST 0x4f
#define REX_R 0x4
#define REX_B 0x1

static uint64_t on_dr(struct vcpu *v, struct dj_vcpu_state *s)
{
    uint8_t b[4];
    unsigned got = vmm_fetch_code(&vm.ram, s, b, sizeof b), i = 0, rex = 0;
    if (got && b[0] >= REX_FIRST && b[0] <= REX_LAST)
        rex = b[i++];
    if (got < i + 3 || b[i] != OPC_TWO_BYTE || (b[i + 1] != OPC_MOV_FROM_DR && b[i + 1] != OPC_MOV_TO_DR))
        return inject(s, VEC_UD);
    uint8_t modrm = b[i + 2];
    unsigned dr = (modrm >> 3 & 7) | (rex & REX_R ? 8 : 0), gpr = (modrm & 7) | (rex & REX_B ? 8 : 0);
    if (dr == 4 || dr == 5)
        dr += 2; /* aliases of DR6 and DR7 while CR4.DE is clear */
    if (dr > 7 || dr == 4 || dr == 5)
        return inject(s, VEC_UD);
    if (b[i + 1] == OPC_MOV_FROM_DR)
        s->gpr[gpr] = v->dr[dr];
    else
        v->dr[dr] = s->gpr[gpr];
    s->rip += i + 3;
    return MTD_REPLY_BASE;
}

static uint64_t on_other(struct dj_vcpu_state *s)
{
    switch (s->qual[0]) {
    case DJ_VMOTHER_INVD:
    case DJ_VMOTHER_WBINVD: skip(s, WBINVD_LEN); return MTD_REPLY_BASE;
    case DJ_VMOTHER_RDPMC: return inject(s, VEC_GP);
    default: return inject(s, VEC_UD); /* MONITOR/MWAIT (hidden in CPUID), VMX/SVM instructions, ... */
    }
}

static void dump_state(const char *what, const struct vcpu *v, const struct dj_vcpu_state *s)
{
    vmm_log("vCPU %u: %s: rip %#lx rsp %#lx rflags %#lx cr0 %#lx cr3 %#lx cr4 %#lx efer %#lx cs %#x/%#lx qual %#lx %#lx",
            v->id, what, (unsigned long)s->rip, (unsigned long)s->gpr[DJ_GPR_RSP], (unsigned long)s->rflags,
            (unsigned long)s->cr0, (unsigned long)s->cr3, (unsigned long)s->cr4, (unsigned long)s->efer, s->cs.sel,
            (unsigned long)s->cs.base, (unsigned long)s->qual[0], (unsigned long)s->qual[1]);
}

/* After INIT: wait for a STARTUP IPI, then enter real mode at its vector. */
static uint64_t wait_for_sipi(struct vcpu *v, struct dj_vcpu_state *s)
{
    v->init_pending = false;
    v->state = VCPU_WAIT_SIPI;
    while (!v->sipi_pending)
        vcpu_block(v, UINT64_MAX);
    v->sipi_pending = false;
    v->state = VCPU_RUNNING;
    return sipi_state(s, v->sipi_vector);
}

static uint64_t on_startup(struct vcpu *v, struct dj_vcpu_state *s)
{
    if (v->id == 0) {
        v->state = VCPU_RUNNING;
        return boot_state(s);
    }
    return wait_for_sipi(v, s);
}

static uint64_t dispatch(struct vcpu *v, struct dj_vcpu_state *s, unsigned reason)
{
    switch (reason) {
    case DJ_VMEXIT_STARTUP: return on_startup(v, s);
    case DJ_VMEXIT_RECALL: return MTD_REPLY_BASE; /* injection follows */
    case DJ_VMEXIT_CPUID: return on_cpuid(v, s);
    case DJ_VMEXIT_IO: return on_io(s);
    case DJ_VMEXIT_RDMSR: return on_rdmsr(v, s);
    case DJ_VMEXIT_WRMSR: return on_wrmsr(v, s);
    case DJ_VMEXIT_HLT: return on_hlt(v, s);
    case DJ_VMEXIT_MEM: return on_mem(v, s);
    case DJ_VMEXIT_XSETBV: return on_xsetbv(s);
    case DJ_VMEXIT_DR: return on_dr(v, s);
    case DJ_VMEXIT_OTHER: return on_other(s);
    case DJ_VMEXIT_PAUSE: skip(s, PAUSE_LEN); return MTD_REPLY_BASE;
    case DJ_VMEXIT_HYPERCALL:
        s->gpr[0] = ~0ull; /* no hypercalls: -1 */
        skip(s, VMCALL_LEN);
        return MTD_REPLY_BASE;
    case DJ_VMEXIT_INIT: v->init_pending = true; return MTD_REPLY_BASE;
    case DJ_VMEXIT_SHUTDOWN:
        dump_state("triple fault", v, s);
        vmm_reset();
        return 0;
    case DJ_VMEXIT_ENTRY_FAIL: /* a vCPU that cannot be entered: reset the VM as for a triple fault */
        dump_state(s->qual[1] == DJ_VMFAIL_CONTROL ? "entry failed (a control value)" : "entry failed (guest state)",
                   v, s);
        vm_stop("the kernel refused to enter the guest");
        vmm_reset();
        return 0;
    default:
        if (reason < 32) /* an intercepted exception we never asked for: give it back */
            return inject(s, reason);
        dump_state("unexpected exit", v, s);
        vm_stop("an exit the VMM does not know");
        return 0;
    }
}

/* Interrupt delivery after any exit: the highest pending vector goes in
 * if the guest is interruptible (RFLAGS.IF, no STI/MOV SS shadow, no
 * event being injected already); else an interrupt-window exit is asked
 * for, which comes back as DJ_VMEXIT_RECALL. */
static uint64_t deliver(struct vcpu *v, struct dj_vcpu_state *s, uint64_t mtd)
{
    struct lapic *l = platform_lapic(v->id);
    int vec = lapic_pending_vector(l);
    bool free = !(s->inj_info & DJ_INJ_VALID) && !(s->intr_state & (DJ_INTR_STI_SHADOW | DJ_INTR_MOVSS_SHADOW));
    s->ctrl &= ~DJ_CTRL_INTR_WINDOW;
    if (l->nmi_pending && free && !(s->intr_state & DJ_INTR_NMI_BLOCKED)) {
        s->inj_info = DJ_INJ_VALID | DJ_INJ_NMI | VEC_NMI;
        l->nmi_pending = false;
        return mtd | DJ_MTD_INJ | DJ_MTD_CTRL;
    }
    if (!l->nmi_pending && vec >= 0 && free && (s->rflags & RFLAGS_IF)) {
        s->inj_info = DJ_INJ_VALID | DJ_INJ_EXTINT | (uint64_t)vec;
        lapic_accept(l, (uint8_t)vec);
        s->actv_state = DJ_ACTV_ACTIVE;
        return mtd | DJ_MTD_INJ | DJ_MTD_CTRL | DJ_MTD_STA;
    }
    if (l->nmi_pending || vec >= 0)
        s->ctrl |= DJ_CTRL_INTR_WINDOW; /* an NMI or a vector waits: exit when the guest can take it */
    return mtd | DJ_MTD_CTRL;
}

/* Parks a vCPU of a stopped VM for good (its handler never replies). */
static void park(struct vcpu *v)
{
    v->state = VCPU_STOPPED;
    vm_unlock();
    for (;;)
        dj_sm_down(v->wake_sm);
}

uint64_t exit_handler(uint64_t badge, struct dj_utcb *u)
{
    if (badge & VMM_THREAD_BADGE)
        return thread_startup(badge, u);
    unsigned id = (unsigned)(badge >> 8) & 0xff, reason = (unsigned)(badge & 0xff);
    struct dj_vcpu_state *s = (struct dj_vcpu_state *)u->words;
    if (id >= vm.nvcpus || s->exit_reason != reason)
        return 0; /* not a VM exit: a forged call changes nothing */
    struct vcpu *v = &vm.vcpu[id];
    vm_lock();
    v->utcb = u;
    /* An event the exit interrupted is delivered again unless replaced. */
    if (!(s->inj_info & DJ_INJ_VALID))
        s->inj_info = 0;
    uint64_t mtd = vm.stopped ? 0 : dispatch(v, s, reason);
    if (v->init_pending && !vm.stopped)
        mtd = wait_for_sipi(v, s);
    if (vm.stopped)
        park(v);
    timer_rearm(v); /* fires an expired LAPIC timer first, so delivery sees its vector */
    mtd = deliver(v, s, mtd);
    if (reason != DJ_VMEXIT_IO)
        vmm_console_flush_lines(); /* a run of UART writes is sent at its newline */
    v->utcb = NULL;
    vm_unlock();
    return mtd;
}
