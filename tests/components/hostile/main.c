/* SPDX-License-Identifier: GPL-2.0-only */
/* hostile: components that try to stall or fool init, for the hostile
 * boot test (servers/init/hostile.conf, init-hostile.mk). Its line's arg=
 * picks the behaviour:
 *   noserve  is named as a service by a later line but never offers it:
 *            it computes without end instead;
 *   noreply  offers its service, then never answers an announcement: its
 *            handler blocks for good on a semaphore nobody ups;
 *   forge    calls its own event portals with plain calls (one with the
 *            MTD bits of an exception message) and checks that init
 *            refuses each one and that it is still alive afterwards;
 *   idle     says it runs and rests (a line that must or must not start);
 *   slowserve offers a service whose calls take SLOW_CALL_MS of its
 *            client's time (the handler waits on the client's SC), while
 *            announcements are answered at once;
 *   slowclient calls the "slowsrv" service once and says when it returned;
 *   serve    offers a service that answers every call at once;
 *   servecrash offers that service and, in generation 0, faults (a write
 *            to an unmapped page) right after (above init's priority:
 *            before init builds its client); a restarted instance says
 *            so and rests;
 *   call:NAME calls its service NAME once and says what it answered;
 *   apfault  (restart=yes) starts a thread on CPU 1, whose events go to
 *            init's relay there (lib/startinfo.h dj_child_event_base): it
 *            makes a plain call to init's #PF portal there (must be
 *            refused), reads a missing page of the shared window (init must map a
 *            zeroed page: the thread goes on), then, in generation 0,
 *            executes ud2 (init must report it killed and restart the
 *            component); a restarted instance says so and rests. Without
 *            a CPU 1 it says SKIP.
 * slowserve/slowclient/serve make the case of a priority inversion: init
 * announces a client to slowsrv while slowsrv serves a client below init's
 * priority; init must give that client's time the CPU while it waits.
 * Each reports on the console; tests/run-all checks init's log lines. */
#include "lib/component.h"
#include "lib/console_client.h"
#include "lib/proto.h"
#include "lib/serve.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"

#define HANDLER_STACK_BYTES 4096
#define HANDLER_UTCB_VA DJ_CHILD_FREE_VA
#define SEL_SLEEP_SM DJ_CHILD_FIRST_FREE
#define SEL_NEVER_SM (DJ_CHILD_FIRST_FREE + 1)
#define SEL_SLOW_SM (DJ_CHILD_FIRST_FREE + 2)
#define SLOW_CALL_MS 600 /* well below init's 2000 ms for an announcement */
#define US_PER_MS 1000ull
/* Nothing is ever mapped in the first page; volatile so the compiler
 * cannot see the address is a constant it could reason about. */
static volatile uintptr_t unmapped_va = 0x10;
#define VEC_GP 13
#define VEC_PF 14

static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

/* apfault: the thread on AP_CPU, its startup handler there, and the two
 * semaphores the main EC and the thread hand over with (the thread cannot
 * print: the console's portal is on the boot CPU). */
#define AP_CPU 1
#define SEL_AP_HANDLER (DJ_CHILD_FIRST_FREE + 8)
#define SEL_AP_EC (DJ_CHILD_FIRST_FREE + 9)
#define SEL_AP_SC (DJ_CHILD_FIRST_FREE + 10)
#define SEL_AP_READ_SM (DJ_CHILD_FIRST_FREE + 11)
#define SEL_AP_GO_SM (DJ_CHILD_FIRST_FREE + 12)
#define SEL_AP_EVENTS (DJ_CHILD_FIRST_FREE + 32) /* DJ_EV_COUNT selectors: the thread's event base */
#define AP_HANDLER_UTCB_VA (DJ_CHILD_FREE_VA + 0x10000)
#define AP_UTCB_VA (DJ_CHILD_FREE_VA + 0x11000)
#define AP_SHARED_VA (DJ_CHILD_SHARED_VA + 0x10000) /* nothing is ever mapped there */
#define AP_PRIO 20
#define AP_QUANTUM_US 10000
#define AP_WAIT_MS 3000
#define CALL_FRAME_BIAS 8 /* a function starts with RSP = 8 mod 16 */
static uint64_t ap_handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint64_t ap_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static volatile uint64_t ap_read_value = ~0ull;
static volatile bool ap_forged_refused;

static __attribute__((noreturn)) void rest(void)
{
    dj_block_forever(SEL_SLEEP_SM);
}

/* Announcements (badge DJ_BADGE_PARENT) never come back; clients get an
 * error. */
static uint64_t never_answer(uint64_t badge, struct dj_utcb *u)
{
    if (badge == DJ_BADGE_PARENT)
        dj_sm_down(SEL_NEVER_SM);
    u->words[0] = DJ_E_BAD_PARAM;
    return DJ_MTD(1, 0);
}

static void noreply(void)
{
    enum dj_status st = dj_create_sm(SEL_NEVER_SM, DJ_SEL_SELF_PD, 0);
    if (st == DJ_OK)
        st = dj_serve(never_answer, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA);
    printf("serving (status %d); announcements are never answered\n", st);
}

/* A client's call waits SLOW_CALL_MS (nobody ups SEL_SLOW_SM), on the
 * client's time; announcements are answered at once. */
static uint64_t slow_answer(uint64_t badge, struct dj_utcb *u)
{
    if (badge == DJ_BADGE_PARENT)
        return dj_reply_status(u, dj_is_client_announcement(u) ? DJ_OK : DJ_E_BAD_PARAM);
    dj_sm_down_timeout(SEL_SLOW_SM, SLOW_CALL_MS * US_PER_MS);
    return dj_reply_status(u, DJ_OK);
}

static uint64_t quick_answer(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    return dj_reply_status(u, DJ_OK);
}

static void serve(dj_handler_fn fn, const char *what)
{
    enum dj_status st = dj_create_sm(SEL_SLOW_SM, DJ_SEL_SELF_PD, 0);
    if (st == DJ_OK)
        st = dj_serve(fn, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA);
    printf("serving (status %d)%s\n", st, what);
}

/* Serves, then dies at once in generation 0 (restart=yes brings it back). */
static void servecrash(const struct dj_start_info *si)
{
    serve(quick_answer, "");
    if (si->generation > 0) {
        printf("generation %u running, serving\n", si->generation);
        return;
    }
    puts("faulting on purpose right after offering my service");
    *(volatile uint64_t *)unmapped_va = 1;
    puts("still running after the fault");
}

static void call_service(const char *name)
{
    uint64_t pt, out = 0;
    if (!dj_start_cap(name, &pt)) {
        printf("no portal to %s\n", name);
        return;
    }
    dj_utcb()->words[0] = DJ_E_BAD_PARAM;
    enum dj_status st = dj_call(pt, DJ_MTD(1, 0), &out);
    printf("%s answered (status %d, word 0 %lu)\n", name, st, (unsigned long)dj_utcb()->words[0]);
}

static void slowclient(void)
{
    uint64_t pt, out = 0;
    if (!dj_start_cap("slowsrv", &pt)) {
        puts("no slowsrv portal");
        return;
    }
    enum dj_status st = dj_call(pt, DJ_MTD(1, 0), &out);
    printf("slow call answered (status %d, word 0 %lu)\n", st, (unsigned long)dj_utcb()->words[0]);
}

/* One plain call to event portal vector with mtd: refused means the call
 * went through and init answered one word, DJ_E_BAD_PARAM. */
static bool refused(unsigned vector, uint64_t mtd)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = 0;
    uint64_t out = 0;
    enum dj_status st = dj_call(DJ_CHILD_EVENT_BASE + vector, mtd, &out);
    bool ok = st == DJ_OK && out == DJ_MTD(1, 0) && u->words[0] == DJ_E_BAD_PARAM;
    if (!ok)
        printf("forged event to portal %u (MTD %#lx) not refused: call status %d, reply MTD %#lx, word 0 %lu\n",
               vector, (unsigned long)mtd, st, (unsigned long)out, (unsigned long)u->words[0]);
    return ok;
}

static void forge(void)
{
    static const struct {
        unsigned vector;
        uint64_t mtd;
    } forged[] = {
        {VEC_PF, DJ_MTD(0, 0)},
        {VEC_PF, DJ_MTD_QUAL | DJ_MTD_RIP_RSP}, /* the bits of a real one: the kernel drops them */
        {VEC_GP, DJ_MTD(2, 0)},
        {DJ_EV_STARTUP, DJ_MTD_RIP_RSP},
    };
    unsigned n = sizeof(forged) / sizeof(forged[0]), ok = 0;
    for (unsigned i = 0; i < n; i++)
        ok += refused(forged[i].vector, forged[i].mtd);
    if (ok == n)
        printf("%u forged events refused, still alive\n", n);
    else
        printf("only %u of %u forged events refused\n", ok, n);
}

/* A plain call (with the MTD bits of a real #PF) to init's #PF portal of
 * AP_CPU: init's relay there must refuse it. */
static bool ap_forge(void)
{
    struct dj_utcb *u = (struct dj_utcb *)(uintptr_t)AP_UTCB_VA;
    uint64_t out = 0;
    u->words[0] = 0;
    enum dj_status st = dj_call(dj_child_event_base(AP_CPU) + VEC_PF, DJ_MTD_QUAL | DJ_MTD_RIP_RSP, &out);
    return st == DJ_OK && out == DJ_MTD(1, 0) && u->words[0] == DJ_E_BAD_PARAM;
}

static __attribute__((noreturn)) void ap_thread(void)
{
    ap_forged_refused = ap_forge();
    ap_read_value = *(volatile uint64_t *)AP_SHARED_VA;
    dj_sm_up(SEL_AP_READ_SM);
    dj_sm_down(SEL_AP_GO_SM);
    for (;;)
        __asm__ volatile("ud2");
}

static uint64_t ap_startup(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->arch.rip = (uint64_t)(uintptr_t)ap_thread;
    u->arch.rsp = (uint64_t)(uintptr_t)ap_stack + sizeof(ap_stack) - CALL_FRAME_BIAS;
    return DJ_MTD(0, 0);
}

/* Its own startup portal, init's exception portals of AP_CPU. */
static enum dj_status ap_start(void)
{
    uint64_t sp = dj_handler_stack(ap_handler_stack, sizeof(ap_handler_stack),
                                   (struct dj_utcb *)(uintptr_t)AP_HANDLER_UTCB_VA, ap_startup);
    enum dj_status st = dj_create_ec(SEL_AP_HANDLER, DJ_SEL_SELF_PD, AP_CPU, AP_HANDLER_UTCB_VA, sp,
                                     dj_child_event_base(AP_CPU), false);
    if (st != DJ_OK)
        return st;
    st = dj_create_pt(SEL_AP_EVENTS + DJ_EV_STARTUP, DJ_SEL_SELF_PD, SEL_AP_HANDLER, DJ_MTD_RIP_RSP,
                      (uint64_t)(uintptr_t)dj_portal_entry);
    if (st == DJ_OK)
        st = dj_child_exception_portals(SEL_AP_EVENTS, AP_CPU);
    if (st == DJ_OK)
        st = dj_create_sm(SEL_AP_READ_SM, DJ_SEL_SELF_PD, 0);
    if (st == DJ_OK)
        st = dj_create_sm(SEL_AP_GO_SM, DJ_SEL_SELF_PD, 0);
    if (st == DJ_OK)
        st = dj_create_ec(SEL_AP_EC, DJ_SEL_SELF_PD, AP_CPU, AP_UTCB_VA, 0, SEL_AP_EVENTS, true);
    if (st == DJ_OK)
        st = dj_create_sc(SEL_AP_SC, DJ_SEL_SELF_PD, SEL_AP_EC, AP_PRIO, AP_QUANTUM_US);
    return st;
}

static void apfault(const struct dj_start_info *si)
{
    if (si->generation > 0) {
        printf("generation %u running\n", si->generation);
        return;
    }
    enum dj_status st = ap_start();
    if (st == DJ_E_BAD_CPU) {
        printf("SKIP: no CPU %u\n", AP_CPU);
        return;
    }
    if (st != DJ_OK) {
        printf("cannot start a thread on CPU %u (status %d)\n", AP_CPU, st);
        return;
    }
    if (dj_sm_down_timeout(SEL_AP_READ_SM, AP_WAIT_MS * US_PER_MS) != DJ_OK) {
        printf("the thread on CPU %u did not get past its fault in the shared window within %u ms\n", AP_CPU,
               AP_WAIT_MS);
        return;
    }
    printf("a forged event to init's portal 14 of CPU %u was %s\n", AP_CPU,
           ap_forged_refused ? "refused" : "not refused");
    printf("the thread on CPU %u survived a fault in the shared window (read %#lx); it executes ud2 now\n", AP_CPU,
           (unsigned long)ap_read_value);
    dj_sm_up(SEL_AP_GO_SM);
}

int main(void)
{
    const struct dj_start_info *si = dj_start_with_console();
    if (!si)
        return 1;
    const char *mode = si->arg;
    if (strcmp(mode, "noserve") == 0) {
        puts("never offering my service, computing instead");
        for (;;)
            __builtin_ia32_pause();
    }
    else if (strcmp(mode, "noreply") == 0)
        noreply();
    else if (strcmp(mode, "forge") == 0)
        forge();
    else if (strcmp(mode, "idle") == 0)
        puts("running");
    else if (strcmp(mode, "slowserve") == 0)
        serve(slow_answer, "; each call takes 600 ms");
    else if (strcmp(mode, "slowclient") == 0)
        slowclient();
    else if (strcmp(mode, "serve") == 0)
        serve(quick_answer, "");
    else if (strcmp(mode, "servecrash") == 0)
        servecrash(si);
    else if (strcmp(mode, "apfault") == 0)
        apfault(si);
    else if (strncmp(mode, "call:", 5) == 0)
        call_service(mode + 5);
    else
        printf("unknown arg '%s'\n", mode);
    rest();
}
