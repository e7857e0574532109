/* SPDX-License-Identifier: GPL-2.0-only */
/* Local APIC model: see lapic.h. Registers are numbered as x2APIC MSRs
 * minus 0x800. */
#include "lapic.h"
#include <stddef.h>
#include "common/string.h"

/* Register numbers (MSR - 0x800). */
enum {
    REG_ID = 0x02, REG_VERSION = 0x03, REG_TPR = 0x08, REG_PPR = 0x0a, REG_EOI = 0x0b, REG_LDR = 0x0d,
    REG_SVR = 0x0f, REG_ISR0 = 0x10, REG_ESR = 0x28, REG_ICR = 0x30, REG_LVT0 = 0x32, REG_LVT_LAST = 0x37,
    REG_INITIAL_COUNT = 0x38, REG_CURRENT_COUNT = 0x39, REG_DIVIDE = 0x3e, REG_SELF_IPI = 0x3f,
};
enum { LVT_TIMER, LVT_THERMAL, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_COUNT };

#define APIC_BASE_BSP (1u << 8)
#define APIC_BASE_EXTD (1u << 10)
#define APIC_BASE_EN (1u << 11)
#define APIC_BASE_X2APIC (APIC_BASE_EN | APIC_BASE_EXTD)

/* Version 0x14 (integrated APIC), LVT entries 0-5, no directed EOI. */
#define LAPIC_VERSION (0x14u | ((LVT_COUNT - 1u) << 16))

#define SVR_ENABLE (1u << 8)
#define SVR_WRITABLE 0x3ffu /* vector, enable, focus check */
#define SVR_RESET 0xffu

#define LVT_MASKED (1u << 16)
#define LVT_TIMER_MODE_SHIFT 17
#define LVT_TIMER_MODE_MASK (3u << LVT_TIMER_MODE_SHIFT)
enum { TIMER_ONESHOT, TIMER_PERIODIC, TIMER_TSC_DEADLINE, TIMER_RESERVED };
/* Writable bits per LVT: vector, delivery mode, polarity, trigger, mask,
 * timer mode; delivery status and remote IRR are read-only. */
static const uint32_t lvt_writable[LVT_COUNT] = {
    [LVT_TIMER] = 0x000100ffu | LVT_TIMER_MODE_MASK, [LVT_THERMAL] = 0x000107ffu, [LVT_PERF] = 0x000107ffu,
    [LVT_LINT0] = 0x0001a7ffu, [LVT_LINT1] = 0x0001a7ffu, [LVT_ERROR] = 0x000100ffu,
};

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

/* ---- small helpers --------------------------------------------------- */

static bool hw_enabled(const struct lapic *l)
{
    return l->apic_base & APIC_BASE_EN;
}

static bool sw_enabled(const struct lapic *l)
{
    return hw_enabled(l) && (l->svr & SVR_ENABLE);
}

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

/* The x2APIC logical ID: cluster (ID / 16) and one bit for ID % 16. */
static uint32_t ldr(const struct lapic *l)
{
    return ((l->index >> 4) << 16) | (1u << (l->index & 0xf));
}

static uint32_t ppr(const struct lapic *l)
{
    int isrv = highest(l->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & PRIORITY_CLASS;
    return (l->tpr & PRIORITY_CLASS) >= isr_class ? l->tpr : isr_class;
}

/* ---- interrupt acceptance --------------------------------------------- */

/* A fixed interrupt reached this LAPIC: queue it in the IRR. Vectors
 * 0-15 are illegal and dropped (the ESR does not record errors: it always
 * reads 0). */
static void fixed_interrupt(struct lapic *l, unsigned vec, bool level)
{
    if (!sw_enabled(l) || vec < APIC_FIRST_VALID_VECTOR)
        return;
    set_bit(l->irr, vec, true);
    set_bit(l->tmr, vec, level);
    vmm_vcpu_kick(l->index);
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

static void eoi(struct lapic *l)
{
    int vec = highest(l->isr);
    if (vec < 0)
        return;
    set_bit(l->isr, (unsigned)vec, false);
    if (test_bit(l->tmr, (unsigned)vec))
        vmm_irq_eoi((uint8_t)vec);
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

/* The deadline moved: the vCPU's handler re-arms its timer thread. */
static void set_deadline(struct lapic *l, uint64_t deadline)
{
    l->deadline = deadline;
    vmm_vcpu_kick(l->index);
}

static uint32_t current_count(const struct lapic *l)
{
    if (timer_mode(l) == TIMER_TSC_DEADLINE || l->deadline == LAPIC_NO_DEADLINE)
        return 0;
    uint64_t t = vmm_guest_tsc();
    if (t >= l->deadline)
        return 0;
    uint64_t step = tsc_per_count(l);
    uint64_t left = (l->deadline - t + step - 1) / step;
    return left > l->initial_count ? l->initial_count : (uint32_t)left;
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

/* Initial count (ignored in TSC-deadline mode) and divide configuration
 * (a running count goes on at the new rate) restart the count. */
static void write_count(struct lapic *l, bool divide, uint32_t v)
{
    uint32_t left = current_count(l);
    if (divide)
        l->divide_config = v & DIVIDE_WRITABLE;
    if (timer_mode(l) == TIMER_TSC_DEADLINE || (divide && l->deadline == LAPIC_NO_DEADLINE))
        return;
    if (!divide)
        l->initial_count = v;
    uint32_t count = divide ? (left ? left : 1) : v;
    set_deadline(l, count ? vmm_guest_tsc() + count * tsc_per_count(l) : LAPIC_NO_DEADLINE);
}

static void write_tsc_deadline(struct lapic *l, uint64_t v)
{
    if (timer_mode(l) != TIMER_TSC_DEADLINE)
        return; /* ignored outside TSC-deadline mode */
    l->tsc_deadline = v;
    l->deadline = v ? v : LAPIC_NO_DEADLINE;
    if (v)
        lapic_timer_tick(l, vmm_guest_tsc());
    set_deadline(l, l->deadline);
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
            set_deadline(l, LAPIC_NO_DEADLINE);
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

/* The guest may keep x2APIC mode or disable the LAPIC (for good: xAPIC
 * mode, the way back, is not modelled); the BSP bit is read-only. */
static bool write_apic_base(struct lapic *l, uint64_t v)
{
    uint64_t mode = v & APIC_BASE_X2APIC;
    if ((v & ~(uint64_t)(APIC_BASE_X2APIC | APIC_BASE_BSP)) != VMM_LAPIC_BASE)
        return false; /* reserved bits, or relocation (not supported) */
    if (mode != 0 && (mode != APIC_BASE_X2APIC || !hw_enabled(l)))
        return false; /* xAPIC, EXTD without EN, or disabled -> x2APIC */
    l->apic_base = VMM_LAPIC_BASE | (l->apic_base & APIC_BASE_BSP) | mode;
    if (!mode) {
        reset_registers(l);
        set_deadline(l, LAPIC_NO_DEADLINE);
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
    return (m->dest >> 16) == (ldr(t) >> 16) && (m->dest & ldr(t) & 0xffffu);
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
        vmm_vcpu_kick(t->index);
        return true;
    case APIC_DM_INIT:
        reset_registers(t);
        vmm_vcpu_init(t->index);
        return true;
    case APIC_DM_SIPI:
        vmm_vcpu_sipi(t->index, m->vector);
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

static void send_ipi(struct lapic *l)
{
    uint32_t low = (uint32_t)l->icr;
    struct apic_msg m = {
        .dest = (uint32_t)(l->icr >> 32),
        .logical = low & ICR_LOGICAL,
        .dest_x2apic = true,
        .mode = (low >> ICR_MODE_SHIFT) & 7,
        .vector = low & ICR_VECTOR_MASK,
    };
    if (m.mode == APIC_DM_INIT && (low & ICR_LEVEL) && !(low & ICR_ASSERT))
        return; /* INIT level de-assert: only old CPUs needed it */
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
    switch (reg) {
    case REG_ID: *v = l->index; return true;
    case REG_VERSION: *v = LAPIC_VERSION; return true;
    case REG_TPR: *v = l->tpr; return true;
    case REG_PPR: *v = ppr(l); return true;
    case REG_LDR: *v = ldr(l); return true;
    case REG_SVR: *v = l->svr; return true;
    case REG_ICR: *v = l->icr; return true;
    case REG_INITIAL_COUNT: *v = l->initial_count; return true;
    case REG_CURRENT_COUNT: *v = current_count(l); return true;
    case REG_DIVIDE: *v = l->divide_config; return true;
    }
    /* ISR, TMR, IRR: 8 registers each, in that order. */
    const uint32_t *bank[] = { l->isr, l->tmr, l->irr };
    if (reg == REG_ESR)
        *v = 0;
    else if (reg >= REG_ISR0 && reg < REG_ESR)
        *v = bank[(reg - REG_ISR0) / 8][reg % 8];
    else if (reg >= REG_LVT0 && reg <= REG_LVT_LAST)
        *v = l->lvt[reg - REG_LVT0];
    else
        return false;
    return true;
}

/* Write register reg; false when it does not exist, is read-only, or
 * the value is one the architecture faults on. */
static bool reg_write(struct lapic *l, unsigned reg, uint64_t v)
{
    switch (reg) {
    case REG_TPR: l->tpr = v & TPR_MASK; return true;
    case REG_EOI:
        if (v)
            return false;
        eoi(l);
        return true;
    case REG_SVR: write_svr(l, (uint32_t)v); return true;
    case REG_ESR: return v == 0;
    case REG_ICR:
        l->icr = (v & ICR_WRITABLE_LOW) | (v & 0xffffffff00000000ull);
        send_ipi(l);
        return true;
    case REG_INITIAL_COUNT: write_count(l, false, (uint32_t)v); return true;
    case REG_DIVIDE: write_count(l, true, (uint32_t)v); return true;
    case REG_SELF_IPI: fixed_interrupt(l, v & ICR_VECTOR_MASK, false); return true;
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
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !hw_enabled(l))
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
    if (msr < MSR_X2APIC_FIRST || msr > MSR_X2APIC_LAST || !hw_enabled(l))
        return false;
    unsigned reg = msr - MSR_X2APIC_FIRST;
    /* Every register but ICR is 32 bits wide. */
    if (reg != REG_ICR && (value >> 32))
        return false;
    return reg_write(l, reg, value);
}

void lapic_set_init(struct lapic_set *s, unsigned count)
{
    s->count = count;
    for (unsigned i = 0; i < count; i++) {
        struct lapic *l = &s->cpu[i];
        l->set = s;
        l->index = i;
        l->apic_base = VMM_LAPIC_BASE | APIC_BASE_X2APIC | (i == 0 ? APIC_BASE_BSP : 0);
        reset_registers(l);
    }
}
