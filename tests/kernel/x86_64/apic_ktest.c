/* SPDX-License-Identifier: GPL-2.0-only */
/* Local APIC, IOAPIC and LAPIC timer checks on the bootstrap processor. */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "common/string.h"
#include "tests/kernel/ktest.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"

#define TICK_TEST_US 50000 /* 5 ticks at 100 Hz */

KTEST(apic_mode)
{
    bool want = cpu_features.x2apic || (rdmsr(MSR_APIC_BASE) & (1ull << 10));
    KTEST_REQUIRE(lapic_is_x2apic() == want, "driver uses %s but the CPU %s x2APIC",
                  lapic_is_x2apic() ? "x2APIC" : "xAPIC", cpu_features.x2apic ? "has" : "lacks");
    uint64_t base = rdmsr(MSR_APIC_BASE);
    KTEST_REQUIRE(base & (1ull << 11), "IA32_APIC_BASE global enable is off");
    KTEST_REQUIRE(!!(base & (1ull << 10)) == lapic_is_x2apic(), "IA32_APIC_BASE x2APIC bit disagrees with the driver");
    KTEST_REQUIRE(lapic_id() == this_cpu()->apic_id, "LAPIC id %u but per-CPU data says %u", lapic_id(),
                  this_cpu()->apic_id);
    return KTEST_PASS;
}

KTEST(apic_ioapic_lines)
{
    KTEST_SKIP_IF(acpi.ioapic_count == 0, "the MADT lists no IOAPIC");
    unsigned n = ioapic_line_count();
    KTEST_REQUIRE(n >= 16 && n <= 240 * ACPI_MAX_IOAPICS, "%u IOAPIC lines", n);
    return KTEST_PASS;
}

KTEST(timer_calibration_sane)
{
    uint64_t l = timer_lapic_hz(), t = timer_tsc_hz();
    KTEST_REQUIRE(strcmp(timer_calibration_source(), "nothing (guessed)") != 0, "no reference clock worked");
    KTEST_REQUIRE(l >= 100000 && l <= 20000000000ull, "LAPIC timer at %llu Hz", (unsigned long long)l);
    KTEST_REQUIRE(t >= 1000000 && t <= 50000000000ull, "TSC at %llu Hz", (unsigned long long)t);
    return KTEST_PASS;
}

KTEST(timer_ticks_advance)
{
    uint64_t flags = read_rflags();
    irq_enable();
    uint64_t before = this_cpu()->timer_ticks;
    timer_udelay(TICK_TEST_US);
    uint64_t ticks = this_cpu()->timer_ticks - before;
    if (!(flags & (1u << 9)))
        irq_disable();
    /* 5 expected; a tick rate off by 4x means a calibration bug. */
    KTEST_REQUIRE(ticks >= 2 && ticks <= 20, "%llu ticks in 50 ms at %u Hz", (unsigned long long)ticks, TIMER_HZ);
    return KTEST_PASS;
}
