/* SPDX-License-Identifier: GPL-2.0-only */
/* The low-priority retry waiter (retry_wait.h). Its thread is a global EC
 * of netself's PD with an SC of its own; its startup event comes to a
 * portal of netself's (a local handler EC), which starts it on its own
 * stack. Its other event portals stay empty: it only spins, looks up a
 * selector and ups semaphores, and if it faulted anyway the kernel would
 * end it, leaving the main thread asleep (reported by nothing: keep it
 * trivial). */
#include "retry_wait.h"
#include "lib/component.h"
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "layout.h"
#include "lib/x86.h"

#define WAITER_STACK_BYTES 4096
#define STARTUP_STACK_BYTES 4096
#define WAITER_QUANTUM_US 10000
#define SPIN_MIN 1024u           /* pause instructions before the first look, doubling per failure */
#define SPIN_MAX_SHIFT 12        /* up to SPIN_MIN << 12: a few ms under emulation */
#define POLL_SPIN 4096u          /* pause instructions between looks for the portal */
#define CALL_FRAME_BIAS 8        /* a function starts with RSP = 8 mod 16 (its return address) */

/* Selectors, after the event portals at NETSELF_SEL_WAITER. */
enum {
    SEL_ASK = NETSELF_SEL_WAITER + DJ_EV_COUNT, /* main -> waiter: wait for me */
    SEL_GO,                                     /* waiter -> main: try again */
    SEL_WAITER_EC,
    SEL_WAITER_SC,
    SEL_STARTUP_EC,
};
_Static_assert(SEL_STARTUP_EC < NETSELF_SEL_WAITER + NETSELF_WAITER_SELS, "the waiter's selectors fit its range");

static uint64_t driver_pt;
static volatile unsigned failures_now;
static bool waiter_running;
static uint64_t waiter_stack[WAITER_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint64_t startup_stack[STARTUP_STACK_BYTES / 8] __attribute__((aligned(16)));

static void spin(unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        cpu_pause();
}

static void back_off(unsigned failures)
{
    spin(SPIN_MIN << (failures < SPIN_MAX_SHIFT ? failures : SPIN_MAX_SHIFT));
}

static bool portal_present(void)
{
    enum dj_obj_type type = DJ_OBJ_NONE;
    return dj_lookup(DJ_CRD(DJ_CRD_OBJ, driver_pt, 0, 0), 0, &type) == DJ_OK && type == DJ_OBJ_PT;
}

static __attribute__((noreturn)) void waiter_main(void)
{
    for (;;) {
        dj_sm_down(SEL_ASK);
        back_off(failures_now);
        while (!portal_present())
            spin(POLL_SPIN);
        dj_sm_up(SEL_GO);
    }
}

/* The waiter's startup event: its entry and its stack. */
static uint64_t waiter_startup(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    uintptr_t top = (uintptr_t)waiter_stack + sizeof(waiter_stack);
    u->arch.rip = (uint64_t)(uintptr_t)waiter_main;
    u->arch.rsp = top - CALL_FRAME_BIAS;
    return DJ_MTD(0, 0);
}

bool retry_wait_init(uint64_t pt_sel)
{
    driver_pt = pt_sel;
    struct dj_server startup = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = SEL_STARTUP_EC, .pt_sel = NETSELF_SEL_WAITER + DJ_EV_STARTUP,
        .cpu = dj_boot_cpu, .utcb_va = NETSELF_WAITER_STARTUP_UTCB_VA, .stack = startup_stack,
        .stack_size = sizeof(startup_stack), .event_base = DJ_CHILD_EVENT_BASE, .mtd = DJ_MTD_RIP_RSP,
        .handler = waiter_startup,
    };
    waiter_running = dj_create_sm(SEL_ASK, DJ_SEL_SELF_PD, 0) == DJ_OK &&
                     dj_create_sm(SEL_GO, DJ_SEL_SELF_PD, 0) == DJ_OK && dj_server_create(&startup) == DJ_OK &&
                     dj_create_ec(SEL_WAITER_EC, DJ_SEL_SELF_PD, dj_boot_cpu, NETSELF_WAITER_UTCB_VA, 0,
                                  NETSELF_SEL_WAITER, true) == DJ_OK &&
                     dj_create_sc(SEL_WAITER_SC, DJ_SEL_SELF_PD, SEL_WAITER_EC, NETSELF_WAITER_PRIO,
                                  WAITER_QUANTUM_US) == DJ_OK;
    return waiter_running;
}

void retry_wait(unsigned failures)
{
    if (!waiter_running) {
        back_off(failures);
        return;
    }
    failures_now = failures;
    dj_sm_up(SEL_ASK);
    dj_sm_down(SEL_GO);
}
