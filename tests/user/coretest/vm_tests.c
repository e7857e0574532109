/* SPDX-License-Identifier: GPL-2.0-only */
/* Virtual machines: tiny guests (real, protected and long mode, written
 * below in assembly and copied into guest RAM) that make each class of
 * VM exit, a handler that answers them as a VMM would, and a hostile
 * VMM that writes invalid state. The harness is vm_harness.h. */
#include <stdbool.h>
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "stdio.h"
#include "string.h"
#include "utest.h"
#include "vm_harness.h"

#define HANDLER_STACK_PAGES 4
#define VM_QUOTA_PAGES 96
#define VCPU_PRIO 32 /* below the test thread: it preempts a spinning guest */
#define EVENT_BASE 0x100
#define LOG_MAX 64
#define PORT_SPINNING 0x8c
#define DESTROY_WAIT_MS 2000

/* ---- the guests ---- */
#define GUEST(name) extern const uint8_t name[], name##_end[]
GUEST(rm_tour);
GUEST(pm_tour);
GUEST(lm_tour);
GUEST(lm_mem);
GUEST(lm_revoke);
GUEST(lm_fpu);
GUEST(rm_cr);
GUEST(rm_exc);
GUEST(rm_intr);
GUEST(rm_msr);
GUEST(rm_spin);
GUEST(rm_hlt);
GUEST(rm_ports);
extern const uint8_t rm_intr_isr20[], rm_intr_isr21[], rm_intr_after_sti[];
#define CPUID_MAGIC 0x4a6f6e44u
#define SAW_LONG 0x3100
__asm__(".pushsection .rodata\n"
        ".code16\n"
        "rm_tour:\n"
        "    mov $0x4a6f6e44, %eax\n"
        "    cpuid\n"
        "    out %al, $0x80\n"
        "    mov %ebx, %eax\n"
        "    out %eax, $0x81\n"
        "    in $0x82, %al\n"
        "    out %al, $0x83\n"
        "    mov $0x3000, %si\n"
        "    mov $5, %cx\n"
        "    mov $0x84, %dx\n"
        "    rep outsb\n"
        "    mov $0x3010, %di\n"
        "    mov $3, %cx\n"
        "    mov $0x85, %dx\n"
        "    rep insb\n"
        "    mov $0x40000000, %ecx\n"
        "    rdmsr\n"
        "    inc %ecx\n"
        "    wrmsr\n"
        "    hlt\n"
        "rm_tour_end:\n"
        "rm_cr:\n"
        "    mov %cr0, %eax\n"
        "    or $0x20, %eax\n"
        "    mov %eax, %cr0\n"
        "    mov %cr0, %eax\n"
        "    out %eax, $0x8a\n"
        "    hlt\n"
        "rm_cr_end:\n"
        "rm_exc:\n"
        "    ud2\n"
        "    out %al, $0x8b\n"
        "    hlt\n"
        "rm_exc_end:\n"
        "rm_intr:\n"
        "    sti\n"
        "    out %al, $0x8c\n"
        "1:  cmpb $0, 0x3100\n"
        "    je 1b\n"
        "    cli\n"
        "    out %al, $0x8d\n"
        "    mov $200, %cx\n"
        "2:  loop 2b\n"
        "    sti\n"
        "    nop\n"
        "rm_intr_after_sti:\n"
        "3:  cmpb $0, 0x3101\n"
        "    je 3b\n"
        "    hlt\n"
        "rm_intr_isr20:\n"
        "    movb $1, 0x3100\n"
        "    out %al, $0x90\n"
        "    iret\n"
        "rm_intr_isr21:\n"
        "    movb $1, 0x3101\n"
        "    out %al, $0x91\n"
        "    iret\n"
        "rm_intr_end:\n"
        "rm_msr:\n"
        "    mov $0x3200, %si\n"
        "1:  mov (%si), %ecx\n"
        "    test %ecx, %ecx\n"
        "    jz 2f\n"
        "    rdmsr\n"
        "    out %eax, $0x8e\n"
        "    add $4, %si\n"
        "    jmp 1b\n"
        "2:  mov $0xc0000100, %ecx\n"
        "    mov $0x12345000, %eax\n"
        "    xor %edx, %edx\n"
        "    wrmsr\n"
        "    xor %eax, %eax\n"
        "    rdmsr\n"
        "    out %eax, $0x8f\n"
        "    hlt\n"
        "rm_msr_end:\n"
        "rm_spin:\n"
        "    out %al, $0x8c\n"
        "1:  cmpb $0, 0x3100\n" /* never set: a spin Bochs also keeps preemptible */
        "    je 1b\n"
        "rm_spin_end:\n"
        "rm_ports:\n"
        "    out %al, $0x80\n"
        "    out %al, $0x81\n"
        "    hlt\n"
        "rm_ports_end:\n"
        "rm_hlt:\n"
        "    hlt\n"
        "rm_hlt_end:\n"
        ".code32\n"
        "pm_tour:\n"
        "    mov $0x4a6f6e44, %eax\n"
        "    cpuid\n"
        "    out %al, $0x80\n"
        "    hlt\n"
        "pm_tour_end:\n"
        ".code64\n"
        "lm_tour:\n"
        "    mov $0x4a6f6e44, %eax\n"
        "    cpuid\n"
        "    out %al, $0x80\n"
        "    hlt\n"
        "lm_tour_end:\n"
        "lm_mem:\n"
        "    mov $0x100000, %ebx\n"
        "    mov (%rbx), %al\n"
        "    mov $0x4000, %ebx\n"
        "    mov %al, (%rbx)\n"
        "    mov (%rbx), %al\n"
        "    out %al, $0x80\n"
        "    hlt\n"
        "lm_mem_end:\n"
        "lm_revoke:\n"
        "    mov $0x5000, %ebx\n"
        "1:  mov (%rbx), %al\n"
        "    out %al, $0x87\n"
        "    jmp 1b\n"
        "lm_revoke_end:\n"
        "lm_fpu:\n"
        "    mov $0x3000, %ebx\n"
        "    movdqu (%rbx), %xmm0\n"
        "    out %al, $0x88\n"
        "    movdqu %xmm0, 0x10(%rbx)\n"
        "    xor %ecx, %ecx\n"
        "    mov $3, %eax\n"
        "    xor %edx, %edx\n"
        "    xsetbv\n"
        "    xor %ecx, %ecx\n"
        "    xgetbv\n"
        "    out %eax, $0x89\n"
        "    hlt\n"
        "lm_fpu_end:\n"
        ".popsection\n");

/* ---- the harness ---- */

struct exit_rec {
    uint64_t reason, q0, q1, rax, rip, rcx, rflags;
};

static struct exit_rec exit_log[LOG_MAX];
static volatile unsigned log_count;
static uint8_t io_out_bytes[16];
static struct vm *current_vm[2];
static vm_exit_fn current_fn[2];
static uint64_t handler_pt[2];
static unsigned handler_cpu[2];

static void log_exit(const struct dj_vcpu_state *s)
{
    unsigned n = log_count;
    if (n < LOG_MAX)
        exit_log[n] = (struct exit_rec){s->exit_reason, s->qual[0], s->qual[1], s->gpr[0],
                                        s->rip, s->gpr[1], s->rflags};
    log_count = n + 1;
}

/* The count of exits with this reason in the log. */
static unsigned exits_of(uint64_t reason)
{
    unsigned c = 0;
    for (unsigned i = 0; i < log_count && i < LOG_MAX; i++)
        c += exit_log[i].reason == reason;
    return c;
}

/* The nth (from 0) exit with this reason, or NULL. */
static const struct exit_rec *nth_exit(uint64_t reason, unsigned n)
{
    for (unsigned i = 0; i < log_count && i < LOG_MAX; i++)
        if (exit_log[i].reason == reason && n-- == 0)
            return &exit_log[i];
    return 0;
}

static void set_seg(struct dj_vm_seg *s, uint16_t sel, uint16_t ar, uint32_t limit, uint64_t base)
{
    *s = (struct dj_vm_seg){sel, ar, limit, base};
}

void vm_mode_state(struct dj_vcpu_state *s, enum vm_mode mode, uint64_t ctrl)
{
    static const uint16_t code_ar[] = {0x9b, 0xc9b, 0xa9b}, data_ar[] = {0x93, 0xc93, 0xc93};
    static const uint16_t code_sel[] = {0, 0x08, 0x18}, data_sel[] = {0, 0x10, 0x10};
    uint32_t limit = mode == VM_REAL ? 0xffff : 0xffffffff;
    memset(s->gpr, 0, sizeof(s->gpr));
    set_seg(&s->cs, code_sel[mode], code_ar[mode], limit, 0);
    struct dj_vm_seg *data[] = {&s->es, &s->ss, &s->ds, &s->fs, &s->gs};
    for (unsigned i = 0; i < 5; i++)
        set_seg(data[i], data_sel[mode], data_ar[mode], limit, 0);
    set_seg(&s->ldtr, 0, 0x82, 0xffff, 0);
    set_seg(&s->tr, 0, 0x8b, 0xffff, 0);
    set_seg(&s->gdtr, 0, 0, 0x1f, GPA_GDT);
    set_seg(&s->idtr, 0, 0, 0x3ff, 0);
    s->rip = GPA_CODE;
    s->gpr[DJ_GPR_RSP] = GPA_STACK_TOP;
    s->rflags = 2;
    s->cr0 = mode == VM_REAL ? 0x10 : mode == VM_PROT32 ? 0x11 : 0x80000011;
    s->cr2 = 0;
    s->cr3 = mode == VM_LONG ? GPA_PML4 : 0;
    s->cr4 = mode == VM_LONG ? 0x20 | 0x600 | (cpuid(1, 0).ecx & (1u << 27) ? 0x40000 : 0) : 0;
    s->efer = mode == VM_LONG ? 0x500 : 0;
    s->xcr0 = 1;
    s->dr7 = 0x400;
    s->sysenter_cs = s->sysenter_esp = s->sysenter_eip = 0;
    s->star = s->lstar = s->cstar = s->sfmask = s->kernel_gs_base = 0;
    s->pat = 0x0007040600070406ull;
    s->inj_info = s->inj_error = s->intr_state = s->actv_state = 0;
    s->ctrl = ctrl;
}

static enum vm_mode start_mode[2];
static uint64_t start_ctrl[2];

/* The standard VMM: start state, answers to CPUID, ports, MSRs; HLT ends. */
static uint64_t standard_exit(struct vm *vm, struct dj_vcpu_state *s, unsigned slot)
{
    uint64_t q = s->qual[0];
    switch (s->exit_reason) {
    case DJ_VMEXIT_STARTUP:
        vm_mode_state(s, start_mode[slot], start_ctrl[slot]);
        return VM_STATE_GROUPS;
    case DJ_VMEXIT_CPUID:
        s->gpr[0] = 0x12345678;
        s->gpr[3] = 0x9abcdef0; /* rbx */
        s->gpr[1] = s->gpr[2] = 0;
        s->rip += 2;
        return DJ_MTD_GPR | DJ_MTD_RIP_RSP;
    case DJ_VMEXIT_IO: {
        unsigned size = DJ_VMIO_SIZE(q), count = (q & DJ_VMIO_REP) ? (unsigned)s->gpr[1] : 1;
        if ((q & DJ_VMIO_STRING) && (q & DJ_VMIO_IN)) {
            for (unsigned i = 0; i < count * size; i++)
                vm->ram[(uint16_t)(s->gpr[7] + i)] = (uint8_t)('a' + i);
            s->gpr[7] += count * size;
        } else if (q & DJ_VMIO_STRING) {
            for (unsigned i = 0; i < count * size && i < sizeof(io_out_bytes); i++)
                io_out_bytes[i] = vm->ram[(uint16_t)(s->gpr[6] + i)];
            s->gpr[6] += count * size;
        } else if (q & DJ_VMIO_IN) {
            s->gpr[0] = (s->gpr[0] & ~0xffull) | 0x5a;
        }
        if (q & DJ_VMIO_REP)
            s->gpr[1] = 0;
        s->rip = s->qual[1];
        return DJ_MTD_GPR | DJ_MTD_RIP_RSP;
    }
    case DJ_VMEXIT_RDMSR:
        s->gpr[0] = 0x55667788;
        s->gpr[2] = 0x11223344;
        s->rip += 2;
        return DJ_MTD_GPR | DJ_MTD_RIP_RSP;
    case DJ_VMEXIT_WRMSR:
        s->rip += 2;
        return DJ_MTD_RIP_RSP;
    case DJ_VMEXIT_MEM:
        s->rip += 2; /* the guests touch memory with two-byte instructions */
        return DJ_MTD_RIP_RSP;
    default: /* HLT and anything unexpected end the run */
        return vm_finish(vm);
    }
}

static unsigned slot_of(struct vm *vm)
{
    return vm == current_vm[1] ? 1 : 0;
}

static uint64_t vm_handler(uint64_t badge, struct dj_utcb *u)
{
    unsigned slot = (unsigned)badge - 1;
    struct vm *vm = current_vm[slot];
    struct dj_vcpu_state *s = (struct dj_vcpu_state *)u->words;
    log_exit(s);
    uint64_t mtd = current_fn[slot] ? current_fn[slot](vm, s) : VM_DEFAULT;
    return mtd != VM_DEFAULT ? mtd : standard_exit(vm, s, slot);
}

/* One handler EC and portal per CPU used (the vCPU's handler runs on its CPU). */
static unsigned handler_slot(unsigned cpu)
{
    for (unsigned i = 0; i < 2; i++) {
        if (handler_pt[i] && handler_cpu[i] == cpu)
            return i;
        if (handler_pt[i])
            continue;
        void *stack = utest_pages(HANDLER_STACK_PAGES);
        struct dj_server srv = {
            .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = utest_selector(), .cpu = cpu,
            .utcb_va = utest_va(1), .stack = stack, .stack_size = HANDLER_STACK_PAGES * UTEST_PAGE,
            .handler = vm_handler, .mtd = DJ_MTD_VM_ALL, .badge = i + 1,
        };
        if (!stack || dj_server_create(&srv) != DJ_OK)
            return 2;
        handler_pt[i] = srv.pt_sel;
        handler_cpu[i] = cpu;
        return i;
    }
    return 2;
}

bool vm_supported(void)
{
    return utest_bootinfo->virt != DJ_VIRT_NONE;
}

unsigned vm_other_cpu(void)
{
    return utest_bootinfo->cpu_count > 1 ? (dj_boot_cpu == 0 ? 1 : 0) : dj_boot_cpu;
}

static void guest_tables(uint8_t *ram)
{
    uint64_t *pml4 = (uint64_t *)(ram + GPA_PML4), *pdpt = pml4 + 512, *pd = pdpt + 512;
    pml4[0] = (GPA_PML4 + 0x1000) | 7;
    pdpt[0] = (GPA_PML4 + 0x2000) | 7;
    pd[0] = 0x87; /* 2 MiB identity */
    static const uint64_t gdt[] = {0, 0x00cf9b000000ffffull, 0x00cf93000000ffffull, 0x00af9b000000ffffull};
    memcpy(ram + GPA_GDT, gdt, sizeof(gdt));
}

/* Give the vCPU's VM PD every exit portal: the handler's in slot, or
 * exit_pt for all but the startup. */
static bool portals_into(uint64_t pd, uint64_t event_base, unsigned slot, uint64_t exit_pt)
{
    for (unsigned r = 0; r < DJ_VMEXIT_COUNT; r++) {
        uint64_t pt = exit_pt && r != DJ_VMEXIT_STARTUP ? exit_pt : handler_pt[slot];
        if (dj_delegate(pd, DJ_CRD(DJ_CRD_OBJ, pt, 0, DJ_PT_CALL), event_base + r) != DJ_OK)
            return false;
    }
    return true;
}

bool vm_start(struct vm *vm, unsigned cpu, enum vm_mode mode, uint64_t ctrl, const void *code, size_t len,
              vm_exit_fn fn, uint64_t exit_pt, char *why, size_t why_len)
{
    unsigned slot = handler_slot(cpu);
    UTEST_REQUIRE(slot < 2, "no handler on CPU %u", cpu);
    memset(vm, 0, sizeof(*vm));
    vm->cpu = cpu;
    vm->quota_pd = utest_selector();
    vm->pd = utest_selector();
    vm->vcpu = utest_selector();
    vm->sc = utest_selector();
    vm->done = utest_selector();
    vm->event_base = EVENT_BASE;
    vm->ram = utest_pages(RAM_PAGES);
    UTEST_REQUIRE(vm->ram && len <= GPA_DATA - GPA_CODE, "no guest RAM");
    memset(vm->ram, 0, RAM_PAGES * UTEST_PAGE);
    memcpy(vm->ram + GPA_CODE, code, len);
    guest_tables(vm->ram);
    UTEST_REQUIRE(dj_create_pd(vm->quota_pd, DJ_SEL_SELF_PD, VM_QUOTA_PAGES + 16) == DJ_OK, "quota PD failed");
    UTEST_REQUIRE(dj_pd_quota(vm->quota_pd, &vm->quota_before, 0) == DJ_OK, "reading the quota failed");
    enum dj_status st = dj_create_vm_pd(vm->pd, vm->quota_pd, VM_QUOTA_PAGES);
    UTEST_REQUIRE(st == DJ_OK, "creating the VM PD failed: %d", st);
    for (unsigned p = 0; p < RAM_PAGES; p++) {
        unsigned rights = p * UTEST_PAGE == GPA_RO ? DJ_MEM_R | DJ_MEM_X : DJ_MEM_ALL;
        st = dj_delegate(vm->pd, DJ_CRD(DJ_CRD_MEM, (uint64_t)vm->ram / UTEST_PAGE + p, 0, rights), p);
        UTEST_REQUIRE(st == DJ_OK, "delegating guest page %u failed: %d", p, st);
    }
    UTEST_REQUIRE(portals_into(vm->pd, vm->event_base, slot, exit_pt), "delegating the exit portals failed");
    UTEST_REQUIRE(dj_create_sm(vm->done, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore failed");
    st = dj_create_vcpu(vm->vcpu, vm->pd, cpu, vm->event_base);
    UTEST_REQUIRE(st == DJ_OK, "creating the vCPU failed: %d", st);
    current_vm[slot] = vm;
    current_fn[slot] = fn;
    start_mode[slot] = mode;
    start_ctrl[slot] = ctrl;
    log_count = 0;
    st = dj_create_sc(vm->sc, vm->pd, vm->vcpu, VCPU_PRIO, 0);
    UTEST_REQUIRE(st == DJ_OK, "binding an SC to the vCPU failed: %d", st);
    return true;
}

bool vm_wait(struct vm *vm)
{
    return dj_sm_down_timeout(vm->done, VM_WAIT_US) == DJ_OK;
}

uint64_t vm_finish(struct vm *vm)
{
    dj_ec_kill(vm->vcpu);
    dj_sm_up(vm->done);
    return 0;
}

bool vm_destroy(struct vm *vm)
{
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, vm->pd, 0, 0), true);
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, vm->sc, 0, 0), true);
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, vm->vcpu, 0, 0), true);
    /* A vCPU killed in the middle of its exit call holds its PD's
     * destruction off until the handler replied (it runs after us). */
    uint64_t free = 0;
    for (unsigned i = 0; i < DESTROY_WAIT_MS && dj_pd_quota(vm->quota_pd, &free, 0) == DJ_OK && free != vm->quota_before;
         i++)
        dj_sm_down_timeout(vm->done, 1000);
    if (current_vm[slot_of(vm)] == vm)
        current_vm[slot_of(vm)] = 0;
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, vm->quota_pd, 0, 0), true);
    return free == vm->quota_before;
}

#define SKIP_WITHOUT_VMS()                                 \
    do {                                                   \
        if (!vm_supported())                               \
            UTEST_SKIP("no hardware virtualization");      \
    } while (0)

#define RUN(vm, cpu, mode, ctrl, guest, fn)                                                                   \
    do {                                                                                                      \
        if (!vm_start(vm, cpu, mode, ctrl, guest, (size_t)(guest##_end - guest), fn, 0, why, why_len))        \
            return false;                                                                                     \
        UTEST_REQUIRE(vm_wait(vm), "the guest did not finish in time (%u exits, last %llu)", log_count,       \
                      log_count ? (unsigned long long)exit_log[(log_count - 1) % LOG_MAX].reason : 0ull);     \
    } while (0)

/* Bochs answers a read of its port 0xe9 with 0xe9 (the root PD holds
 * every port; elsewhere nothing answers there). */
#define BOCHS_PORT 0xe9
static bool bochs_svm(void)
{
    return utest_bootinfo->virt == DJ_VIRT_SVM && inb(BOCHS_PORT) == BOCHS_PORT;
}

/* ---- tests ---- */

UTEST(vm_create_checks)
{
    uint64_t pd = utest_selector(), ec = utest_selector(), vm = utest_selector();
    if (!vm_supported()) {
        UTEST_REQUIRE(dj_create_vm_pd(vm, DJ_SEL_SELF_PD, 16) == DJ_E_BAD_PARAM,
                      "a VM PD without hardware virtualization");
        UTEST_SKIP("no hardware virtualization (creating a VM PD is refused)");
    }
    UTEST_REQUIRE(dj_create_pd(pd, DJ_SEL_SELF_PD, 16) == DJ_OK && dj_create_vm_pd(vm, DJ_SEL_SELF_PD, 16) == DJ_OK,
                  "creating the PDs failed");
    UTEST_REQUIRE(dj_create_vcpu(ec, pd, dj_boot_cpu, 0) == DJ_E_BAD_PARAM, "a vCPU in a PD that is no VM");
    UTEST_REQUIRE(dj_create_ec(ec, vm, dj_boot_cpu, utest_va(1), 0, 0, true) == DJ_E_BAD_PARAM,
                  "a thread in a VM PD");
    UTEST_REQUIRE(dj_create_ec(ec, vm, dj_boot_cpu, 0, 0, 0, false) == DJ_E_BAD_PARAM, "a local EC in a VM PD");
    struct dj_sysret r = dj_syscall(DJ_SYS_CREATE_EC | DJ_SYS_FLAG_GLOBAL | DJ_SYS_FLAG_VCPU, ec, vm, dj_boot_cpu,
                                    0x10000, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "a vCPU with a UTCB address");
    r = dj_syscall(DJ_SYS_CREATE_EC | DJ_SYS_FLAG_VCPU, ec, vm, dj_boot_cpu, 0, 0, 0);
    UTEST_REQUIRE(r.status == DJ_E_BAD_PARAM, "a vCPU without DJ_SYS_FLAG_GLOBAL");
    UTEST_REQUIRE(dj_create_vcpu(ec, vm, dj_boot_cpu, 0) == DJ_OK, "a proper vCPU was refused");
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, vm, 0, 0), true);
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, pd, 0, 0), true);
    return true;
}

UTEST(vm_real_mode_exits)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    if (!vm_start(&vm, dj_boot_cpu, VM_REAL, 0, rm_tour, (size_t)(rm_tour_end - rm_tour), 0, 0, why, why_len))
        return false;
    memcpy(vm.ram + GPA_DATA, "hello", 5);
    UTEST_REQUIRE(vm_wait(&vm), "the guest did not finish (%u exits)", log_count);
    const struct exit_rec *e = nth_exit(DJ_VMEXIT_STARTUP, 0);
    UTEST_REQUIRE(e && e == &exit_log[0], "no startup exit first");
    UTEST_REQUIRE((e = nth_exit(DJ_VMEXIT_CPUID, 0)) && e->rax == CPUID_MAGIC && e->rip == GPA_CODE + 6,
                  "CPUID exit wrong");
    e = nth_exit(DJ_VMEXIT_IO, 0);
    UTEST_REQUIRE(e && DJ_VMIO_PORT(e->q0) == 0x80 && DJ_VMIO_SIZE(e->q0) == 1 && !(e->q0 & DJ_VMIO_IN) &&
                      (uint8_t)e->rax == 0x78,
                  "the guest did not see the CPUID answer in EAX (out %#llx)", e ? (unsigned long long)e->rax : 0);
    e = nth_exit(DJ_VMEXIT_IO, 1);
    UTEST_REQUIRE(e && DJ_VMIO_PORT(e->q0) == 0x81 && DJ_VMIO_SIZE(e->q0) == 4 && (uint32_t)e->rax == 0x9abcdef0,
                  "32-bit OUT wrong (EBX from CPUID)");
    e = nth_exit(DJ_VMEXIT_IO, 2);
    UTEST_REQUIRE(e && DJ_VMIO_PORT(e->q0) == 0x82 && (e->q0 & DJ_VMIO_IN) && e->q1 == e->rip + 2, "IN wrong");
    e = nth_exit(DJ_VMEXIT_IO, 3);
    UTEST_REQUIRE(e && DJ_VMIO_PORT(e->q0) == 0x83 && (uint8_t)e->rax == 0x5a, "the guest did not get the IN value");
    e = nth_exit(DJ_VMEXIT_IO, 4);
    UTEST_REQUIRE(e && DJ_VMIO_PORT(e->q0) == 0x84 && (e->q0 & DJ_VMIO_STRING) && (e->q0 & DJ_VMIO_REP) &&
                      e->rcx == 5 && memcmp(io_out_bytes, "hello", 5) == 0,
                  "REP OUTSB wrong (qual %#llx)", e ? (unsigned long long)e->q0 : 0);
    e = nth_exit(DJ_VMEXIT_IO, 5);
    UTEST_REQUIRE(e && (e->q0 & DJ_VMIO_IN) && (e->q0 & DJ_VMIO_STRING) && memcmp(vm.ram + 0x3010, "abc", 3) == 0,
                  "REP INSB wrong");
    e = nth_exit(DJ_VMEXIT_RDMSR, 0);
    UTEST_REQUIRE(e && e->q0 == 0x40000000, "RDMSR exit wrong");
    e = nth_exit(DJ_VMEXIT_WRMSR, 0);
    UTEST_REQUIRE(e && e->q0 == 0x40000001 && e->q1 == 0x1122334455667788ull, "WRMSR exit wrong (value %#llx)",
                  e ? (unsigned long long)e->q1 : 0);
    UTEST_REQUIRE(nth_exit(DJ_VMEXIT_HLT, 0) == &exit_log[log_count - 1], "no HLT exit last");
    UTEST_REQUIRE(vm_destroy(&vm), "the VM's quota did not come back whole");
    return true;
}

UTEST(vm_protected_mode_exits)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    RUN(&vm, dj_boot_cpu, VM_PROT32, 0, pm_tour, 0);
    const struct exit_rec *c = nth_exit(DJ_VMEXIT_CPUID, 0), *o = nth_exit(DJ_VMEXIT_IO, 0);
    UTEST_REQUIRE(c && c->rax == CPUID_MAGIC && o && (uint8_t)o->rax == 0x78 && exits_of(DJ_VMEXIT_HLT) == 1,
                  "CPUID, OUT, HLT not seen as expected");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

UTEST(vm_long_mode_exits)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    RUN(&vm, dj_boot_cpu, VM_LONG, 0, lm_tour, 0);
    const struct exit_rec *c = nth_exit(DJ_VMEXIT_CPUID, 0), *o = nth_exit(DJ_VMEXIT_IO, 0);
    UTEST_REQUIRE(c && c->rax == CPUID_MAGIC && o && (uint8_t)o->rax == 0x78 && exits_of(DJ_VMEXIT_HLT) == 1,
                  "CPUID, OUT, HLT not seen as expected");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

static uint64_t cr_exit(struct vm *vm, struct dj_vcpu_state *s)
{
    (void)vm;
    if (s->exit_reason != DJ_VMEXIT_CR)
        return VM_DEFAULT;
    unsigned gpr = DJ_VMCR_GPR(s->qual[0]);
    s->cr0 = s->gpr[gpr == DJ_VMCR_GPR_UNKNOWN ? 0 : gpr]; /* mov %eax, %cr0: the decoder would say EAX */
    s->rip += 3;
    return DJ_MTD_CR | DJ_MTD_RIP_RSP;
}

UTEST(vm_delegated_port_open)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    if (!vm_start(&vm, dj_boot_cpu, VM_REAL, 0, rm_ports, (size_t)(rm_ports_end - rm_ports), 0, 0, why, why_len))
        return false;
    /* The vCPU runs below our priority on our CPU: only once we wait. */
    UTEST_REQUIRE(dj_delegate(vm.pd, DJ_CRD(DJ_CRD_IO, 0x80, 0, DJ_IO_ACCESS), 0x80) == DJ_OK, "port delegation failed");
    UTEST_REQUIRE(vm_wait(&vm), "the guest did not finish (%u exits)", log_count);
    const struct exit_rec *o = nth_exit(DJ_VMEXIT_IO, 0);
    UTEST_REQUIRE(o && DJ_VMIO_PORT(o->q0) == 0x81 && exits_of(DJ_VMEXIT_IO) == 1,
                  "the delegated port 0x80 exited, or 0x81 did not (%u I/O exits)", exits_of(DJ_VMEXIT_IO));
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

UTEST(vm_cr_write_exit)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    RUN(&vm, dj_boot_cpu, VM_REAL, DJ_CTRL_CR_WRITE, rm_cr, cr_exit);
    const struct exit_rec *c = nth_exit(DJ_VMEXIT_CR, 0), *o = nth_exit(DJ_VMEXIT_IO, 0);
    UTEST_REQUIRE(c && DJ_VMCR_NUMBER(c->q0) == 0 && (c->q0 & DJ_VMCR_WRITE) && (c->rax & 0x20),
                  "no CR0 write exit (%u exits)", log_count);
    UTEST_REQUIRE(o && ((uint32_t)o->rax & 0x20), "the guest's CR0 lacks the bit it wrote");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

static uint64_t exc_exit(struct vm *vm, struct dj_vcpu_state *s)
{
    (void)vm;
    if (s->exit_reason != 6)
        return VM_DEFAULT;
    s->rip += 2;
    return DJ_MTD_RIP_RSP;
}

UTEST(vm_exception_intercept)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    RUN(&vm, dj_boot_cpu, VM_REAL, 1ull << (DJ_CTRL_EXC_SHIFT + 6), rm_exc, exc_exit);
    const struct exit_rec *u = nth_exit(6, 0);
    UTEST_REQUIRE(u && u->rip == GPA_CODE, "no #UD exit at the UD2");
    UTEST_REQUIRE(nth_exit(DJ_VMEXIT_IO, 0) && exits_of(DJ_VMEXIT_HLT) == 1, "the guest did not go on after it");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

static uint64_t shutdown_start(struct vm *vm, struct dj_vcpu_state *s)
{
    (void)vm;
    if (s->exit_reason != DJ_VMEXIT_STARTUP)
        return VM_DEFAULT;
    vm_mode_state(s, VM_PROT32, 0);
    s->idtr.limit = 0; /* every exception faults again: a triple fault */
    return VM_STATE_GROUPS;
}

UTEST(vm_triple_fault_shutdown)
{
    SKIP_WITHOUT_VMS();
    if (bochs_svm())
        UTEST_SKIP("Bochs 2.7 stops at a triple fault in an SVM guest instead of taking the shutdown intercept");
    static struct vm vm;
    RUN(&vm, dj_boot_cpu, VM_PROT32, 0, rm_exc, shutdown_start);
    UTEST_REQUIRE(exits_of(DJ_VMEXIT_SHUTDOWN) == 1 && exit_log[log_count - 1].reason == DJ_VMEXIT_SHUTDOWN,
                  "no shutdown exit (last %llu)", (unsigned long long)exit_log[(log_count - 1) % LOG_MAX].reason);
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

UTEST(vm_npt_violations)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    if (!vm_start(&vm, dj_boot_cpu, VM_LONG, 0, lm_mem, (size_t)(lm_mem_end - lm_mem), 0, 0, why, why_len))
        return false;
    vm.ram[GPA_RO] = 0x77;
    UTEST_REQUIRE(vm_wait(&vm), "the guest did not finish (%u exits)", log_count);
    const struct exit_rec *r = nth_exit(DJ_VMEXIT_MEM, 0), *w = nth_exit(DJ_VMEXIT_MEM, 1);
    UTEST_REQUIRE(r && r->q0 == GPA_UNBACKED && (r->q1 & DJ_VMMEM_READ) && !(r->q1 & DJ_VMMEM_PRESENT),
                  "read of unbacked memory: %#llx %#llx", r ? (unsigned long long)r->q0 : 0,
                  r ? (unsigned long long)r->q1 : 0);
    UTEST_REQUIRE(w && w->q0 == GPA_RO && (w->q1 & DJ_VMMEM_WRITE) && (w->q1 & DJ_VMMEM_PRESENT),
                  "write to a read-only page: %#llx %#llx", w ? (unsigned long long)w->q0 : 0,
                  w ? (unsigned long long)w->q1 : 0);
    const struct exit_rec *o = nth_exit(DJ_VMEXIT_IO, 0);
    UTEST_REQUIRE(o && (uint8_t)o->rax == 0x77 && vm.ram[GPA_RO] == 0x77, "the read-only page changed or was unread");
    UTEST_REQUIRE(exits_of(DJ_VMEXIT_MEM) == 2, "%u memory exits", exits_of(DJ_VMEXIT_MEM));
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

static volatile unsigned revoke_reads;
static uint64_t revoke_progress, revoke_gpa, revoke_kind;

static uint64_t revoke_exit(struct vm *vm, struct dj_vcpu_state *s)
{
    if (s->exit_reason == DJ_VMEXIT_IO && DJ_VMIO_PORT(s->qual[0]) == 0x87) {
        if (revoke_reads++ == 0)
            dj_sm_up(revoke_progress);
        s->rip = s->qual[1];
        return DJ_MTD_RIP_RSP;
    }
    if (s->exit_reason != DJ_VMEXIT_MEM)
        return VM_DEFAULT;
    revoke_gpa = s->qual[0]; /* the log has long overflowed */
    revoke_kind = s->qual[1];
    return vm_finish(vm);
}

UTEST(vm_revoke_removes_guest_memory)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    revoke_reads = 0;
    revoke_gpa = revoke_kind = 0;
    revoke_progress = utest_selector();
    UTEST_REQUIRE(dj_create_sm(revoke_progress, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore failed");
    if (!vm_start(&vm, vm_other_cpu(), VM_LONG, 0, lm_revoke, (size_t)(lm_revoke_end - lm_revoke), revoke_exit, 0,
                  why, why_len))
        return false;
    vm.ram[GPA_REVOCABLE] = 0x55;
    UTEST_REQUIRE(dj_sm_down_timeout(revoke_progress, VM_WAIT_US) == DJ_OK, "the guest never read the page");
    const struct exit_rec *o = nth_exit(DJ_VMEXIT_IO, 0);
    UTEST_REQUIRE(o && (uint8_t)o->rax == 0x55, "the guest read the wrong value");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, (uint64_t)(vm.ram + GPA_REVOCABLE) / UTEST_PAGE, 0, DJ_MEM_ALL),
                            false) == DJ_OK,
                  "revoke failed");
    unsigned at_revoke = revoke_reads;
    UTEST_REQUIRE(vm_wait(&vm), "no memory exit after the revoke (%u reads)", revoke_reads);
    UTEST_REQUIRE(revoke_gpa == GPA_REVOCABLE && (revoke_kind & DJ_VMMEM_READ) && !(revoke_kind & DJ_VMMEM_PRESENT),
                  "the memory exit is wrong: %#llx %#llx", (unsigned long long)revoke_gpa,
                  (unsigned long long)revoke_kind);
    UTEST_REQUIRE(revoke_reads <= at_revoke + 1, "the guest read the page %u times after the revoke returned",
                  revoke_reads - at_revoke);
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

static unsigned recalls;
static uint64_t intr_progress;

static uint64_t intr_exit(struct vm *vm, struct dj_vcpu_state *s)
{
    (void)vm;
    if (s->exit_reason == DJ_VMEXIT_RECALL) {
        s->inj_info = DJ_INJ_VALID | DJ_INJ_EXTINT | (recalls++ == 0 ? 0x20 : 0x21);
        return DJ_MTD_INJ;
    }
    if (s->exit_reason != DJ_VMEXIT_IO)
        return VM_DEFAULT;
    if (DJ_VMIO_PORT(s->qual[0]) == PORT_SPINNING)
        dj_sm_up(intr_progress);
    if (DJ_VMIO_PORT(s->qual[0]) == 0x8d)
        s->ctrl = DJ_CTRL_INTR_WINDOW; /* the guest has interrupts off now */
    s->rip = s->qual[1];
    return DJ_MTD_RIP_RSP | DJ_MTD_CTRL;
}

UTEST(vm_recall_injection_and_window)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    recalls = 0;
    intr_progress = utest_selector();
    UTEST_REQUIRE(dj_create_sm(intr_progress, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore failed");
    if (!vm_start(&vm, vm_other_cpu(), VM_REAL, 0, rm_intr, (size_t)(rm_intr_end - rm_intr), intr_exit, 0, why,
                  why_len))
        return false;
    uint16_t *ivt = (uint16_t *)vm.ram;
    ivt[0x20 * 2] = (uint16_t)(GPA_CODE + (rm_intr_isr20 - rm_intr));
    ivt[0x21 * 2] = (uint16_t)(GPA_CODE + (rm_intr_isr21 - rm_intr));
    UTEST_REQUIRE(dj_sm_down_timeout(intr_progress, VM_WAIT_US) == DJ_OK, "the guest never spun");
    UTEST_REQUIRE(dj_ec_recall(vm.vcpu) == DJ_OK, "recall refused");
    UTEST_REQUIRE(vm_wait(&vm), "the guest did not finish (%u exits, %u recalls)", log_count, recalls);
    const struct exit_rec *r0 = nth_exit(DJ_VMEXIT_RECALL, 0), *r1 = nth_exit(DJ_VMEXIT_RECALL, 1);
    const struct exit_rec *i20 = 0, *i21 = 0, *w = 0;
    for (unsigned i = 0; i < log_count && i < LOG_MAX; i++) {
        const struct exit_rec *e = &exit_log[i];
        if (e->reason == DJ_VMEXIT_IO && DJ_VMIO_PORT(e->q0) == 0x90)
            i20 = e;
        if (e->reason == DJ_VMEXIT_IO && DJ_VMIO_PORT(e->q0) == 0x91)
            i21 = e;
        if (e->reason == DJ_VMEXIT_IO && DJ_VMIO_PORT(e->q0) == 0x8d)
            w = e;
    }
    UTEST_REQUIRE(r0 && i20 && r0 < i20, "the recall's injected interrupt did not reach the guest");
    UTEST_REQUIRE(w && r1 && w < r1 && i21 && r1 < i21, "no interrupt-window exit, or its interrupt not taken");
    uint64_t after_sti = GPA_CODE + (uint64_t)(rm_intr_after_sti - rm_intr);
    UTEST_REQUIRE((r1->rflags & (1u << 9)) && r1->rip >= after_sti,
                  "the window opened with interrupts off (rip %#llx, rflags %#llx)", (unsigned long long)r1->rip,
                  (unsigned long long)r1->rflags);
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

/* Hostile VMM: each of these values makes the entry fail; the kernel
 * must survive them all, and the guest run once the state is good. */
#define BAD_VALUES 19
static unsigned bad_index;
static uint64_t fail_kind[BAD_VALUES];

static void bad_value(struct dj_vcpu_state *s, unsigned k)
{
    switch (k) {
    case 0: s->cr0 = 0x80000010; break;                      /* PG without PE */
    case 1: s->cr0 = 0x10 | 1ull << 32; break;               /* reserved high bit */
    case 2: s->cr0 = 0x10 | 1u << 29; break;                 /* NW without CD */
    case 3: s->efer = 1ull << 20; break;                     /* reserved EFER bit */
    case 4: s->cs.ar = 0xf09b; break;                        /* AR beyond 12 bits */
    case 5: s->fs.base = 0x8000000000000000ull; break;       /* non-canonical base */
    case 6: s->rflags = 2 | 1ull << 22; break;               /* reserved RFLAGS bit */
    case 7: s->rflags = 0; break;                            /* bit 1 clear */
    case 8: s->efer = 0x500; s->cr0 = 0x80000011; break;     /* long mode without PAE */
    case 9:                                                  /* 64-bit CS with D set */
        s->efer = 0x500; s->cr0 = 0x80000011; s->cr4 = 0x20; s->cr3 = GPA_PML4; s->cs.ar = 0xe9b;
        break;
    case 10: s->inj_info = DJ_INJ_VALID | 7ull << 8 | 3; break;  /* reserved event type */
    case 11: s->inj_info = DJ_INJ_VALID | DJ_INJ_NMI | 5; break; /* NMI with vector 5 */
    case 12: s->xcr0 = 0; break;                             /* no x87 */
    case 13: s->xcr0 = 1ull << 62 | 1; break;                /* beyond the host's */
    case 14: s->ctrl = 1ull << 5; break;                     /* unknown control */
    case 15: s->actv_state = 7; break;                       /* unknown activity */
    case 16: s->lstar = 0x0000800000000000ull; break;        /* non-canonical MSR value */
    case 17: s->pat = 0x0202020202020202ull; break;          /* reserved memory type */
    default: s->cr3 = 1ull << 60; break;                     /* beyond MAXPHYADDR */
    }
}

static uint64_t hostile_exit(struct vm *vm, struct dj_vcpu_state *s)
{
    (void)vm;
    if (s->exit_reason == DJ_VMEXIT_ENTRY_FAIL && bad_index < BAD_VALUES)
        fail_kind[bad_index++] = s->qual[1];
    else if (s->exit_reason != DJ_VMEXIT_STARTUP)
        return VM_DEFAULT;
    vm_mode_state(s, VM_REAL, 0);
    if (bad_index < BAD_VALUES)
        bad_value(s, bad_index);
    return VM_STATE_GROUPS;
}

UTEST(vm_hostile_vmm_entry_fail)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    bad_index = 0;
    RUN(&vm, dj_boot_cpu, VM_REAL, 0, rm_hlt, hostile_exit);
    UTEST_REQUIRE(bad_index == BAD_VALUES, "only %u of %u bad values made the entry fail (exit %llu after)",
                  bad_index, BAD_VALUES, (unsigned long long)exit_log[(log_count - 1) % LOG_MAX].reason);
    for (unsigned k = 0; k < BAD_VALUES; k++)
        UTEST_REQUIRE(fail_kind[k] == DJ_VMFAIL_STATE || fail_kind[k] == DJ_VMFAIL_CONTROL,
                      "entry failure %u without a kind", k);
    UTEST_REQUIRE(exits_of(DJ_VMEXIT_HLT) == 1 && exits_of(DJ_VMEXIT_ENTRY_FAIL) == BAD_VALUES,
                  "the guest did not run once its state was good");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

static const uint32_t host_msrs[] = {0x10, 0x1b, 0x3a, 0x277, 0xc0000080, 0xc0000103, 0xc0010117, 0};

static uint64_t msr_exit(struct vm *vm, struct dj_vcpu_state *s)
{
    (void)vm;
    if (s->exit_reason != DJ_VMEXIT_RDMSR)
        return VM_DEFAULT;
    s->gpr[0] = 0xd0000000u | (uint32_t)s->qual[0];
    s->gpr[2] = 0;
    s->rip += 2;
    return DJ_MTD_GPR | DJ_MTD_RIP_RSP;
}

UTEST(vm_msr_isolation)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    if (!vm_start(&vm, dj_boot_cpu, VM_REAL, 0, rm_msr, (size_t)(rm_msr_end - rm_msr), msr_exit, 0, why, why_len))
        return false;
    memcpy(vm.ram + 0x3200, host_msrs, sizeof(host_msrs));
    UTEST_REQUIRE(vm_wait(&vm), "the guest did not finish (%u exits)", log_count);
    unsigned n = sizeof(host_msrs) / sizeof(host_msrs[0]) - 1;
    for (unsigned i = 0; i < n; i++) {
        const struct exit_rec *r = nth_exit(DJ_VMEXIT_RDMSR, i), *o = nth_exit(DJ_VMEXIT_IO, i);
        UTEST_REQUIRE(r && r->q0 == host_msrs[i], "RDMSR %#x did not exit", host_msrs[i]);
        UTEST_REQUIRE(o && (uint32_t)o->rax == (0xd0000000u | host_msrs[i]),
                      "the guest read %#llx from MSR %#x, not the VMM's answer", (unsigned long long)o->rax,
                      host_msrs[i]);
    }
    const struct exit_rec *fs = nth_exit(DJ_VMEXIT_IO, n);
    UTEST_REQUIRE(exits_of(DJ_VMEXIT_RDMSR) == n && exits_of(DJ_VMEXIT_WRMSR) == 0,
                  "the guest's own FS base exited");
    UTEST_REQUIRE(fs && (uint32_t)fs->rax == 0x12345000, "the guest's FS base did not stick");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

static volatile uint64_t handler_xmm0, fpu_xcr0_seen;

static uint64_t fpu_exit(struct vm *vm, struct dj_vcpu_state *s)
{
    (void)vm;
    if (s->exit_reason == DJ_VMEXIT_IO && DJ_VMIO_PORT(s->qual[0]) == 0x88) {
        uint64_t x, clobber = 0x0badf00d0badf00dull;
        __asm__ volatile("movq %%xmm0, %0" : "=r"(x));
        handler_xmm0 = x;
        __asm__ volatile("movq %0, %%xmm0" ::"r"(clobber));
        s->rip = s->qual[1];
        return DJ_MTD_RIP_RSP;
    }
    if (s->exit_reason == DJ_VMEXIT_XSETBV) {
        s->xcr0 = s->gpr[0] | s->gpr[2] << 32;
        s->rip += 3;
        return DJ_MTD_CR | DJ_MTD_RIP_RSP;
    }
    if (s->exit_reason == DJ_VMEXIT_IO && DJ_VMIO_PORT(s->qual[0]) == 0x89)
        fpu_xcr0_seen = (uint32_t)s->gpr[0];
    return VM_DEFAULT;
}

static bool run_fpu_guest(struct vm *vm, char *why, size_t why_len)
{
    static const uint64_t pattern[2] = {0x1122334455667788ull, 0x99aabbccddeeff00ull};
    handler_xmm0 = fpu_xcr0_seen = 0;
    if (!vm_start(vm, dj_boot_cpu, VM_LONG, 0, lm_fpu, (size_t)(lm_fpu_end - lm_fpu), fpu_exit, 0, why, why_len))
        return false;
    memcpy(vm->ram + GPA_DATA, pattern, sizeof(pattern));
    UTEST_REQUIRE(vm_wait(vm), "the guest did not finish (%u exits, last %llu)", log_count,
                  (unsigned long long)exit_log[(log_count - 1) % LOG_MAX].reason);
    UTEST_REQUIRE(handler_xmm0 != pattern[0], "the handler saw the guest's XMM0");
    UTEST_REQUIRE(memcmp(vm->ram + GPA_DATA + 0x10, pattern, sizeof(pattern)) == 0,
                  "the guest's XMM0 changed while the handler ran");
    return true;
}

static uint64_t xcr0_now(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return lo | (uint64_t)hi << 32;
}

UTEST(vm_fpu_isolation)
{
    SKIP_WITHOUT_VMS();
    if (!(cpuid(1, 0).ecx & (1u << 27)))
        UTEST_SKIP("no XSAVE enabled");
    static struct vm vm;
    uint64_t host_xcr0 = xcr0_now();
    if (!run_fpu_guest(&vm, why, why_len))
        return false;
    UTEST_REQUIRE(xcr0_now() == host_xcr0, "the guest's XCR0 reached the host");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

UTEST(vm_xsetbv_exit)
{
    SKIP_WITHOUT_VMS();
    if (!(cpuid(1, 0).ecx & (1u << 27)))
        UTEST_SKIP("no XSAVE enabled");
    static struct vm vm;
    if (!run_fpu_guest(&vm, why, why_len))
        return false;
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    if (exits_of(DJ_VMEXIT_XSETBV) == 0)
        UTEST_SKIP("XSETBV did not exit: the CPU lacks the intercept (QEMU TCG)");
    UTEST_REQUIRE(exits_of(DJ_VMEXIT_XSETBV) == 1 && fpu_xcr0_seen == 3, "guest XCR0 %#llx, not 3",
                  (unsigned long long)fpu_xcr0_seen);
    return true;
}

static uint64_t spin_progress;

static uint64_t spin_exit(struct vm *vm, struct dj_vcpu_state *s)
{
    (void)vm;
    if (s->exit_reason != DJ_VMEXIT_IO || DJ_VMIO_PORT(s->qual[0]) != PORT_SPINNING)
        return VM_DEFAULT;
    dj_sm_up(spin_progress);
    s->rip = s->qual[1];
    return DJ_MTD_RIP_RSP;
}

/* The CPU a spinning guest is killed on: another one (by IPI), but the
 * boot CPU under Bochs' SVM, whose simulation stopped (no time passed)
 * when a vCPU spinning on the second CPU was killed: not understood yet
 * (QEMU runs it). */
static unsigned spin_cpu(void)
{
    return bochs_svm() ? dj_boot_cpu : vm_other_cpu();
}

static bool start_spinner(struct vm *vm, unsigned cpu, char *why, size_t why_len)
{
    spin_progress = utest_selector();
    UTEST_REQUIRE(dj_create_sm(spin_progress, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore failed");
    if (!vm_start(vm, cpu, VM_REAL, 0, rm_spin, (size_t)(rm_spin_end - rm_spin), spin_exit, 0, why, why_len))
        return false;
    UTEST_REQUIRE(dj_sm_down_timeout(spin_progress, VM_WAIT_US) == DJ_OK, "the guest never spun");
    return true;
}

UTEST(vm_kill_running_vcpu)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    if (!start_spinner(&vm, spin_cpu(), why, why_len))
        return false;
    UTEST_REQUIRE(dj_ec_kill(vm.vcpu) == DJ_OK, "kill refused");
    enum dj_status st = dj_ec_recall(vm.vcpu);
    UTEST_REQUIRE(st == DJ_E_ABORTED || st == DJ_E_BAD_CAP, "the vCPU lives on after its kill (recall: %d)", st);
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    /* Its CPU runs guests again. */
    RUN(&vm, vm_other_cpu(), VM_REAL, 0, rm_hlt, 0);
    UTEST_REQUIRE(exits_of(DJ_VMEXIT_HLT) == 1, "a new guest did not run");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}

UTEST(vm_pd_destroyed_with_running_vcpu)
{
    SKIP_WITHOUT_VMS();
    static struct vm vm;
    if (!start_spinner(&vm, spin_cpu(), why, why_len))
        return false;
    UTEST_REQUIRE(vm_destroy(&vm), "the VM's quota did not come back whole");
    UTEST_REQUIRE(dj_ec_recall(vm.vcpu) == DJ_E_BAD_CAP, "the vCPU capability outlived its PD");
    RUN(&vm, vm_other_cpu(), VM_REAL, 0, rm_hlt, 0);
    UTEST_REQUIRE(exits_of(DJ_VMEXIT_HLT) == 1, "a new guest did not run");
    UTEST_REQUIRE(vm_destroy(&vm), "quota not back");
    return true;
}
