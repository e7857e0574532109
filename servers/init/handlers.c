/* SPDX-License-Identifier: GPL-2.0-only */
/* The portals init serves for its components. Each component's portals
 * carry its id as badge, so a handler knows whom it serves without
 * trusting anything in the message:
 *   - events (startup, #DE, #UD, #GP, #PF) of all the component's ECs:
 *     the startup event gets the ELF entry and the stack; a page fault on
 *     a missing page in the shared window (lib/startinfo.h) gets a fresh
 *     zeroed page there, so the thread survives a peer whose memory went
 *     away with it; everything else is reported and kills the thread
 *     (components get their memory before they start, so init pages
 *     nothing else on demand); a component with restart=yes is then
 *     rebuilt by init's main EC (restart.c);
 *   - the parent portal: DJ_PARENT_OP_SERVE (lib/proto.h). */
#include "lib/elfload.h"
#include "lib/proto.h"
#include "lib/server.h"
#include <stdio.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "init.h"

#define PAGE 4096ull
#define HANDLER_STACK_BYTES 8192
#define EVENT_UTCB_VA 0x7ff000000000ull
#define PARENT_UTCB_VA 0x7ff000002000ull
/* A non-canonical RIP in a fault reply makes the kernel kill the thread. */
#define KILL_RIP 0x8000000000000000ull
#define VEC_PF 14
#define PF_ERR_PRESENT (1ull << 0) /* the page was there: a protection fault */
#define PF_ERR_FETCH (1ull << 4)   /* an instruction fetch */
/* init's pages for faults in its components' shared windows, one stretch
 * of DJ_CHILD_SHARED_FAULT_MAX pages per component, in init's own free
 * window (nothing else of init lives there). */
#define SHARED_POOL_VA DJ_CHILD_FREE_VA
_Static_assert(SHARED_POOL_VA + (uint64_t)BC_MAX_COMPONENTS * DJ_CHILD_SHARED_FAULT_MAX * PAGE <= DJ_CHILD_FREE_END,
               "the shared-window pool fits init's free window");

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

/* Zeroed pages given for faults in one component's shared window. The
 * count starts again with each instance (generation); the pages are init's
 * and serve later instances too, so the pool of a component never grows
 * past DJ_CHILD_SHARED_FAULT_MAX however often it is restarted. */
struct shared_faults {
    unsigned generation; /* the instance `used` counts for */
    unsigned used;       /* pages given to that instance */
    unsigned allocated;  /* pages of the pool that exist */
};
static struct shared_faults shared_faults[BC_MAX_COMPONENTS];

static bool in_shared_window(uint64_t va)
{
    return va >= DJ_CHILD_SHARED_VA && va < DJ_CHILD_SHARED_END;
}

/* Pool page k of component c, fresh and zeroed: a page an earlier
 * instance had is given up first (with whatever still derives from it) and
 * allocated again, so nothing of that instance shows. */
static enum dj_status fresh_pool_page(const struct comp *c, unsigned k, uint64_t *va)
{
    struct shared_faults *f = &shared_faults[c - comps];
    *va = SHARED_POOL_VA + ((uint64_t)(c - comps) * DJ_CHILD_SHARED_FAULT_MAX + k) * PAGE;
    if (k < f->allocated)
        dj_revoke(DJ_CRD(DJ_CRD_MEM, *va / PAGE, 0, DJ_MEM_ALL), true);
    enum dj_status st = dj_mem_alloc(*va, 0, DJ_MEM_R | DJ_MEM_W);
    if (st == DJ_OK && k >= f->allocated)
        f->allocated = k + 1;
    else if (st != DJ_OK && k < f->allocated)
        f->allocated = k; /* pages from k on are gone from init: allocate them anew next time */
    return st;
}

/* A page fault in c's shared window on a page that is not there: memory a
 * peer delegated vanished with the peer (or was never there). A fresh
 * zeroed page at the address lets the thread go on and find the ring
 * broken (a zeroed ring is never valid: lib/chan_ring.c); past the limit
 * the component is killed, so a component faulting there on purpose costs
 * init a bounded number of pages. */
static uint64_t shared_window_fault(struct comp *c, struct dj_utcb *u)
{
    struct shared_faults *f = &shared_faults[c - comps];
    if (f->generation != c->generation) {
        f->generation = c->generation;
        f->used = 0;
    }
    if (f->used == DJ_CHILD_SHARED_FAULT_MAX)
        return kill_thread(c, u, "page fault in the shared window past its limit of zeroed pages");
    uint64_t page = u->arch.fault_addr & ~(PAGE - 1), mine = 0;
    enum dj_status st = fresh_pool_page(c, f->used, &mine);
    if (st == DJ_OK)
        st = dj_map_into(c->pd, (const void *)(uintptr_t)mine, page, 1, DJ_MEM_R | DJ_MEM_W);
    if (st != DJ_OK && st != DJ_E_BUSY) {
        printf("init: %s: no zeroed page for a fault in the shared window (status %d)\n", c->cfg->name, st);
        return kill_thread(c, u, "page fault in the shared window");
    }
    /* BUSY: something was mapped there meanwhile (another thread's fault,
     * a new delegation); the retry finds it. Counted all the same, so a
     * fault that keeps coming back cannot loop without end. */
    f->used++;
    printf("init: %s: page fault at %#lx in the shared window (rip %#lx): %s (%u of %u)\n", c->cfg->name,
           (unsigned long)u->arch.fault_addr, (unsigned long)u->arch.rip,
           st == DJ_OK ? "zeroed page mapped" : "a page is there now", f->used, DJ_CHILD_SHARED_FAULT_MAX);
    return DJ_MTD(0, 0); /* the thread retries the access */
}

static bool shared_window_miss(const struct dj_utcb *u)
{
    return u->arch.vector == VEC_PF && in_shared_window(u->arch.fault_addr) &&
           !(u->arch.error_code & (PF_ERR_PRESENT | PF_ERR_FETCH));
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
    if (shared_window_miss(u))
        return shared_window_fault(c, u);
    return kill_thread(c, u, u->arch.vector == VEC_PF ? "page fault" : "exception");
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
