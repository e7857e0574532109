/* SPDX-License-Identifier: GPL-2.0-only */
/* Intel VT-d remapping units: discovery from the DMAR table, one root
 * table and lazily allocated context tables shared by every unit of
 * segment 0, legacy-mode context entries pointing at second-level tables,
 * and invalidation (queued where the unit has it, register-based
 * otherwise). Every wait on the hardware has a time limit and says on the
 * console when it expired.
 *
 * Register layout and field positions: VT-d specification, chapter 10. */
#include "arch/x86_64/vtd.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/dmar.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/spinlock.h"
#include "arch/x86_64/timer.h"
#include "common/cmdline.h"
#include "common/string.h"
#include "kernel/console.h"
#include "kernel/fault_budget.h"
#include "kernel/frame_alloc.h"
#include <donjon/abi.h>

/* Registers. */
#define REG_VER 0x00
#define REG_CAP 0x08
#define REG_ECAP 0x10
#define REG_GCMD 0x18
#define REG_GSTS 0x1c
#define REG_RTADDR 0x20
#define REG_CCMD 0x28
#define REG_FSTS 0x34
#define REG_FECTL 0x38
#define REG_FEDATA 0x3c
#define REG_FEADDR 0x40
#define REG_FEUADDR 0x44
#define REG_IQH 0x80
#define REG_IQT 0x88
#define REG_IQA 0x90
#define REG_IRTA 0xb8

#define CAP_ND(c) ((unsigned)((c) & 7))
#define CAP_RWBF (1ull << 4)
#define CAP_CM (1ull << 7)
#define CAP_SAGAW(c) ((unsigned)(((c) >> 8) & 0x1f))
#define CAP_MGAW(c) ((unsigned)(((c) >> 16) & 0x3f) + 1)
#define CAP_FRO(c) ((unsigned)(((c) >> 24) & 0x3ff) * 16)
#define CAP_NFR(c) ((unsigned)(((c) >> 40) & 0xff) + 1)
#define SAGAW_39 (1u << 1) /* 3-level tables */
#define SAGAW_48 (1u << 2) /* 4-level tables */
#define ECAP_C (1ull << 0)   /* page walks snoop the CPU caches */
#define ECAP_QI (1ull << 1)
#define ECAP_IR (1ull << 3)
#define ECAP_EIM (1ull << 4)
#define ECAP_IRO(e) ((unsigned)(((e) >> 8) & 0x3ff) * 16)

#define GCMD_TE (1u << 31)
#define GCMD_SRTP (1u << 30)
#define GCMD_WBF (1u << 27)
#define GCMD_QIE (1u << 26)
#define GCMD_IRE (1u << 25)
#define GCMD_SIRTP (1u << 24)
#define GSTS_CFIS (1u << 23) /* compatibility-format interrupts pass: never set here */
#define IRTA_EIME (1ull << 11)
#define IRTA_SIZE_256 7ull   /* 2^(7+1) entries */
/* Interrupt remapping table entries (128 bits). */
#define IRTE_PRESENT (1ull << 0)
#define IRTE_FPD (1ull << 1)
#define IRTE_TM_LEVEL (1ull << 4)
#define IRTE_VECTOR_SHIFT 16
#define IRTE_DEST_SHIFT 32
#define IRTE_XAPIC_DEST_SHIFT 8 /* xAPIC mode: the id in bits 15:8 of the destination field */
#define IRTE_SVT_FULL_SID (1ull << 18) /* hi: verify the requester id, all 16 bits */
/* Remappable-format MSI address and IOAPIC entry. */
#define MSI_REMAP_FORMAT (1u << 4)
#define MSI_REMAP_HANDLE_SHIFT 5
#define MSI_REMAP_HANDLE15 (1u << 2)
#define RTE_REMAP_FORMAT (1ull << 48)
#define RTE_REMAP_HANDLE_SHIFT 49
#define RTE_REMAP_HANDLE15 (1ull << 11)
#define RTE_LEVEL (1ull << 15)
#define RTE_ACTIVE_LOW (1ull << 13)
#define RTE_MASKED (1ull << 16)
#define QI_IEC_GLOBAL 0x4ull
#define GSTS_ONE_SHOT ((1u << 30) | (1u << 29) | (1u << 27) | (1u << 24)) /* RTPS FLS WBFS IRTPS */

#define CCMD_ICC (1ull << 63)
#define CCMD_GLOBAL (1ull << 61)
#define IOTLB_IVT (1ull << 63)
#define IOTLB_GLOBAL (1ull << 60)
#define IOTLB_DRAIN (3ull << 48) /* drain reads and writes */
#define FECTL_IM (1u << 31)
#define FSTS_PFO (1u << 0)
#define FSTS_PPF (1u << 1)
#define FSTS_IQE (1u << 4)
#define FSTS_FRI(s) (((s) >> 8) & 0xff)
#define FSTS_CLEAR (FSTS_PFO | (1u << 2) | (1u << 3)) /* PFO, AFO, APF: write 1 to clear */
#define FRCD_BYTES 16
#define FRCD_HI 8
#define FRCD_F (1ull << 63)        /* the record holds a fault */
#define FRCD_T (1ull << 62)        /* 1: a read request, 0: a write */
#define FRCD_REASON(h) ((unsigned)((h) >> 32) & 0xff)
#define FRCD_SID(h) ((uint16_t)(h))
#define FRCD_CLEAR_DWORD 12        /* the dword with F at its bit 31 */
#define MSI_ADDRESS_BASE 0xfee00000u
#define MSI_DEST_SHIFT 12

/* Queued invalidation descriptors (128-bit form). */
#define QI_CC_GLOBAL (0x1ull | 1ull << 4)
#define QI_IOTLB_GLOBAL (0x2ull | 1ull << 4 | 3ull << 6)
#define QI_WAIT (0x5ull | 1ull << 5) /* status write */
#define QI_ENTRIES 256
#define QI_DESC_WORDS 2
#define QI_DONE 1u

/* Root and context entries (legacy mode). */
#define ENTRY_PRESENT 1ull
#define CTX_AW_39 1ull
#define CTX_AW_48 2ull
#define CTX_DID_SHIFT 8
#define ADDR_MASK 0x000ffffffffff000ull

/* Second-level entries. */
#define SL_R (1ull << 0)
#define SL_W (1ull << 1)
#define SL_LEVELS 4
#define SL_ENTRIES 512

#define WAIT_LIMIT_US 100000
#define SEGMENT_0 0

struct vtd_unit {
    volatile uint8_t *regs;
    uint64_t phys, cap, ecap;
    bool qi;
    uint64_t *queue;
    unsigned tail;
};

static struct dmar_info dmar;
static struct vtd_unit units[DMAR_MAX_UNITS];
static unsigned unit_count;
static bool active;
static bool coherent = true;   /* every unit's page walks snoop */
static unsigned dma_bits;
static unsigned domain_limit;
static uint64_t *root_table;
static struct spinlock lock = SPINLOCK_INIT;
static volatile uint32_t qi_status;
static bool unmapped_pending;
static uint64_t *irt;        /* interrupt remapping table; NULL: not in use */
static bool ir_active, ir_x2apic;

bool vtd_active(void) { return active; }
unsigned vtd_dma_bits(void) { return active ? dma_bits : 0; }
unsigned vtd_domain_limit(void) { return domain_limit; }

static uint32_t rd32(const struct vtd_unit *u, unsigned off) { return *(volatile uint32_t *)(u->regs + off); }
static uint64_t rd64(const struct vtd_unit *u, unsigned off) { return *(volatile uint64_t *)(u->regs + off); }
static void wr32(struct vtd_unit *u, unsigned off, uint32_t v) { *(volatile uint32_t *)(u->regs + off) = v; }
static void wr64(struct vtd_unit *u, unsigned off, uint64_t v) { *(volatile uint64_t *)(u->regs + off) = v; }

/* Table entries the hardware reads: flushed from the cache when the unit
 * does not snoop. */
static void table_write(uint64_t *e, uint64_t v)
{
    *(volatile uint64_t *)e = v;
    if (!coherent)
        __asm__ volatile("clflush %0" : "+m"(*e));
}

static bool wait_reg64_clear(struct vtd_unit *u, unsigned off, uint64_t bit, const char *what)
{
    for (unsigned us = 0; us < WAIT_LIMIT_US; us++) {
        if (!(rd64(u, off) & bit))
            return true;
        timer_udelay(1);
    }
    kprintf("vtd: unit %#llx: %s did not complete\n", (unsigned long long)u->phys, what);
    return false;
}

static bool wait_status(struct vtd_unit *u, uint32_t bit, bool set, const char *what)
{
    for (unsigned us = 0; us < WAIT_LIMIT_US; us++) {
        if (!!(rd32(u, REG_GSTS) & bit) == set)
            return true;
        timer_udelay(1);
    }
    kprintf("vtd: unit %#llx: %s did not take effect\n", (unsigned long long)u->phys, what);
    return false;
}

/* Set one global command, keeping the persistent ones the unit has on. */
static bool global_command(struct vtd_unit *u, uint32_t cmd, const char *what)
{
    uint32_t keep = rd32(u, REG_GSTS) & ~GSTS_ONE_SHOT;
    wr32(u, REG_GCMD, keep | cmd);
    return wait_status(u, cmd, true, what);
}

/* ---- invalidation ---- */

static bool qi_submit(struct vtd_unit *u, uint64_t lo, uint64_t hi)
{
    qi_status = 0;
    uint64_t wait_lo = QI_WAIT | (uint64_t)QI_DONE << 32, wait_hi = virt_to_phys((const void *)&qi_status);
    uint64_t *d = u->queue + u->tail * QI_DESC_WORDS;
    d[0] = lo;
    d[1] = hi;
    unsigned next = (u->tail + 1) % QI_ENTRIES;
    d = u->queue + next * QI_DESC_WORDS;
    d[0] = wait_lo;
    d[1] = wait_hi;
    u->tail = (next + 1) % QI_ENTRIES;
    __asm__ volatile("mfence" ::: "memory");
    wr64(u, REG_IQT, (uint64_t)u->tail << 4);
    for (unsigned us = 0; us < WAIT_LIMIT_US; us++) {
        if (__atomic_load_n(&qi_status, __ATOMIC_ACQUIRE) == QI_DONE)
            return true;
        if (rd32(u, REG_FSTS) & FSTS_IQE) {
            kprintf("vtd: unit %#llx refused an invalidation descriptor\n", (unsigned long long)u->phys);
            wr32(u, REG_FSTS, FSTS_IQE);
            return false;
        }
        timer_udelay(1);
    }
    kprintf("vtd: unit %#llx: queued invalidation did not complete\n", (unsigned long long)u->phys);
    return false;
}

static void flush_context_cache(struct vtd_unit *u)
{
    if (u->qi) {
        qi_submit(u, QI_CC_GLOBAL, 0);
        return;
    }
    wr64(u, REG_CCMD, CCMD_ICC | CCMD_GLOBAL);
    wait_reg64_clear(u, REG_CCMD, CCMD_ICC, "context-cache invalidation");
}

static void flush_iotlb(struct vtd_unit *u)
{
    if (u->qi) {
        qi_submit(u, QI_IOTLB_GLOBAL, 0);
        return;
    }
    unsigned reg = ECAP_IRO(u->ecap) + 8;
    wr64(u, reg, IOTLB_IVT | IOTLB_GLOBAL | IOTLB_DRAIN);
    wait_reg64_clear(u, reg, IOTLB_IVT, "IOTLB invalidation");
}

static void flush_all_locked(bool context)
{
    for (unsigned i = 0; i < unit_count; i++) {
        if (units[i].cap & CAP_RWBF)
            global_command(&units[i], GCMD_WBF, "write-buffer flush");
        if (context)
            flush_context_cache(&units[i]);
        flush_iotlb(&units[i]);
    }
}

void vtd_mark_unmapped(void)
{
    __atomic_store_n(&unmapped_pending, true, __ATOMIC_RELEASE);
}

/* Checked and cleared under the lock and the flush done under it too: a
 * caller that finds nothing pending knows an earlier flush has finished. */
void vtd_flush_pending(void)
{
    if (!active)
        return;
    uint64_t f = spin_lock_irqsave(&lock);
    if (__atomic_exchange_n(&unmapped_pending, false, __ATOMIC_ACQ_REL))
        flush_all_locked(false);
    spin_unlock_irqrestore(&lock, f);
}

/* ---- fault recording ---- */

/* Fault events: the budget of the current timer tick (vtd.h), on the CPU
 * the events go to. */
static struct fault_budget fault_events = {.limit = VTD_FAULT_EVENTS_PER_TICK};
static uint32_t fault_cpu_apic_id;

static void set_fault_mask(bool masked)
{
    for (unsigned i = 0; i < unit_count; i++)
        wr32(&units[i], REG_FECTL, masked ? FECTL_IM : 0);
}

/* Interrupt context: drain every unit's fault records. Each record is
 * cleared as it is read, so a storm costs at most the unit's record count
 * per interrupt, and the unit's overflow bit is cleared too. Past the
 * tick's budget the fault events are masked until the next tick. */
static void fault_interrupt(struct trap_frame *f)
{
    (void)f;
    bool overflowed = false;
    for (unsigned i = 0; i < unit_count; i++) {
        struct vtd_unit *u = &units[i];
        uint32_t fsts = rd32(u, REG_FSTS);
        unsigned n = CAP_NFR(u->cap), at = FSTS_FRI(fsts);
        for (unsigned k = 0; k < n && (fsts & FSTS_PPF); k++, at = (at + 1) % n) {
            unsigned off = CAP_FRO(u->cap) + at * FRCD_BYTES;
            uint64_t hi = rd64(u, off + FRCD_HI);
            if (!(hi & FRCD_F))
                break;
            uint64_t lo = rd64(u, off);
            wr32(u, off + FRCD_CLEAR_DWORD, 1u << 31);
            dma_fault_record(FRCD_SID(hi), lo & ADDR_MASK, !(hi & FRCD_T), FRCD_REASON(hi));
        }
        overflowed |= (fsts & FSTS_PFO) != 0;
        wr32(u, REG_FSTS, fsts & FSTS_CLEAR);
    }
    bool masked = fault_budget_event(&fault_events);
    if (masked)
        set_fault_mask(true);
    if (masked || overflowed)
        dma_fault_storm(masked, overflowed);
    lapic_eoi();
}

void vtd_fault_tick(void)
{
    if (!active || this_cpu()->apic_id != fault_cpu_apic_id)
        return;
    if (fault_budget_tick(&fault_events))
        set_fault_mask(false);
}

static void enable_fault_events(struct vtd_unit *u)
{
    fault_cpu_apic_id = this_cpu()->apic_id;
    wr32(u, REG_FEDATA, VEC_VTD_FAULT);
    wr32(u, REG_FEADDR, MSI_ADDRESS_BASE | fault_cpu_apic_id << MSI_DEST_SHIFT);
    wr32(u, REG_FEUADDR, 0);
    wr32(u, REG_FECTL, 0);
}

/* ---- interrupt remapping ---- */

bool vtd_ir_active(void) { return ir_active; }

static void ir_flush_locked(void)
{
    for (unsigned i = 0; i < unit_count; i++)
        qi_submit(&units[i], QI_IEC_GLOBAL, 0);
}

/* The entry changes while not present, then becomes present whole. */
static void irte_write(unsigned index, uint64_t lo, uint64_t hi)
{
    uint64_t f = spin_lock_irqsave(&lock);
    table_write(&irt[2 * index], 0);
    ir_flush_locked();
    table_write(&irt[2 * index + 1], hi);
    table_write(&irt[2 * index], lo);
    ir_flush_locked();
    spin_unlock_irqrestore(&lock, f);
}

static uint64_t irte_dest(uint32_t apic_id)
{
    return (uint64_t)(ir_x2apic ? apic_id : (apic_id & 0xff) << IRTE_XAPIC_DEST_SHIFT) << IRTE_DEST_SHIFT;
}

void vtd_ir_msi(unsigned index, uint8_t vector, uint32_t apic_id, int sid, uint64_t *addr, uint64_t *data)
{
    uint64_t lo = IRTE_PRESENT | (uint64_t)vector << IRTE_VECTOR_SHIFT | irte_dest(apic_id);
    uint64_t hi = sid >= 0 ? IRTE_SVT_FULL_SID | (uint16_t)sid : 0;
    irte_write(index, lo, hi);
    *addr = MSI_ADDRESS_BASE | MSI_REMAP_FORMAT | (index & 0x7fff) << MSI_REMAP_HANDLE_SHIFT |
            ((index >> 15) ? MSI_REMAP_HANDLE15 : 0);
    *data = 0;
}

/* The IOAPIC's requester id from its DMAR scope, or -1. */
static int ioapic_sid(uint8_t ioapic_id)
{
    for (unsigned i = 0; i < dmar.scope_count; i++)
        if (dmar.scopes[i].type == DMAR_SCOPE_IOAPIC && dmar.scopes[i].enum_id == ioapic_id)
            return dmar_scope_rid(&dmar.scopes[i]);
    return -1;
}

uint64_t vtd_ir_ioapic(unsigned index, uint8_t vector, uint32_t apic_id, bool level, bool active_low,
                       uint8_t ioapic_id)
{
    int sid = ioapic_sid(ioapic_id);
    uint64_t lo = IRTE_PRESENT | (uint64_t)vector << IRTE_VECTOR_SHIFT | irte_dest(apic_id) |
                  (level ? IRTE_TM_LEVEL : 0);
    irte_write(index, lo, sid >= 0 ? IRTE_SVT_FULL_SID | (uint16_t)sid : 0);
    return RTE_REMAP_FORMAT | (uint64_t)(index & 0x7fff) << RTE_REMAP_HANDLE_SHIFT |
           ((index >> 15) ? RTE_REMAP_HANDLE15 : 0) | vector | (level ? RTE_LEVEL : 0) |
           (active_low ? RTE_ACTIVE_LOW : 0) | RTE_MASKED;
}

void vtd_ir_clear(unsigned index)
{
    if (ir_active && index < VTD_IRTE_COUNT)
        irte_write(index, 0, 0);
}

/* Every unit with queued invalidation and interrupt remapping, or none. */
static void enable_interrupt_remapping(void)
{
    bool eim = true;
    for (unsigned i = 0; i < unit_count; i++) {
        if (!units[i].qi || !(units[i].ecap & ECAP_IR)) {
            kprintf("vtd: interrupt remapping off: a unit lacks it or queued invalidation; "
                    "any device can send any interrupt vector\n");
            return;
        }
        eim = eim && (units[i].ecap & ECAP_EIM);
    }
    if (lapic_is_x2apic() && !eim) {
        kprintf("vtd: interrupt remapping off: x2APIC without extended interrupt mode\n");
        return;
    }
    uint64_t pa = frame_alloc();
    if (!pa)
        return;
    irt = phys_to_virt(pa);
    ir_x2apic = lapic_is_x2apic();
    for (unsigned i = 0; i < unit_count; i++) {
        struct vtd_unit *u = &units[i];
        wr64(u, REG_IRTA, pa | IRTA_SIZE_256 | (ir_x2apic ? IRTA_EIME : 0));
        if (!global_command(u, GCMD_SIRTP, "interrupt remapping table pointer"))
            return;
        qi_submit(u, QI_IEC_GLOBAL, 0);
        if (!global_command(u, GCMD_IRE, "interrupt remapping enable"))
            return;
        if (rd32(u, REG_GSTS) & GSTS_CFIS)
            kprintf("vtd: unit %#llx lets compatibility-format interrupts pass\n", (unsigned long long)u->phys);
    }
    ir_active = true;
    kprintf("vtd: interrupt remapping on (%s): compatibility-format interrupts blocked\n",
            ir_x2apic ? "x2APIC" : "xAPIC");
}

/* ---- second-level tables ---- */

static unsigned sl_index(uint64_t iova, unsigned level)
{
    return (unsigned)(iova >> (12 + 9 * (level - 1))) & (SL_ENTRIES - 1);
}

static uint64_t *sl_table(uint64_t e)
{
    return phys_to_virt(e & ADDR_MASK);
}

/* The leaf entry for iova, creating tables on the way when src is given. */
static uint64_t *sl_leaf(uint64_t *root, uint64_t iova, const struct vtd_table_source *src)
{
    uint64_t *t = root;
    for (unsigned level = SL_LEVELS; level > 1; level--) {
        uint64_t *e = &t[sl_index(iova, level)];
        if (!(*e & (SL_R | SL_W))) {
            if (!src)
                return NULL;
            void *page = src->alloc(src->ctx);
            if (!page)
                return NULL;
            table_write(e, virt_to_phys(page) | SL_R | SL_W);
        }
        t = sl_table(*e);
    }
    return &t[sl_index(iova, 1)];
}

int vtd_sl_map(uint64_t *root, uint64_t iova, uint64_t pa, uint64_t bytes, bool write,
               const struct vtd_table_source *src)
{
    for (uint64_t off = 0; off < bytes; off += PAGE_SIZE) {
        uint64_t *e = sl_leaf(root, iova + off, src);
        if (!e)
            return DJ_E_QUOTA;
        table_write(e, ((pa + off) & ADDR_MASK) | SL_R | (write ? SL_W : 0));
    }
    return DJ_OK;
}

void vtd_sl_unmap(uint64_t *root, uint64_t iova, uint64_t bytes)
{
    uint64_t end = iova + bytes;
    for (uint64_t a = iova; a < end;) {
        uint64_t *e = sl_leaf(root, a, NULL);
        if (e) {
            table_write(e, 0);
            a += PAGE_SIZE;
        } else {
            a = (a + (1ull << 21)) & ~((1ull << 21) - 1); /* no leaf table here: skip its span */
        }
    }
}

static void sl_free_level(uint64_t *t, unsigned level, const struct vtd_table_source *src)
{
    if (level > 1)
        for (unsigned i = 0; i < SL_ENTRIES; i++)
            if (t[i] & (SL_R | SL_W))
                sl_free_level(sl_table(t[i]), level - 1, src);
    src->free(src->ctx, t);
}

void vtd_sl_free(uint64_t *root, const struct vtd_table_source *src)
{
    sl_free_level(root, SL_LEVELS, src);
}

/* ---- context entries ---- */

static uint64_t *context_table(unsigned bus, bool create)
{
    uint64_t *re = &root_table[bus * 2];
    if (!(*re & ENTRY_PRESENT)) {
        if (!create)
            return NULL;
        uint64_t pa = frame_alloc();
        if (!pa)
            return NULL;
        table_write(re, pa | ENTRY_PRESENT);
    }
    return phys_to_virt(*re & ADDR_MASK);
}

int vtd_context_set(uint16_t rid, uint16_t did, uint64_t *root)
{
    if (!active)
        return DJ_E_BAD_PARAM;
    uint64_t f = spin_lock_irqsave(&lock);
    uint64_t *ct = context_table(rid >> 8, root != NULL);
    int st = DJ_OK;
    if (!ct) {
        st = root ? DJ_E_QUOTA : DJ_OK;
    } else {
        uint64_t *ce = &ct[(rid & 0xff) * 2];
        table_write(ce, 0); /* not present while it changes */
        if (root) {
            /* 3-level units walk from the table of the first 512 GiB. */
            uint64_t tables = dma_bits == 48 ? virt_to_phys(root) : (root[0] & ADDR_MASK);
            table_write(ce + 1, (dma_bits == 48 ? CTX_AW_48 : CTX_AW_39) | (uint64_t)did << CTX_DID_SHIFT);
            table_write(ce, tables | ENTRY_PRESENT);
        }
        flush_all_locked(true);
    }
    spin_unlock_irqrestore(&lock, f);
    return st;
}

/* ---- discovery ---- */

static void vtd_warn(const char *msg)
{
    kprintf("warning: %s\n", msg);
}

static void say_trusted(const char *why)
{
    kprintf("vtd: %s: no DMA remapping; device drivers are trusted (any device can write anywhere in RAM)\n", why);
}

static const uint8_t *map_dmar(void)
{
    uint64_t phys = acpi.dmar_phys, len = acpi.dmar_len;
    if (phys + len <= (4ull << 30))
        return phys_to_virt(phys);
    return ioremap(phys, len, CACHE_WB);
}

static bool probe_unit(struct vtd_unit *u, const struct dmar_unit *d)
{
    u->phys = d->reg_base;
    u->regs = ioremap(d->reg_base, PAGE_SIZE << d->reg_pages_order, CACHE_UC);
    if (!u->regs) {
        kprintf("vtd: cannot map the unit at %#llx\n", (unsigned long long)d->reg_base);
        return false;
    }
    uint32_t ver = rd32(u, REG_VER);
    u->cap = rd64(u, REG_CAP);
    u->ecap = rd64(u, REG_ECAP);
    if (u->cap == ~0ull || u->cap == 0) {
        kprintf("vtd: unit at %#llx does not answer (capability %#llx)\n", (unsigned long long)u->phys,
                (unsigned long long)u->cap);
        return false;
    }
    kprintf("vtd: unit %#llx version %u.%u, segment %u%s, %u scope%s, domains %u, widths%s%s, "
            "fault records %u, %s invalidation, interrupt remapping %s%s\n",
            (unsigned long long)u->phys, (ver >> 4) & 0xf, ver & 0xf, d->segment,
            d->include_all ? ", every device" : "", d->scope_count, d->scope_count == 1 ? "" : "s",
            1u << (4 + 2 * CAP_ND(u->cap)), CAP_SAGAW(u->cap) & SAGAW_39 ? " 39" : "",
            CAP_SAGAW(u->cap) & SAGAW_48 ? " 48" : "", CAP_NFR(u->cap), u->ecap & ECAP_QI ? "queued" : "register",
            u->ecap & ECAP_IR ? "yes" : "no", u->cap & CAP_CM ? ", caching mode" : "");
    return true;
}

static void print_scopes(void)
{
    static const char *const kinds[] = {"?", "device", "bridge", "IOAPIC", "HPET", "ACPI device"};
    for (unsigned i = 0; i < dmar.scope_count; i++) {
        const struct dmar_scope *s = &dmar.scopes[i];
        kprintf("vtd: scope %s id %u at %02x:%02x.%u%s\n", kinds[s->type], s->enum_id, s->start_bus,
                s->path[0] >> 3, s->path[0] & 7, s->path_len > 1 ? " (behind bridges)" : "");
    }
}

/* ---- reserved regions (RMRR) ----
 * Firmware asks that the listed devices keep reaching these regions
 * (USB legacy emulation, graphics stolen memory). They get one kernel
 * domain with the regions mapped at their own addresses until a driver
 * assigns them. A region that meets RAM the kernel hands out is refused:
 * a device writing there would write into some PD's pages. */
static void *rmrr_table_alloc(void *ctx)
{
    (void)ctx;
    uint64_t pa = frame_alloc();
    return pa ? phys_to_virt(pa) : NULL;
}

static void rmrr_table_free(void *ctx, void *page)
{
    (void)ctx;
    frame_free(virt_to_phys(page));
}

/* A root table with the table of the first 512 GiB (3-level units). */
static uint64_t *rmrr_root(void)
{
    uint64_t *root = rmrr_table_alloc(NULL), *first = root ? rmrr_table_alloc(NULL) : NULL;
    if (!first) {
        if (root)
            rmrr_table_free(NULL, root);
        return NULL;
    }
    root[0] = virt_to_phys(first) | SL_R | SL_W;
    return root;
}

static bool meets_usable_ram(const struct boot_info *bi, uint64_t base, uint64_t end)
{
    for (unsigned i = 0; i < bi->mem_count; i++) {
        const struct mem_region *r = &bi->mem[i];
        if (r->type == MEM_USABLE && base < r->base + r->len && r->base < end)
            return true;
    }
    return false;
}

static void map_reserved_regions(const struct boot_info *bi)
{
    static const struct vtd_table_source src = {rmrr_table_alloc, rmrr_table_free, NULL};
    uint64_t *root = NULL;
    for (unsigned i = 0; i < dmar.rmrr_count; i++) {
        const struct dmar_rmrr *r = &dmar.rmrrs[i];
        const char *refused = NULL;
        if (r->segment != SEGMENT_0 || r->end > (1ull << dma_bits))
            refused = "outside segment 0 or the device address width";
        else if (meets_usable_ram(bi, r->base, r->end))
            refused = "it meets usable RAM";
        else if (!root && !(root = rmrr_root()))
            refused = "no memory for its tables";
        else if (vtd_sl_map(root, r->base, r->base, r->end - r->base, true, &src) != DJ_OK)
            refused = "no memory for its tables";
        if (refused) {
            kprintf("vtd: reserved region %#llx-%#llx refused (%s): its devices stay blocked\n",
                    (unsigned long long)r->base, (unsigned long long)r->end - 1, refused);
            continue;
        }
        for (unsigned k = 0; k < r->scope_count; k++) {
            int rid = dmar_scope_rid(&dmar.scopes[r->scope_first + k]);
            if (rid >= 0 && vtd_context_set((uint16_t)rid, (uint16_t)(domain_limit - 1), root) == DJ_OK)
                kprintf("vtd: reserved region %#llx-%#llx mapped for %02x:%02x.%u until it is assigned\n",
                        (unsigned long long)r->base, (unsigned long long)r->end - 1, rid >> 8, (rid >> 3) & 0x1f,
                        rid & 7);
        }
    }
}

/* Widths and domain count every unit supports; false when they share none. */
static bool choose_format(void)
{
    unsigned sagaw = SAGAW_39 | SAGAW_48;
    domain_limit = 1u << 16;
    for (unsigned i = 0; i < unit_count; i++) {
        sagaw &= CAP_SAGAW(units[i].cap);
        unsigned nd = 1u << (4 + 2 * CAP_ND(units[i].cap));
        if (nd < domain_limit)
            domain_limit = nd;
        if (!(units[i].ecap & ECAP_C))
            coherent = false;
    }
    dma_bits = (sagaw & SAGAW_48) ? 48 : (sagaw & SAGAW_39) ? 39 : 0;
    return dma_bits != 0;
}

static bool start_queue(struct vtd_unit *u)
{
    uint64_t pa = frame_alloc();
    if (!pa)
        return false;
    u->queue = phys_to_virt(pa);
    u->tail = 0;
    wr64(u, REG_IQT, 0);
    wr64(u, REG_IQA, pa); /* 128-bit descriptors, 256 of them: one page */
    if (!global_command(u, GCMD_QIE, "queued invalidation"))
        return false;
    u->qi = true;
    return true;
}

static bool enable_unit(struct vtd_unit *u)
{
    wr32(u, REG_FECTL, FECTL_IM); /* no fault events until the handler is in place */
    if ((u->ecap & ECAP_QI) && !start_queue(u))
        kprintf("vtd: unit %#llx: queued invalidation unavailable; register-based\n", (unsigned long long)u->phys);
    wr64(u, REG_RTADDR, virt_to_phys(root_table));
    if (!global_command(u, GCMD_SRTP, "root table pointer"))
        return false;
    flush_context_cache(u);
    flush_iotlb(u);
    if (!global_command(u, GCMD_TE, "translation enable"))
        return false;
    enable_fault_events(u);
    return true;
}

void vtd_init(const struct boot_info *bi)
{
    if (!acpi.dmar_phys) {
        say_trusted("no DMAR table");
        return;
    }
    if (!dmar_parse(map_dmar(), acpi.dmar_len, &dmar, vtd_warn)) {
        say_trusted("the DMAR table is unusable");
        return;
    }
    kprintf("vtd: DMAR: %u remapping unit%s, %u reserved region%s, host address width %u%s\n", dmar.unit_count,
            dmar.unit_count == 1 ? "" : "s", dmar.rmrr_count, dmar.rmrr_count == 1 ? "" : "s", dmar.addr_bits,
            dmar.intr_remap ? ", interrupt remapping" : "");
    for (unsigned i = 0; i < dmar.unit_count; i++) {
        if (dmar.units[i].segment != SEGMENT_0) {
            kprintf("vtd: unit for PCI segment %u: only segment 0 is supported\n", dmar.units[i].segment);
            say_trusted("unsupported PCI segment");
            return;
        }
        if (!probe_unit(&units[unit_count], &dmar.units[i])) {
            say_trusted("a remapping unit is unusable");
            return;
        }
        unit_count++;
    }
    print_scopes();
    char opt[8];
    if (cmdline_value(bi->cmdline, "iommu", opt, sizeof(opt)) && strcmp(opt, "off") == 0) {
        say_trusted("iommu=off on the command line");
        return;
    }
    if (!choose_format()) {
        say_trusted("the units share no second-level table format");
        return;
    }
    uint64_t rt = frame_alloc();
    if (!rt) {
        say_trusted("no memory for the root table");
        return;
    }
    root_table = phys_to_virt(rt);
    irq_register(VEC_VTD_FAULT, fault_interrupt);
    for (unsigned i = 0; i < unit_count; i++) {
        if (!enable_unit(&units[i])) {
            for (unsigned j = 0; j <= i; j++) /* all or none: no unit left blocking */
                wr32(&units[j], REG_GCMD, rd32(&units[j], REG_GSTS) & ~(GSTS_ONE_SHOT | GCMD_TE));
            say_trusted("a unit did not enable translation");
            return;
        }
    }
    active = true;
    map_reserved_regions(bi);
    bool ir_off = cmdline_value(bi->cmdline, "intremap", opt, sizeof(opt)) && strcmp(opt, "off") == 0;
    if (dmar.intr_remap && !ir_off)
        enable_interrupt_remapping();
    else
        kprintf("vtd: interrupt remapping off (%s)\n", ir_off ? "intremap=off" : "not in the DMAR table");
    kprintf("vtd: DMA remapping on: %u-bit device addresses, %u domains; every device is blocked until assigned\n",
            dma_bits, domain_limit);
}
