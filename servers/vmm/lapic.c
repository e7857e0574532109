/* SPDX-License-Identifier: GPL-2.0-only */
/* Local APIC model: see lapic.h. Registers are numbered as x2APIC MSRs
 * minus 0x800, which is also the xAPIC page offset divided by 16. */
#include "lapic.h"
#include <stddef.h>
#include "common/string.h"

/* Register numbers (MSR - 0x800, MMIO offset >> 4). */
enum {
    REG_ID = 0x02, REG_VERSION = 0x03, REG_TPR = 0x08, REG_APR = 0x09, REG_PPR = 0x0a,
    REG_EOI = 0x0b, REG_RRD = 0x0c, REG_LDR = 0x0d, REG_DFR = 0x0e, REG_SVR = 0x0f,
    REG_ISR0 = 0x10, REG_TMR0 = 0x18, REG_IRR0 = 0x20, REG_ESR = 0x28,
    REG_ICR = 0x30, REG_ICR_HIGH = 0x31, REG_LVT0 = 0x32, REG_LVT_LAST = 0x37,
    REG_INITIAL_COUNT = 0x38, REG_CURRENT_COUNT = 0x39, REG_DIVIDE = 0x3e, REG_SELF_IPI = 0x3f,
};
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN (1u << 11)
#define APIC_BASE_FLAGS (APIC_BASE_BSP | APIC_BASE_EXTD | APIC_BASE_EN)

/* Version 0x14 (integrated APIC), LVT entries 0-5, no directed EOI. */
#define LAPIC_VERSION (0x14u | ((LVT_COUNT - 1u) << 16))

#define SVR_ENABLE (1u << 8)
#define SVR_WRITABLE 0x3ffu /* vector, enable, focus check */
#define SVR_RESET 0xffu
#define DFR_FLAT 0xfu
#define DFR_RESET 0xffffffffu
#define XAPIC_ID_SHIFT 24

#define LVT_MASKED (1u << 16)
#define LVT_TIMER_MODE_SHIFT 17
#define LVT_TIMER_MODE_MASK (3u << LVT_TIMER_MODE_SHIFT)
enum { TIMER_ONESHOT, TIMER_PERIODIC, TIMER_TSC_DEADLINE, TIMER_RESERVED };
/* Writable bits per LVT: vector, delivery mode, polarity, trigger, mask,
 * timer mode; delivery status and remote IRR are read-only. */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x000100ffu | LVT_TIMER_MODE_MASK,
    [LVT_THERMAL] = 0x000107ffu,
    [LVT_PERF] = 0x000107ffu,
    [LVT_LINT0] = 0x0001a7ffu,
    [LVT_LINT1] = 0x0001a7ffu,
    [LVT_ERROR] = 0x000100ffu,
};

/* ESR bits. */
#define ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define ESR_ILLEGAL_REGISTER (1u << 7)

/* ICR fields. */
#define ICR_VECTOR_MASK 0xffu
#define ICR_MODE_SHIFT 8
#define ICR_LOGICAL (1u << 11)
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_SHORTHAND_SHIFT 18
#define ICR_WRITABLE_LOW 0x000ccfffu /* no delivery status, no reserved bits */
enum { SHORTHAND_NONE, SHORTHAND_SELF, SHORTHAND_ALL, SHORTHAND_OTHERS };

#define DIVIDE_WRITABLE 0xbu
#define TPR_MASK 0xffu
#define PRIORITY_CLASS 0xf0u

/* MSI address and data. */
#define MSI_ADDRESS_WINDOW 0xfeeu
#define MSI_ADDRESS_WINDOW_SHIFT 20
#define MSI_DEST_SHIFT 12
#define MSI_LOGICAL (1u << 2)

static struct lapic_set *platform;

/* ---- small helpers --------------------------------------------------- */

static bool hw_enabled(const struct lapic *l)
{
    return l->apic_base & APIC_BASE_EN;
}

static bool x2apic(const struct lapic *l)
{
    return (l->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

static bool sw_enabled(const struct lapic *l)
{
    return hw_enabled(l) && (l->svr & SVR_ENABLE);
}

static uint64_t now(const struct lapic *l)
{
    const struct lapic_ops *o = &l->set->ops;
    return o->now ? o->now(o->ctx) : 0;
}

/* Calls the VMM's callback fn when it has one (tests leave some out). */
#define NOTIFY(l, fn, ...) \
    ((l)->set->ops.fn ? (l)->set->ops.fn((l)->set->ops.ctx, __VA_ARGS__) : (void)0)

static bool test_bit(const uint32_t *set, unsigned vec)
{
    return set[vec / 32] & (1u << (vec % 32));
}

static void set_bit(uint32_t *set, unsigned vec, bool on)
{
    if (on)
        set[vec / 32] |= 1u << (vec % 32);
    else
        set[vec / 32] &= ~(1u << (vec % 32));
}

/* Highest vector in a 256-bit set, or -1. */
static int highest(const uint32_t *set)
{
    for (int i = 7; i >= 0; i--)
        if (set[i])
            return i * 32 + 31 - __builtin_clz(set[i]);
    return -1;
}

static uint32_t x2apic_ldr(uint32_t id)
{
    return ((id >> 4) << 16) | (1u << (id & 0xf));
}

static uint32_t ppr(const struct lapic *l)
{
    int isrv = highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & PRIORITY_CLASS;
    return (l->tpr & PRIORITY_CLASS) >= isr_class ? l->tpr : isr_class;
}

/* ---- interrupt acceptance --------------------------------------------- */

static void fixed_interrupt(struct lapic *l, unsigned vec, bool level);

/* Errors latch into esr_pending and raise the error LVT; a guest write
 * to the ESR makes them visible. */
static void error(struct lapic *l, uint32_t bits)
{
    bool fresh = (l->esr_pending & bits) != bits;
    l->esr_pending |= bits;
    uint32_t lvt = l->lvt[LVT_ERROR];
    unsigned vec = lvt & ICR_VECTOR_MASK;
    if (fresh && !(lvt & LVT_MASKED) && vec >= APIC_FIRST_VALID_VECTOR)
        fixed_interrupt(l, vec, false);
}

/* A fixed interrupt reached this LAPIC: queue it in the IRR. */
static void fixed_interrupt(struct lapic *l, unsigned vec, bool level)
{
    if (!sw_enabled(l))
        return;
    if (vec < APIC_FIRST_VALID_VECTOR) {
        error(l, ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    set_bit(l->irr, vec, true);
    set_bit(l->tmr, vec, level);
    NOTIFY(l, kick, l->index);
}

int lapic_pending_vector(const struct lapic *l)
{
    if (!hw_enabled(l))
        return -1;
    int vec = highest(l->irr);
    if (vec < 0 || ((uint32_t)vec & PRIORITY_CLASS) <= (ppr(l) & PRIORITY_CLASS))
        return -1;
    return vec;
}

void lapic_accept(struct lapic *l, uint8_t vec)
{
    if (!test_bit(l->irr, vec))
        return;
    set_bit(l->irr, vec, false);
    set_bit(l->isr, vec, true);
}

bool lapic_take_nmi(struct lapic *l)
{
    bool was = l->nmi_pending;
    l->nmi_pending = false;
    return was;
}

static void eoi(struct lapic *l)
{
    int vec = highest(l->isr);
    if (vec < 0)
        return;
    set_bit(l->isr, (unsigned)vec, false);
    if (test_bit(l->tmr, (unsigned)vec))
        NOTIFY(l, eoi, (uint8_t)vec);
}

/* ---- timer ------------------------------------------------------------ */

static unsigned timer_mode(const struct lapic *l)
{
    return (l->lvt[LVT_TIMER] & LVT_TIMER_MODE_MASK) >> LVT_TIMER_MODE_SHIFT;
}

/* TSC cycles per count of the current-count register. */
static uint64_t tsc_per_count(const struct lapic *l)
{
    unsigned code = (l->divide_config & 3) | ((l->divide_config >> 1) & 4);
    unsigned divide = code == 7 ? 1 : 2u << code;
    return (uint64_t)divide * LAPIC_TSC_PER_TICK;
}

static void start_count(struct lapic *l, uint64_t from, uint32_t count)
{
    l->deadline = count ? from + count * tsc_per_count(l) : LAPIC_NO_DEADLINE;
}

static uint32_t current_count(const struct lapic *l)
{
    if (timer_mode(l) == TIMER_TSC_DEADLINE || l->deadline == LAPIC_NO_DEADLINE)
        return 0;
    uint64_t t = now(l);
    if (t >= l->deadline)
        return 0;
    uint64_t step = tsc_per_count(l);
    uint64_t left = (l->deadline - t + step - 1) / step;
    return left > l->initial_count ? l->initial_count : (uint32_t)left;
}

uint64_t lapic_next_deadline(const struct lapic *l)
{
    return l->deadline;
}

void lapic_timer_tick(struct lapic *l, uint64_t t)
{
    if (l->deadline == LAPIC_NO_DEADLINE || t < l->deadline)
        return;
    if (!(l->lvt[LVT_TIMER] & LVT_MASKED))
        fixed_interrupt(l, l->lvt[LVT_TIMER] & ICR_VECTOR_MASK, false);
    if (timer_mode(l) == TIMER_PERIODIC && l->initial_count) {
        /* Missed periods coalesce into the one interrupt just sent; a
         * tiny period is stretched so a guest cannot flood its VMM. */
        uint64_t period = l->initial_count * tsc_per_count(l);
        if (period < LAPIC_MIN_PERIOD_TSC)
            period = LAPIC_MIN_PERIOD_TSC;
        l->deadline += ((t - l->deadline) / period + 1) * period;
        return;
    }
    l->deadline = LAPIC_NO_DEADLINE;
    l->tsc_deadline = 0;
}

static void write_initial_count(struct lapic *l, uint32_t v)
{
    if (timer_mode(l) == TIMER_TSC_DEADLINE)
        return; /* ignored in TSC-deadline mode */
    l->initial_count = v;
    start_count(l, now(l), v);
    NOTIFY(l, timer_changed, l->index);
}

static void write_divide(struct lapic *l, uint32_t v)
{
    uint32_t left = current_count(l);
    l->divide_config = v & DIVIDE_WRITABLE;
    if (l->deadline != LAPIC_NO_DEADLINE && timer_mode(l) != TIMER_TSC_DEADLINE) {
        start_count(l, now(l), left ? left : 1);
        NOTIFY(l, timer_changed, l->index);
    }
}

static void write_tsc_deadline(struct lapic *l, uint64_t v)
{
    if (timer_mode(l) != TIMER_TSC_DEADLINE)
        return; /* ignored outside TSC-deadline mode */
    l->tsc_deadline = v;
    l->deadline = v ? v : LAPIC_NO_DEADLINE;
    if (v)
        lapic_timer_tick(l, now(l));
    NOTIFY(l, timer_changed, l->index);
}

static void write_lvt(struct lapic *l, unsigned index, uint32_t v)
{
    uint32_t old = l->lvt[index];
    v &= lvt_writable[index];
    if (!sw_enabled(l))
        v |= LVT_MASKED;
    if (index == LVT_TIMER) {
        unsigned old_mode = timer_mode(l);
        unsigned mode = (v & LVT_TIMER_MODE_MASK) >> LVT_TIMER_MODE_SHIFT;
        if (mode == TIMER_RESERVED) {
            mode = old_mode;
            v = (v & ~LVT_TIMER_MODE_MASK) | (old & LVT_TIMER_MODE_MASK);
        }
        /* Entering or leaving TSC-deadline mode disarms the timer. */
        if ((mode == TIMER_TSC_DEADLINE) != (old_mode == TIMER_TSC_DEADLINE)) {
            l->initial_count = 0;
            l->tsc_deadline = 0;
            l->deadline = LAPIC_NO_DEADLINE;
            NOTIFY(l, timer_changed, l->index);
        }
    }
    l->lvt[index] = v;
}

/* ---- state changes ------------------------------------------------------ */

/* Power-on state of everything but the APIC ID and IA32_APIC_BASE
 * (what INIT and a hardware disable reset). */
static void reset_registers(struct lapic *l)
{
    /* Every field after apic_base is register state (lapic.h). */
    memset(&l->tpr, 0, sizeof *l - offsetof(struct lapic, tpr));
    l->ldr = x2apic(l) ? x2apic_ldr(l->index) : 0;
    l->dfr = DFR_RESET;
    l->svr = SVR_RESET;
    for (unsigned i = 0; i < LVT_COUNT; i++)
        l->lvt[i] = LVT_MASKED;
    l->deadline = LAPIC_NO_DEADLINE;
}

static void write_svr(struct lapic *l, uint32_t v)
{
    l->svr = v & SVR_WRITABLE;
    if (!(l->svr & SVR_ENABLE))
        for (unsigned i = 0; i < LVT_COUNT; i++)
            l->lvt[i] |= LVT_MASKED;
}

static bool write_apic_base(struct lapic *l, uint64_t v)
{
    uint64_t mode = v & (APIC_BASE_EN | APIC_BASE_EXTD);
    uint64_t cur = l->apic_base & (APIC_BASE_EN | APIC_BASE_EXTD);
    if ((v & ~(uint64_t)APIC_BASE_FLAGS) != LAPIC_MMIO_BASE)
        return false; /* reserved bits, or relocation (not supported) */
    if (mode == APIC_BASE_EXTD)
        return false; /* x2APIC without enable is invalid */
    if (cur == (APIC_BASE_EN | APIC_BASE_EXTD) && mode == APIC_BASE_EN)
        return false; /* x2APIC -> xAPIC must go through disabled */
    if (!cur && mode == (APIC_BASE_EN | APIC_BASE_EXTD))
        return false; /* disabled -> x2APIC must go through xAPIC */
    l->apic_base = LAPIC_MMIO_BASE | (l->apic_base & APIC_BASE_BSP) | mode;
    if (!mode) {
        reset_registers(l);
        NOTIFY(l, timer_changed, l->index);
    } else if (mode != cur && x2apic(l)) {
        l->ldr = x2apic_ldr(l->index);
    }
    return true;
}

/* ---- delivery ------------------------------------------------------------ */

static bool matches(const struct lapic *t, const struct apic_msg *m)
{
    if (!hw_enabled(t))
        return false;
    if (m->dest == (m->dest_x2apic ? APIC_BROADCAST_X2APIC : APIC_BROADCAST_XAPIC))
        return true;
    if (!m->logical)
        return m->dest == t->index;
    if (x2apic(t))
        return (m->dest >> 16) == (t->ldr >> 16) && (m->dest & t->ldr & 0xffffu);
    uint32_t dest = m->dest & 0xffu, ldr = t->ldr >> XAPIC_ID_SHIFT;
    if ((t->dfr >> 28) == DFR_FLAT)
        return dest & ldr;
    return (dest >> 4) == (ldr >> 4) && (dest & ldr & 0xfu);
}

static bool deliver_to(struct lapic *t, const struct apic_msg *m)
{
    switch (m->mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        fixed_interrupt(t, m->vector, m->level);
        return true;
    case APIC_DM_NMI:
        t->nmi_pending = true;
        NOTIFY(t, kick, t->index);
        return true;
    case APIC_DM_INIT:
        reset_registers(t);
        NOTIFY(t, timer_changed, t->index);
        NOTIFY(t, init, t->index);
        return true;
    case APIC_DM_SIPI:
        NOTIFY(t, sipi, t->index, m->vector);
        return true;
    default: /* SMI, ExtINT, reserved: nothing here handles them */
        return false;
    }
}

unsigned lapic_deliver(struct lapic_set *s, const struct apic_msg *m)
{
    unsigned n = 0;
    for (unsigned i = 0; i < s->count; i++) {
        if (!matches(&s->cpu[i], m))
            continue;
        n += deliver_to(&s->cpu[i], m);
        /* Lowest priority: the first destination stands for the lowest. */
        if (m->mode == APIC_DM_LOWEST && n)
            break;
    }
    return n;
}

bool lapic_msi(struct lapic_set *s, uint64_t address, uint32_t data)
{
    if ((address >> MSI_ADDRESS_WINDOW_SHIFT) != MSI_ADDRESS_WINDOW)
        return false;
    struct apic_msg m = {
        .dest = (uint32_t)(address >> MSI_DEST_SHIFT) & 0xffu,
        .logical = address & MSI_LOGICAL,
        .mode = (data >> ICR_MODE_SHIFT) & 7,
        .vector = data & ICR_VECTOR_MASK,
    };
    if (m.mode != APIC_DM_FIXED && m.mode != APIC_DM_LOWEST && m.mode != APIC_DM_NMI)
        return false;
    lapic_deliver(s, &m);
    return true;
}

void lapic_platform_attach(struct lapic_set *s)
{
    platform = s;
}

void vmm_msi_send(uint64_t address, uint32_t data)
{
    if (platform)
        lapic_msi(platform, address, data);
}

static void send_ipi(struct lapic *l)
{
    uint32_t low = (uint32_t)l->icr;
    struct apic_msg m = {
        .dest = x2apic(l) ? (uint32_t)(l->icr >> 32) : (uint32_t)(l->icr >> 56),
        .logical = low & ICR_LOGICAL,
        .dest_x2apic = x2apic(l),
        .mode = (low >> ICR_MODE_SHIFT) & 7,
        .vector = low & ICR_VECTOR_MASK,
    };
    if (m.mode == APIC_DM_INIT && (low & ICR_LEVEL) && !(low & ICR_ASSERT))
        return; /* INIT level de-assert: only old CPUs needed it */
    if ((m.mode == APIC_DM_FIXED || m.mode == APIC_DM_LOWEST) && m.vector < APIC_FIRST_VALID_VECTOR) {
        error(l, ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    unsigned shorthand = (low >> ICR_SHORTHAND_SHIFT) & 3;
    struct lapic_set *s = l->set;
    if (shorthand == SHORTHAND_NONE)
        lapic_deliver(s, &m);
    else if (shorthand == SHORTHAND_SELF)
        deliver_to(l, &m);
    else
        for (unsigned i = 0; i < s->count; i++)
            if (hw_enabled(&s->cpu[i]) && (&s->cpu[i] != l || shorthand == SHORTHAND_ALL))
                deliver_to(&s->cpu[i], &m);
}

/* ---- register file ------------------------------------------------------- */

/* Read register reg; false when it does not exist or is write-only. */
static bool reg_read(struct lapic *l, unsigned reg, uint64_t *v)
{
    bool x2 = x2apic(l);
    switch (reg) {
    case REG_ID: *v = x2 ? l->index : l->index << XAPIC_ID_SHIFT; return true;
    case REG_VERSION: *v = LAPIC_VERSION; return true;
    case REG_TPR: *v = l->tpr; return true;
    case REG_APR: case REG_EOI: case REG_RRD:
        *v = 0;
        return !x2; /* not readable (EOI) or absent in x2APIC mode */
    case REG_PPR: *v = ppr(l); return true;
    case REG_LDR: *v = l->ldr; return true;
    case REG_DFR: *v = l->dfr; return !x2;
    case REG_SVR: *v = l->svr; return true;
    case REG_ESR: *v = l->esr; return true;
    case REG_ICR: *v = x2 ? l->icr : (uint32_t)l->icr; return true;
    case REG_ICR_HIGH: *v = l->icr >> 32; return !x2;
    case REG_INITIAL_COUNT: *v = l->initial_count; return true;
    case REG_CURRENT_COUNT: *v = current_count(l); return true;
    case REG_DIVIDE: *v = l->divide_config; return true;
    }
    /* ISR, TMR, IRR: 8 registers each, in that order. */
    const uint32_t *bank[] = { l->isr, l->tmr, l->irr };
    if (reg >= REG_ISR0 && reg < REG_ESR)
        *v = bank[(reg - REG_ISR0) / 8][reg % 8];
    else if (reg >= REG_LVT0 && reg <= REG_LVT_LAST)
        *v = l->lvt[reg - REG_LVT0];
    else
        return false;
    return true;
}

/* Write register reg; false when it does not exist, is read-only, or
 * (x2APIC) the value is one the architecture faults on. */
static bool reg_write(struct lapic *l, unsigned reg, uint64_t v)
{
    bool x2 = x2apic(l);
    /* x2APIC: these fault (xAPIC ignores writes to ID and version); EOI,
     * ESR and self-IPI are checked below. */
    if (x2 && (reg == REG_LDR || reg == REG_DFR || reg == REG_ICR_HIGH || reg == REG_ID || reg == REG_VERSION))
        return false;
    switch (reg) {
    case REG_TPR: l->tpr = v & TPR_MASK; return true;
    case REG_EOI:
        if (x2 && v)
            return false;
        eoi(l);
        return true;
    case REG_LDR: l->ldr = (uint32_t)v & (0xffu << XAPIC_ID_SHIFT); return true;
    case REG_DFR: l->dfr = (uint32_t)v | 0x0fffffffu; return true;
    case REG_SVR: write_svr(l, (uint32_t)v); return true;
    case REG_ESR:
        if (x2 && v)
            return false;
        l->esr = l->esr_pending;
        l->esr_pending = 0;
        return true;
    case REG_ICR:
        if (x2)
            l->icr = (v & ICR_WRITABLE_LOW) | (v & 0xffffffff00000000ull);
        else
            l->icr = (l->icr & 0xffffffff00000000ull) | (v & ICR_WRITABLE_LOW);
        send_ipi(l);
        return true;
    case REG_ICR_HIGH: l->icr = (uint32_t)l->icr | ((v & 0xff000000u) << 32); return true;
    case REG_INITIAL_COUNT: write_initial_count(l, (uint32_t)v); return true;
    case REG_DIVIDE: write_divide(l, (uint32_t)v); return true;
    case REG_SELF_IPI:
        if (!x2)
            return false;
        if ((v & ICR_VECTOR_MASK) < APIC_FIRST_VALID_VECTOR)
            error(l, ESR_SEND_ILLEGAL_VECTOR);
        else
            fixed_interrupt(l, v & ICR_VECTOR_MASK, false);
        return true;
    case REG_ID: case REG_VERSION: return true; /* read-only */
    }
    bool lvt = reg >= REG_LVT0 && reg <= REG_LVT_LAST;
    if (lvt)
        write_lvt(l, reg - REG_LVT0, (uint32_t)v);
    return lvt;
}

bool lapic_handles_msr(uint32_t msr)
{
    return msr == MSR_IA32_APIC_BASE || msr == MSR_IA32_TSC_DEADLINE ||
           (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST);
}

bool lapic_msr_read(struct lapic *l, uint32_t msr, uint64_t *value)
{
    *value = 0;
    if (msr == MSR_IA32_APIC_BASE) {
        *value = l->apic_base;
        return true;
    }
    if (msr == MSR_IA32_TSC_DEADLINE) {
        *value = timer_mode(l) == TIMER_TSC_DEADLINE ? l->tsc_deadline : 0;
        return true;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !x2apic(l))
        return false;
    return reg_read(l, msr - MSR_X2APIC_FIRST, value);
}

bool lapic_msr_write(struct lapic *l, uint32_t msr, uint64_t value)
{
    if (msr == MSR_IA32_APIC_BASE)
        return write_apic_base(l, value);
    if (msr == MSR_IA32_TSC_DEADLINE) {
        write_tsc_deadline(l, value);
        return true;
    }
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !x2apic(l))
        return false;
    unsigned reg = msr - MSR_X2APIC_FIRST;
    /* In x2APIC mode every register but ICR is 32 bits wide. */
    if (reg != REG_ICR && (value >> 32))
        return false;
    return reg_write(l, reg, value);
}

/* The xAPIC page decodes 32-bit registers at 16-byte strides; partial
 * reads see the bytes they cover, partial writes are ignored. */
#define MMIO_REG_SHIFT 4
#define MMIO_REG_BYTES 4

static bool xapic_decodes(const struct lapic *l)
{
    return hw_enabled(l) && !x2apic(l);
}

uint64_t lapic_mmio_read(void *dev, uint64_t offset, unsigned size)
{
    struct lapic *l = dev;
    unsigned byte = offset & ((1u << MMIO_REG_SHIFT) - 1);
    if (!xapic_decodes(l) || offset >= LAPIC_MMIO_SIZE)
        return size >= 8 ? UINT64_MAX : (1ull << (8 * size)) - 1;
    if (byte + size > MMIO_REG_BYTES)
        return 0;
    uint64_t v = 0;
    if (!reg_read(l, (unsigned)(offset >> MMIO_REG_SHIFT), &v)) {
        error(l, ESR_ILLEGAL_REGISTER);
        return 0;
    }
    v >>= 8 * byte;
    return size == 4 ? (uint32_t)v : v & ((1u << (8 * size)) - 1);
}

void lapic_mmio_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct lapic *l = dev;
    if (!xapic_decodes(l) || offset >= LAPIC_MMIO_SIZE)
        return;
    if ((offset & ((1u << MMIO_REG_SHIFT) - 1)) || size != MMIO_REG_BYTES)
        return;
    unsigned reg = (unsigned)(offset >> MMIO_REG_SHIFT);
    uint64_t ignored;
    /* Writes to read-only registers are ignored; only registers that
     * do not exist are an error. */
    if (!reg_write(l, reg, (uint32_t)value) && !reg_read(l, reg, &ignored))
        error(l, ESR_ILLEGAL_REGISTER);
}

bool lapic_set_init(struct lapic_set *s, unsigned count, const struct lapic_ops *ops)
{
    if (count == 0 || count > VMM_MAX_VCPUS)
        return false;
    s->count = count;
    s->ops = *ops;
    for (unsigned i = 0; i < count; i++) {
        struct lapic *l = &s->cpu[i];
        l->set = s;
        l->index = i;
        l->apic_base = LAPIC_MMIO_BASE | APIC_BASE_EN | APIC_BASE_EXTD | (i == 0 ? APIC_BASE_BSP : 0);
        reset_registers(l);
    }
    return true;
}
