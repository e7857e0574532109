/* SPDX-License-Identifier: GPL-2.0-only */
/* LAPIC timer calibration and the periodic tick.
 *
 * Reference clocks, in order of preference: the TSC frequency CPUID
 * reports (leaf 0x15, else 0x16), cross-checked against a measurement when
 * one is possible; the ACPI PM timer (3.579545 MHz); PIT channel 2. Each
 * measurement runs the LAPIC timer one-shot (divide by 16) and the TSC over
 * ~10 ms of the reference, three times, and keeps the median. Emulators
 * (QEMU TCG, Bochs) are slow and jittery, so every wait is bounded, every
 * result is range-checked, and nothing divides by a measured zero. */
#include "arch/x86_64/timer.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "common/format.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/vtd.h"

/* LAPIC register access lives in lapic.c. */
uint32_t lapic_read(uint32_t reg);
void lapic_write(uint32_t reg, uint32_t v);

#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TIMER_INITIAL 0x380
#define LAPIC_TIMER_CURRENT 0x390
#define LAPIC_TIMER_DIVIDE 0x3e0
#define LAPIC_DIVIDE_16 0x3
#define LAPIC_DIVISOR 16
#define LVT_MASKED (1u << 16)
#define LVT_PERIODIC (1u << 17)
#define LAPIC_COUNT_MAX 0xffffffffu

#define PM_TIMER_HZ 3579545ull
#define PIT_HZ 1193182ull
#define PIT_CH2_DATA 0x42
#define PIT_COMMAND 0x43
#define PIT_CH2_MODE0_LOHI 0xb0 /* channel 2, lo/hi byte, mode 0, binary */
#define PORT_B 0x61
#define PORT_B_GATE2 0x01
#define PORT_B_SPEAKER 0x02
#define PORT_B_OUT2 0x20
#define PIT_MAX_TICKS 0xffffu

#define CALIBRATION_MS 10
#define CALIBRATION_RUNS 3
#define POLL_LIMIT 5000000u  /* reference polls per measurement */
#define TSC_POLL_LIMIT 200000000u
#define US_PER_S 1000000ull
#define HZ_PER_MHZ 1000000ull
#define LAPIC_HZ_MIN 100000ull       /* Bochs with a low ips setting is slow */
#define LAPIC_HZ_MAX 20000000000ull
#define TSC_HZ_MIN 1000000ull
#define TSC_HZ_MAX 50000000000ull
#define DEFAULT_LAPIC_HZ 100000000ull /* a guess when nothing could be measured */
#define CROSS_CHECK_PERCENT 10
#define DELTA_LIMIT (1ull << 40)      /* keeps delta * frequency below 2^64 */

enum ref_kind { REF_TSC, REF_PM_TIMER, REF_PIT };
static const char *const ref_names[] = {"TSC", "ACPI PM timer", "PIT"};

struct calibration {
    uint64_t lapic_hz, tsc_hz;
};

static uint64_t lapic_hz, tsc_hz;
static const char *source = "nothing";

uint64_t timer_lapic_hz(void) { return lapic_hz; }
uint64_t timer_tsc_hz(void) { return tsc_hz; }
const char *timer_calibration_source(void) { return source; }

/* ---- PIT channel 2 (gated through port 0x61, speaker off) ---- */

static void pit_start(uint16_t ticks)
{
    uint8_t b = inb(PORT_B) & ~(PORT_B_GATE2 | PORT_B_SPEAKER);
    outb(PORT_B, b);
    outb(PIT_COMMAND, PIT_CH2_MODE0_LOHI);
    outb(PIT_CH2_DATA, ticks & 0xff);
    outb(PIT_CH2_DATA, ticks >> 8);
    outb(PORT_B, b | PORT_B_GATE2); /* counting starts with the gate */
}

static bool pit_done(void)
{
    return inb(PORT_B) & PORT_B_OUT2;
}

static void pit_stop(void)
{
    outb(PORT_B, inb(PORT_B) & ~(PORT_B_GATE2 | PORT_B_SPEAKER));
}

static bool pit_wait(uint16_t ticks)
{
    pit_start(ticks);
    for (uint32_t i = 0; i < POLL_LIMIT; i++) {
        if (pit_done()) {
            pit_stop();
            return true;
        }
        cpu_relax();
    }
    pit_stop();
    return false;
}

/* ---- ACPI PM timer ---- */

static uint32_t pm_mask(void)
{
    return acpi.pm_timer_32bit ? 0xffffffffu : 0x00ffffffu;
}

static uint32_t pm_read(void)
{
    return inl((uint16_t)acpi.pm_timer_port) & pm_mask();
}

/* ---- measurement ---- */

static void lapic_oneshot_start(void)
{
    lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
    lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_16);
    lapic_write(LAPIC_TIMER_INITIAL, LAPIC_COUNT_MAX);
}

/* One run: elapsed TSC cycles and LAPIC counts over `ref_ticks` of the
 * reference clock. False when the reference did not advance in time. */
static bool measure_once(enum ref_kind kind, uint64_t *tsc_delta, uint64_t *lapic_delta, uint64_t *ref_ticks,
                         uint64_t *ref_hz)
{
    uint64_t t0, t1;
    uint32_t l0, l1;
    bool ok = false;
    lapic_oneshot_start();
    switch (kind) {
    case REF_TSC: {
        *ref_hz = tsc_hz;
        *ref_ticks = tsc_hz * CALIBRATION_MS / 1000;
        t0 = t1 = rdtsc();
        l0 = lapic_read(LAPIC_TIMER_CURRENT);
        for (uint32_t i = 0; i < TSC_POLL_LIMIT; i++) {
            t1 = rdtsc();
            if (t1 - t0 >= *ref_ticks) {
                ok = true;
                break;
            }
            cpu_relax();
        }
        l1 = lapic_read(LAPIC_TIMER_CURRENT);
        *ref_ticks = t1 - t0;
        break;
    }
    case REF_PM_TIMER: {
        *ref_hz = PM_TIMER_HZ;
        uint32_t target = PM_TIMER_HZ * CALIBRATION_MS / 1000, mask = pm_mask();
        /* Start on a counter edge so the first tick is not partial. */
        uint32_t p0 = pm_read(), start = p0, now = p0;
        uint32_t i = 0;
        while (i++ < POLL_LIMIT && (start = pm_read()) == p0)
            ;
        t0 = rdtsc();
        l0 = lapic_read(LAPIC_TIMER_CURRENT);
        for (; i < POLL_LIMIT; i++) {
            now = pm_read();
            if (((now - start) & mask) >= target) {
                ok = true;
                break;
            }
        }
        t1 = rdtsc();
        l1 = lapic_read(LAPIC_TIMER_CURRENT);
        *ref_ticks = (now - start) & mask;
        break;
    }
    case REF_PIT: {
        *ref_hz = PIT_HZ;
        *ref_ticks = PIT_HZ * CALIBRATION_MS / 1000;
        pit_start((uint16_t)*ref_ticks);
        t0 = rdtsc();
        l0 = lapic_read(LAPIC_TIMER_CURRENT);
        for (uint32_t i = 0; i < POLL_LIMIT; i++) {
            if (pit_done()) {
                ok = true;
                break;
            }
        }
        t1 = rdtsc();
        l1 = lapic_read(LAPIC_TIMER_CURRENT);
        pit_stop();
        break;
    }
    default:
        return false;
    }
    lapic_write(LAPIC_TIMER_INITIAL, 0);
    *tsc_delta = t1 - t0;
    *lapic_delta = l0 - l1;
    /* A current count of 0 means the one-shot ran out: the delta is a lie. */
    return ok && l1 != 0 && l1 <= l0 && *ref_ticks > 0 && *tsc_delta < DELTA_LIMIT && *lapic_delta < DELTA_LIMIT;
}

static void sort3(uint64_t *v, unsigned n)
{
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && v[j - 1] > v[j]; j--) {
            uint64_t t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static bool in_range(uint64_t v, uint64_t lo, uint64_t hi)
{
    return v >= lo && v <= hi;
}

/* Median of up to CALIBRATION_RUNS good runs against one reference. */
static bool calibrate_against(enum ref_kind kind, struct calibration *out)
{
    uint64_t lapic[CALIBRATION_RUNS], tsc[CALIBRATION_RUNS];
    unsigned good = 0;
    for (unsigned run = 0; run < CALIBRATION_RUNS; run++) {
        uint64_t td, ld, rt, rhz;
        if (!measure_once(kind, &td, &ld, &rt, &rhz) || rt == 0)
            continue;
        uint64_t l = ld * LAPIC_DIVISOR * rhz / rt;
        uint64_t t = kind == REF_TSC ? tsc_hz : td * rhz / rt;
        if (!in_range(l, LAPIC_HZ_MIN, LAPIC_HZ_MAX) || !in_range(t, TSC_HZ_MIN, TSC_HZ_MAX))
            continue;
        lapic[good] = l;
        tsc[good] = t;
        good++;
    }
    if (good == 0) {
        kprintf("timer: calibration against the %s failed\n", ref_names[kind]);
        return false;
    }
    sort3(lapic, good);
    sort3(tsc, good);
    out->lapic_hz = lapic[good / 2];
    out->tsc_hz = tsc[good / 2];
    return true;
}

/* TSC frequency from CPUID: leaf 0x15 (crystal * ratio), else 0x16 (base MHz). */
static uint64_t cpuid_tsc_hz(const char **name)
{
    uint32_t max = cpuid(0, 0).eax;
    if (max >= 0x15) {
        struct cpuid_regs r = cpuid(0x15, 0);
        if (r.eax && r.ebx && r.ecx) {
            *name = "CPUID 0x15";
            return (uint64_t)r.ecx * r.ebx / r.eax;
        }
    }
    if (max >= 0x16) {
        uint32_t mhz = cpuid(0x16, 0).eax & 0xffff;
        if (mhz) {
            *name = "CPUID 0x16";
            return (uint64_t)mhz * HZ_PER_MHZ;
        }
    }
    return 0;
}

static bool differs(uint64_t a, uint64_t b, unsigned percent)
{
    uint64_t d = a > b ? a - b : b - a;
    return d * 100 > b * percent;
}

static void format_mhz(char *buf, size_t n, uint64_t hz)
{
    if (hz >= 10 * HZ_PER_MHZ)
        ksnprintf(buf, n, "%llu MHz", (unsigned long long)((hz + HZ_PER_MHZ / 2) / HZ_PER_MHZ));
    else
        ksnprintf(buf, n, "%llu.%03llu MHz", (unsigned long long)(hz / HZ_PER_MHZ),
                  (unsigned long long)(hz % HZ_PER_MHZ / 1000));
}

void timer_calibrate(void)
{
    uint64_t flags = read_rflags();
    irq_disable();
    struct calibration c;
    enum ref_kind fallback = acpi.pm_timer_port ? REF_PM_TIMER : REF_PIT;
    const char *cpuid_name = NULL;
    uint64_t reported = cpuid_tsc_hz(&cpuid_name);
    if (reported && in_range(reported, TSC_HZ_MIN, TSC_HZ_MAX)) {
        tsc_hz = reported;
        if (calibrate_against(REF_TSC, &c)) {
            lapic_hz = c.lapic_hz;
            source = cpuid_name;
        }
        /* Emulators may report a frequency their TSC does not run at
         * (Bochs: CPUID 0x16 says 3500 MHz, the TSC counts instructions). */
        struct calibration check;
        if (calibrate_against(fallback, &check)) {
            bool wrong = differs(check.tsc_hz, reported, CROSS_CHECK_PERCENT);
            if (wrong)
                kprintf("timer: %s says TSC %llu MHz but the %s measures %llu MHz; using the measurement\n",
                        cpuid_name, (unsigned long long)(reported / HZ_PER_MHZ), ref_names[fallback],
                        (unsigned long long)(check.tsc_hz / HZ_PER_MHZ));
            if (wrong || !lapic_hz) {
                tsc_hz = check.tsc_hz;
                lapic_hz = check.lapic_hz;
                source = ref_names[fallback];
            }
        }
    }
    if (!lapic_hz && acpi.pm_timer_port && calibrate_against(REF_PM_TIMER, &c)) {
        lapic_hz = c.lapic_hz;
        tsc_hz = c.tsc_hz;
        source = ref_names[REF_PM_TIMER];
    }
    if (!lapic_hz && calibrate_against(REF_PIT, &c)) {
        lapic_hz = c.lapic_hz;
        tsc_hz = c.tsc_hz;
        source = ref_names[REF_PIT];
    }
    if (!lapic_hz) {
        lapic_hz = DEFAULT_LAPIC_HZ;
        tsc_hz = 0;
        source = "nothing (guessed)";
        kprintf("warning: timer: no reference clock worked; guessing a LAPIC bus of %llu MHz\n",
                (unsigned long long)(DEFAULT_LAPIC_HZ / HZ_PER_MHZ));
    }
    char l[24], t[24] = "unknown";
    format_mhz(l, sizeof(l), lapic_hz);
    if (tsc_hz)
        format_mhz(t, sizeof(t), tsc_hz);
    kprintf("timer: LAPIC %s bus, TSC %s (calibrated against %s)\n", l, t, source);
    if (flags & (1u << 9))
        irq_enable();
}

static void timer_interrupt(struct trap_frame *f)
{
    (void)f;
    this_cpu()->timer_ticks++;
    vtd_fault_tick(); /* [vtd] a fault storm's masked events back on */
    lapic_eoi();
}

void timer_start_this_cpu(void)
{
    irq_register(VEC_TIMER, timer_interrupt);
    uint64_t count = lapic_hz / LAPIC_DIVISOR / TIMER_HZ;
    if (count == 0)
        count = 1;
    if (count > LAPIC_COUNT_MAX)
        count = LAPIC_COUNT_MAX;
    lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
    lapic_write(LAPIC_TIMER_DIVIDE, LAPIC_DIVIDE_16);
    lapic_write(LAPIC_TIMER_INITIAL, (uint32_t)count);
}

void timer_udelay(uint64_t us)
{
    if (tsc_hz) {
        uint64_t cycles = us / US_PER_S * tsc_hz + us % US_PER_S * tsc_hz / US_PER_S;
        uint64_t start = rdtsc();
        while (rdtsc() - start < cycles)
            cpu_relax();
        return;
    }
    /* Not calibrated yet: PIT channel 2, in chunks it can count. */
    while (us) {
        uint64_t chunk = us * PIT_HZ / US_PER_S > PIT_MAX_TICKS ? PIT_MAX_TICKS * US_PER_S / PIT_HZ : us;
        uint64_t ticks = chunk * PIT_HZ / US_PER_S;
        if (ticks == 0)
            ticks = 1;
        if (!pit_wait((uint16_t)ticks))
            return; /* no PIT: give up rather than hang */
        us -= chunk;
    }
}
