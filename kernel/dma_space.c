/* SPDX-License-Identifier: GPL-2.0-only */
/* DMA spaces: second-level tables mirroring the DJ_MEM_DMA pages of a PD,
 * one VT-d domain each, and the assignment of PCI functions to them.
 *
 * A space is made on the PD's first DMA page or first assignment, its
 * tables charged to the PD's quota. Device memory (MMIO) never enters a
 * space: peer-to-peer DMA through the IOMMU is not something a driver
 * can be given. Pages at or above 2^vtd_dma_bits() stay CPU-only. */
#include "kernel/dma_space.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/spinlock.h"
#include "arch/x86_64/vtd.h"
#include "kernel/console.h"
#include "kernel/pd.h"
#include "kernel/sm.h"
#include <donjon/abi.h>

#define DMA_MAX_SPACES 256    /* domains 1..256 */
#define DMA_MAX_ASSIGNED 256  /* functions assigned at one time */
#define FAULT_RING 16         /* faults waiting to be printed */
#define FAULT_PRINT_FIRST 32  /* printed one by one; after that every FAULT_PRINT_EVERY-th */
#define FAULT_PRINT_EVERY 1024

struct dma_space {
    uint64_t *root;  /* 4-level second-level table; NULL: slot free */
    struct pd *pd;
    uint16_t did;
};

struct assignment {
    struct dma_space *space; /* NULL: slot free */
    uint16_t rid;
    struct sm *sm;           /* signalled on its DMA faults, or NULL */
    uint64_t faults;         /* since it was assigned */
    uint64_t last_fault;     /* device address of the latest, | 1 for a write */
    bool signal;             /* faults not yet signalled */
};

struct fault {
    uint16_t rid;
    bool write;
    uint8_t reason;
    uint64_t addr;
};

struct dma_device dma_all_devices = {
    .obj = {.type = DJ_OBJ_DEVICE, .refs = 1},
    .rid_first = 0,
    .rid_count = VTD_RID_COUNT,
};

/* Both tables change under the mdb lock only; assignments also under
 * fault_lock, which the fault interrupt takes (and nothing else inside). */
static struct dma_space spaces[DMA_MAX_SPACES];
static struct assignment assigned[DMA_MAX_ASSIGNED];
static struct spinlock fault_lock = SPINLOCK_INIT;
static struct fault ring[FAULT_RING];
static unsigned ring_count;
static uint64_t faults_total, faults_unprinted;
/* Storms (vtd.h): how often the fault events were masked for the rest of
 * a tick and the records overflowed; how many maskings were printed. */
static uint64_t storm_masks, storm_overflows, storm_masks_printed;
static volatile bool faults_pending;

static void *table_alloc(void *ctx)
{
    return page_source_alloc(ctx);
}

static void table_free(void *ctx, void *page)
{
    page_source_free(ctx, page);
}

static struct vtd_table_source source_of(struct pd *pd)
{
    return (struct vtd_table_source){table_alloc, table_free, &pd->pages};
}

static struct dma_space *space_of(struct pd *pd)
{
    for (unsigned i = 0; i < DMA_MAX_SPACES; i++)
        if (spaces[i].root && spaces[i].pd == pd)
            return &spaces[i];
    return NULL;
}

/* The PD's space, made if it has none: a root table and the table of
 * the first 512 GiB (where 3-level units start their walk). */
static struct dma_space *space_get(struct pd *pd)
{
    struct dma_space *s = space_of(pd);
    if (s)
        return s;
    unsigned limit = vtd_domain_limit() - 2; /* 0 unused, the last one for reserved regions (vtd.c) */
    for (unsigned i = 0; i < DMA_MAX_SPACES && i < limit; i++) {
        if (spaces[i].root)
            continue;
        uint64_t *root = page_source_alloc(&pd->pages);
        uint64_t *first = root ? page_source_alloc(&pd->pages) : NULL;
        if (!first) {
            if (root)
                page_source_free(&pd->pages, root);
            return NULL;
        }
        root[0] = virt_to_phys(first) | 3; /* readable and writable below */
        spaces[i] = (struct dma_space){root, pd, (uint16_t)(i + 1)};
        return &spaces[i];
    }
    return NULL;
}

/* The part of n that devices may reach: [*iova, *iova + *bytes). */
static bool dma_range(const struct mdb_node *n, uint64_t *iova, uint64_t *bytes)
{
    if (!vtd_active() || !(n->rights & DJ_MEM_DMA) || (n->attr & MDB_ATTR_DEVICE))
        return false;
    uint64_t limit = 1ull << vtd_dma_bits();
    *iova = n->base << PAGE_SHIFT;
    *bytes = PAGE_SIZE << n->order;
    if (*iova >= limit)
        return false;
    if (*bytes > limit - *iova)
        *bytes = limit - *iova;
    return true;
}

int dma_space_map(struct pd *pd, const struct mdb_node *n)
{
    uint64_t iova, bytes;
    if (!dma_range(n, &iova, &bytes))
        return DJ_OK;
    struct dma_space *s = space_get(pd);
    if (!s)
        return DJ_E_QUOTA;
    struct vtd_table_source src = source_of(pd);
    if (vtd_sl_map(s->root, iova, n->source_base << PAGE_SHIFT, bytes, n->rights & DJ_MEM_W, &src) != DJ_OK) {
        vtd_sl_unmap(s->root, iova, bytes);
        vtd_mark_unmapped(); /* no device was told, but a walk may have cached a part */
        return DJ_E_QUOTA;
    }
    return DJ_OK;
}

void dma_space_unmap(struct pd *pd, const struct mdb_node *n)
{
    uint64_t iova, bytes;
    struct dma_space *s;
    if (!dma_range(n, &iova, &bytes) || !(s = space_of(pd)))
        return;
    vtd_sl_unmap(s->root, iova, bytes);
    vtd_mark_unmapped();
}

/* Rights changed: fewer (a partial revoke) or more (a second delegation
 * of the same pages). Clear the range whatever the rights were, then map
 * what the node now allows. */
void dma_space_protect(struct pd *pd, const struct mdb_node *n)
{
    struct dma_space *s = vtd_active() ? space_of(pd) : NULL;
    if (s && !(n->attr & MDB_ATTR_DEVICE) && (n->base << PAGE_SHIFT) < (1ull << vtd_dma_bits())) {
        uint64_t iova = n->base << PAGE_SHIFT, bytes = PAGE_SIZE << n->order, limit = 1ull << vtd_dma_bits();
        vtd_sl_unmap(s->root, iova, bytes > limit - iova ? limit - iova : bytes);
        vtd_mark_unmapped();
    }
    if (n->rights & DJ_MEM_R)
        dma_space_map(pd, n); /* a missing table page: the device faults, the CPU mapping stands */
}

static struct assignment *assignment_of(uint16_t rid)
{
    for (unsigned i = 0; i < DMA_MAX_ASSIGNED; i++)
        if (assigned[i].space && assigned[i].rid == rid)
            return &assigned[i];
    return NULL;
}

/* Set or clear a slot (mdb lock held); the semaphore reference it held
 * is returned for the caller to drop outside the locks. */
static struct sm *set_assignment(struct assignment *a, struct dma_space *s, uint16_t rid, struct sm *sm)
{
    uint64_t f = spin_lock_irqsave(&fault_lock);
    struct sm *old = a->space ? a->sm : NULL;
    *a = (struct assignment){.space = s, .rid = rid, .sm = s ? sm : NULL};
    spin_unlock_irqrestore(&fault_lock, f);
    return old;
}

static void drop_sm(struct sm *sm)
{
    if (sm)
        kobj_put(&sm->obj);
}

int dma_device_assign(struct pd *pd, uint16_t rid, struct sm *sm)
{
    if (!vtd_active())
        return DJ_E_BAD_PARAM;
    if (sm)
        kobj_get(&sm->obj);
    uint64_t f = pd_mdb_lock();
    int st = DJ_E_QUOTA;
    struct sm *old = sm; /* not kept unless assigned */
    struct dma_space *s = pd->obj.dead ? NULL : space_get(pd);
    struct assignment *a = assignment_of(rid);
    for (unsigned i = 0; !a && i < DMA_MAX_ASSIGNED; i++)
        if (!assigned[i].space)
            a = &assigned[i];
    if (pd->obj.dead)
        st = DJ_E_ABORTED;
    else if (s && a) {
        st = vtd_context_set(rid, s->did, s->root);
        old = set_assignment(a, st == DJ_OK ? s : NULL, rid, sm);
        if (st != DJ_OK)
            drop_sm(sm);
    }
    pd_mdb_unlock(f);
    drop_sm(old);
    return st;
}

int dma_device_block(uint16_t rid)
{
    if (!vtd_active())
        return DJ_E_BAD_PARAM;
    uint64_t f = pd_mdb_lock();
    struct assignment *a = assignment_of(rid);
    struct sm *old = a ? set_assignment(a, NULL, rid, NULL) : NULL;
    int st = vtd_context_set(rid, 0, NULL);
    pd_mdb_unlock(f);
    drop_sm(old);
    return st;
}

int dma_device_faults(uint16_t rid, uint64_t *count, uint64_t *last)
{
    if (!vtd_active())
        return DJ_E_BAD_PARAM;
    uint64_t f = spin_lock_irqsave(&fault_lock);
    struct assignment *a = assignment_of(rid);
    *count = a ? a->faults : 0;
    *last = a ? a->last_fault : 0;
    spin_unlock_irqrestore(&fault_lock, f);
    return DJ_OK;
}

/* ---- faults ---- */

void dma_fault_record(uint16_t rid, uint64_t addr, bool write, unsigned reason)
{
    spin_lock(&fault_lock);
    faults_total++;
    if (ring_count < FAULT_RING)
        ring[ring_count++] = (struct fault){rid, write, (uint8_t)reason, addr};
    else
        faults_unprinted++;
    struct assignment *a = assignment_of(rid);
    if (a) {
        a->faults++;
        a->last_fault = addr | write;
        a->signal = a->sm != NULL;
    }
    spin_unlock(&fault_lock);
    faults_pending = true;
    this_cpu()->exit_work = 1; /* deliver on the way out (kernel lock) */
}

void dma_fault_storm(bool masked, bool overflowed)
{
    spin_lock(&fault_lock);
    storm_masks += masked;
    storm_overflows += overflowed;
    spin_unlock(&fault_lock);
    faults_pending = true;
    this_cpu()->exit_work = 1;
}

bool dma_fault_pending(void)
{
    return faults_pending;
}

static void print_fault(const struct fault *x, uint64_t number)
{
    if (number > FAULT_PRINT_FIRST && number % FAULT_PRINT_EVERY)
        return;
    kprintf("vtd: DMA fault %llu: device %02x:%02x.%u %s at %#llx (reason %#x): blocked\n",
            (unsigned long long)number, x->rid >> 8, (x->rid >> 3) & 0x1f, x->rid & 7, x->write ? "write" : "read",
            (unsigned long long)x->addr, x->reason);
}

/* Kernel lock held (irq_deliver_pending): print what the ring holds and
 * signal the owners' semaphores. */
void dma_fault_deliver(void)
{
    if (!faults_pending)
        return;
    faults_pending = false;
    struct fault copy[FAULT_RING];
    struct sm *wake[DMA_MAX_ASSIGNED];
    unsigned n, nwake = 0;
    uint64_t f = spin_lock_irqsave(&fault_lock);
    n = ring_count;
    for (unsigned i = 0; i < n; i++)
        copy[i] = ring[i];
    ring_count = 0;
    uint64_t last_number = faults_total - faults_unprinted, lost = faults_unprinted;
    faults_unprinted = 0;
    /* The first masking since boot, then every FAULT_PRINT_EVERY-th: at
     * most 100 maskings a second, so at most a line per ten seconds. */
    uint64_t masks = storm_masks, overflows = storm_overflows;
    bool print_storm = masks > storm_masks_printed &&
                       (storm_masks_printed == 0 || masks / FAULT_PRINT_EVERY > storm_masks_printed / FAULT_PRINT_EVERY);
    if (print_storm)
        storm_masks_printed = masks;
    for (unsigned i = 0; i < DMA_MAX_ASSIGNED; i++) {
        if (assigned[i].space && assigned[i].signal) {
            assigned[i].signal = false;
            kobj_get(&assigned[i].sm->obj);
            wake[nwake++] = assigned[i].sm;
        }
    }
    spin_unlock_irqrestore(&fault_lock, f);
    for (unsigned i = 0; i < n; i++)
        print_fault(&copy[i], last_number - n + 1 + i);
    if (lost)
        kprintf("vtd: %llu more DMA faults blocked (not printed)\n", (unsigned long long)lost);
    if (print_storm)
        kprintf("vtd: DMA fault storm: fault events masked until the next timer tick after %u a tick (%llu times so "
                "far; %llu record overflows, their faults not counted)\n",
                VTD_FAULT_EVENTS_PER_TICK, (unsigned long long)masks, (unsigned long long)overflows);
    for (unsigned i = 0; i < nwake; i++) {
        if (!wake[i]->obj.dead)
            sm_up(wake[i]);
        kobj_put(&wake[i]->obj);
    }
}

struct dma_device *dma_device_narrow(struct quota *q, uint16_t rid)
{
    struct dma_device *d = kobj_alloc(q, DJ_OBJ_DEVICE);
    if (d) {
        d->rid_first = rid;
        d->rid_count = 1;
    }
    return d;
}

void dma_space_destroy(struct pd *pd)
{
    if (!vtd_active())
        return;
    struct sm *old[DMA_MAX_ASSIGNED];
    unsigned nold = 0;
    uint64_t f = pd_mdb_lock();
    struct dma_space *s = space_of(pd);
    if (s) {
        for (unsigned i = 0; i < DMA_MAX_ASSIGNED; i++) {
            if (assigned[i].space == s) {
                vtd_context_set(assigned[i].rid, 0, NULL); /* flushes the context cache and the IOTLB */
                struct sm *sm = set_assignment(&assigned[i], NULL, assigned[i].rid, NULL);
                if (sm)
                    old[nold++] = sm;
            }
        }
        struct vtd_table_source src = source_of(pd);
        vtd_sl_free(s->root, &src);
        s->root = NULL;
        s->pd = NULL;
    }
    pd_mdb_unlock(f);
    for (unsigned i = 0; i < nold; i++)
        drop_sm(old[i]);
}
