/* SPDX-License-Identifier: GPL-2.0-only */
/* The portals init serves for its components. Each component's portals
 * carry its id in the badge (event portals also the vector they are for),
 * so a handler knows whom it serves without trusting anything in the
 * message:
 *   - events (startup, #DE, #UD, #GP, #PF) of all the component's ECs:
 *     only a message the kernel made is an event: it arrives with the
 *     portal's MTD in the UTCB (bits a plain call cannot set, docs/abi.md)
 *     and the vector of the portal it came through; a plain call to an
 *     event portal is refused (DJ_E_BAD_PARAM) and reported, and changes
 *     nothing. The startup event gets the ELF entry and the stack; a page
 *     fault on a missing page in the shared window (lib/startinfo.h) gets
 *     a fresh zeroed page there, so the thread survives a peer whose
 *     memory went away with it; everything else is reported (a page fault
 *     decoded, with the way to its source line) and kills the thread
 *     (components get their memory before they start, so init pages
 *     nothing else on demand); a component with restart=yes is then
 *     rebuilt by init's main EC (restart.c);
 *   - the startup events of init's own threads (wait.c);
 *   - events of components' ECs on other CPUs, forwarded by their CPU's
 *     relay (relay.c) and handled here the same way;
 *   - the parent portal: DJ_PARENT_OP_SERVE (lib/proto.h), and the
 *     sequence marks of seqstore.c (DJ_PARENT_OP_SEQ_*). */
#include "lib/elfload.h"
#include "lib/proto.h"
#include "lib/server.h"
#include <stddef.h>
#include <stdio.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "init.h"

#define PAGE 4096ull
#define HANDLER_STACK_BYTES 8192
#define EVENT_UTCB_VA 0x7ff000000000ull
#define PARENT_UTCB_VA 0x7ff000002000ull
#define VEC_DE 0
#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14
#define PF_ERR_PRESENT (1ull << 0) /* the page was there: a protection fault */
#define PF_ERR_WRITE (1ull << 1)
#define PF_ERR_USER (1ull << 2)    /* the access came from user mode */
#define PF_ERR_RESERVED (1ull << 3) /* a reserved bit set in a page-table entry */
#define PF_ERR_FETCH (1ull << 4)   /* an instruction fetch */
#define FORGED_REPORTS_MAX 3       /* per instance; the rest are refused silently */
/* init's pages for faults in its components' shared windows, one stretch
 * of DJ_CHILD_SHARED_FAULT_MAX pages per component, in init's own free
 * window (nothing else of init lives there). */
#define SHARED_POOL_VA DJ_CHILD_FREE_VA
_Static_assert(SHARED_POOL_VA + (uint64_t)BC_MAX_COMPONENTS * DJ_CHILD_SHARED_FAULT_MAX * PAGE <= DJ_CHILD_FREE_END,
               "the shared-window pool fits init's free window");

uint64_t init_event_ec, init_parent_ec;
static uint64_t event_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));
static uint64_t parent_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

/* The component a badge names, or NULL for a badge init never gave out. */
static struct comp *comp_of(uint64_t badge)
{
    return badge >= 1 && badge <= ncomps ? &comps[badge - 1] : NULL;
}

static bool serving_or_dead(const void *ctx)
{
    const struct comp *c = ctx;
    return c->serving || c->dead;
}

bool wait_for_service(struct comp *c, bool restarts)
{
    if (!init_wait(serving_or_dead, c, SERVICE_WAIT_MS, restarts)) {
        printf("init: %s did not offer its service within %u ms: stopped; %s\n", c->cfg->name, SERVICE_WAIT_MS,
               c->cfg->restart ? "restarted (its clients wait for it)" : "its clients are not started");
        component_stop(c);
        return false;
    }
    if (!c->serving)
        printf("init: %s ended before it offered its service\n", c->cfg->name);
    return c->serving;
}

/* "write to a page that is not present (user mode)" and the like. */
static void describe_page_fault(uint64_t err, char *out, size_t size)
{
    const char *access = err & PF_ERR_FETCH ? "instruction fetch from" : err & PF_ERR_WRITE ? "write to" : "read from";
    const char *page = err & PF_ERR_RESERVED ? "a page whose page-table entry has a reserved bit set"
                       : err & PF_ERR_PRESENT ? "a page whose rights forbid it (protection)"
                                              : "a page that is not present";
    snprintf(out, size, "page fault: %s %s (%s mode, error code %#lx)", access, page,
             err & PF_ERR_USER ? "user" : "kernel", (unsigned long)err);
}

static uint64_t kill_thread(struct comp *c, struct dj_utcb *u, const char *what)
{
    printf("init: %s killed: %s (vector %lu, rip %#lx, address %#lx)\n", c ? c->cfg->name : "?", what,
           (unsigned long)u->arch.vector, (unsigned long)u->arch.rip, (unsigned long)u->arch.fault_addr);
    if (c) {
        printf("init: %s: source line of rip: addr2line -e build/user/%s.elf %#lx\n", c->cfg->name, c->cfg->bin,
               (unsigned long)u->arch.rip);
        c->dead = true;
        restart_request(c);
        init_wake();
    }
    u->arch.rip = INIT_KILL_RIP;
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

/* A call to c's event portal for vector that the kernel did not make: the
 * UTCB's arch state is whatever the last real event left there, so none
 * of it is used. Refused; RIP is set to INIT_KILL_RIP all the same, so
 * that were it a real event after all, the thread would die instead of
 * running on. */
static uint64_t refuse_forged(struct comp *c, unsigned vector, struct dj_utcb *u)
{
    if (c->forged < FORGED_REPORTS_MAX)
        printf("init: %s: refused a call to its event portal %u that is no event (MTD %#lx)%s\n", c->cfg->name,
               vector, (unsigned long)u->mtd,
               c->forged + 1 == FORGED_REPORTS_MAX ? "; further ones are refused without a report" : "");
    c->forged++;
    u->arch.rip = INIT_KILL_RIP;
    u->words[0] = DJ_E_BAD_PARAM;
    return DJ_MTD(1, 0);
}

static const char *exception_name(uint64_t vector)
{
    switch (vector) {
    case VEC_DE: return "exception #DE (divide error)";
    case VEC_UD: return "exception #UD (invalid opcode)";
    case VEC_GP: return "exception #GP (general protection: a privileged instruction, an I/O port not granted, a non-canonical address)";
    default: return "exception";
    }
}

static uint64_t exception(struct comp *c, struct dj_utcb *u)
{
    if (shared_window_miss(u))
        return shared_window_fault(c, u);
    if (u->arch.vector != VEC_PF)
        return kill_thread(c, u, exception_name(u->arch.vector));
    char what[160];
    describe_page_fault(u->arch.error_code, what, sizeof(what));
    return kill_thread(c, u, what);
}

static uint64_t event_handler(uint64_t badge, struct dj_utcb *u)
{
    if (badge & INIT_THREAD_BADGE)
        return init_thread_startup((unsigned)(badge & ~INIT_THREAD_BADGE), u);
    if (badge == INIT_FORWARD_BADGE)
        return relay_forwarded(u);
    return init_component_event(badge, u);
}

uint64_t init_component_event(uint64_t badge, struct dj_utcb *u)
{
    struct comp *c = comp_of(EVENT_BADGE_ID(badge));
    unsigned vector = EVENT_BADGE_VECTOR(badge);
    if (!c) {
        u->arch.rip = INIT_KILL_RIP;
        printf("init: event through a portal init never badged (badge %#lx): refused\n", (unsigned long)badge);
        u->words[0] = DJ_E_BAD_CAP;
        return DJ_MTD(1, 0);
    }
    if (u->mtd != (vector == DJ_EV_STARTUP ? STARTUP_MTD : EXCEPTION_MTD))
        return refuse_forged(c, vector, u);
    /* A real event through another vector's portal: one of its own ECs
     * with a shifted event base. The state is real; the thread dies. */
    if (u->arch.vector != vector)
        return kill_thread(c, u, "exception through the event portal of another vector");
    if (vector == DJ_EV_STARTUP) {
        u->arch.rip = c->entry;
        u->arch.rsp = DJ_CHILD_STACK_TOP;
        return DJ_MTD(0, 0);
    }
    return exception(c, u);
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
    init_wake();
    return DJ_OK;
}

static uint64_t parent_handler(uint64_t badge, struct dj_utcb *u)
{
    struct comp *c = comp_of(badge);
    if (c && DJ_MTD_UNTYPED(u->mtd) >= 1 &&
        (u->words[0] == DJ_PARENT_OP_SEQ_LOAD || u->words[0] == DJ_PARENT_OP_SEQ_RESERVE))
        return seqstore_call(c, u);
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
    return handler(&init_event_ec, EVENT_UTCB_VA, event_stack, event_handler) &&
           handler(&init_parent_ec, PARENT_UTCB_VA, parent_stack, parent_handler);
}
