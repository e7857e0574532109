/* SPDX-License-Identifier: GPL-2.0-only */
/* System call dispatch: decode the registers, check every capability and
 * argument, and hand over to the object code. */
#include "arch/x86_64/acpi.h"
#include "common/align.h"
#include "kernel/console.h"
#include "kernel/devmem.h"
#include "kernel/kernel.h"
#include "arch/x86_64/cpu.h"
#include "kernel/ec.h"
#include "kernel/ec_ctrl.h"
#include "kernel/ipc.h"
#include "kernel/irq.h"
#include "common/string.h"
#include "kernel/mdb.h"
#include "arch/x86_64/paging.h"
#include "kernel/pd_reclaim.h"
#include "arch/x86_64/percpu.h"
#include "kernel/pt.h"
#include "kernel/sched.h"
#include "kernel/sm.h"
#include "kernel/root.h"
#include "kernel/syscalls.h"
#include "arch/x86_64/virt.h"
#include "arch/x86_64/user_mode.h"

#define QUANTUM_US_PER_TICK 10000u

struct args {
    struct ec *ec;
    unsigned flags;
    uint64_t a[6];
};

static struct capspace_slot *cap(struct args *x, uint64_t sel, enum dj_obj_type t, unsigned rights)
{
    return capspace_lookup(&x->ec->pd->caps, sel, t, rights);
}

static void *obj_of(struct args *x, uint64_t sel, enum dj_obj_type t, unsigned rights)
{
    struct capspace_slot *s = cap(x, sel, t, rights);
    return s && !((struct kobj *)s->obj)->dead ? s->obj : 0;
}

/* Insert a new object's capability, or drop the object on failure. */
static uint64_t install(struct args *x, uint64_t sel, struct kobj *o, enum dj_obj_type t)
{
    if (!o)
        return DJ_E_QUOTA;
    struct pd *pd = x->ec->pd;
    struct mdb_node *n = pd_node_alloc(pd);
    enum dj_status s = n ? capspace_insert(&pd->caps, sel, o, t, DJ_OBJ_ALL) : DJ_E_QUOTA;
    if (s != DJ_OK) {
        if (n)
            pd_node_free(pd, n);
        kobj_put(o);
        return s;
    }
    /* Originals are derivation-tree roots, so revoke reaches every copy. */
    mdb_node_init(n, &pd->caps, DJ_CRD_OBJ, sel, 0, DJ_OBJ_ALL, (uint64_t)o);
    capspace_lookup(&pd->caps, sel, DJ_OBJ_NONE, 0)->node = n;
    o->original = n;
    return DJ_OK;
}

static bool dst_free(struct args *x, uint64_t sel)
{
    return sel < CAPSPACE_MAX_SEL && !capspace_lookup(&x->ec->pd->caps, sel, DJ_OBJ_NONE, 0);
}

static uint64_t sys_create_pd(struct args *x)
{
    struct pd *quota_pd = obj_of(x, x->a[1], DJ_OBJ_PD, DJ_PD_CREATE);
    if (!quota_pd)
        return DJ_E_BAD_CAP;
    if (!dst_free(x, x->a[0]))
        return x->a[0] < CAPSPACE_MAX_SEL ? DJ_E_BUSY : DJ_E_BAD_PARAM;
    /* A creator hands on at most its own maximum priority. */
    uint64_t own_max = x->ec->pd->max_prio;
    uint64_t max_prio = (x->flags & (DJ_SYS_FLAG_MAX_PRIO >> 8)) ? x->a[3] : own_max;
    if (max_prio > own_max)
        return DJ_E_BAD_PARAM;
    bool vm = x->flags & (DJ_SYS_FLAG_VM >> 8);
    if (vm && virt_kind == DJ_VIRT_NONE)
        return DJ_E_BAD_PARAM;
    return install(x, x->a[0], (struct kobj *)pd_create(&quota_pd->quota, x->a[2], (uint8_t)max_prio, vm), DJ_OBJ_PD);
}

static uint64_t sys_create_ec(struct args *x)
{
    struct pd *pd = obj_of(x, x->a[1], DJ_OBJ_PD, DJ_PD_CREATE);
    if (!pd)
        return DJ_E_BAD_CAP;
    if (!dst_free(x, x->a[0]))
        return x->a[0] < CAPSPACE_MAX_SEL ? DJ_E_BUSY : DJ_E_BAD_PARAM;
    if (x->a[2] > UINT32_MAX)
        return DJ_E_BAD_CPU;
    if (!(x->flags & (DJ_SYS_FLAG_VCPU >> 8)) != !pd->vm)
        return DJ_E_BAD_PARAM; /* vCPUs exactly in VM PDs */
    int status;
    struct ec *ec = ec_create(x->ec->pd, pd, (uint32_t)x->a[2], x->flags & 1, x->a[3], x->a[4], x->a[5], &status);
    return ec ? install(x, x->a[0], &ec->obj, DJ_OBJ_EC) : (uint64_t)status;
}

static uint64_t sys_create_sc(struct args *x)
{
    struct pd *pd = obj_of(x, x->a[1], DJ_OBJ_PD, DJ_PD_CREATE);
    struct ec *ec = obj_of(x, x->a[2], DJ_OBJ_EC, DJ_EC_BIND);
    if (!pd || !ec)
        return DJ_E_BAD_CAP;
    if (!ec->global || ec->sc)
        return DJ_E_BAD_CAP;
    if (ec->pd != pd)
        return DJ_E_BAD_PARAM; /* an SC is its thread's time: it dies with the thread's PD */
    if (!dst_free(x, x->a[0]))
        return x->a[0] < CAPSPACE_MAX_SEL ? DJ_E_BUSY : DJ_E_BAD_PARAM;
    uint64_t prio = x->a[3] & DJ_SC_PRIO_MASK, quantum_us = x->a[3] >> DJ_SC_QUANTUM_SHIFT;
    /* Neither the thread's PD nor the caller's may exceed its maximum:
     * a component cannot starve what runs above its controlled priority. */
    if (prio > DJ_PRIO_MAX || prio > pd->max_prio || prio > x->ec->pd->max_prio)
        return DJ_E_BAD_PARAM;
    struct sc *sc = sc_create(&pd->quota, ec, (uint8_t)prio, (uint32_t)(quantum_us / QUANTUM_US_PER_TICK));
    uint64_t s = install(x, x->a[0], sc ? &sc->obj : 0, DJ_OBJ_SC);
    if (s == DJ_OK) {
        ec->sc = sc;
        kobj_get(&sc->obj);
        ec->startup_pending = ec->state == EC_NEW;
        ec->state = EC_READY;
        sched_enqueue(sc);
    }
    return s;
}

static uint64_t sys_create_pt(struct args *x)
{
    struct pd *pd = obj_of(x, x->a[1], DJ_OBJ_PD, DJ_PD_CREATE);
    struct ec *ec = obj_of(x, x->a[2], DJ_OBJ_EC, DJ_EC_BIND);
    if (!pd || !ec || ec->global)
        return DJ_E_BAD_CAP;
    if (!is_canonical(x->a[4]) || x->a[4] >= USER_TOP)
        return DJ_E_BAD_ADDR;
    if (!dst_free(x, x->a[0]))
        return x->a[0] < CAPSPACE_MAX_SEL ? DJ_E_BUSY : DJ_E_BAD_PARAM;
    struct pt *pt = kobj_alloc(&pd->quota, DJ_OBJ_PT);
    if (pt) {
        pt_bind(pt, ec);
        pt->mtd = x->a[3];
        pt->ip = x->a[4];
    }
    return install(x, x->a[0], pt ? &pt->obj : 0, DJ_OBJ_PT);
}

static uint64_t sys_create_sm(struct args *x)
{
    struct pd *pd = obj_of(x, x->a[1], DJ_OBJ_PD, DJ_PD_CREATE);
    if (!pd)
        return DJ_E_BAD_CAP;
    if (!dst_free(x, x->a[0]))
        return x->a[0] < CAPSPACE_MAX_SEL ? DJ_E_BUSY : DJ_E_BAD_PARAM;
    struct sm *sm = sm_create(&pd->quota, x->a[2]);
    return install(x, x->a[0], sm ? &sm->obj : 0, DJ_OBJ_SM);
}

static uint64_t sys_pt_ctrl(struct args *x)
{
    struct pt *pt = obj_of(x, x->a[0], DJ_OBJ_PT, DJ_PT_CTRL);
    if (!pt)
        return DJ_E_BAD_CAP;
    pt->badge = x->a[1];
    return DJ_OK;
}

static uint64_t sys_sm_ctrl(struct args *x)
{
    unsigned need = x->a[1] == DJ_SM_OP_UP ? DJ_SM_UP : DJ_SM_DOWN;
    struct sm *sm = obj_of(x, x->a[0], DJ_OBJ_SM, need);
    if (!sm)
        return DJ_E_BAD_CAP;
    switch (x->a[1]) {
    case DJ_SM_OP_UP: sm_up(sm); return DJ_OK;
    case DJ_SM_OP_TRY_DOWN:
        if (!sm->count)
            return DJ_E_TIMEOUT;
        sm->count--;
        return DJ_OK;
    case DJ_SM_OP_DOWN:
        if (sm_down(sm, x->ec))
            return DJ_OK;
        sched_dispatch();
    case DJ_SM_OP_DOWN_TIMEOUT: {
        int st = sm_down_timed(sm, x->ec, x->a[2]);
        if (st != SM_BLOCKED)
            return (uint64_t)st;
        sched_dispatch();
    }
    default: return DJ_E_BAD_PARAM;
    }
}

/* A memory page: its rights, and for DMA its physical address and cache
 * attribute. Nothing mapped: RSI and RDX are 0. */
static uint64_t lookup_memory(struct args *x, uint64_t page)
{
    if (page >= (USER_TOP >> PAGE_SHIFT))
        return DJ_E_BAD_ADDR;
    struct pd *pd = x->ec->pd;
    uint64_t flags = pd_mdb_lock();
    struct mdb_node *n = memspace_lookup(&pd->mem, page);
    if (n)
        pd_mark_dma_visible(n); /* a device may write there after its holder is gone */
    x->ec->frame.rsi = n ? DJ_CRD(DJ_CRD_MEM, page, 0, n->rights) : 0;
    x->ec->frame.rdx = n ? (n->source_base + (page - n->base)) << PAGE_SHIFT | (n->attr & MDB_ATTR_CACHE_MASK) : 0;
    pd_mdb_unlock(flags);
    return DJ_OK;
}

static uint64_t sys_lookup(struct args *x)
{
    uint64_t crd = x->a[0];
    if (DJ_CRD_KIND(crd) == DJ_CRD_MEM)
        return lookup_memory(x, DJ_CRD_BASE(crd));
    if (DJ_CRD_KIND(crd) != DJ_CRD_OBJ)
        return DJ_E_BAD_PARAM;
    struct capspace_slot *s = cap(x, DJ_CRD_BASE(crd), DJ_OBJ_NONE, 0);
    x->ec->frame.rsi = s ? DJ_CRD(DJ_CRD_OBJ, DJ_CRD_BASE(crd), 0, s->rights) : 0;
    x->ec->frame.rdx = s ? s->type : DJ_OBJ_NONE;
    return DJ_OK;
}

/* Copies a user string with SMAP opened only for the copy itself. */
static bool copy_from_user(void *dst, uint64_t src, size_t len)
{
    if (src >= USER_TOP || len > USER_TOP - src)
        return false;
    return user_copy_in(dst, src, len) == 0;
}

/* Test mode: the root's tests are done; add its totals to the kernel's,
 * print the run's summary and power off. */
static uint64_t test_done(struct args *x)
{
    if (!kernel_test_mode)
        return DJ_E_BAD_PARAM;
    struct ktest_totals t = kernel_test_totals;
    t.passed += (unsigned)(x->a[1] >> 32);
    t.failed += (unsigned)x->a[1];
    t.skipped += (unsigned)x->a[2];
    kprintf("%u passed, %u failed, %u skipped\n", t.passed, t.failed, t.skipped);
    kprintf("donjon: boot complete\n");
    acpi_poweroff();
}

static uint64_t sys_debug(struct args *x)
{
    if (!obj_of(x, DJ_SEL_DEBUG, DJ_OBJ_DEBUG, 0))
        return DJ_E_BAD_CAP;
    if (x->a[0] == DJ_DEBUG_OP_TEST_DONE)
        return test_done(x);
    if (x->a[0] != DJ_DEBUG_OP_PUTS || x->a[2] > DJ_DEBUG_PUTS_MAX)
        return DJ_E_BAD_PARAM;
    char buf[DJ_DEBUG_PUTS_MAX + 1];
    if (!copy_from_user(buf, x->a[1], x->a[2]))
        return DJ_E_BAD_ADDR;
    buf[x->a[2]] = '\0';
    kprintf("%s", buf);
    return DJ_OK;
}

static uint64_t sys_delegate(struct args *x)
{
    struct pd *dst = obj_of(x, x->a[0], DJ_OBJ_PD, DJ_PD_DELEGATE);
    if (!dst)
        return DJ_E_BAD_CAP;
    struct dj_typed_item item = {x->a[1], x->a[2]};
    /* The destination window is the whole space at the hotspot's kind. */
    uint64_t window = DJ_CRD(DJ_CRD_KIND(x->a[1]), 0, DJ_CRD_ORDER_ALL, DJ_OBJ_ALL);
    return (uint64_t)delegate_items(x->ec->pd, dst, &item, 1, window);
}

static uint64_t sys_revoke(struct args *x)
{
    /* Removing the last capability to a PD destroys it (pd_reclaim.h). */
    return pd_reclaim_syscall_tail(x->ec, (uint64_t)revoke_range(x->ec->pd, x->a[0], x->flags & 1));
}

static uint64_t sys_pd_ctrl(struct args *x)
{
    struct capspace_slot *s = cap(x, x->a[0], DJ_OBJ_PD, 0); /* a dead PD's too: a kill is made again */
    return s ? pd_ctrl(x->ec, s->obj, s->rights, x->a[1]) : DJ_E_BAD_CAP;
}

static uint64_t sys_call(struct args *x)
{
    struct pt *pt = obj_of(x, x->a[0], DJ_OBJ_PT, DJ_PT_CALL);
    if (!pt)
        return DJ_E_BAD_CAP;
    ipc_call(x->ec, pt, x->a[1]);
}

static uint64_t sys_reply(struct args *x)
{
    if (x->ec->global)
        return DJ_E_BAD_CAP; /* only portal handlers reply */
    ipc_reply(x->ec, x->a[0]);
}

static uint64_t sys_ec_ctrl(struct args *x)
{
    struct ec *ec = obj_of(x, x->a[0], DJ_OBJ_EC, DJ_EC_CTRL);
    return ec ? ec_ctrl(x->ec, ec, x->a[1]) : DJ_E_BAD_CAP;
}

static uint64_t sys_irq_ctrl(struct args *x)
{
    struct capspace_slot *s = cap(x, x->a[0], DJ_OBJ_IRQ, DJ_IRQ_CTRL);
    if (!s)
        return DJ_E_BAD_CAP;
    struct irq_line *l = s->obj;
    switch (x->a[1]) {
    case DJ_IRQ_OP_BIND: {
        /* The binding lasts as long as the capability used for it. */
        struct sm *sm = obj_of(x, x->a[2], DJ_OBJ_SM, DJ_SM_UP);
        return sm ? (uint64_t)irq_bind(l, s->node, sm, x->a[3], &x->ec->frame.rsi, &x->ec->frame.rdx) : DJ_E_BAD_CAP;
    }
    case DJ_IRQ_OP_ACK: return (uint64_t)irq_ack(l);
    case DJ_IRQ_OP_UNBIND: return (uint64_t)irq_unbind(l);
    default: return DJ_E_BAD_PARAM;
    }
}

#define MEM_ALLOC_MAX_ORDER 18      /* 1 GiB a call */
#define MEM_ALLOC_PAGEWISE_ORDER 10 /* without contiguous frames, 4 MiB a call: a node per page */

/* Does any node of pd's memspace meet [vpage, vpage + count)? */
static bool mem_range_used(struct pd *pd, uint64_t vpage, uint64_t count)
{
    uint64_t flags = pd_mdb_lock();
    bool used = memspace_next_before(&pd->mem, vpage, vpage + count) != 0;
    pd_mdb_unlock(flags);
    return used;
}

/* One naturally aligned piece: contiguous frames as one original, else
 * (small enough) a fresh page at a time. */
static int mem_alloc_piece(struct pd *pd, uint64_t vpage, unsigned order, unsigned rights)
{
    int st = order ? pd_alloc_owned(pd, vpage << PAGE_SHIFT, order, rights) : PD_NO_CONTIG;
    if (st != PD_NO_CONTIG)
        return st;
    if (order > MEM_ALLOC_PAGEWISE_ORDER)
        return DJ_E_QUOTA;
    st = DJ_OK;
    for (uint64_t i = 0; i < (1ull << order) && st == DJ_OK; i++)
        st = pd_map_fresh(pd, (vpage + i) << PAGE_SHIFT, rights);
    return st;
}

/* Turn quota into memory: 2^order fresh pages mapped at va in the
 * caller's PD, originals in the mapping database like the root's. */
static uint64_t sys_mem_alloc(struct args *x)
{
    uint64_t va = x->a[0], order = x->a[1], rights = x->a[2];
    if (order > MEM_ALLOC_MAX_ORDER || !(rights & DJ_MEM_R) || (rights & ~(uint64_t)DJ_MEM_ALL))
        return DJ_E_BAD_PARAM;
    uint64_t size = PAGE_SIZE << order;
    if ((va & (PAGE_SIZE - 1)) || va >= USER_TOP || size > USER_TOP - va)
        return DJ_E_BAD_ADDR;
    struct pd *pd = x->ec->pd;
    uint64_t first = va >> PAGE_SHIFT, end = first + (1ull << order);
    if (mem_range_used(pd, first, end - first))
        return DJ_E_BUSY;
    for (uint64_t vpage = first; vpage < end;) { /* at most two pieces per order */
        unsigned o = aligned_order(vpage, end, ALIGN_ORDER_ANY);
        int st = mem_alloc_piece(pd, vpage, o, (unsigned)rights);
        if (st != DJ_OK)
            return (uint64_t)st; /* pieces before this one stay */
        vpage += 1ull << o;
    }
    return DJ_OK;
}

static uint64_t sys_mmio_map(struct args *x)
{
    struct capspace_slot *s = cap(x, x->a[0], DJ_OBJ_DEVMEM, DJ_DEVMEM_MAP);
    if (!s)
        return DJ_E_BAD_CAP;
    uint64_t order = x->a[3], rights = x->a[4] & DJ_MMIO_RIGHTS_MASK, cache = x->a[4] >> DJ_MMIO_CACHE_SHIFT;
    if (order > 63 || cache > 0xff)
        return DJ_E_BAD_PARAM;
    return (uint64_t)devmem_map(x->ec->pd, s->node, x->a[1], x->a[2], (unsigned)order, (unsigned)rights, (unsigned)cache);
}

typedef uint64_t (*sys_fn)(struct args *x);

static const sys_fn table[DJ_SYS_COUNT] = {
    [DJ_SYS_CALL] = sys_call,           [DJ_SYS_REPLY] = sys_reply,
    [DJ_SYS_CREATE_PD] = sys_create_pd, [DJ_SYS_CREATE_EC] = sys_create_ec,
    [DJ_SYS_CREATE_SC] = sys_create_sc, [DJ_SYS_CREATE_PT] = sys_create_pt,
    [DJ_SYS_CREATE_SM] = sys_create_sm, [DJ_SYS_REVOKE] = sys_revoke,
    [DJ_SYS_DELEGATE] = sys_delegate,   [DJ_SYS_PT_CTRL] = sys_pt_ctrl,
    [DJ_SYS_SM_CTRL] = sys_sm_ctrl,     [DJ_SYS_EC_CTRL] = sys_ec_ctrl,
    [DJ_SYS_LOOKUP] = sys_lookup,       [DJ_SYS_DEBUG] = sys_debug,
    [DJ_SYS_IRQ_CTRL] = sys_irq_ctrl,   [DJ_SYS_MEM_ALLOC] = sys_mem_alloc,
    [DJ_SYS_MMIO_MAP] = sys_mmio_map,   [DJ_SYS_PD_CTRL] = sys_pd_ctrl,
};

uint64_t syscall_dispatch_ec(struct trap_frame *f)
{
    struct args x = {ec_current(), (unsigned)(f->rax >> DJ_SYS_FLAGS_SHIFT) & DJ_SYS_FLAGS_MASK,
                     {f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9}};
    uint64_t op = f->rax & DJ_SYS_NUMBER_MASK;
    if (op >= DJ_SYS_COUNT || (f->rax >> DJ_SYS_RAX_BITS) != 0)
        return DJ_E_BAD_SYS;
    return table[op](&x);
}

void fault_dispatch_ec(struct trap_frame *f)
{
    sched_kernel_entry();
    ipc_fault(ec_current(), (unsigned)f->vector, f->vector == 14 ? read_cr2() : 0);
}

#define VEC_GENERAL_PROTECTION 13

/* A return address past the canonical lower half: a #GP of that EC. */
void noncanonical_return_ec(struct trap_frame *f)
{
    (void)f;
    sched_kernel_entry();
    ipc_fault(ec_current(), VEC_GENERAL_PROTECTION, 0);
}

void scheduler_enable(void)
{
    user_entries_to_kernel();
    ipc_fast_enable();
}
