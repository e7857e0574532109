/* SPDX-License-Identifier: GPL-2.0-only */
/* Multiprocessor checks: every CPU came up, ticks, and answers IPIs. */
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/idt.h"
#include "tests/kernel/ktest.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/timer.h"

#define TICK_WAIT_US 50000
#define IPI_WAIT_US 100000
#define POLL_US 100

extern volatile uint64_t smp_ipi_wake_count[MAX_CPUS];

static unsigned online_aps(void)
{
    unsigned n = 0;
    for (unsigned i = 1; i < MAX_CPUS; i++)
        n += percpu[i].online;
    return n;
}

KTEST(smp_all_cpus_online)
{
    KTEST_REQUIRE(cpus_online == acpi.cpu_count, "%u of %u CPUs online", cpus_online, acpi.cpu_count);
    KTEST_REQUIRE(online_aps() + 1 == cpus_online, "%u APs marked online but cpus_online is %u", online_aps(),
                  cpus_online);
    return KTEST_PASS;
}

KTEST(smp_ap_timers_tick)
{
    KTEST_SKIP_IF(online_aps() == 0, "no application processors");
    uint64_t before[MAX_CPUS];
    for (unsigned i = 1; i < MAX_CPUS; i++)
        before[i] = percpu[i].timer_ticks;
    timer_udelay(TICK_WAIT_US);
    for (unsigned i = 1; i < MAX_CPUS; i++) {
        if (!percpu[i].online)
            continue;
        uint64_t d = percpu[i].timer_ticks - before[i];
        KTEST_REQUIRE(d >= 1, "CPU %u (APIC id %u) did not tick in 50 ms", i, percpu[i].apic_id);
    }
    return KTEST_PASS;
}

KTEST(smp_ipi_roundtrip)
{
    KTEST_SKIP_IF(online_aps() == 0, "no application processors");
    for (unsigned i = 1; i < MAX_CPUS; i++) {
        if (!percpu[i].online)
            continue;
        uint64_t before = smp_ipi_wake_count[i];
        lapic_send_ipi(percpu[i].apic_id, VEC_IPI_WAKE);
        uint64_t waited = 0;
        while (smp_ipi_wake_count[i] == before && waited < IPI_WAIT_US) {
            timer_udelay(POLL_US);
            waited += POLL_US;
        }
        KTEST_REQUIRE(smp_ipi_wake_count[i] == before + 1, "CPU %u (APIC id %u) saw %llu wake IPIs, expected 1", i,
                      percpu[i].apic_id, (unsigned long long)(smp_ipi_wake_count[i] - before));
    }
    return KTEST_PASS;
}
