// host-test-sources: servers/vmm/lapic.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* Local APIC model: x2APIC MSRs, IA32_APIC_BASE mode changes (no xAPIC
 * mode), priority and EOI, the timer in its three modes on a fake
 * clock, IPIs to every kind of destination, INIT/SIPI/NMI, MSI decoding,
 * and guest mistakes that must become #GP or be dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/lapic.h"

#define MSR_ID 0x802
#define MSR_VERSION 0x803
#define MSR_TPR 0x808
#define MSR_PPR 0x80a
#define MSR_EOI 0x80b
#define MSR_LDR 0x80d
#define MSR_SVR 0x80f
#define MSR_ISR0 0x810
#define MSR_TMR0 0x818
#define MSR_IRR0 0x820
#define MSR_ESR 0x828
#define MSR_CMCI 0x82f
#define MSR_ICR 0x830
#define MSR_LVT_TIMER 0x832
#define MSR_LVT_ERROR 0x837
#define MSR_INITIAL 0x838
#define MSR_CURRENT 0x839
#define MSR_DIVIDE 0x83e
#define MSR_SELF_IPI 0x83f

#define SVR_ON 0x1ff
#define MASKED (1u << 16)
#define MODE_PERIODIC (1u << 17)
#define MODE_DEADLINE (2u << 17)
#define DIVIDE_BY_1 0xb
#define DIVIDE_BY_2 0x0
#define ICR_ASSERT (1u << 14)
#define ICR_LEVEL (1u << 15)
#define ICR_LOGICAL (1u << 11)
#define SELF (1u << 18)
#define ALL (2u << 18)
#define OTHERS (3u << 18)
#define DM(m) ((uint32_t)(m) << 8)

struct fake {
    uint64_t tsc;
    unsigned kicks[VMM_MAX_VCPUS];
    unsigned inits[VMM_MAX_VCPUS];
    int sipi_vector[VMM_MAX_VCPUS];
    int eoi_vector;
    unsigned eois;
    unsigned timer_changes;
};
static struct fake fk;
static struct lapic_set set;

/* The VMM services the LAPIC calls (vmm.h). A kick also stands for "the
 * timer changed": the LAPIC kicks the vCPU so it re-arms its timer. */
uint64_t vmm_guest_tsc(void) { return fk.tsc; }
void vmm_vcpu_kick(unsigned v) { fk.kicks[v]++; fk.timer_changes++; }
void vmm_vcpu_init(unsigned v) { fk.inits[v]++; }
void vmm_vcpu_sipi(unsigned v, uint8_t vec) { fk.sipi_vector[v] = vec; }
void vmm_irq_eoi(uint8_t vec) { fk.eoi_vector = vec; fk.eois++; }

static int setup(void **state)
{
    (void)state;
    memset(&fk, 0, sizeof fk);
    for (int i = 0; i < VMM_MAX_VCPUS; i++)
        fk.sipi_vector[i] = -1;
    fk.eoi_vector = -1;
    fk.tsc = 1000000;
    lapic_set_init(&set, 4);
    return 0;
}

static struct lapic *cpu(unsigned i) { return &set.cpu[i]; }

static uint64_t rd(unsigned i, uint32_t msr)
{
    uint64_t v = 0xdead;
    assert_true(lapic_msr_read(cpu(i), msr, &v));
    return v;
}

static void wr(unsigned i, uint32_t msr, uint64_t v)
{
    assert_true(lapic_msr_write(cpu(i), msr, v));
}

static bool irr_has(unsigned i, unsigned vec)
{
    return rd(i, MSR_IRR0 + vec / 32) & (1u << (vec % 32));
}

static void enable_all(void)
{
    for (unsigned i = 0; i < set.count; i++)
        wr(i, MSR_SVR, SVR_ON);
}

static uint32_t esr(unsigned i)
{
    wr(i, MSR_ESR, 0);
    return (uint32_t)rd(i, MSR_ESR);
}

static void test_reset_state(void **state)
{
    (void)state;
    lapic_set_init(&set, 4);
    assert_int_equal(rd(0, MSR_IA32_APIC_BASE), 0xfee00d00); /* EN, EXTD, BSP */
    assert_int_equal(rd(2, MSR_IA32_APIC_BASE), 0xfee00c00);
    assert_int_equal(rd(3, MSR_ID), 3);
    assert_int_equal(rd(0, MSR_VERSION) & 0xff, 0x14);
    assert_int_equal((rd(0, MSR_VERSION) >> 16) & 0xff, 5);
    assert_int_equal(rd(3, MSR_LDR), 1u << 3);
    assert_int_equal(rd(1, MSR_SVR), 0xff);
    assert_int_equal(rd(1, MSR_LVT_TIMER), MASKED);
    assert_int_equal(cpu(0)->deadline, LAPIC_NO_DEADLINE);
    assert_int_equal(lapic_pending_vector(cpu(0)), -1);
    assert_true(lapic_handles_msr(0x1b) && lapic_handles_msr(0x6e0) && lapic_handles_msr(0x8ff));
    assert_false(lapic_handles_msr(0x7ff) || lapic_handles_msr(0x900));
}

static void test_msr_faults(void **state)
{
    (void)state;
    uint64_t v;
    assert_false(lapic_msr_write(cpu(0), MSR_EOI, 1));   /* non-zero EOI */
    assert_false(lapic_msr_write(cpu(0), MSR_ESR, 5));   /* non-zero ESR */
    assert_false(lapic_msr_write(cpu(0), MSR_ID, 7));    /* read-only */
    assert_false(lapic_msr_write(cpu(0), MSR_PPR, 0));
    assert_false(lapic_msr_write(cpu(0), MSR_IRR0, 0));
    assert_false(lapic_msr_read(cpu(0), MSR_EOI, &v));   /* write-only */
    assert_false(lapic_msr_read(cpu(0), MSR_SELF_IPI, &v));
    assert_false(lapic_msr_read(cpu(0), MSR_CMCI, &v));  /* not offered */
    assert_false(lapic_msr_read(cpu(0), 0x80e, &v));     /* DFR: xAPIC only */
    assert_false(lapic_msr_read(cpu(0), 0x831, &v));     /* ICR high: xAPIC only */
    assert_false(lapic_msr_write(cpu(0), 0x80e, 0));
    assert_false(lapic_msr_read(cpu(0), 0x8ff, &v));
    assert_false(lapic_msr_write(cpu(0), MSR_TPR, 1ull << 32)); /* 32-bit register */
    assert_false(lapic_msr_write(cpu(0), MSR_LDR, 0));
    assert_int_equal(rd(0, MSR_ID), 0);
}

static void test_fixed_ipi_and_priority(void **state)
{
    (void)state;
    /* A software-disabled LAPIC drops fixed interrupts. */
    wr(0, MSR_SVR, SVR_ON);
    wr(0, MSR_ICR, (1ull << 32) | 0x40);
    assert_false(irr_has(1, 0x40));
    enable_all();
    wr(0, MSR_ICR, (1ull << 32) | 0x40);
    wr(0, MSR_ICR, (1ull << 32) | 0x50);
    assert_true(irr_has(1, 0x40) && irr_has(1, 0x50));
    assert_int_equal(fk.kicks[1], 2);
    assert_int_equal(fk.kicks[0], 0);
    assert_int_equal(rd(0, MSR_ICR), (1ull << 32) | 0x50);
    struct lapic *l = cpu(1);
    assert_int_equal(lapic_pending_vector(l), 0x50);
    lapic_accept(l, 0x50);
    assert_false(irr_has(1, 0x50));
    assert_int_equal(rd(1, MSR_ISR0 + 2), 1u << 16);
    assert_int_equal(rd(1, MSR_PPR), 0x50);
    assert_int_equal(lapic_pending_vector(l), -1); /* 0x40 is below the in-service class */
    wr(1, MSR_EOI, 0);
    assert_int_equal(rd(1, MSR_ISR0 + 2), 0);
    assert_int_equal(fk.eois, 0); /* edge: no EOI broadcast */
    assert_int_equal(lapic_pending_vector(l), 0x40);
    wr(1, MSR_TPR, 0x45);
    assert_int_equal(lapic_pending_vector(l), -1);
    assert_int_equal(rd(1, MSR_PPR), 0x45);
    wr(1, MSR_TPR, 0x3f);
    assert_int_equal(lapic_pending_vector(l), 0x40);
    /* Nested: higher class preempts, EOI pops the highest first. */
    lapic_accept(l, 0x40);
    wr(0, MSR_ICR, (1ull << 32) | 0x90);
    assert_int_equal(lapic_pending_vector(l), 0x90);
    lapic_accept(l, 0x90);
    wr(1, MSR_EOI, 0);
    assert_int_equal(rd(1, MSR_ISR0 + 2), 1u);
    assert_int_equal(rd(1, MSR_ISR0 + 4), 0);
    wr(1, MSR_EOI, 0);
    wr(1, MSR_EOI, 0); /* EOI with nothing in service is harmless */
    assert_int_equal(rd(1, MSR_ISR0 + 2), 0);
}

static void test_level_eoi_broadcast(void **state)
{
    (void)state;
    enable_all();
    struct apic_msg m = { .dest = 2, .mode = APIC_DM_FIXED, .vector = 0x61, .level = true };
    assert_int_equal(lapic_deliver(&set, &m), 1);
    assert_int_equal(rd(2, MSR_TMR0 + 3), 1u << 1);
    lapic_accept(cpu(2), 0x61);
    wr(2, MSR_EOI, 0);
    assert_int_equal(fk.eois, 1);
    assert_int_equal(fk.eoi_vector, 0x61);
}

static void test_self_ipi_and_illegal_vectors(void **state)
{
    (void)state;
    enable_all();
    wr(3, MSR_SELF_IPI, 0x33);
    assert_true(irr_has(3, 0x33));
    /* Illegal vectors (0-15) are dropped; the ESR records nothing. */
    wr(3, MSR_SELF_IPI, 0x03);
    assert_false(irr_has(3, 0x03));
    wr(0, MSR_ICR, (2ull << 32) | 0x0f);
    assert_false(irr_has(2, 0x0f));
    wr(2, MSR_LVT_ERROR, 0xfe);
    assert_true(lapic_msi(&set, 0xfee02000, 0x0002));
    assert_false(irr_has(2, 0x02));
    assert_false(irr_has(2, 0xfe));
    assert_int_equal(esr(3), 0);
    assert_int_equal(esr(2), 0);
}

static void test_destinations(void **state)
{
    (void)state;
    enable_all();
    /* x2APIC logical: cluster 0, members 1 and 2. */
    wr(0, MSR_ICR, (0x6ull << 32) | ICR_LOGICAL | 0x41);
    assert_true(irr_has(1, 0x41) && irr_has(2, 0x41));
    assert_false(irr_has(0, 0x41) || irr_has(3, 0x41));
    /* Cluster 1 has nobody. */
    wr(0, MSR_ICR, (0x10006ull << 32) | ICR_LOGICAL | 0x42);
    for (unsigned i = 0; i < 4; i++)
        assert_false(irr_has(i, 0x42));
    /* Physical broadcast, self, all, all but self. */
    wr(1, MSR_ICR, (0xffffffffull << 32) | 0x43);
    for (unsigned i = 0; i < 4; i++)
        assert_true(irr_has(i, 0x43));
    wr(1, MSR_ICR, SELF | 0x44);
    assert_true(irr_has(1, 0x44) && !irr_has(0, 0x44));
    wr(1, MSR_ICR, OTHERS | 0x45);
    assert_true(!irr_has(1, 0x45) && irr_has(0, 0x45) && irr_has(2, 0x45) && irr_has(3, 0x45));
    wr(1, MSR_ICR, ALL | 0x46);
    for (unsigned i = 0; i < 4; i++)
        assert_true(irr_has(i, 0x46));
    /* Physical to a missing ID: nobody. */
    wr(1, MSR_ICR, (9ull << 32) | 0x47);
    for (unsigned i = 0; i < 4; i++)
        assert_false(irr_has(i, 0x47));
    /* Lowest priority to several: exactly one. */
    wr(0, MSR_ICR, (0xeull << 32) | ICR_LOGICAL | DM(APIC_DM_LOWEST) | 0x48);
    unsigned got = 0;
    for (unsigned i = 0; i < 4; i++)
        got += irr_has(i, 0x48);
    assert_int_equal(got, 1);
}

static void test_init_sipi_nmi(void **state)
{
    (void)state;
    enable_all();
    wr(0, MSR_ICR, (1ull << 32) | 0x51);
    /* INIT assert resets the target's LAPIC and reports it. */
    wr(0, MSR_ICR, (1ull << 32) | ICR_LEVEL | ICR_ASSERT | DM(APIC_DM_INIT));
    assert_int_equal(fk.inits[1], 1);
    assert_false(irr_has(1, 0x51));
    assert_int_equal(rd(1, MSR_SVR), 0xff);
    assert_int_equal(rd(1, MSR_IA32_APIC_BASE), 0xfee00c00); /* mode kept */
    /* INIT de-assert does nothing. */
    wr(0, MSR_ICR, (1ull << 32) | ICR_LEVEL | DM(APIC_DM_INIT));
    assert_int_equal(fk.inits[1], 1);
    wr(0, MSR_ICR, (1ull << 32) | DM(APIC_DM_SIPI) | 0x9a);
    assert_int_equal(fk.sipi_vector[1], 0x9a);
    assert_int_equal(fk.sipi_vector[2], -1);
    /* NMI: pending until the VMM injects it. */
    wr(0, MSR_ICR, (3ull << 32) | DM(APIC_DM_NMI));
    assert_int_equal(fk.kicks[3], 1);
    assert_true(cpu(3)->nmi_pending);
    cpu(3)->nmi_pending = false;
    /* SMI and ExtINT IPIs are not delivered. */
    wr(0, MSR_ICR, (3ull << 32) | DM(APIC_DM_SMI));
    wr(0, MSR_ICR, (3ull << 32) | DM(APIC_DM_EXTINT) | 0x20);
    assert_false(cpu(3)->nmi_pending);
    assert_false(irr_has(3, 0x20));
}

static void test_timer_oneshot(void **state)
{
    (void)state;
    enable_all();
    wr(0, MSR_DIVIDE, DIVIDE_BY_1);
    wr(0, MSR_LVT_TIMER, 0xec);
    unsigned changes = fk.timer_changes;
    wr(0, MSR_INITIAL, 1000);
    assert_true(fk.timer_changes > changes);
    uint64_t due = 1000000 + 1000 * LAPIC_TSC_PER_TICK;
    assert_int_equal(cpu(0)->deadline, due);
    fk.tsc += 10 * LAPIC_TSC_PER_TICK;
    assert_int_equal(rd(0, MSR_CURRENT), 990);
    lapic_timer_tick(cpu(0), due - 1);
    assert_false(irr_has(0, 0xec));
    lapic_timer_tick(cpu(0), due);
    assert_true(irr_has(0, 0xec));
    assert_int_equal(cpu(0)->deadline, LAPIC_NO_DEADLINE);
    fk.tsc = due + 5;
    assert_int_equal(rd(0, MSR_CURRENT), 0);
    assert_int_equal(rd(0, MSR_INITIAL), 1000);
    /* Count 0 stops the timer. */
    wr(0, MSR_INITIAL, 50);
    wr(0, MSR_INITIAL, 0);
    assert_int_equal(cpu(0)->deadline, LAPIC_NO_DEADLINE);
}

static void test_timer_periodic_masked_and_divide(void **state)
{
    (void)state;
    enable_all();
    wr(1, MSR_DIVIDE, DIVIDE_BY_2);
    wr(1, MSR_LVT_TIMER, MODE_PERIODIC | MASKED | 0xed);
    wr(1, MSR_INITIAL, 4000);
    uint64_t period = 4000 * 2 * LAPIC_TSC_PER_TICK, start = fk.tsc;
    assert_int_equal(cpu(1)->deadline, start + period);
    lapic_timer_tick(cpu(1), start + period);
    assert_false(irr_has(1, 0xed)); /* masked: counts, no interrupt */
    assert_int_equal(cpu(1)->deadline, start + 2 * period);
    wr(1, MSR_LVT_TIMER, MODE_PERIODIC | 0xed);
    /* Three periods late: one interrupt, next deadline in phase. */
    lapic_timer_tick(cpu(1), start + 4 * period + 7);
    assert_true(irr_has(1, 0xed));
    assert_int_equal(cpu(1)->deadline, start + 5 * period);
    /* Divide change mid-count keeps the remaining count. */
    fk.tsc = start + 4 * period + period / 2; /* 2000 counts left */
    assert_int_equal(rd(1, MSR_CURRENT), 2000);
    wr(1, MSR_DIVIDE, DIVIDE_BY_1);
    assert_int_equal(rd(1, MSR_DIVIDE), DIVIDE_BY_1);
    assert_int_equal(cpu(1)->deadline, fk.tsc + 2000 * LAPIC_TSC_PER_TICK);
    assert_int_equal(rd(1, MSR_CURRENT), 2000);
    /* A one-count period is stretched to the minimum after it fires. */
    wr(1, MSR_INITIAL, 1);
    uint64_t first = cpu(1)->deadline;
    assert_int_equal(first, fk.tsc + LAPIC_TSC_PER_TICK);
    lapic_timer_tick(cpu(1), first);
    assert_int_equal(cpu(1)->deadline, first + LAPIC_MIN_PERIOD_TSC);
}

static void test_timer_tsc_deadline(void **state)
{
    (void)state;
    enable_all();
    /* Outside TSC-deadline mode the MSR ignores writes. */
    wr(2, MSR_IA32_TSC_DEADLINE, 5000000);
    assert_int_equal(rd(2, MSR_IA32_TSC_DEADLINE), 0);
    assert_int_equal(cpu(2)->deadline, LAPIC_NO_DEADLINE);
    wr(2, MSR_INITIAL, 100);
    assert_true(cpu(2)->deadline != LAPIC_NO_DEADLINE);
    /* Entering TSC-deadline mode disarms the count. */
    wr(2, MSR_LVT_TIMER, MODE_DEADLINE | 0xee);
    assert_int_equal(cpu(2)->deadline, LAPIC_NO_DEADLINE);
    assert_int_equal(rd(2, MSR_INITIAL), 0);
    wr(2, MSR_INITIAL, 100); /* ignored in this mode */
    assert_int_equal(rd(2, MSR_INITIAL), 0);
    wr(2, MSR_IA32_TSC_DEADLINE, 5000000);
    assert_int_equal(rd(2, MSR_IA32_TSC_DEADLINE), 5000000);
    assert_int_equal(cpu(2)->deadline, 5000000);
    lapic_timer_tick(cpu(2), 4999999);
    assert_false(irr_has(2, 0xee));
    lapic_timer_tick(cpu(2), 5000000);
    assert_true(irr_has(2, 0xee));
    assert_int_equal(rd(2, MSR_IA32_TSC_DEADLINE), 0);
    assert_int_equal(cpu(2)->deadline, LAPIC_NO_DEADLINE);
    /* A deadline in the past fires at once; 0 disarms. */
    lapic_accept(cpu(2), 0xee);
    wr(2, MSR_EOI, 0);
    wr(2, MSR_IA32_TSC_DEADLINE, 1);
    assert_true(irr_has(2, 0xee));
    wr(2, MSR_IA32_TSC_DEADLINE, 9000000);
    wr(2, MSR_IA32_TSC_DEADLINE, 0);
    assert_int_equal(cpu(2)->deadline, LAPIC_NO_DEADLINE);
    /* Reserved timer mode 3 keeps the old mode. */
    wr(2, MSR_LVT_TIMER, (3u << 17) | 0xee);
    assert_int_equal(rd(2, MSR_LVT_TIMER), MODE_DEADLINE | 0xee);
}

static void test_software_disable_masks_lvts(void **state)
{
    (void)state;
    wr(0, MSR_LVT_TIMER, 0xec); /* still software-disabled */
    assert_int_equal(rd(0, MSR_LVT_TIMER), MASKED | 0xec);
    wr(0, MSR_SVR, SVR_ON);
    wr(0, MSR_LVT_TIMER, 0xec);
    assert_int_equal(rd(0, MSR_LVT_TIMER), 0xec);
    wr(0, MSR_SVR, 0xff);
    assert_int_equal(rd(0, MSR_LVT_TIMER), MASKED | 0xec);
    /* Reserved and read-only LVT bits are dropped. */
    wr(0, MSR_SVR, SVR_ON);
    wr(0, MSR_LVT_TIMER, 0xfff8f0ec);
    assert_int_equal(rd(0, MSR_LVT_TIMER), 0xec);
}

static void test_apic_base_modes(void **state)
{
    (void)state;
    struct lapic *l = cpu(1);
    assert_false(lapic_msr_write(l, MSR_IA32_APIC_BASE, 0xfee00800)); /* x2APIC -> xAPIC */
    assert_false(lapic_msr_write(l, MSR_IA32_APIC_BASE, 0xfee00400)); /* EXTD without EN */
    assert_false(lapic_msr_write(l, MSR_IA32_APIC_BASE, 0xfed00c00)); /* relocation */
    assert_false(lapic_msr_write(l, MSR_IA32_APIC_BASE, 0xfee00c01)); /* reserved bit */
    wr(1, MSR_IA32_APIC_BASE, 0xfee00d00); /* x2APIC kept; the BSP bit is read-only */
    assert_int_equal(rd(1, MSR_IA32_APIC_BASE), 0xfee00c00);
    wr(1, MSR_SVR, SVR_ON);
    wr(1, MSR_IA32_APIC_BASE, 0xfee00000); /* disable: state resets */
    assert_int_equal(rd(1, MSR_IA32_APIC_BASE), 0xfee00000);
    uint64_t v;
    assert_false(lapic_msr_read(l, MSR_SVR, &v));
    assert_false(lapic_msr_write(l, MSR_IA32_APIC_BASE, 0xfee00800)); /* xAPIC: not modelled */
    assert_false(lapic_msr_write(l, MSR_IA32_APIC_BASE, 0xfee00c00)); /* disabled -> x2APIC: invalid */
    assert_int_equal(rd(1, MSR_IA32_APIC_BASE), 0xfee00000);
    /* A hardware-disabled LAPIC takes nothing. */
    wr(0, MSR_SVR, SVR_ON);
    wr(0, MSR_ICR, ALL | 0x73);
    assert_int_equal(lapic_pending_vector(cpu(1)), -1);
    assert_int_equal(lapic_pending_vector(cpu(0)), 0x73);
}

static void test_msi(void **state)
{
    (void)state;
    enable_all();
    assert_true(lapic_msi(&set, 0xfee01000, 0x0045));
    assert_true(irr_has(1, 0x45));
    assert_true(lapic_msi(&set, 0xfee0300c, 0x0046)); /* logical, dest 3 = CPUs 0, 1 */
    assert_true(irr_has(0, 0x46) && irr_has(1, 0x46) && !irr_has(2, 0x46));
    assert_true(lapic_msi(&set, 0xfee02000, DM(APIC_DM_NMI)));
    assert_true(cpu(2)->nmi_pending);
    assert_false(lapic_msi(&set, 0xfed01000, 0x47));                   /* outside the window */
    assert_false(lapic_msi(&set, 0xfee01000, DM(APIC_DM_EXTINT) | 0x47));
    assert_false(lapic_msi(&set, 0xfee01000, DM(APIC_DM_INIT)));
    assert_false(irr_has(1, 0x47));
    assert_true(lapic_msi(&set, 0xfee0f000 | (0xffu << 12), 0x48));  /* broadcast */
    for (unsigned i = 0; i < 4; i++)
        assert_true(irr_has(i, 0x48));
}

/* A hostile guest: random MSRs, page offsets, sizes and values, random
 * messages and clock jumps. Nothing may crash (ASan/UBSan watch) and the
 * acceptance state must stay sane. */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint64_t rnd_value(void)
{
    switch (rnd() % 4) {
    case 0: return rnd();
    case 1: return rnd() & 0xffffffffu;
    case 2: return rnd() & 0x1ffff;
    default: return rnd() & 0xff;
    }
}

static void test_hostile_guest(void **state)
{
    (void)state;
    for (unsigned step = 0; step < 200000; step++) {
        struct lapic *l = cpu(rnd() % 4);
        uint64_t v = 0;
        switch (rnd() % 7) {
        case 0: lapic_msr_read(l, 0x800 + rnd() % 0x100, &v); break;
        case 1: lapic_msr_write(l, 0x800 + rnd() % 0x100, rnd_value()); break;
        case 2: lapic_msr_write(l, rnd() % 2 ? 0x1b : 0x6e0, (rnd() % 2 ? 0xfee00000 : rnd()) | (rnd() & 0xd00)); break;
        case 3: {
            struct apic_msg m = { .dest = (uint32_t)rnd_value(), .logical = rnd() & 1, .dest_x2apic = rnd() & 1,
                                  .level = rnd() & 1, .mode = rnd() % 8, .vector = (uint8_t)rnd() };
            lapic_deliver(&set, &m);
            break;
        }
        case 4: lapic_msi(&set, 0xfee00000 | (rnd() & 0xfffff), (uint32_t)rnd()); break;
        case 5: fk.tsc += rnd() % 100000; lapic_timer_tick(l, fk.tsc); break;
        default: {
            int vec = lapic_pending_vector(l);
            if (vec >= 0)
                lapic_accept(l, (uint8_t)vec);
            l->nmi_pending = false;
        }
        }
        for (unsigned i = 0; i < 4; i++) {
            const struct lapic *c = cpu(i);
            int vec = lapic_pending_vector(c);
            assert_true(vec == -1 || (vec >= 16 && vec <= 255));
            assert_int_equal(c->irr[0] & 0xffff, 0); /* no exception vectors ever queued */
            assert_int_equal(c->isr[0] & 0xffff, 0);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_state, setup),
        cmocka_unit_test_setup(test_msr_faults, setup),
        cmocka_unit_test_setup(test_fixed_ipi_and_priority, setup),
        cmocka_unit_test_setup(test_level_eoi_broadcast, setup),
        cmocka_unit_test_setup(test_self_ipi_and_illegal_vectors, setup),
        cmocka_unit_test_setup(test_destinations, setup),
        cmocka_unit_test_setup(test_init_sipi_nmi, setup),
        cmocka_unit_test_setup(test_timer_oneshot, setup),
        cmocka_unit_test_setup(test_timer_periodic_masked_and_divide, setup),
        cmocka_unit_test_setup(test_timer_tsc_deadline, setup),
        cmocka_unit_test_setup(test_software_disable_masks_lvts, setup),
        cmocka_unit_test_setup(test_apic_base_modes, setup),
        cmocka_unit_test_setup(test_msi, setup),
        cmocka_unit_test_setup(test_hostile_guest, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
