/* SPDX-License-Identifier: GPL-2.0-only */
/* Application processor start-up (INIT-SIPI-SIPI, one CPU at a time) and
 * the cross-CPU IPIs: stop (panic) and wake (the scheduler's kick, also
 * counted for the self-tests). Each AP ends in the scheduler: it idles in
 * HLT until an SC of an EC bound to it becomes ready. */
#include "arch/x86_64/smp.h"
#include "arch/x86_64/virt.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "kernel/frame_alloc.h"
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/idt.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "kernel/panic.h"
#include "arch/x86_64/percpu.h"
#include "kernel/sched.h"
#include "arch/x86_64/timer.h"
#include "arch/x86_64/user_mode.h"

#define TRAMPOLINE_LIMIT 0x100000ull /* SIPI vectors reach the first MiB only */
#define FOUR_GIB (4ull << 30)
#define XAPIC_MAX_ID 0xfeu
#define INIT_DELAY_US 10000
#define SIPI_WAIT_US 200
#define ONLINE_TIMEOUT_US 200000
#define STARTED_EXTRA_US 800000 /* an AP that reached the trampoline gets longer */
#define POLL_US 50
#define STOP_WAIT_US 10000
#define VEC_NMI 2

/* Must match the parameter block at the end of ap_boot.S. */
struct ap_boot_params {
    uint64_t cr3;
    uint64_t efer; /* bits ORed into EFER */
    uint64_t stack_top;
    uint64_t entry;
    uint64_t arg;
    volatile uint32_t started;
    uint32_t reserved;
};

extern const char ap_trampoline_start[], ap_trampoline_end[], ap_trampoline_params[];

#ifdef DONJON_TEST_KERNEL
/* Per-CPU count of VEC_IPI_WAKE interrupts received (read by smp_ktest.c). */
volatile uint64_t smp_ipi_wake_count[MAX_CPUS];
#endif

static uint64_t ap_stack_top[MAX_CPUS];
static uint64_t ap_kernel_stack_top[MAX_CPUS]; /* for entries from ring 3 */
static uint64_t ap_ist_tops[MAX_CPUS][3];
static volatile unsigned cpus_stopped;
static volatile bool stopping;

__attribute__((noreturn)) void ap_entry(uint64_t index);

static void ipi_stop(struct trap_frame *f)
{
    (void)f;
    __atomic_fetch_add(&cpus_stopped, 1, __ATOMIC_SEQ_CST);
    cpu_halt_forever();
}

static void nmi_stop(struct trap_frame *f)
{
    if (!stopping)
        panic_trap(f);
    ipi_stop(f);
}

/* Only a kick: the waker set this CPU's need_resched under the big kernel
 * lock. Taken in HLT, the idle loop then re-runs the dispatcher; taken in
 * user mode, the interrupt hook (sched_user_interrupt) and the way back
 * out (sched_exit_to_user) do. Nothing here may touch scheduler state. */
static void ipi_wake(struct trap_frame *f)
{
    (void)f;
#ifdef DONJON_TEST_KERNEL
    smp_ipi_wake_count[this_cpu()->index]++;
#endif
    lapic_eoi();
}

void smp_send_wake(uint32_t cpu)
{
    if (cpu < MAX_CPUS && percpu[cpu].online)
        lapic_send_ipi(percpu[cpu].apic_id, VEC_IPI_WAKE);
}

/* First C code on an AP: running on its own stack, with the kernel page
 * tables but still the trampoline's GDT and no IDT. */
void ap_entry(uint64_t index)
{
    struct percpu *p = &percpu[index];
    percpu_install(p, (uint32_t)index, p->apic_id);
    gdt_init_cpu(&p->tables, ap_stack_top[index], ap_ist_tops[index]);
    idt_load();
    cpu_features_enable();
    lapic_init_ap();
    p->apic_id = lapic_id(); /* what the hardware says, should the MADT differ */
    timer_start_this_cpu();
    syscall_init_cpu(ap_kernel_stack_top[index]);
    virt_init_ap();
    p->online = true;
    __atomic_fetch_add(&cpus_online, 1, __ATOMIC_SEQ_CST);
    /* Nothing is queued here yet (the root PD may not even exist): the
     * dispatcher idles with interrupts on until a wake-up IPI. */
    sched_start();
}

static uint64_t alloc_stack_top(uint64_t size)
{
    uint64_t pa = frame_alloc_contig(size / FRAME_SIZE, FRAME_SIZE);
    return pa ? (uint64_t)phys_to_virt(pa) + size : 0;
}

static bool wait_for(volatile const bool *flag, volatile const uint32_t *started, uint64_t timeout_us)
{
    for (uint64_t t = 0; t < timeout_us; t += POLL_US) {
        if (flag ? *flag : *started)
            return true;
        timer_udelay(POLL_US);
    }
    return flag ? *flag : *started;
}

static bool start_ap(unsigned idx, uint32_t apic_id, struct ap_boot_params *params, uint64_t page)
{
    uint64_t stack = alloc_stack_top(KERNEL_STACK_SIZE);
    ap_kernel_stack_top[idx] = alloc_stack_top(KERNEL_STACK_SIZE);
    for (int i = 0; i < 3; i++)
        ap_ist_tops[idx][i] = alloc_stack_top(IST_STACK_SIZE);
    if (!stack || !ap_kernel_stack_top[idx] || !ap_ist_tops[idx][0] || !ap_ist_tops[idx][1] || !ap_ist_tops[idx][2]) {
        kprintf("smp: out of memory for the stacks of CPU %u\n", idx);
        return false;
    }
    ap_stack_top[idx] = stack;
    percpu[idx].apic_id = apic_id;
    percpu[idx].online = false;
    params->stack_top = stack;
    params->arg = idx;
    params->started = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);

    lapic_send_init(apic_id);
    timer_udelay(INIT_DELAY_US);
    for (int sipi = 0; sipi < 2; sipi++) {
        lapic_send_startup(apic_id, (uint8_t)(page >> PAGE_SHIFT));
        if (wait_for(NULL, &params->started, SIPI_WAIT_US))
            break;
    }
    if (wait_for(&percpu[idx].online, NULL, ONLINE_TIMEOUT_US))
        return true;
    if (params->started && wait_for(&percpu[idx].online, NULL, STARTED_EXTRA_US))
        return true;
    /* Park it in wait-for-SIPI so it cannot run the trampoline later with
     * another CPU's parameters. */
    bool reached = params->started;
    lapic_send_init(apic_id);
    kprintf("smp: CPU %u (APIC id %u) did not start%s\n", idx, apic_id,
            reached ? " (it reached the trampoline but never came online)" : "");
    return false;
}

void smp_boot_aps(void)
{
    irq_register(VEC_IPI_STOP, ipi_stop);
    irq_register(VEC_IPI_WAKE, ipi_wake);
    if (acpi.cpu_count <= 1) {
        kprintf("smp: 1 CPU, no application processors to start\n");
        return;
    }
    uint64_t cr3 = paging_kernel_cr3();
    if (cr3 >= FOUR_GIB) {
        kprintf("smp: kernel page tables at %#llx are above 4 GiB; APs stay off\n", (unsigned long long)cr3);
        return;
    }
    size_t size = (size_t)(ap_trampoline_end - ap_trampoline_start);
    if (size > PAGE_SIZE)
        panic("smp: AP trampoline is %zu bytes, more than a page", size);
    uint64_t page = frame_alloc_below(TRAMPOLINE_LIMIT);
    if (!page) {
        kprintf("smp: no free page below 1 MiB for the AP trampoline; APs stay off\n");
        return;
    }
    uint8_t *tramp = phys_to_virt(page);
    memcpy(tramp, ap_trampoline_start, size);
    struct ap_boot_params *params = (struct ap_boot_params *)(tramp + (ap_trampoline_params - ap_trampoline_start));
    params->cr3 = cr3;
    params->efer = EFER_LME | (cpu_features.nx ? EFER_NXE : 0);
    params->entry = (uint64_t)ap_entry;
    /* The trampoline turns paging on while running from this page. */
    if (paging_map_page(page, page, PTE_PRESENT | PTE_WRITE) < 0) {
        kprintf("smp: cannot identity-map the AP trampoline; APs stay off\n");
        frame_free(page);
        return;
    }

    uint32_t bsp = lapic_id();
    unsigned next = 1;
    for (unsigned i = 0; i < acpi.cpu_count && next < MAX_CPUS; i++) {
        uint32_t id = acpi.cpu_apic_ids[i];
        if (id == bsp)
            continue;
        unsigned idx = next++;
        if (!lapic_is_x2apic() && id > XAPIC_MAX_ID) {
            kprintf("smp: CPU %u (APIC id %u) is unreachable without x2APIC; skipped\n", idx, id);
            continue;
        }
        start_ap(idx, id, params, page);
    }
    paging_unmap_page(page);
    /* The page stays allocated: a CPU that failed to start must never find
     * other data where its trampoline was. */
    kprintf("smp: %u of %u CPUs online\n", cpus_online, acpi.cpu_count);
}

void smp_stop_others(void)
{
    if (__atomic_load_n(&cpus_online, __ATOMIC_SEQ_CST) <= 1)
        return;
    stopping = true;
    uint32_t self = lapic_id();
    unsigned expected = 0;
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        if (percpu[i].online && percpu[i].apic_id != self) {
            lapic_send_ipi(percpu[i].apic_id, VEC_IPI_STOP);
            expected++;
        }
    }
    for (uint64_t t = 0; t < STOP_WAIT_US && cpus_stopped < expected; t += POLL_US)
        timer_udelay(POLL_US);
    if (cpus_stopped < expected) {
        /* Some CPU runs with interrupts off: an NMI gets through. */
        irq_register(VEC_NMI, nmi_stop);
        lapic_send_nmi_all_but_self();
    }
}
