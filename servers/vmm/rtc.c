/* SPDX-License-Identifier: GPL-2.0-only */
/* The CMOS real-time clock (rtc.h). */
#include "rtc.h"
#include "acpi.h"
#include "common/string.h"

#define REG_SEC 0x00
#define REG_MIN 0x02
#define REG_HOUR 0x04
#define REG_WDAY 0x06
#define REG_MDAY 0x07
#define REG_MON 0x08
#define REG_YEAR 0x09
#define REG_A 0x0a
#define REG_B 0x0b
#define REG_C 0x0c
#define REG_D 0x0d
#define REG_CENTURY ACPI_CMOS_CENTURY

#define A_UIP 0x80
#define A_WRITABLE 0x7f
#define A_DEFAULT 0x26       /* 32.768 kHz time base, 1024 Hz rate */
#define B_SET 0x80
#define B_BINARY 0x04
#define B_24H 0x02           /* always set: the 12-hour mode is not modelled */
#define B_DEFAULT B_24H      /* BCD, 24-hour, like a PC BIOS leaves it */
#define D_VALID_RAM_TIME 0x80
#define INDEX_MASK 0x7f      /* bit 7 masks NMIs on a PC: nothing to do here */

#define NS_PER_SEC 1000000000ull
#define UIP_WINDOW_NS 244000ull  /* the update cycle's 244 us before each second */
#define SECONDS_PER_DAY 86400
#define UNIX_EPOCH_WDAY 4        /* 1970-01-01 was a Thursday (0 = Sunday) */
#define MIN_YEAR 1970
#define MAX_YEAR 9999

/* ---- calendar ----------------------------------------------------------- */

/* Days since 1970-01-01 of a proleptic Gregorian date (a civil-from-days
 * count over 400-year eras). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

void rtc_time_from_unix(int64_t seconds, struct rtc_time *t)
{
    int64_t days = floor_div(seconds, SECONDS_PER_DAY);
    int64_t rem = seconds - days * SECONDS_PER_DAY;
    t->hour = (unsigned)(rem / 3600);
    t->min = (unsigned)(rem / 60 % 60);
    t->sec = (unsigned)(rem % 60);
    t->wday = (unsigned)((days % 7 + 7 + UNIX_EPOCH_WDAY) % 7) + 1;
    int64_t z = days + 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    t->mday = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    t->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    t->year = (unsigned)(yoe + era * 400 + (t->mon <= 2));
}

static unsigned clamp(unsigned v, unsigned lo, unsigned hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

int64_t rtc_time_to_unix(const struct rtc_time *t)
{
    /* Whatever the guest wrote: keep every field in its range. */
    unsigned year = clamp(t->year, MIN_YEAR, MAX_YEAR), mon = clamp(t->mon, 1, 12), mday = clamp(t->mday, 1, 31);
    return days_from_civil(year, mon, mday) * SECONDS_PER_DAY + clamp(t->hour, 0, 23) * 3600
           + clamp(t->min, 0, 59) * 60 + clamp(t->sec, 0, 59);
}

/* ---- register encoding -------------------------------------------------- */

static bool binary_mode(const struct rtc *r)
{
    return r->cmos[REG_B] & B_BINARY;
}

static uint8_t encode(const struct rtc *r, unsigned v)
{
    return binary_mode(r) ? (uint8_t)v : (uint8_t)((v / 10 % 10) << 4 | v % 10); /* BCD */
}

static unsigned decode(const struct rtc *r, uint8_t v)
{
    return binary_mode(r) ? v : (v >> 4) * 10u + (v & 0xf); /* BCD */
}

static uint64_t now_ns(const struct rtc *r)
{
    return r->now_ns(r->ctx);
}

static int64_t now_seconds(const struct rtc *r)
{
    return (int64_t)(now_ns(r) / NS_PER_SEC);
}

/* The time the guest sees now. */
static void current_time(const struct rtc *r, struct rtc_time *t)
{
    if (r->frozen)
        *t = r->set_time;
    else
        rtc_time_from_unix(now_seconds(r) + r->offset, t);
}

static unsigned *time_field(struct rtc_time *t, unsigned reg)
{
    unsigned *by_register[REG_MON + 1] = {
        [REG_SEC] = &t->sec, [REG_MIN] = &t->min, [REG_HOUR] = &t->hour,
        [REG_WDAY] = &t->wday, [REG_MDAY] = &t->mday, [REG_MON] = &t->mon,
    };
    return reg <= REG_MON ? by_register[reg] : NULL;
}

static uint8_t read_register(struct rtc *r, unsigned reg)
{
    struct rtc_time t;
    current_time(r, &t);
    unsigned *field = time_field(&t, reg);
    switch (reg) {
    case REG_YEAR: return encode(r, t.year % 100);
    case REG_CENTURY: return encode(r, t.year / 100 % 100);
    case REG_A: {
        bool uip = !r->frozen && now_ns(r) % NS_PER_SEC >= NS_PER_SEC - UIP_WINDOW_NS;
        return (uint8_t)((r->cmos[REG_A] & A_WRITABLE) | (uip ? A_UIP : 0));
    }
    case REG_C: return 0; /* no interrupt flags: the model raises none */
    case REG_D: return D_VALID_RAM_TIME;
    default: return field ? encode(r, *field) : r->cmos[reg];
    }
}

/* Each field within its range, without normalising the date: while SET
 * is on, the guest writes the fields one by one (day 31 may come before
 * its month). The year is two two-digit fields, always 0..9999. */
static struct rtc_time in_range(struct rtc_time t)
{
    t.sec = clamp(t.sec, 0, 59);
    t.min = clamp(t.min, 0, 59);
    t.hour = clamp(t.hour, 0, 23);
    t.wday = clamp(t.wday, 1, 7);
    t.mday = clamp(t.mday, 1, 31);
    t.mon = clamp(t.mon, 1, 12);
    return t;
}

/* The guest sets one field of the clock: frozen, into set_time; running,
 * straight into the offset. */
static void write_time(struct rtc *r, unsigned reg, uint8_t v)
{
    struct rtc_time t;
    current_time(r, &t);
    if (reg == REG_YEAR)
        t.year = t.year / 100 * 100 + decode(r, v) % 100;
    else if (reg == REG_CENTURY)
        t.year = decode(r, v) % 100 * 100 + t.year % 100;
    else
        *time_field(&t, reg) = decode(r, v);
    if (r->frozen)
        r->set_time = in_range(t);
    else
        r->offset = rtc_time_to_unix(&t) - now_seconds(r);
}

static void write_register_b(struct rtc *r, uint8_t v)
{
    bool set = v & B_SET;
    if (set && !r->frozen) {
        current_time(r, &r->set_time);
        r->frozen = true;
    } else if (!set && r->frozen) {
        r->frozen = false;
        r->offset = rtc_time_to_unix(&r->set_time) - now_seconds(r);
    }
    r->cmos[REG_B] = v | B_24H;
}

static void write_register(struct rtc *r, unsigned reg, uint8_t v)
{
    struct rtc_time scratch;
    if (time_field(&scratch, reg) || reg == REG_YEAR || reg == REG_CENTURY)
        write_time(r, reg, v);
    else if (reg == REG_A)
        r->cmos[REG_A] = v & A_WRITABLE;
    else if (reg == REG_B)
        write_register_b(r, v);
    else if (reg != REG_C && reg != REG_D) /* C and D are read-only */
        r->cmos[reg] = v;
}

/* One byte at port offset 0 (index) or 1 (data). */
static void write_port(struct rtc *r, uint64_t offset, uint8_t v)
{
    if (offset == 0)
        r->index = v & INDEX_MASK;
    else
        write_register(r, r->index, v);
}

/* A word access at 0x70 is the index and then the data byte, as on a PC;
 * the index register is write-only (reads 0xff). */
uint64_t rtc_read(void *dev, uint64_t offset, unsigned size)
{
    struct rtc *r = dev;
    uint64_t v = 0;
    for (unsigned k = 0; k < size && k < 8; k++)
        v |= (uint64_t)(offset + k == 1 ? read_register(r, r->index) : 0xff) << (8 * k);
    return v;
}

void rtc_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    for (unsigned k = 0; k < size && offset + k < 2; k++)
        write_port(dev, offset + k, (uint8_t)(value >> (8 * k)));
}

bool rtc_attach(struct rtc *r, struct vmm_bus *io_bus, uint64_t (*now)(void *ctx), void *ctx)
{
    memset(r, 0, sizeof *r);
    r->now_ns = now;
    r->ctx = ctx;
    r->cmos[REG_A] = A_DEFAULT;
    r->cmos[REG_B] = B_DEFAULT;
    return vmm_bus_add(io_bus, RTC_INDEX_PORT, 2, rtc_read, rtc_write, r);
}
