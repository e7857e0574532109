/* SPDX-License-Identifier: GPL-2.0-only */
/* Interrupt lines as capabilities: the CMOS real-time clock's periodic
 * interrupt (ISA IRQ 8, GSI 8 without an ACPI override on the PC
 * platforms we test) signals a bound semaphore. The root holds the RTC's
 * ports (all ports) and every line. */
#include <stdbool.h>
#include "agent.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "utest.h"
#include "lib/x86.h"

#define RTC_INDEX 0x70
#define RTC_DATA 0x71
#define RTC_NMI_DISABLE 0x80
#define RTC_REG_A 0x0a
#define RTC_REG_B 0x0b
#define RTC_REG_C 0x0c
#define RTC_A_RATE_MASK 0x0f
#define RTC_A_RATE_64HZ 0x0a
#define RTC_B_PERIODIC 0x40
#define RTC_GSI 8
#define RTC_INTERRUPTS_WANTED 5
#define WAIT_BUDGET_TSC 8000000000ull /* generous: TSC rates differ between emulators */


static uint8_t rtc_read(uint8_t reg)
{
    outb(RTC_INDEX, RTC_NMI_DISABLE | reg);
    return inb(RTC_DATA);
}

static void rtc_write(uint8_t reg, uint8_t v)
{
    outb(RTC_INDEX, RTC_NMI_DISABLE | reg);
    outb(RTC_DATA, v);
}

/* Machines without ACPI (no MADT) show the kernel no IOAPIC: no lines. */
static bool have_line(uint64_t irq)
{
    enum dj_obj_type t = DJ_OBJ_NONE;
    return dj_lookup(DJ_CRD(DJ_CRD_OBJ, irq, 0, 0), 0, &t) == DJ_OK && t == DJ_OBJ_IRQ;
}

/* Down the semaphore without blocking forever: spin with interrupts on. */
static bool wait_signal(uint64_t sm)
{
    uint64_t start = utest_rdtsc();
    while (utest_rdtsc() - start < WAIT_BUDGET_TSC)
        if (dj_sm_ctrl(sm, DJ_SM_OP_TRY_DOWN) == DJ_OK)
            return true;
    return false;
}

UTEST(irq_rtc_interrupts_signal_semaphore)
{
    uint64_t irq = DJ_SEL_IRQ_BASE + RTC_GSI, sm = utest_selector();
    if (!have_line(irq))
        UTEST_SKIP("no interrupt line for GSI %u (no IOAPIC known)", RTC_GSI);
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore");
    UTEST_REQUIRE(dj_irq_ctrl(irq, DJ_IRQ_OP_BIND, sm, 0) == DJ_OK, "binding GSI %u failed", RTC_GSI);
    UTEST_REQUIRE(dj_irq_ctrl(irq, DJ_IRQ_OP_BIND, sm, 0) == DJ_E_BUSY, "a bound line was bound again");
    rtc_write(RTC_REG_A, (uint8_t)((rtc_read(RTC_REG_A) & ~RTC_A_RATE_MASK) | RTC_A_RATE_64HZ));
    rtc_read(RTC_REG_C); /* drop anything pending */
    rtc_write(RTC_REG_B, rtc_read(RTC_REG_B) | RTC_B_PERIODIC);
    unsigned seen = 0;
    while (seen < RTC_INTERRUPTS_WANTED && wait_signal(sm)) {
        seen++;
        rtc_read(RTC_REG_C); /* the RTC raises its line again only after this */
    }
    rtc_write(RTC_REG_B, rtc_read(RTC_REG_B) & ~RTC_B_PERIODIC);
    rtc_read(RTC_REG_C);
    UTEST_REQUIRE(dj_irq_ctrl(irq, DJ_IRQ_OP_UNBIND, 0, 0) == DJ_OK, "unbind failed");
    UTEST_REQUIRE(seen == RTC_INTERRUPTS_WANTED, "%u of %u RTC interrupts signalled", seen, RTC_INTERRUPTS_WANTED);
    return true;
}

UTEST(irq_ctrl_bad_arguments_refused)
{
    uint64_t irq = DJ_SEL_IRQ_BASE + RTC_GSI, sm = utest_selector();
    if (!have_line(irq))
        UTEST_SKIP("no interrupt line for GSI %u (no IOAPIC known)", RTC_GSI);
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore");
    UTEST_REQUIRE(dj_irq_ctrl(DJ_SEL_SELF_PD, DJ_IRQ_OP_BIND, sm, 0) == DJ_E_BAD_CAP, "a PD used as an interrupt line");
    UTEST_REQUIRE(dj_irq_ctrl(irq, DJ_IRQ_OP_BIND, DJ_SEL_SELF_PD, 0) == DJ_E_BAD_CAP, "a PD used as a semaphore");
    UTEST_REQUIRE(dj_irq_ctrl(irq, DJ_IRQ_OP_BIND, sm, 1u << 7) == DJ_E_BAD_PARAM, "unknown flags accepted");
    UTEST_REQUIRE(dj_irq_ctrl(irq, 9, sm, 0) == DJ_E_BAD_PARAM, "unknown operation accepted");
    UTEST_REQUIRE(dj_irq_ctrl(irq, DJ_IRQ_OP_ACK, 0, 0) == DJ_E_BAD_PARAM, "acknowledging an unbound line");
    UTEST_REQUIRE(dj_irq_ctrl(DJ_SEL_IRQ_BASE + 0xbf, DJ_IRQ_OP_BIND, sm, 0) == DJ_E_BAD_CAP,
                  "a line no IOAPIC has (GSI 191)");
    return true;
}

/* Revoking the capability that bound a line unbinds it: a child PD binds
 * a delegated line, loses the capability, and the line is the root's to
 * bind again (not DJ_E_BUSY); its interrupts no longer reach the child. */
#define CHILD_IRQ 50
#define CHILD_SM 51
#define CHILD_MSI 52
#define TEST_MSI (DJ_MSI_COUNT - 1)

static bool child_binds(const struct agent *a, uint64_t line, uint64_t child_line, uint64_t child_sm, uint64_t *copy)
{
    *copy = utest_selector(); /* a copy to revoke: the root's own capability stays */
    return dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_OBJ, line, 0, DJ_OBJ_ALL), *copy) == DJ_OK &&
           agent_give(a, *copy, DJ_IRQ_CTRL, child_line) == DJ_OK &&
           agent_syscall(a, DJ_SYS_IRQ_CTRL, child_line, DJ_IRQ_OP_BIND, child_sm, 0, 0, 0).status == DJ_OK;
}

UTEST(isolation_irq_revoke_unbinds)
{
    uint64_t irq = DJ_SEL_IRQ_BASE + RTC_GSI, msi = DJ_SEL_MSI_BASE + TEST_MSI;
    uint64_t child_sm = utest_selector(), sm = utest_selector(), copy, msi_copy;
    if (!have_line(irq))
        UTEST_SKIP("no interrupt line for GSI %u (no IOAPIC known)", RTC_GSI);
    struct agent a;
    UTEST_REQUIRE(agent_create(&a, DJ_PRIO_MAX), "agent setup failed");
    UTEST_REQUIRE(dj_create_sm(child_sm, a.pd, 0) == DJ_OK && agent_give(&a, child_sm, DJ_SM_UP, CHILD_SM) == DJ_OK &&
                      dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK,
                  "semaphores");
    UTEST_REQUIRE(child_binds(&a, irq, CHILD_IRQ, CHILD_SM, &copy), "the child could not bind the line");
    UTEST_REQUIRE(child_binds(&a, msi, CHILD_MSI, CHILD_SM, &msi_copy), "the child could not bind the MSI");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_OBJ, copy, 0, 0), false) == DJ_OK &&
                      dj_revoke(DJ_CRD(DJ_CRD_OBJ, msi_copy, 0, 0), false) == DJ_OK,
                  "revoke failed");
    uint64_t addr, data;
    enum dj_status msi_st = dj_msi_bind(msi, sm, &addr, &data);
    enum dj_status st = dj_irq_ctrl(irq, DJ_IRQ_OP_BIND, sm, 0);
    if (msi_st == DJ_OK)
        dj_irq_ctrl(msi, DJ_IRQ_OP_UNBIND, 0, 0);
    UTEST_REQUIRE(msi_st == DJ_OK, "the root's bind of the revoked MSI: status %d", msi_st);
    UTEST_REQUIRE(st == DJ_OK, "the root's bind of the revoked line: status %d", st);
    rtc_write(RTC_REG_A, (uint8_t)((rtc_read(RTC_REG_A) & ~RTC_A_RATE_MASK) | RTC_A_RATE_64HZ));
    rtc_read(RTC_REG_C);
    rtc_write(RTC_REG_B, rtc_read(RTC_REG_B) | RTC_B_PERIODIC);
    unsigned seen = 0;
    while (seen < RTC_INTERRUPTS_WANTED && wait_signal(sm)) {
        seen++;
        rtc_read(RTC_REG_C);
    }
    rtc_write(RTC_REG_B, rtc_read(RTC_REG_B) & ~RTC_B_PERIODIC);
    rtc_read(RTC_REG_C);
    dj_irq_ctrl(irq, DJ_IRQ_OP_UNBIND, 0, 0);
    UTEST_REQUIRE(seen == RTC_INTERRUPTS_WANTED, "%u of %u RTC interrupts reached the root", seen,
                  RTC_INTERRUPTS_WANTED);
    UTEST_REQUIRE(dj_sm_try_down(child_sm) == DJ_E_TIMEOUT, "the child's semaphore was signalled after the revoke");
    return true;
}
