/* SPDX-License-Identifier: GPL-2.0-only */
/* vCPUs and their threads (docs/vmm.md): per vCPU a handler EC on the
 * vCPU's host CPU serving its DJ_VMEXIT_COUNT exit portals (delegated
 * into the VM PD at the vCPU's event base), the vCPU EC with its SC, and
 * a timer thread that recalls the vCPU when its LAPIC timer is due while
 * it runs. A halted vCPU (HLT) waits in its handler with a timed down of
 * its wake semaphore; devices and other vCPUs wake or recall it
 * (vmm_vcpu_kick). APs wait for INIT/SIPI the same way. */
#include <string.h>
#include "lib/component.h"
#include "lib/server.h"
#include "lib/startinfo.h"
#include "lib/syscall.h"
#include "core.h"

#define SEL_VCPU_FIRST (DJ_CHILD_FIRST_FREE + 16)
#define SELS_PER_VCPU 128
#define SEL_HANDLER_EC 48
#define SEL_VCPU_EC 49
#define SEL_VCPU_SC 50
#define SEL_WAKE_SM 51
#define SEL_TIMER_SM 52
#define SEL_TIMER_EC 53
#define SEL_TIMER_SC 54
#define SEL_TIMER_EVENTS 64 /* DJ_EV_COUNT selectors: the timer thread's event base */
#define UTCB_FIRST (DJ_CHILD_FREE_VA + 0x100000)
#define STACK_BYTES 16384
#define QUANTUM_US 10000
#define US_PER_S 1000000ull
#define CALL_FRAME_BIAS 8 /* a function starts with RSP = 8 mod 16 */

/* What each exit's portal carries (docs/vmm.md, "MTDs"): every handler
 * may inject and change RIP, so these groups always travel. */
#define MTD_COMMON (DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_RFLAGS | DJ_MTD_QUAL | DJ_MTD_INJ | DJ_MTD_STA | DJ_MTD_CTRL)

static uint8_t handler_stacks[VMM_MAX_VCPUS][STACK_BYTES] __attribute__((aligned(16)));
static uint8_t timer_stacks[VMM_MAX_VCPUS][STACK_BYTES] __attribute__((aligned(16)));

/* Per exit reason; 0: MTD_COMMON. */
#define MTD_DECODE (MTD_COMMON | DJ_MTD_CR | DJ_MTD_SEG)                /* address translation, decoding */
#define MTD_CPU_STATE (MTD_COMMON | DJ_MTD_CR | DJ_MTD_TSC | DJ_MTD_PAT) /* CPUID, XSETBV, MSRs */
static const uint64_t exit_mtds[DJ_VMEXIT_COUNT] = {
    /* INIT handling (after a recall too) rewrites the whole state. */
    [DJ_VMEXIT_STARTUP] = DJ_MTD_VM_ALL, [DJ_VMEXIT_SHUTDOWN] = DJ_MTD_VM_ALL, [DJ_VMEXIT_ENTRY_FAIL] = DJ_MTD_VM_ALL,
    [DJ_VMEXIT_INIT] = DJ_MTD_VM_ALL, [DJ_VMEXIT_RECALL] = DJ_MTD_VM_ALL,
    [DJ_VMEXIT_IO] = MTD_DECODE, [DJ_VMEXIT_DR] = MTD_DECODE, [DJ_VMEXIT_MEM] = MTD_DECODE,
    [DJ_VMEXIT_CPUID] = MTD_CPU_STATE, [DJ_VMEXIT_XSETBV] = MTD_CPU_STATE, [DJ_VMEXIT_RDMSR] = MTD_CPU_STATE,
    [DJ_VMEXIT_WRMSR] = MTD_CPU_STATE,
};

static uint64_t sel(const struct vcpu *v, unsigned off)
{
    return SEL_VCPU_FIRST + (uint64_t)v->id * SELS_PER_VCPU + off;
}

static enum dj_status exit_portals(struct vcpu *v)
{
    for (unsigned r = 0; r < DJ_VMEXIT_COUNT; r++) {
        uint64_t pt = sel(v, r);
        enum dj_status st = dj_create_pt(pt, DJ_SEL_SELF_PD, v->handler_ec, exit_mtds[r] ? exit_mtds[r] : MTD_COMMON,
                                         (uint64_t)(uintptr_t)dj_portal_entry);
        if (st == DJ_OK)
            st = dj_pt_ctrl(pt, (uint64_t)v->id << 8 | r);
        if (st == DJ_OK)
            st = dj_delegate(vm.pd, DJ_CRD(DJ_CRD_OBJ, pt, 0, DJ_PT_CALL), VM_EVENT_BASE(v->id) + r);
        if (st != DJ_OK)
            return st;
    }
    return DJ_OK;
}

static uint64_t utcb_va(unsigned vcpu, unsigned which)
{
    return UTCB_FIRST + ((uint64_t)vcpu * 2 + which) * PAGE_SIZE;
}

uint64_t thread_start(struct dj_utcb *u, bool ok, void (*fn)(uint64_t), uint8_t *stack, size_t bytes, uint64_t arg)
{
    ok = ok && u->arch.vector == DJ_EV_STARTUP;
    u->arch.rip = ok ? (uint64_t)(uintptr_t)fn : 1ull << 63; /* not canonical: the kernel kills the thread */
    u->arch.rsp = (uint64_t)(uintptr_t)stack + bytes - CALL_FRAME_BIAS;
    u->arch.rdi = arg;
    return DJ_MTD(0, 0);
}

enum dj_status thread_create(const struct vcpu *host, uint64_t event_base, uint64_t badge, uint64_t ec, uint64_t sc,
                             uint64_t utcb, unsigned prio)
{
    uint64_t pt = event_base + DJ_EV_STARTUP;
    enum dj_status st = dj_create_pt(pt, DJ_SEL_SELF_PD, host->handler_ec, DJ_MTD_RIP_RSP | DJ_MTD_GPR,
                                     (uint64_t)(uintptr_t)dj_portal_entry);
    if (st == DJ_OK)
        st = dj_pt_ctrl(pt, VMM_THREAD_BADGE | badge);
    if (st == DJ_OK)
        st = dj_child_exception_portals(event_base, host->cpu); /* its faults reach init */
    if (st == DJ_OK)
        st = dj_create_ec(ec, DJ_SEL_SELF_PD, host->cpu, utcb, 0, event_base, true);
    if (st == DJ_OK)
        st = dj_create_sc(sc, DJ_SEL_SELF_PD, ec, prio, QUANTUM_US);
    return st;
}

/* The startup events of the VMM's own threads (through a vCPU's handler EC). */
uint64_t thread_startup(uint64_t badge, struct dj_utcb *u)
{
    unsigned id = (unsigned)(badge & 0xff);
    if (badge & VMM_RELAY_BADGE)
        return net_relay_startup(id, u);
    return thread_start(u, id < vm.nvcpus, timer_thread, timer_stacks[id % VMM_MAX_VCPUS], STACK_BYTES, id);
}

/* Downs sm, waiting at most until the TSC reaches deadline (UINT64_MAX:
 * for as long as it takes). */
static void down_until(uint64_t sm, uint64_t deadline)
{
    uint64_t now = vmm_guest_tsc();
    if (deadline == UINT64_MAX)
        dj_sm_down(sm);
    else if (deadline > now)
        dj_sm_down_timeout(sm, (deadline - now) / (vm.tsc_hz / US_PER_S) + 1);
}

/* Sleeps until v's armed deadline, then recalls v if it runs the guest
 * (a halted vCPU's handler watches its own deadline). */
void timer_thread(uint64_t id)
{
    struct vcpu *v = &vm.vcpu[id];
    for (;;) {
        down_until(v->timer_sm, v->armed_deadline);
        vm_lock();
        if (v->armed_deadline <= vmm_guest_tsc()) {
            v->armed_deadline = UINT64_MAX; /* the exit that follows re-arms */
            if (v->state == VCPU_RUNNING && !v->halted && !v->utcb)
                dj_ec_recall(v->ec);
        }
        vm_unlock();
    }
}

void timer_rearm(struct vcpu *v)
{
    uint64_t deadline = platform_timer_deadline(v->id);
    if (deadline != v->armed_deadline) {
        v->armed_deadline = deadline;
        dj_sm_up(v->timer_sm);
    }
}

static bool vcpu_create(struct vcpu *v, unsigned prio, unsigned timer_prio)
{
    const char *what = "its handler";
    v->handler_ec = sel(v, SEL_HANDLER_EC);
    v->ec = sel(v, SEL_VCPU_EC);
    v->wake_sm = sel(v, SEL_WAKE_SM);
    v->timer_sm = sel(v, SEL_TIMER_SM);
    v->timer_ec = sel(v, SEL_TIMER_EC);
    v->armed_deadline = UINT64_MAX;
    v->misc_enable = MISC_ENABLE_RESET;
    v->dr[6] = DR6_RESET;
    v->dr[7] = DR7_RESET;
    v->state = v->id == 0 ? VCPU_RUNNING : VCPU_WAIT_SIPI;
    uint64_t sp = dj_handler_stack(handler_stacks[v->id], STACK_BYTES,
                                   (struct dj_utcb *)(uintptr_t)utcb_va(v->id, 0), exit_handler);
    enum dj_status st = dj_create_ec(v->handler_ec, DJ_SEL_SELF_PD, v->cpu, utcb_va(v->id, 0), sp,
                                     dj_child_event_base(v->cpu), false);
    if (st == DJ_OK && (what = "its semaphores", true))
        st = dj_create_sm(v->wake_sm, DJ_SEL_SELF_PD, 0);
    if (st == DJ_OK)
        st = dj_create_sm(v->timer_sm, DJ_SEL_SELF_PD, 0);
    if (st == DJ_OK && (what = "its exit portals", true))
        st = exit_portals(v);
    if (st == DJ_OK && (what = "its timer thread", true))
        st = thread_create(v, sel(v, SEL_TIMER_EVENTS), v->id, v->timer_ec, sel(v, SEL_TIMER_SC), utcb_va(v->id, 1),
                           timer_prio);
    if (st == DJ_OK && (what = "the vCPU", true))
        st = (enum dj_status)dj_syscall(DJ_SYS_CREATE_EC | DJ_SYS_FLAG_GLOBAL | DJ_SYS_FLAG_VCPU, v->ec, vm.pd,
                                        v->cpu, 0, 0, VM_EVENT_BASE(v->id))
                 .status;
    if (st == DJ_OK && (what = "the vCPU's scheduling context", true))
        st = dj_create_sc(sel(v, SEL_VCPU_SC), vm.pd, v->ec, prio, QUANTUM_US);
    if (st != DJ_OK)
        vmm_log("vCPU %u on CPU %u: creating %s failed (status %d)", v->id, v->cpu, what, st);
    return st == DJ_OK;
}

bool vcpus_create(unsigned prio, unsigned timer_prio, unsigned first_cpu)
{
    for (unsigned i = 0; i < vm.nvcpus; i++) {
        vm.vcpu[i].id = i;
        vm.vcpu[i].cpu = (first_cpu + i) % vm.host_cpus;
    }
    /* APs first: the BSP must find them waiting for its SIPIs. */
    for (unsigned i = vm.nvcpus; i-- > 0;)
        if (!vcpu_create(&vm.vcpu[i], prio, timer_prio))
            return false;
    return true;
}

void vcpu_block(struct vcpu *v, uint64_t deadline)
{
    struct dj_utcb *u = v->utcb;
    v->utcb = NULL; /* another handler may take the lock meanwhile */
    v->halted = true;
    vm_unlock();
    down_until(v->wake_sm, deadline);
    vm_lock();
    v->halted = false;
    v->utcb = u;
}

/* The LAPICs (one per vCPU: lapic_set_init(vm.nvcpus)) name only vCPUs
 * that exist. */
void vmm_vcpu_kick(unsigned id)
{
    struct vcpu *v = &vm.vcpu[id];
    if (v->halted)
        dj_sm_up(v->wake_sm);
    else if (!v->utcb && v->state == VCPU_RUNNING)
        dj_ec_recall(v->ec); /* in its own exit (utcb set), delivery follows anyway */
}

void vmm_vcpu_init(unsigned id)
{
    if (id == 0)
        return; /* INIT to the BSP: not modelled (reset goes through i8042/ACPI) */
    struct vcpu *v = &vm.vcpu[id];
    if (v->state == VCPU_RUNNING) {
        v->init_pending = true;
        vmm_vcpu_kick(id);
    }
}

void vmm_vcpu_sipi(unsigned id, uint8_t vector)
{
    struct vcpu *v = &vm.vcpu[id];
    if (v->state != VCPU_WAIT_SIPI)
        return; /* the second SIPI of the INIT-SIPI-SIPI sequence */
    v->sipi_vector = vector;
    v->sipi_pending = true;
    dj_sm_up(v->wake_sm);
}
