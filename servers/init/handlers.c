/* The portals init serves for its components. Each component's portals
 * carry its id as badge, so a handler knows whom it serves without
 * trusting anything in the message:
 *   - events (startup, #DE, #UD, #GP, #PF) of all the component's ECs:
 *     the startup event gets the ELF entry and the stack; everything else
 *     is reported and kills the thread (components get their memory
 *     before they start, so init pages nothing on demand); a component
 *     with restart=yes is then rebuilt by init's main EC (restart.c);
 *   - the parent portal: DJ_PARENT_OP_SERVE (lib/proto.h). */
#include <proto.h>
#include <server.h>
#include <stdio.h>
#include <syscall.h>
#include <utcb.h>
#include "init.h"

#define PAGE 4096ull
#define HANDLER_STACK_BYTES 8192
#define EVENT_UTCB_VA 0x7ff000000000ull
#define PARENT_UTCB_VA 0x7ff000002000ull
/* A non-canonical RIP in a fault reply makes the kernel kill the thread. */
#define KILL_RIP 0x8000000000000000ull

uint64_t init_event_ec, init_parent_ec;
static uint64_t wait_sm;
static struct comp *volatile awaited; /* the component init's main EC waits for */
static uint64_t event_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint64_t parent_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

/* The component a badge names, or NULL for a badge init never gave out. */
static struct comp *comp_of(uint64_t badge)
{
    return badge >= 1 && badge <= ncomps ? &comps[badge - 1] : NULL;
}

/* Wakes init's main EC if it waits for c (once per wait). */
static void resolve_wait(struct comp *c)
{
    if (awaited == c) {
        awaited = NULL;
        dj_sm_up(wait_sm);
    }
}

bool wait_for_service(struct comp *c)
{
    awaited = c;
    if (!c->serving && !c->dead)
        dj_sm_down(wait_sm);
    else
        awaited = NULL;
    /* A wake-up that raced with the check above leaves a count: take it. */
    dj_sm_try_down(wait_sm);
    return c->serving;
}

static uint64_t kill_thread(struct comp *c, struct dj_utcb *u, const char *what)
{
    printf("init: %s killed: %s (vector %lu, rip %#lx, address %#lx)\n", c ? c->cfg->name : "?", what,
           (unsigned long)u->arch.vector, (unsigned long)u->arch.rip, (unsigned long)u->arch.fault_addr);
    if (c) {
        c->dead = true;
        resolve_wait(c);
        restart_request(c);
    }
    u->arch.rip = KILL_RIP;
    return DJ_MTD(0, 0);
}

static uint64_t event_handler(uint64_t badge, struct dj_utcb *u)
{
    struct comp *c = comp_of(badge);
    if (!c)
        return kill_thread(c, u, "event through a portal init never badged");
    if (u->arch.vector == DJ_EV_STARTUP) {
        u->arch.rip = c->entry;
        u->arch.rsp = DJ_CHILD_STACK_TOP;
        return DJ_MTD(0, 0);
    }
    return kill_thread(c, u, u->arch.vector == 14 ? "page fault" : "exception");
}

static enum dj_status serve_check(const struct comp *c, const struct dj_utcb *u)
{
    if (u->mtd != DJ_MTD(DJ_PARENT_SERVE_WORDS, 0) || u->words[0] != DJ_PARENT_OP_SERVE)
        return DJ_E_BAD_PARAM;
    if (c->serving)
        return DJ_E_BUSY; /* one service per component */
    uint64_t utcb = u->words[1];
    if ((utcb & (PAGE - 1)) || utcb < DJ_CHILD_FREE_VA || utcb >= DJ_CHILD_FREE_END)
        return DJ_E_BAD_ADDR;
    return DJ_OK;
}

/* The service's handler EC in the component's PD (init holds the
 * capability, so only init can bind portals to it) and init's own
 * portal to it. */
static enum dj_status serve(struct comp *c, const struct dj_utcb *u)
{
    enum dj_status st = serve_check(c, u);
    if (st != DJ_OK)
        return st;
    uint64_t ec = comp_sel(c), pt = comp_sel(c);
    st = dj_create_ec(ec, c->pd, dj_boot_cpu, u->words[1], u->words[2], DJ_CHILD_EVENT_BASE, false);
    if (st == DJ_OK)
        st = dj_create_pt(pt, c->pd, ec, 0, u->words[3]);
    if (st != DJ_OK)
        return st;
    c->svc_ec = ec;
    c->svc_entry = u->words[3];
    c->svc_pt = pt;
    c->serving = true;
    resolve_wait(c);
    return DJ_OK;
}

static uint64_t parent_handler(uint64_t badge, struct dj_utcb *u)
{
    struct comp *c = comp_of(badge);
    enum dj_status st = c ? serve(c, u) : DJ_E_BAD_CAP;
    if (c && st != DJ_OK)
        printf("init: %s: service request refused (status %d)\n", c->cfg->name, st);
    u->words[0] = st;
    return DJ_MTD(1, 0);
}

static bool handler(uint64_t *ec, uint64_t utcb_va, void *stack, dj_handler_fn fn)
{
    *ec = init_sel();
    uint64_t sp = dj_handler_stack(stack, HANDLER_STACK_BYTES, (struct dj_utcb *)(uintptr_t)utcb_va, fn);
    return dj_create_ec(*ec, DJ_SEL_SELF_PD, dj_boot_cpu, utcb_va, sp, DJ_CHILD_EVENT_BASE, false) == DJ_OK;
}

bool handlers_create(void)
{
    wait_sm = init_sel();
    return dj_create_sm(wait_sm, DJ_SEL_SELF_PD, 0) == DJ_OK &&
           handler(&init_event_ec, EVENT_UTCB_VA, event_stack, event_handler) &&
           handler(&init_parent_ec, PARENT_UTCB_VA, parent_stack, parent_handler);
}
