/* SPDX-License-Identifier: GPL-2.0-only */
/* Events of components' ECs on CPUs other than the boot CPU.
 *
 * The kernel sends an exception only to a handler EC on the faulting EC's
 * CPU, and init's event handler EC runs on the boot CPU. So init has, on
 * each other online CPU, a relay EC, and gives every component portals to
 * it at dj_child_event_base(cpu) + vector (component.c), with the same
 * vectors, MTDs and badges as its boot-CPU event portals.
 *
 * init's data is not thread-safe, so a relay never runs init's event
 * logic itself: it copies the event into its CPU's mailbox, ups the
 * request semaphore and waits on its CPU's done semaphore. The forwarder,
 * an init thread on the boot CPU, calls init's event handler EC through
 * init's own forward portal for each pending mailbox; the handler
 * (relay_forwarded) handles the event there exactly as one that came
 * straight through a boot-CPU portal, one at a time, and the relay copies
 * the reply (RIP, RSP, words) back into its own UTCB.
 *
 * Only a message the kernel made (with the portal's event MTD) is
 * forwarded; a plain call is refused by the relay itself, without a
 * report (a report would touch init's data on this CPU), and changes
 * nothing. */
#include <stdio.h>
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "init.h"

#define PAGE 4096ull
#define RELAY_STACK_PAGES 2
#define FORWARDER_STACK_BYTES 4096
#define FORWARDER_PRIO 60 /* init's own priority: events are not held up by components below it */
/* UTCBs of the relay ECs, one page per CPU, after init's threads' (wait.c). */
#define RELAY_UTCB_VA 0x7ff000200000ull
#define RELAY_WORDS_MAX 1 /* an event reply carries at most a status word */

/* One event on its way from a relay to the boot CPU and back. */
struct mailbox {
    uint64_t badge;            /* of the portal the event came through */
    uint64_t mtd;              /* in: the event's MTD; out: the reply's */
    struct dj_arch_state arch; /* in: the event's state; out: the reply's */
    uint64_t words[RELAY_WORDS_MAX];
    uint64_t done_sm;          /* the relay waits here for the reply */
    bool pending;              /* set by the relay, cleared by the forwarder */
};

struct relay {
    unsigned cpu;
    uint64_t ec;
};

static struct relay relays[DJ_CHILD_EVENT_CPUS];
static struct mailbox mailboxes[DJ_CHILD_EVENT_CPUS]; /* by CPU */
static unsigned nrelays;
static uint64_t request_sm, forward_pt, forwarder_utcb_va;
static uint64_t forwarder_stack[FORWARDER_STACK_BYTES / 8] __attribute__((aligned(16)));

unsigned relay_count(void)
{
    return nrelays;
}

uint64_t relay_ec(unsigned i, unsigned *cpu)
{
    *cpu = relays[i].cpu;
    return relays[i].ec;
}

static uint64_t relay_handler(uint64_t badge, struct dj_utcb *u)
{
    unsigned cpu = (unsigned)(((uint64_t)(uintptr_t)u - RELAY_UTCB_VA) / PAGE);
    struct mailbox *m = &mailboxes[cpu];
    if (u->mtd != STARTUP_MTD && u->mtd != EXCEPTION_MTD) {
        u->arch.rip = INIT_KILL_RIP; /* as refuse_forged (handlers.c) */
        u->words[0] = DJ_E_BAD_PARAM;
        return DJ_MTD(1, 0);
    }
    m->badge = badge;
    m->mtd = u->mtd;
    m->arch = u->arch;
    __atomic_store_n(&m->pending, true, __ATOMIC_RELEASE);
    dj_sm_up(request_sm);
    dj_sm_down(m->done_sm);
    u->arch = m->arch;
    unsigned n = DJ_MTD_UNTYPED(m->mtd) < RELAY_WORDS_MAX ? DJ_MTD_UNTYPED(m->mtd) : RELAY_WORDS_MAX;
    for (unsigned i = 0; i < n; i++)
        u->words[i] = m->words[i];
    return DJ_MTD(n, 0);
}

/* init's event handler EC, called by the forwarder: the event of the CPU
 * in words[0], handled as if it had come straight to init_event_ec. */
uint64_t relay_forwarded(struct dj_utcb *u)
{
    uint64_t cpu = u->words[0];
    if (cpu >= DJ_CHILD_EVENT_CPUS)
        return DJ_MTD(0, 0);
    struct mailbox *m = &mailboxes[cpu];
    u->mtd = m->mtd;
    u->arch = m->arch;
    uint64_t reply = init_component_event(m->badge, u);
    m->arch = u->arch;
    m->mtd = reply;
    for (unsigned i = 0; i < RELAY_WORDS_MAX; i++)
        m->words[i] = u->words[i];
    return DJ_MTD(0, 0);
}

static __attribute__((noreturn)) void forwarder(uint64_t arg)
{
    (void)arg;
    for (;;) {
        dj_sm_down(request_sm);
        for (unsigned i = 0; i < nrelays; i++) {
            struct mailbox *m = &mailboxes[relays[i].cpu];
            if (!__atomic_load_n(&m->pending, __ATOMIC_ACQUIRE))
                continue;
            __atomic_store_n(&m->pending, false, __ATOMIC_RELAXED);
            uint64_t out;
            ((struct dj_utcb *)(uintptr_t)forwarder_utcb_va)->words[0] = relays[i].cpu;
            dj_call(forward_pt, DJ_MTD(1, 0), &out);
            dj_sm_up(m->done_sm);
        }
    }
}

/* The relay EC of cpu; false when the CPU is not online (the stack stays
 * in *spare for the next attempt). */
static bool relay_create(unsigned cpu, void **spare)
{
    void *stack = *spare ? *spare : init_pages(RELAY_STACK_PAGES);
    if (!stack)
        return false;
    uint64_t ec = init_sel(), sm = init_sel(), utcb = RELAY_UTCB_VA + cpu * PAGE;
    uint64_t sp = dj_handler_stack(stack, RELAY_STACK_PAGES * PAGE, (struct dj_utcb *)(uintptr_t)utcb, relay_handler);
    *spare = stack;
    if (dj_create_ec(ec, DJ_SEL_SELF_PD, cpu, utcb, sp, DJ_CHILD_EVENT_BASE, false) != DJ_OK)
        return false;
    *spare = NULL;
    if (dj_create_sm(sm, DJ_SEL_SELF_PD, 0) != DJ_OK)
        return false;
    mailboxes[cpu].done_sm = sm;
    relays[nrelays++] = (struct relay){cpu, ec};
    return true;
}

bool relays_create(const struct dj_bootinfo *bi)
{
    void *spare = NULL;
    request_sm = init_sel();
    forward_pt = init_sel();
    if (dj_create_sm(request_sm, DJ_SEL_SELF_PD, 0) != DJ_OK ||
        dj_create_pt(forward_pt, DJ_SEL_SELF_PD, init_event_ec, 0, (uint64_t)(uintptr_t)dj_portal_entry) != DJ_OK ||
        dj_pt_ctrl(forward_pt, INIT_FORWARD_BADGE) != DJ_OK)
        return false;
    for (unsigned cpu = 0; cpu < DJ_CHILD_EVENT_CPUS && nrelays + 1 < bi->cpu_count; cpu++)
        if (cpu != dj_boot_cpu)
            relay_create(cpu, &spare);
    if (nrelays + 1 < bi->cpu_count)
        printf("init: event relays on %u of %u other CPUs\n", nrelays, bi->cpu_count - 1);
    return nrelays == 0 || init_thread_create(forwarder, 0, forwarder_stack, sizeof(forwarder_stack),
                                              FORWARDER_PRIO, &forwarder_utcb_va);
}
