// host-test-sources: servers/vmm/ioapic.c servers/vmm/lapic.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* IOAPIC model: register window, redirection entries, edge and level
 * pins with remote IRR and EOI, masking; and wired to the LAPIC model,
 * a level interrupt from pin to guest EOI and back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/ioapic.h"
#include "servers/vmm/lapic.h"

#define MAX_MSGS 16
static struct apic_msg msgs[MAX_MSGS];
static unsigned nmsgs;
static struct ioapic io;

static void record(const struct apic_msg *m)
{
    assert_true(nmsgs < MAX_MSGS);
    msgs[nmsgs++] = *m;
}

static int setup(void **state)
{
    (void)state;
    nmsgs = 0;
    ioapic_init(&io, 4, record);
    return 0;
}

static uint32_t reg_read(uint32_t reg)
{
    ioapic_mmio_write(&io, 0x00, 4, reg);
    return (uint32_t)ioapic_mmio_read(&io, 0x10, 4);
}

static void reg_write(uint32_t reg, uint32_t v)
{
    ioapic_mmio_write(&io, 0x00, 4, reg);
    ioapic_mmio_write(&io, 0x10, 4, v);
}

static void program(unsigned pin, uint32_t low, uint8_t dest)
{
    reg_write(0x11 + 2 * pin, (uint32_t)dest << 24);
    reg_write(0x10 + 2 * pin, low);
}

#define LEVEL (1u << 15)
#define MASKED (1u << 16)
#define REMOTE_IRR (1u << 14)
#define LOGICAL (1u << 11)
#define LOWEST (1u << 8)

static void test_registers(void **state)
{
    (void)state;
    assert_int_equal(reg_read(0x01), 0x00170011);
    assert_int_equal(reg_read(0x00), 4u << 24);
    reg_write(0x00, 0x0a000000);
    assert_int_equal(reg_read(0x00), 0x0au << 24);
    assert_int_equal(reg_read(0x02), 0x0au << 24);
    reg_write(0x01, 0);       /* version is read-only */
    assert_int_equal(reg_read(0x01), 0x00170011);
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        assert_int_equal(reg_read(0x10 + 2 * pin), MASKED);
    assert_int_equal(reg_read(0x40), 0);  /* past entry 23 */
    assert_int_equal(reg_read(0x03), 0);
    reg_write(0x40, 0xffffffff);          /* ignored, no crash */
    ioapic_mmio_write(&io, 0x00, 4, 0x123);
    assert_int_equal(ioapic_mmio_read(&io, 0x00, 4), 0x23);
    /* Read-only bits of an entry: delivery status, remote IRR. */
    reg_write(0x10 + 2 * 5, 0xffffffff);
    assert_int_equal(reg_read(0x10 + 2 * 5), 0x0001afff);
    reg_write(0x11 + 2 * 5, 0xffffffff);
    assert_int_equal(reg_read(0x11 + 2 * 5), 0xff000000);
    assert_int_equal(ioapic_mmio_read(&io, 0x20, 4), 0);
}

static void test_edge(void **state)
{
    (void)state;
    program(4, 0x24, 1);
    ioapic_set_irq(&io, 4, true);
    assert_int_equal(nmsgs, 1);
    assert_int_equal(msgs[0].vector, 0x24);
    assert_int_equal(msgs[0].dest, 1);
    assert_false(msgs[0].logical || msgs[0].level || msgs[0].dest_x2apic);
    assert_int_equal(msgs[0].mode, APIC_DM_FIXED);
    ioapic_set_irq(&io, 4, true); /* no new edge */
    assert_int_equal(nmsgs, 1);
    ioapic_set_irq(&io, 4, false);
    ioapic_set_irq(&io, 4, true);
    assert_int_equal(nmsgs, 2);
    assert_int_equal(reg_read(0x10 + 8) & REMOTE_IRR, 0);
    /* Masked: the edge is lost, unmasking with the line high sends nothing. */
    ioapic_set_irq(&io, 4, false);
    program(4, MASKED | 0x24, 1);
    ioapic_set_irq(&io, 4, true);
    program(4, 0x24, 1);
    assert_int_equal(nmsgs, 2);
    ioapic_set_irq(&io, 99, true); /* no such pin */
    assert_int_equal(nmsgs, 2);
}

static void test_level(void **state)
{
    (void)state;
    program(16, LEVEL | LOGICAL | LOWEST | 0x30, 0x0f);
    ioapic_set_irq(&io, 16, true);
    assert_int_equal(nmsgs, 1);
    assert_true(msgs[0].level && msgs[0].logical);
    assert_int_equal(msgs[0].mode, APIC_DM_LOWEST);
    assert_int_equal(msgs[0].dest, 0x0f);
    assert_true(reg_read(0x10 + 32) & REMOTE_IRR);
    ioapic_set_irq(&io, 16, true); /* in service: nothing */
    assert_int_equal(nmsgs, 1);
    ioapic_eoi(&io, 0x31);         /* other vector */
    assert_int_equal(nmsgs, 1);
    ioapic_eoi(&io, 0x30);         /* still asserted: again */
    assert_int_equal(nmsgs, 2);
    ioapic_set_irq(&io, 16, false);
    ioapic_eoi(&io, 0x30);
    assert_int_equal(nmsgs, 2);
    assert_false(reg_read(0x10 + 32) & REMOTE_IRR);
    /* Asserted while masked fires on unmask. */
    program(16, MASKED | LEVEL | 0x30, 0);
    ioapic_set_irq(&io, 16, true);
    assert_int_equal(nmsgs, 2);
    program(16, LEVEL | 0x30, 0);
    assert_int_equal(nmsgs, 3);
    /* Rewriting an in-service entry keeps remote IRR; switching it to
     * edge drops it. */
    program(16, LEVEL | 0x30, 0);
    assert_true(reg_read(0x10 + 32) & REMOTE_IRR);
    assert_int_equal(nmsgs, 3);
    program(16, 0x30, 0);
    assert_false(reg_read(0x10 + 32) & REMOTE_IRR);
}

/* ---- wired to the LAPIC model ---- */
static struct lapic_set lapics;
static unsigned kicks;
static void to_lapics(const struct apic_msg *m) { lapic_deliver(&lapics, m); }
/* The VMM services lapic.c calls; EOIs reach the IOAPIC as platform.c
 * routes them. */
void vmm_irq_eoi(uint8_t vector) { ioapic_eoi(&io, vector); }
uint64_t vmm_guest_tsc(void) { return 0; }
void vmm_vcpu_kick(unsigned v) { (void)v; kicks++; }
void vmm_vcpu_init(unsigned v) { (void)v; }
void vmm_vcpu_sipi(unsigned v, uint8_t vec) { (void)v; (void)vec; }

static void test_with_lapics(void **state)
{
    (void)state;
    ioapic_init(&io, 4, to_lapics);
    lapic_set_init(&lapics, 2);
    struct lapic *l = &lapics.cpu[1];
    assert_true(lapic_msr_write(l, 0x80f, 0x1ff));
    program(20, LEVEL | 0x55, 1);
    ioapic_set_irq(&io, 20, true);
    assert_int_equal(lapic_pending_vector(l), 0x55);
    assert_int_equal(lapic_pending_vector(&lapics.cpu[0]), -1);
    lapic_accept(l, 0x55);
    /* Guest EOI while the device still asserts: delivered again. */
    assert_true(lapic_msr_write(l, 0x80b, 0));
    assert_int_equal(lapic_pending_vector(l), 0x55);
    lapic_accept(l, 0x55);
    ioapic_set_irq(&io, 20, false);
    assert_true(lapic_msr_write(l, 0x80b, 0));
    assert_int_equal(lapic_pending_vector(l), -1);
    assert_false(reg_read(0x10 + 40) & REMOTE_IRR);
    assert_int_equal(kicks, 2);
}

/* A hostile guest and flapping devices: random register window
 * accesses, pins, levels and EOIs. Nothing may crash, reserved bits stay
 * clear, and masked pins never send. */
static uint64_t rng = 0x2545f4914f6cdd1dull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_hostile_guest(void **state)
{
    (void)state;
    static const unsigned sizes[] = {1, 2, 4, 8};
    for (unsigned step = 0; step < 200000; step++) {
        unsigned before = nmsgs;
        unsigned pin = rnd() % 32;
        bool masked = pin < IOAPIC_PINS && (io.redir[pin] & MASKED);
        switch (rnd() % 5) {
        case 0: ioapic_mmio_write(&io, rnd() % 2 ? 0 : rnd() % 0x40, sizes[rnd() % 4], rnd() % 0x50); break;
        case 1: ioapic_mmio_write(&io, rnd() % 2 ? 0x10 : rnd() % 0x40, sizes[rnd() % 4], rnd()); break;
        case 2: ioapic_mmio_read(&io, rnd() % 0x40, sizes[rnd() % 4]); break;
        case 3:
            ioapic_set_irq(&io, pin, rnd() & 1);
            if (masked)
                assert_int_equal(nmsgs, before);
            break;
        default: ioapic_eoi(&io, (uint8_t)rnd()); break;
        }
        nmsgs = 0;
        for (unsigned p = 0; p < IOAPIC_PINS; p++)
            assert_int_equal(io.redir[p] & 0x00fffffffffe0000ull, 0); /* reserved bits */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_registers, setup),
        cmocka_unit_test_setup(test_edge, setup),
        cmocka_unit_test_setup(test_level, setup),
        cmocka_unit_test_setup(test_with_lapics, setup),
        cmocka_unit_test_setup(test_hostile_guest, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
