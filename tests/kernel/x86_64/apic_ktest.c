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

#define TICK_TEST_TICKS 5  /* 50 ms at 100 Hz */
#define TICK_TEST_SLACK 40 /* how much later than expected the ticks may come */

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

/* Times TICK_TEST_TICKS ticks against the TSC. A tick can only come late
 * (an emulator's CPU thread descheduled on a busy host), never early, so
 * the lower bound is tight (a tick rate twice too fast fails) and the
 * upper one generous (a loaded host passes, a tick 40 times too slow does
 * not). */
KTEST(timer_ticks_advance)
{
    uint64_t hz = timer_tsc_hz();
    KTEST_REQUIRE(hz != 0, "TSC rate unknown");
    uint64_t flags = read_rflags();
    irq_enable();
    uint64_t expected = hz / TIMER_HZ * TICK_TEST_TICKS;
    uint64_t give_up = rdtsc() + expected * TICK_TEST_SLACK;
    uint64_t first = this_cpu()->timer_ticks;
    while (this_cpu()->timer_ticks == first && rdtsc() < give_up)
        cpu_relax();
    uint64_t start_tick = this_cpu()->timer_ticks, start = rdtsc();
    while (this_cpu()->timer_ticks - start_tick < TICK_TEST_TICKS && rdtsc() < give_up)
        cpu_relax();
    uint64_t ticks = this_cpu()->timer_ticks - start_tick, took = rdtsc() - start;
    if (!(flags & (1u << 9)))
        irq_disable();
    KTEST_REQUIRE(ticks >= TICK_TEST_TICKS, "%llu ticks in %llu ms at %u Hz", (unsigned long long)ticks,
                  (unsigned long long)(took * 1000 / hz), TIMER_HZ);
    KTEST_REQUIRE(took >= expected / 2, "%u ticks in %llu us at %u Hz: too fast", TICK_TEST_TICKS,
                  (unsigned long long)(took * 1000000 / hz), TIMER_HZ);
    return KTEST_PASS;
}
