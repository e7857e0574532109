/* SPDX-License-Identifier: GPL-2.0-only */
/* Delegation and revocation of memory, I/O ports and object capabilities,
 * observed from child PDs. Each child runs a probe thread (sharing this
 * program's image) that loads, stores, writes a port, delegates, revokes
 * or calls when asked through a request slot and two semaphores; its page
 * faults and #GPs go to fault portals in this PD, which count them and let
 * the probe continue past the faulting instruction, so a test sees
 * "faulted" as a result instead of a dead thread.
 *
 * The probe is a thread, not a portal handler: a handler EC that faults
 * in the middle of a call currently loses its caller (ipc_fault reuses
 * ec->partner), so the caller would never get its reply. */
#include "echo_server.h"
#include "lib/server.h"
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"

#define VEC_GP 13
#define VEC_PF 14
#define PF_ERR_PRESENT 1ull
#define PF_ERR_WRITE 2ull
#define FAULTED 0xfa17fa17fa17fa17ull     /* a probe's result when its access faulted */
#define CALL_FAILED 0xca11fa11ca11fa11ull /* the request never reached the probe */
#define NONCANONICAL_RIP 0x8000000000000000ull /* a reply that kills the faulting EC */
#define CHILD_EVENT_BASE 64 /* the probe's event portals, in each child's capability space */
#define CHILD_SEL_PD 128    /* where tests put a PD capability into a child */
#define CHILD_SEL_PT 129    /* ... and a portal capability */
#define CHILD_SEL_REQ 130   /* the probe's request semaphore (down) */
#define CHILD_SEL_DONE 131  /* its answer semaphore (up) */
#define MAX_CHILDREN 32
#define HANDLER_STACK_PAGES 4
#define PROBE_PRIO 64
#define CALL_FRAME 8        /* a thread starts as if called: RSP = 16n + 8 */
#define PROBE_PORT 0x80
#define PORT_RANGE_ORDER 3
#define RANGE_ORDER 2
#define RANGE_PAGES (1u << RANGE_ORDER)
#define REVOKED_INDEX 2
#define MAGIC 0x5eed0000c0ffeeull
#define BADGE 0x4e70

enum probe_op { PROBE_LOAD, PROBE_STORE, PROBE_OUT, PROBE_DELEGATE, PROBE_REVOKE, PROBE_CALL, PROBE_ALLOC, PROBE_PHYS };

/* A request to one child's probe thread (in this program's data, which
 * children share). */
struct probe_slot {
    volatile uint64_t op, a, b, c, result;
    uint64_t req_sm, done_sm; /* this PD's selectors of the two semaphores */
    uint64_t stack_top;
};

struct child {
    uint64_t pd; /* its PD capability, in this PD */
    struct probe_slot *slot;
};

/* The probe instructions and where each resumes after a fault. */
extern char revoke_probe_load[], revoke_probe_load_end[], revoke_probe_store[], revoke_probe_store_end[],
    revoke_probe_out[], revoke_probe_out_end[];

static struct probe_slot slots[MAX_CHILDREN];
static unsigned slots_used;
static volatile unsigned pf_count, gp_count;
static volatile uint64_t pf_addr, pf_error;

static __attribute__((noinline, noclone)) uint64_t probe_load(uint64_t addr)
{
    uint64_t v;
    __asm__ volatile(".global revoke_probe_load, revoke_probe_load_end\n"
                     "revoke_probe_load: movq (%%rdi), %%rax\n"
                     "revoke_probe_load_end:"
                     : "=a"(v)
                     : "D"(addr)
                     : "memory");
    return v;
}

static __attribute__((noinline, noclone)) uint64_t probe_store(uint64_t addr, uint64_t value)
{
    uint64_t r;
    __asm__ volatile("xorl %%eax, %%eax\n"
                     ".global revoke_probe_store, revoke_probe_store_end\n"
                     "revoke_probe_store: movq %%rsi, (%%rdi)\n"
                     "revoke_probe_store_end:"
                     : "=&a"(r)
                     : "D"(addr), "S"(value)
                     : "memory");
    return r;
}

static __attribute__((noinline, noclone)) uint64_t probe_out(void)
{
    uint64_t r;
    __asm__ volatile("xorl %%eax, %%eax\n"
                     ".global revoke_probe_out, revoke_probe_out_end\n"
                     "revoke_probe_out: outb %%al, $0x80\n"
                     "revoke_probe_out_end:"
                     : "=&a"(r)
                     :
                     : "memory");
    return r;
}

static uint64_t probe_run(const struct probe_slot *s)
{
    switch (s->op) {
    case PROBE_LOAD: return probe_load(s->a);
    case PROBE_STORE: return probe_store(s->a, s->b);
    case PROBE_OUT: return probe_out();
    case PROBE_DELEGATE: return dj_delegate(s->a, s->b, s->c);
    case PROBE_REVOKE: return dj_revoke(s->a, s->b != 0);
    case PROBE_CALL: return dj_call(s->a, DJ_MTD(0, 0), 0);
    case PROBE_ALLOC: return dj_mem_alloc(s->a, (unsigned)s->b, (unsigned)s->c);
    case PROBE_PHYS: {
        uint64_t phys;
        unsigned cache;
        return dj_mem_phys(s->a, &phys, &cache);
    }
    default: return CALL_FAILED;
    }
}

/* The probe thread, in a child PD: serve requests forever. */
static __attribute__((noreturn)) void probe_thread(struct probe_slot *s)
{
    for (;;) {
        if (dj_sm_down(CHILD_SEL_REQ) != DJ_OK)
            s->result = CALL_FAILED;
        else
            s->result = probe_run(s);
        dj_sm_up(CHILD_SEL_DONE);
    }
}

/* Continue after a probe instruction, or kill an EC that faulted anywhere
 * else (a bug in the test: better a visible failure than a fault loop). */
static uint64_t resume_point(uint64_t rip)
{
    if (rip == (uint64_t)revoke_probe_load)
        return (uint64_t)revoke_probe_load_end;
    if (rip == (uint64_t)revoke_probe_store)
        return (uint64_t)revoke_probe_store_end;
    if (rip == (uint64_t)revoke_probe_out)
        return (uint64_t)revoke_probe_out_end;
    return NONCANONICAL_RIP;
}

static uint64_t pf_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    pf_addr = u->arch.fault_addr;
    pf_error = u->arch.error_code;
    pf_count++;
    u->arch.rax = FAULTED;
    u->arch.rip = resume_point(u->arch.rip);
    return DJ_MTD(0, 0);
}

static uint64_t gp_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    gp_count++;
    u->arch.rax = FAULTED;
    u->arch.rip = resume_point(u->arch.rip);
    return DJ_MTD(0, 0);
}

/* Startup portals carry the slot index + 1 as their badge. */
static uint64_t startup_handler(uint64_t badge, struct dj_utcb *u)
{
    struct probe_slot *s = badge && badge <= MAX_CHILDREN ? &slots[badge - 1] : 0;
    u->arch.rip = s ? (uint64_t)probe_thread : NONCANONICAL_RIP;
    u->arch.rsp = s ? s->stack_top - CALL_FRAME : 0;
    u->arch.rdi = (uint64_t)s;
    return DJ_MTD(0, 0);
}

/* A handler EC in this PD and its first portal; *ec gets the EC. */
static uint64_t handler_portal(dj_handler_fn fn, uint64_t mtd, uint64_t *ec)
{
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = utest_selector(), .cpu = dj_boot_cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = HANDLER_STACK_PAGES * UTEST_PAGE, .handler = fn,
        .mtd = mtd,
    };
    if (ec)
        *ec = s.ec_sel;
    return stack && dj_server_create(&s) == DJ_OK ? s.pt_sel : 0;
}

static bool give_cap(uint64_t pd, uint64_t sel, unsigned rights, uint64_t to)
{
    return dj_delegate(pd, DJ_CRD(DJ_CRD_OBJ, sel, 0, rights), to) == DJ_OK;
}

/* The event portals of c's probe thread: faults, and the startup that
 * points the thread at its slot. */
static bool child_portals(const struct child *c, unsigned index)
{
    static uint64_t pf_pt, gp_pt, startup_ec;
    const uint64_t fault_mtd = DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_QUAL, start_mtd = DJ_MTD_GPR | DJ_MTD_RIP_RSP;
    if (!pf_pt)
        pf_pt = handler_portal(pf_handler, fault_mtd, 0);
    if (!gp_pt)
        gp_pt = handler_portal(gp_handler, fault_mtd, 0);
    uint64_t start_pt = 0;
    if (!startup_ec) {
        start_pt = handler_portal(startup_handler, start_mtd, &startup_ec);
        if (!start_pt)
            startup_ec = 0;
    } else {
        start_pt = utest_selector();
        if (dj_create_pt(start_pt, DJ_SEL_SELF_PD, startup_ec, start_mtd, (uint64_t)dj_portal_entry) != DJ_OK)
            start_pt = 0;
    }
    return pf_pt && gp_pt && start_pt && dj_pt_ctrl(start_pt, index + 1) == DJ_OK &&
           give_cap(c->pd, pf_pt, DJ_PT_CALL, CHILD_EVENT_BASE + VEC_PF) &&
           give_cap(c->pd, gp_pt, DJ_PT_CALL, CHILD_EVENT_BASE + VEC_GP) &&
           give_cap(c->pd, start_pt, DJ_PT_CALL, CHILD_EVENT_BASE + DJ_EV_STARTUP);
}

/* A child PD running a probe thread. */
static bool child_create(struct child *c)
{
    if (slots_used == MAX_CHILDREN)
        return false;
    unsigned index = slots_used++;
    struct probe_slot *s = c->slot = &slots[index];
    void *stack;
    c->pd = child_pd_create(&stack);
    if (!c->pd || !child_portals(c, index))
        return false;
    s->stack_top = (uint64_t)stack + ECHO_STACK_PAGES * UTEST_PAGE;
    s->req_sm = utest_selector();
    s->done_sm = utest_selector();
    uint64_t ec = utest_selector(), sc = utest_selector();
    return dj_create_sm(s->req_sm, DJ_SEL_SELF_PD, 0) == DJ_OK && dj_create_sm(s->done_sm, DJ_SEL_SELF_PD, 0) == DJ_OK &&
           give_cap(c->pd, s->req_sm, DJ_SM_DOWN, CHILD_SEL_REQ) && give_cap(c->pd, s->done_sm, DJ_SM_UP, CHILD_SEL_DONE) &&
           dj_create_ec(ec, c->pd, dj_boot_cpu, utest_va(1), 0, CHILD_EVENT_BASE, true) == DJ_OK &&
           dj_create_sc(sc, c->pd, ec, PROBE_PRIO, 0) == DJ_OK;
}

static uint64_t probe(const struct child *c, uint64_t op, uint64_t a, uint64_t b, uint64_t d)
{
    struct probe_slot *s = c->slot;
    s->op = op;
    s->a = a;
    s->b = b;
    s->c = d;
    s->result = CALL_FAILED;
    if (dj_sm_up(s->req_sm) != DJ_OK || dj_sm_down(s->done_sm) != DJ_OK)
        return CALL_FAILED;
    return s->result;
}

static uint64_t load(const struct child *c, uint64_t va) { return probe(c, PROBE_LOAD, va, 0, 0); }
static uint64_t store(const struct child *c, uint64_t va, uint64_t v) { return probe(c, PROBE_STORE, va, v, 0); }
static uint64_t out(const struct child *c) { return probe(c, PROBE_OUT, 0, 0, 0); }

static uint64_t page_crd(uint64_t va, unsigned order, unsigned rights)
{
    return DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, order, rights);
}

/* Give c `rights` to the pages at `src` (this PD), at dst_va there. */
static enum dj_status give(const struct child *c, const void *src, uint64_t dst_va, unsigned order, unsigned rights)
{
    return dj_delegate(c->pd, page_crd((uint64_t)src, order, rights), dst_va / UTEST_PAGE);
}

/* A fresh pool page holding `value`. */
static uint64_t *fresh_page(uint64_t value)
{
    uint64_t *p = utest_pages(1);
    if (p)
        *p = value;
    return p;
}

/* Let `from` hold a capability to `to`'s PD at CHILD_SEL_PD. */
static bool link_children(const struct child *from, const struct child *to)
{
    return dj_delegate(from->pd, DJ_CRD(DJ_CRD_OBJ, to->pd, 0, DJ_PD_DELEGATE), CHILD_SEL_PD) == DJ_OK;
}

UTEST(revoke_mem_delegate_read_only)
{
    struct child a;
    uint64_t *page = fresh_page(MAGIC), va = utest_va(1);
    UTEST_REQUIRE(page && child_create(&a), "setup failed");
    UTEST_REQUIRE(give(&a, page, va, 0, DJ_MEM_R) == DJ_OK, "delegation failed");
    UTEST_REQUIRE(load(&a, va) == MAGIC, "the child cannot read the page");
    unsigned before = pf_count;
    UTEST_REQUIRE(store(&a, va, 1) == FAULTED, "a write through a read-only delegation succeeded");
    UTEST_REQUIRE(pf_count == before + 1 && pf_addr == va, "the fault did not reach the pager (%u faults, address %#llx)",
                  pf_count - before, (unsigned long long)pf_addr);
    UTEST_REQUIRE((pf_error & (PF_ERR_PRESENT | PF_ERR_WRITE)) == (PF_ERR_PRESENT | PF_ERR_WRITE),
                  "error code %#llx is not a write to a present page", (unsigned long long)pf_error);
    UTEST_REQUIRE(*page == MAGIC, "the page changed");
    return true;
}

UTEST(revoke_mem_rights_cannot_grow)
{
    struct child a, b;
    uint64_t *page = fresh_page(MAGIC + 1), va_a = utest_va(1), va_b = utest_va(1);
    UTEST_REQUIRE(page && child_create(&a) && child_create(&b) && link_children(&a, &b), "setup failed");
    UTEST_REQUIRE(give(&a, page, va_a, 0, DJ_MEM_R) == DJ_OK, "delegation to A failed");
    /* A passes on read, write and execute of what it may only read. */
    UTEST_REQUIRE(probe(&a, PROBE_DELEGATE, CHILD_SEL_PD, page_crd(va_a, 0, DJ_MEM_ALL), va_b / UTEST_PAGE) == DJ_OK,
                  "A's delegation to B failed");
    UTEST_REQUIRE(load(&b, va_b) == MAGIC + 1, "B cannot read what A gave it");
    UTEST_REQUIRE(store(&b, va_b, 2) == FAULTED, "B could write: rights grew from A to B");
    UTEST_REQUIRE(*page == MAGIC + 1, "the page changed");
    return true;
}

UTEST(revoke_mem_recursive_three_pds)
{
    struct child a, b;
    uint64_t *page = fresh_page(MAGIC + 2), va_a = utest_va(1), va_b = utest_va(1);
    UTEST_REQUIRE(page && child_create(&a) && child_create(&b) && link_children(&a, &b), "setup failed");
    UTEST_REQUIRE(give(&a, page, va_a, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "delegation to A failed");
    UTEST_REQUIRE(probe(&a, PROBE_DELEGATE, CHILD_SEL_PD, page_crd(va_a, 0, DJ_MEM_R | DJ_MEM_W), va_b / UTEST_PAGE) ==
                      DJ_OK,
                  "A's delegation to B failed");
    UTEST_REQUIRE(store(&b, va_b, MAGIC + 3) == 0 && *page == MAGIC + 3, "B's write did not reach the page");
    UTEST_REQUIRE(dj_revoke(page_crd((uint64_t)page, 0, DJ_MEM_ALL), false) == DJ_OK, "revoke failed");
    UTEST_REQUIRE(*page == MAGIC + 3, "the root lost its own page");
    UTEST_REQUIRE(load(&a, va_a) == FAULTED, "A still reads the revoked page");
    unsigned before = pf_count;
    UTEST_REQUIRE(load(&b, va_b) == FAULTED, "B (derived from A) still reads the revoked page");
    UTEST_REQUIRE(pf_count == before + 1 && pf_addr == va_b && !(pf_error & PF_ERR_PRESENT),
                  "B's access was not a not-present fault at its address");
    return true;
}

UTEST(revoke_mem_partial_keeps_read)
{
    struct child a, b;
    uint64_t *page = fresh_page(MAGIC + 4), va_a = utest_va(1), va_b = utest_va(1);
    UTEST_REQUIRE(page && child_create(&a) && child_create(&b) && link_children(&a, &b), "setup failed");
    UTEST_REQUIRE(give(&a, page, va_a, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK &&
                      probe(&a, PROBE_DELEGATE, CHILD_SEL_PD, page_crd(va_a, 0, DJ_MEM_R | DJ_MEM_W),
                            va_b / UTEST_PAGE) == DJ_OK,
                  "delegations failed");
    UTEST_REQUIRE(store(&a, va_a, MAGIC + 5) == 0 && store(&b, va_b, MAGIC + 6) == 0, "writes before the revoke failed");
    /* Without SELF and with only W named: descendants lose write access. */
    UTEST_REQUIRE(dj_revoke(page_crd((uint64_t)page, 0, DJ_MEM_W), false) == DJ_OK, "partial revoke failed");
    UTEST_REQUIRE(load(&a, va_a) == MAGIC + 6 && load(&b, va_b) == MAGIC + 6, "read access was lost");
    UTEST_REQUIRE(store(&a, va_a, 7) == FAULTED && store(&b, va_b, 8) == FAULTED, "write access survived");
    *page = MAGIC + 9; /* the root keeps its own write access */
    UTEST_REQUIRE(load(&b, va_b) == MAGIC + 9, "B does not see the root's write");
    return true;
}

/* Pages delegated one item each are separate children: revoking one of
 * them is exact. (One item covering them all would be one child, revoked
 * whole: see large_page_tests.) */
UTEST(revoke_mem_one_page_of_range)
{
    struct child a;
    uint64_t *pages = utest_pages(RANGE_PAGES), va = utest_va(RANGE_PAGES);
    UTEST_REQUIRE(pages && child_create(&a), "setup failed");
    for (unsigned i = 0; i < RANGE_PAGES; i++) {
        pages[i * UTEST_PAGE / 8] = MAGIC + 16 + i;
        UTEST_REQUIRE(give(&a, (char *)pages + i * UTEST_PAGE, va + i * UTEST_PAGE, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK,
                      "delegation of page %u failed", i);
    }
    uint64_t victim = (uint64_t)pages + REVOKED_INDEX * UTEST_PAGE;
    UTEST_REQUIRE(dj_revoke(page_crd(victim, 0, DJ_MEM_ALL), false) == DJ_OK, "revoke failed");
    for (unsigned i = 0; i < RANGE_PAGES; i++) {
        uint64_t v = load(&a, va + i * UTEST_PAGE);
        if (i == REVOKED_INDEX)
            UTEST_REQUIRE(v == FAULTED, "the revoked page %u is still readable", i);
        else
            UTEST_REQUIRE(v == MAGIC + 16 + i, "page %u of the range was lost (read %#llx)", i, (unsigned long long)v);
    }
    return true;
}

UTEST(revoke_mem_use_after_revoke_faults_cleanly)
{
    struct child a;
    uint64_t *page = fresh_page(0), va = utest_va(1);
    UTEST_REQUIRE(page && child_create(&a), "setup failed");
    UTEST_REQUIRE(give(&a, page, va, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK && store(&a, va, MAGIC + 32) == 0,
                  "delegation or write failed");
    UTEST_REQUIRE(dj_revoke(page_crd((uint64_t)page, 0, DJ_MEM_ALL), false) == DJ_OK, "revoke failed");
    unsigned before = pf_count;
    UTEST_REQUIRE(store(&a, va, 1) == FAULTED && load(&a, va) == FAULTED, "the revoked page is still accessible");
    UTEST_REQUIRE(pf_count == before + 2 && pf_addr == va, "the faults did not reach the pager portal");
    UTEST_REQUIRE(*page == MAGIC + 32, "the frame's contents changed");
    /* The frame was not reused, and the same page can be given again. */
    UTEST_REQUIRE(give(&a, page, va, 0, DJ_MEM_R) == DJ_OK && load(&a, va) == MAGIC + 32,
                  "delegating the page again failed");
    return true;
}

UTEST(revoke_mem_self_in_child)
{
    struct child a, b;
    uint64_t *page = fresh_page(MAGIC + 40), va_a = utest_va(1), va_b = utest_va(1);
    UTEST_REQUIRE(page && child_create(&a) && child_create(&b) && link_children(&a, &b), "setup failed");
    UTEST_REQUIRE(give(&a, page, va_a, 0, DJ_MEM_R) == DJ_OK &&
                      probe(&a, PROBE_DELEGATE, CHILD_SEL_PD, page_crd(va_a, 0, DJ_MEM_R), va_b / UTEST_PAGE) == DJ_OK,
                  "delegations failed");
    /* A gives up its own mapping (SELF): its subtree goes too, its parent stays. */
    UTEST_REQUIRE(probe(&a, PROBE_REVOKE, page_crd(va_a, 0, DJ_MEM_ALL), 1, 0) == DJ_OK, "A's revoke failed");
    UTEST_REQUIRE(load(&a, va_a) == FAULTED && load(&b, va_b) == FAULTED, "A's or B's mapping survived");
    UTEST_REQUIRE(*page == MAGIC + 40, "the root's page was affected");
    return true;
}

UTEST(revoke_mem_redelegation_adds_rights_only_from_parent)
{
    struct child a;
    uint64_t *page = fresh_page(MAGIC + 48), *other = fresh_page(MAGIC + 49), va = utest_va(1);
    UTEST_REQUIRE(page && other && child_create(&a), "setup failed");
    UTEST_REQUIRE(give(&a, page, va, 0, DJ_MEM_R) == DJ_OK && store(&a, va, 1) == FAULTED, "read-only setup failed");
    /* The same frame from the same parent again, now writable (a pager's answer to a write fault). */
    UTEST_REQUIRE(give(&a, page, va, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "repeated delegation failed");
    UTEST_REQUIRE(store(&a, va, MAGIC + 50) == 0 && *page == MAGIC + 50, "the added write right does not work");
    /* Another frame onto the occupied page is refused, and changes nothing. */
    UTEST_REQUIRE(give(&a, other, va, 0, DJ_MEM_R) == DJ_E_BUSY, "overmapping a different frame was not refused");
    UTEST_REQUIRE(load(&a, va) == MAGIC + 50, "the existing mapping changed");
    return true;
}

UTEST(revoke_bad_arguments_refused)
{
    uint64_t pool = (uint64_t)utest_pages(0);
    UTEST_REQUIRE(dj_revoke(page_crd(pool, 0, 0), false) == DJ_E_BAD_PARAM, "a revoke naming no rights was accepted");
    UTEST_REQUIRE(dj_revoke(page_crd(pool, 30, DJ_MEM_ALL), false) == DJ_E_BAD_PARAM, "an oversized revoke was accepted");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, 1ull << 40, 0, DJ_MEM_ALL), false) == DJ_E_BAD_ADDR,
                  "a revoke beyond user space was accepted");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_IO, 0x10000, 0, DJ_IO_ACCESS), false) == DJ_E_BAD_PARAM,
                  "a revoke of port 65536 was accepted");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_NULL, 0, 0, 0), false) == DJ_E_BAD_PARAM, "a null revoke was accepted");
    return true;
}

UTEST(revoke_obj_portal)
{
    struct child a;
    uint64_t pt = utest_selector();
    UTEST_REQUIRE(child_create(&a) && echo_server_create(DJ_SEL_SELF_PD, pt, BADGE, utest_pages(ECHO_STACK_PAGES)) == DJ_OK,
                  "setup failed");
    UTEST_REQUIRE(dj_delegate(a.pd, DJ_CRD(DJ_CRD_OBJ, pt, 0, DJ_PT_CALL), CHILD_SEL_PT) == DJ_OK, "delegation failed");
    UTEST_REQUIRE(probe(&a, PROBE_CALL, CHILD_SEL_PT, 0, 0) == DJ_OK, "the child cannot call the delegated portal");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_OBJ, pt, 0, DJ_OBJ_ALL), false) == DJ_OK, "revoke failed");
    uint64_t st = probe(&a, PROBE_CALL, CHILD_SEL_PT, 0, 0);
    UTEST_REQUIRE(st == DJ_E_BAD_CAP, "the child's call after revoke returned %llu", (unsigned long long)st);
    UTEST_REQUIRE(dj_call(pt, DJ_MTD(0, 0), 0) == DJ_OK, "the root lost its own portal");
    return true;
}

UTEST(io_port_without_capability_faults)
{
    struct child a;
    UTEST_REQUIRE(child_create(&a), "setup failed");
    unsigned before = gp_count;
    UTEST_REQUIRE(out(&a) == FAULTED && gp_count == before + 1, "`out` without an I/O capability did not raise #GP");
    return true;
}

UTEST(revoke_io_port_delegation)
{
    struct child a;
    UTEST_REQUIRE(child_create(&a), "setup failed");
    UTEST_REQUIRE(dj_delegate(a.pd, DJ_CRD(DJ_CRD_IO, PROBE_PORT, 0, DJ_IO_ACCESS), 0) == DJ_OK, "delegation failed");
    UTEST_REQUIRE(out(&a) == 0, "the child cannot use its port");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_IO, PROBE_PORT, 0, DJ_IO_ACCESS), false) == DJ_OK, "revoke failed");
    unsigned before = gp_count;
    UTEST_REQUIRE(out(&a) == FAULTED && gp_count == before + 1, "the port still works after revoke");
    return true;
}

UTEST(revoke_io_recursive)
{
    struct child a, b;
    UTEST_REQUIRE(child_create(&a) && child_create(&b) && link_children(&a, &b), "setup failed");
    UTEST_REQUIRE(dj_delegate(a.pd, DJ_CRD(DJ_CRD_IO, PROBE_PORT, PORT_RANGE_ORDER, DJ_IO_ACCESS), 0) == DJ_OK,
                  "delegation to A failed");
    UTEST_REQUIRE(probe(&a, PROBE_DELEGATE, CHILD_SEL_PD, DJ_CRD(DJ_CRD_IO, PROBE_PORT, 0, DJ_IO_ACCESS), 0) == DJ_OK,
                  "A's delegation to B failed");
    UTEST_REQUIRE(out(&a) == 0 && out(&b) == 0, "the delegated port does not work");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_IO, PROBE_PORT, PORT_RANGE_ORDER, DJ_IO_ACCESS), false) == DJ_OK,
                  "revoke failed");
    UTEST_REQUIRE(out(&a) == FAULTED, "A kept the port");
    UTEST_REQUIRE(out(&b) == FAULTED, "B (derived from A) kept the port");
    return true;
}

UTEST(revoke_io_cannot_pass_on_missing_port)
{
    struct child a, b;
    UTEST_REQUIRE(child_create(&a) && child_create(&b) && link_children(&a, &b), "setup failed");
    /* A holds no ports: its delegation finds nothing to give. */
    UTEST_REQUIRE(probe(&a, PROBE_DELEGATE, CHILD_SEL_PD, DJ_CRD(DJ_CRD_IO, PROBE_PORT, 0, DJ_IO_ACCESS), 0) == DJ_OK,
                  "A's delegation failed");
    UTEST_REQUIRE(out(&b) == FAULTED, "B got a port A never had");
    return true;
}

/* ---- Large nodes: one item, one child, mapped with large pages ----------- */

#define PAGES_2M 512u
#define ORDER_2M 9
#define ORDER_1G 18
#define SIZE_2M (2ull << 20)
#define SIZE_1G (1ull << 30)
#define RW (DJ_MEM_R | DJ_MEM_W)
#define CHILD_QUOTA 256 /* child_pd_create's quota (ipc_tests.c) */
#define RECLAIM_POLLS 100000
#define ROOT_SLACK 4 /* root pages a child's death may free besides its quota: the root's nodes and
                        capability tables for the child's objects (removed with them) */

/* A fresh virtual range of `size` bytes aligned to `align`. */
static uint64_t aligned_va(uint64_t size, uint64_t align)
{
    uint64_t va = utest_va((size + align) / UTEST_PAGE);
    return (va + align - 1) & ~(align - 1);
}

static uint64_t self_quota(void)
{
    uint64_t free = 0;
    dj_pd_quota(DJ_SEL_SELF_PD, &free, 0);
    return free;
}

static uint64_t quota_of(uint64_t pd)
{
    uint64_t free = 0;
    dj_pd_quota(pd, &free, 0);
    return free;
}

/* 2^order fresh pages at va as one contiguous original, each page's first
 * word holding MAGIC + its index; false when memory or quota is lacking. */
static bool alloc_marked(uint64_t va, unsigned order)
{
    if (dj_mem_alloc(va, order, RW) != DJ_OK)
        return false;
    for (uint64_t i = 0; i < (1ull << order); i++)
        *(volatile uint64_t *)(va + i * UTEST_PAGE) = MAGIC + i;
    return true;
}

UTEST(revoke_large_alloc_is_contiguous)
{
    uint64_t va = aligned_va(SIZE_2M, SIZE_2M), before = self_quota();
    UTEST_REQUIRE(alloc_marked(va, ORDER_2M), "a 2 MiB allocation failed");
    uint64_t first, last;
    unsigned cache;
    UTEST_REQUIRE(dj_mem_phys(va, &first, &cache) == DJ_OK && dj_mem_phys(va + SIZE_2M - UTEST_PAGE, &last, &cache) == DJ_OK,
                  "lookup failed");
    UTEST_REQUIRE((first & (SIZE_2M - 1)) == 0 && last == first + SIZE_2M - UTEST_PAGE,
                  "frames %#llx..%#llx are not one aligned 2 MiB run", (unsigned long long)first, (unsigned long long)last);
    uint64_t mid = self_quota();
    UTEST_REQUIRE(before - mid >= PAGES_2M, "only %llu pages were charged", (unsigned long long)(before - mid));
    UTEST_REQUIRE(dj_revoke(page_crd(va, ORDER_2M, DJ_MEM_ALL), true) == DJ_OK, "revoke failed");
    UTEST_REQUIRE(self_quota() - mid == PAGES_2M + 0 || self_quota() - mid == PAGES_2M + 1,
                  "%llu pages came back, not the 512 frames (and the node's slab page)",
                  (unsigned long long)(self_quota() - mid));
    return true;
}

/* A 2 MiB item inside one source node becomes one child node mapped with
 * one 2 MiB entry: two such items into one page directory cost the child
 * at most a node page, where 4 KiB entries would need a page table each. */
UTEST(revoke_large_delegate_2m_one_item)
{
    struct child a;
    uint64_t src = aligned_va(2 * SIZE_2M, SIZE_2M), dst = aligned_va(3 * SIZE_2M, SIZE_1G);
    UTEST_REQUIRE(alloc_marked(src, ORDER_2M + 1) && child_create(&a), "setup failed");
    UTEST_REQUIRE(give(&a, (void *)src, dst, 0, DJ_MEM_R) == DJ_OK, "the priming delegation failed");
    uint64_t before = quota_of(a.pd);
    UTEST_REQUIRE(give(&a, (void *)src, dst + SIZE_2M, ORDER_2M, RW) == DJ_OK &&
                      give(&a, (void *)(src + SIZE_2M), dst + 2 * SIZE_2M, ORDER_2M, RW) == DJ_OK,
                  "delegating the 2 MiB items failed");
    UTEST_REQUIRE(before - quota_of(a.pd) <= 1, "two 2 MiB items cost the child %llu pages",
                  (unsigned long long)(before - quota_of(a.pd)));
    uint64_t d = dst + SIZE_2M;
    UTEST_REQUIRE(load(&a, d) == MAGIC && load(&a, d + SIZE_2M - UTEST_PAGE) == MAGIC + PAGES_2M - 1 &&
                      load(&a, d + SIZE_2M) == MAGIC + PAGES_2M,
                  "the child reads wrong values");
    UTEST_REQUIRE(store(&a, d + 8, 77) == 0 && store(&a, d + SIZE_2M - 8, 78) == 0, "the child cannot write");
    UTEST_REQUIRE(*(volatile uint64_t *)(src + 8) == 77 && *(volatile uint64_t *)(src + SIZE_2M - 8) == 78,
                  "the child's writes did not reach the frames");
    return true;
}

UTEST(revoke_large_part_takes_whole_child)
{
    struct child a;
    uint64_t src = aligned_va(SIZE_2M, SIZE_2M), dst = aligned_va(SIZE_2M, SIZE_2M);
    UTEST_REQUIRE(alloc_marked(src, ORDER_2M) && child_create(&a), "setup failed");
    UTEST_REQUIRE(give(&a, (void *)src, dst, ORDER_2M, RW) == DJ_OK && load(&a, dst) == MAGIC, "delegation failed");
    /* Taking W from one page downgrades the whole child. */
    UTEST_REQUIRE(dj_revoke(page_crd(src + 100 * UTEST_PAGE, 0, DJ_MEM_W), false) == DJ_OK, "partial revoke failed");
    UTEST_REQUIRE(store(&a, dst, 1) == FAULTED && store(&a, dst + SIZE_2M - 8, 1) == FAULTED,
                  "the child can still write");
    UTEST_REQUIRE(load(&a, dst + SIZE_2M - UTEST_PAGE) == MAGIC + PAGES_2M - 1, "the child lost read access");
    /* Revoking one page removes the whole child; the root keeps its memory. */
    UTEST_REQUIRE(dj_revoke(page_crd(src + 300 * UTEST_PAGE, 0, DJ_MEM_ALL), false) == DJ_OK, "revoke failed");
    UTEST_REQUIRE(load(&a, dst) == FAULTED && load(&a, dst + SIZE_2M - UTEST_PAGE) == FAULTED,
                  "part of the child survived");
    UTEST_REQUIRE(*(volatile uint64_t *)(src + 300 * UTEST_PAGE) == MAGIC + 300, "the root lost its page");
    return true;
}

/* One item over a large node, single pages and a hole: a child per source
 * node; revoking a single page's child leaves the others. */
UTEST(revoke_large_mixed_nodes_one_item)
{
    struct child a;
    const unsigned half = PAGES_2M / 2, singles = 4;
    uint64_t src = aligned_va(SIZE_2M, SIZE_2M), dst = aligned_va(SIZE_2M, SIZE_2M);
    UTEST_REQUIRE(alloc_marked(src, ORDER_2M - 1) && child_create(&a), "setup failed");
    for (unsigned i = 0; i < singles; i++)
        UTEST_REQUIRE(alloc_marked(src + (half + i) * UTEST_PAGE, 0), "single page %u", i);
    UTEST_REQUIRE(give(&a, (void *)src, dst, ORDER_2M, DJ_MEM_R) == DJ_OK, "delegation failed");
    UTEST_REQUIRE(load(&a, dst) == MAGIC && load(&a, dst + (half - 1) * UTEST_PAGE) == MAGIC + half - 1,
                  "the large part reads wrong");
    for (unsigned i = 0; i < singles; i++)
        UTEST_REQUIRE(load(&a, dst + (half + i) * UTEST_PAGE) == MAGIC, "single page %u reads wrong", i);
    UTEST_REQUIRE(load(&a, dst + (half + singles) * UTEST_PAGE) == FAULTED, "the hole is mapped");
    UTEST_REQUIRE(dj_revoke(page_crd(src + (half + 1) * UTEST_PAGE, 0, DJ_MEM_ALL), false) == DJ_OK, "revoke failed");
    UTEST_REQUIRE(load(&a, dst + (half + 1) * UTEST_PAGE) == FAULTED, "the revoked single page survived");
    UTEST_REQUIRE(load(&a, dst) == MAGIC && load(&a, dst + half * UTEST_PAGE) == MAGIC &&
                      load(&a, dst + (half + 2) * UTEST_PAGE) == MAGIC,
                  "revoking one single page took other children");
    return true;
}

/* A destination not aligned to the item's order: the part is split into
 * aligned pieces, every page landing where it should. Orders beyond what
 * a node holds are refused. */
UTEST(revoke_large_misaligned_items)
{
    struct child a;
    uint64_t src = aligned_va(SIZE_2M, SIZE_2M), dst = aligned_va(2 * SIZE_2M, SIZE_2M) + 3 * UTEST_PAGE;
    UTEST_REQUIRE(alloc_marked(src, ORDER_2M) && child_create(&a), "setup failed");
    UTEST_REQUIRE(give(&a, (void *)src, dst, ORDER_2M, DJ_MEM_R) == DJ_OK, "misaligned delegation failed");
    for (unsigned i = 0; i < PAGES_2M; i += 37)
        UTEST_REQUIRE(load(&a, dst + i * UTEST_PAGE) == MAGIC + i, "page %u landed wrong", i);
    UTEST_REQUIRE(load(&a, dst + (PAGES_2M - 1) * UTEST_PAGE) == MAGIC + PAGES_2M - 1, "the last page landed wrong");
    UTEST_REQUIRE(load(&a, dst + PAGES_2M * UTEST_PAGE) == FAULTED, "a page past the item is mapped");
    UTEST_REQUIRE(give(&a, (void *)src, dst, 28, DJ_MEM_R) == DJ_E_BAD_PARAM, "an order-28 item was accepted");
    return true;
}

UTEST(revoke_large_delegate_1g)
{
    struct child a;
    uint64_t src = aligned_va(SIZE_1G, SIZE_1G), dst = aligned_va(SIZE_1G, SIZE_1G);
    uint64_t before = self_quota();
    enum dj_status st = dj_mem_alloc(src, ORDER_1G, RW);
    if (st == DJ_E_QUOTA)
        UTEST_SKIP("no 1 GiB of contiguous memory and quota (%llu pages free): needs -m 6G",
                   (unsigned long long)before);
    UTEST_REQUIRE(st == DJ_OK && child_create(&a), "setup failed (%d)", st);
    const uint64_t offsets[] = {0, SIZE_1G / 2, SIZE_1G - UTEST_PAGE};
    for (unsigned i = 0; i < 3; i++)
        *(volatile uint64_t *)(src + offsets[i]) = MAGIC + i;
    UTEST_REQUIRE(give(&a, (void *)src, dst, ORDER_1G, RW) == DJ_OK, "delegating 1 GiB failed");
    for (unsigned i = 0; i < 3; i++) {
        UTEST_REQUIRE(load(&a, dst + offsets[i]) == MAGIC + i, "the child reads wrong at %#llx",
                      (unsigned long long)offsets[i]);
        UTEST_REQUIRE(store(&a, dst + offsets[i] + 8, i) == 0 && *(volatile uint64_t *)(src + offsets[i] + 8) == i,
                      "the child's write at %#llx was lost", (unsigned long long)offsets[i]);
    }
    UTEST_REQUIRE(dj_revoke(page_crd(src + SIZE_1G / 2, 0, DJ_MEM_ALL), false) == DJ_OK &&
                      load(&a, dst) == FAULTED && load(&a, dst + SIZE_1G - UTEST_PAGE) == FAULTED,
                  "revoking one page left part of the 1 GiB child");
    uint64_t mid = self_quota();
    UTEST_REQUIRE(dj_revoke(page_crd(src, ORDER_1G, DJ_MEM_ALL), true) == DJ_OK, "revoking the original failed");
    UTEST_REQUIRE(self_quota() - mid >= (1ull << ORDER_1G), "the 1 GiB did not go back to the quota");
    return true;
}

/* Wait until pd's destruction is over: its capability reads no free
 * quota and a limit of what stays charged. */
static bool reclaimed(uint64_t pd, uint64_t charged)
{
    for (unsigned i = 0; i < RECLAIM_POLLS; i++) {
        uint64_t free = 1, limit = 1;
        if (dj_pd_quota(pd, &free, &limit) == DJ_OK && free == 0 && limit == charged)
            return true;
    }
    return false;
}

/* A dying PD holding a large delegated child and an owned multi-page node
 * gives back every page of its quota; one whose node's address went to a
 * device keeps that node's frames charged. */
static bool reclaim_case(bool dma, char *why, size_t why_len)
{
    struct child a;
    const unsigned order = 7;
    uint64_t src = aligned_va(SIZE_2M, SIZE_2M), dst = aligned_va(SIZE_2M, SIZE_2M), own = aligned_va(SIZE_2M, SIZE_2M);
    UTEST_REQUIRE(alloc_marked(src, ORDER_2M) && child_create(&a), "setup failed");
    UTEST_REQUIRE(give(&a, (void *)src, dst, ORDER_2M, RW) == DJ_OK, "delegation failed");
    UTEST_REQUIRE(probe(&a, PROBE_ALLOC, own, order, RW) == DJ_OK, "the child's allocation failed");
    UTEST_REQUIRE(store(&a, own + 8, 5) == 0 && load(&a, own + 8) == 5, "the child's own pages do not work");
    if (dma)
        UTEST_REQUIRE(probe(&a, PROBE_PHYS, own, 0, 0) == DJ_OK, "the child's lookup failed");
    uint64_t before = self_quota();
    uint64_t kept = dma ? 1u << order : 0;
    UTEST_REQUIRE(dj_pd_kill(a.pd) == DJ_OK && reclaimed(a.pd, kept), "the child was not destroyed");
    uint64_t back = self_quota() - before, expect = CHILD_QUOTA - kept;
    UTEST_REQUIRE(back >= expect && back <= expect + ROOT_SLACK, "%llu pages came back, %llu expected",
                  (unsigned long long)back, (unsigned long long)expect);
    UTEST_REQUIRE(*(volatile uint64_t *)src == MAGIC, "the root's 2 MiB changed");
    return true;
}

UTEST(revoke_large_reclaim_gives_quota_back)
{
    return reclaim_case(false, why, why_len);
}

UTEST(revoke_large_reclaim_keeps_dma_frames)
{
    return reclaim_case(true, why, why_len);
}
