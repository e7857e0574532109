/* SPDX-License-Identifier: GPL-2.0-only */
/* Interrupt lines as capabilities: the CMOS real-time clock's periodic
 * interrupt (ISA IRQ 8, GSI 8 without an ACPI override on the PC
 * platforms we test) signals a bound semaphore. The root holds the RTC's
 * ports (all ports) and every line. */
#include <stdbool.h>
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
