/* SPDX-License-Identifier: GPL-2.0-only */
/* TLB shootdown: see tlb.h.
 *
 * Each CPU has a request counter that requesters increment and a done
 * counter it advances to the request count it has served. A CPU serves by
 * reading its request count first and flushing afterwards, so every change
 * made before a request was counted is covered by the flush that
 * acknowledges it. */
#include "kernel/tlb.h"
#include "arch/x86_64/apic.h"
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "kernel/ec.h"
#include "kernel/vcpu.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/iobitmap.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"

#define CACHE_LINE 64

struct tlb_request {
    uint64_t requested; /* incremented by requesters */
    uint64_t done;      /* the request count this CPU has served */
} __attribute__((aligned(CACHE_LINE)));

static struct tlb_request requests[MAX_CPUS];
static bool handler_registered;

/* Flush this CPU's user translations and reload the running PD's I/O
 * bitmap if it changed, then acknowledge what was asked before. Without
 * `always`, only when something is asked. */
static void serve_requests(bool always)
{
    struct tlb_request *r = &requests[this_cpu()->index];
    uint64_t asked = __atomic_load_n(&r->requested, __ATOMIC_ACQUIRE);
    if (!always && asked == __atomic_load_n(&r->done, __ATOMIC_RELAXED))
        return;
    write_cr3(read_cr3());
    vcpu_guest_tlbs_stale(); /* guest translations (other ASIDs or VPIDs) too */
    struct ec *cur = ec_current();
    if (cur)
        iobitmap_activate(cur->pd);
    if (asked != __atomic_load_n(&r->done, __ATOMIC_RELAXED))
        __atomic_store_n(&r->done, asked, __ATOMIC_RELEASE);
}

static void shootdown_ipi(struct trap_frame *f)
{
    (void)f;
    serve_requests(true);
    lapic_eoi();
}

void tlb_init(void)
{
    if (__atomic_load_n(&handler_registered, __ATOMIC_ACQUIRE))
        return;
    irq_register(VEC_TLB_SHOOTDOWN, shootdown_ipi);
    __atomic_store_n(&handler_registered, true, __ATOMIC_RELEASE);
}

/* The first CPU that has not served its request yet, or MAX_CPUS. */
static unsigned first_unacknowledged(const uint64_t wanted[MAX_CPUS])
{
    for (unsigned i = 0; i < MAX_CPUS; i++)
        if (wanted[i] && (int64_t)(__atomic_load_n(&requests[i].done, __ATOMIC_ACQUIRE) - wanted[i]) < 0)
            return i;
    return MAX_CPUS;
}

void tlb_shootdown(void)
{
    tlb_init();
    unsigned self = this_cpu()->index;
    uint64_t wanted[MAX_CPUS] = {0}; /* request count each CPU must reach; 0 = not asked */
    __atomic_thread_fence(__ATOMIC_SEQ_CST); /* page-table and bitmap writes before the requests */
    for (unsigned i = 0; i < MAX_CPUS; i++) {
        if (i == self || !__atomic_load_n(&percpu[i].online, __ATOMIC_ACQUIRE))
            continue;
        wanted[i] = __atomic_add_fetch(&requests[i].requested, 1, __ATOMIC_SEQ_CST);
        lapic_send_ipi(percpu[i].apic_id, VEC_TLB_SHOOTDOWN);
    }
    serve_requests(true); /* this CPU too */
    unsigned late;
    for (uint64_t us = 0; (late = first_unacknowledged(wanted)) < MAX_CPUS; us++) {
        if (us >= TLB_ACK_TIMEOUT_US) {
            kprintf("tlb: CPU %u did not acknowledge a shootdown within %u us\n", late, TLB_ACK_TIMEOUT_US);
            return;
        }
        serve_requests(false); /* a CPU waiting on us waits with interrupts off, as we do */
        timer_udelay(1);
    }
}
