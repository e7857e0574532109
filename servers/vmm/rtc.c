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
#define B_BINARY 0x04
#define B_24H 0x02           /* always set: the 12-hour mode is not modelled */
#define B_DEFAULT B_24H      /* BCD, 24-hour, like a PC BIOS leaves it */
#define D_VALID_RAM_TIME 0x80
#define INDEX_MASK 0x7f      /* bit 7 masks NMIs on a PC: nothing to do here */

#define NS_PER_SEC 1000000000ull
#define UIP_WINDOW_NS 244000ull  /* the update cycle's 244 us before each second */
#define SECONDS_PER_DAY 86400
#define UNIX_EPOCH_WDAY 4        /* 1970-01-01 was a Thursday (0 = Sunday) */

/* ---- calendar ----------------------------------------------------------- */

/* A civil-from-days count over 400-year eras (from 0000-03-01). */
void rtc_time_from_unix(uint64_t seconds, struct rtc_time *t)
{
    uint64_t days = seconds / SECONDS_PER_DAY, rem = seconds % SECONDS_PER_DAY;
    t->hour = (unsigned)(rem / 3600);
    t->min = (unsigned)(rem / 60 % 60);
    t->sec = (unsigned)(rem % 60);
    t->wday = (unsigned)((days + UNIX_EPOCH_WDAY) % 7) + 1;
    uint64_t z = days + 719468, era = z / 146097, doe = z - era * 146097;
    uint64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    uint64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100), mp = (5 * doy + 2) / 153;
    t->mday = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    t->mon = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    t->year = (unsigned)(yoe + era * 400 + (t->mon <= 2));
}

/* ---- register encoding -------------------------------------------------- */

static uint8_t encode(const struct rtc *r, unsigned v)
{
    return r->cmos[REG_B] & B_BINARY ? (uint8_t)v : (uint8_t)((v / 10 % 10) << 4 | v % 10); /* BCD */
}

/* The clock's registers (the alarm registers between them are CMOS bytes). */
static bool is_clock(unsigned reg)
{
    return reg == REG_CENTURY || (reg <= REG_YEAR && (reg >= REG_WDAY || reg % 2 == 0));
}

static uint8_t read_register(struct rtc *r, unsigned reg)
{
    uint64_t ns = r->now_ns(r->ctx);
    struct rtc_time t;
    rtc_time_from_unix(ns / NS_PER_SEC, &t);
    const unsigned time[REG_YEAR + 1] = {[REG_SEC] = t.sec, [REG_MIN] = t.min, [REG_HOUR] = t.hour,
                                         [REG_WDAY] = t.wday, [REG_MDAY] = t.mday, [REG_MON] = t.mon,
                                         [REG_YEAR] = t.year % 100};
    if (is_clock(reg))
        return encode(r, reg == REG_CENTURY ? t.year / 100 % 100 : time[reg]);
    switch (reg) {
    case REG_A: {
        bool uip = ns % NS_PER_SEC >= NS_PER_SEC - UIP_WINDOW_NS;
        return (uint8_t)((r->cmos[REG_A] & A_WRITABLE) | (uip ? A_UIP : 0));
    }
    case REG_C: return 0; /* no interrupt flags: the model raises none */
    case REG_D: return D_VALID_RAM_TIME;
    default: return r->cmos[reg];
    }
}

/* One byte at port offset 0 (index) or 1 (data). The time registers are
 * the host clock's and ignore writes (docs/vmm.md, "What was left out"). */
static void write_port(struct rtc *r, uint64_t offset, uint8_t v)
{
    unsigned reg = r->index;
    if (offset == 0)
        r->index = v & INDEX_MASK;
    else if (reg == REG_A)
        r->cmos[REG_A] = v & A_WRITABLE;
    else if (reg == REG_B)
        r->cmos[REG_B] = v | B_24H;
    else if (reg != REG_C && reg != REG_D && !is_clock(reg))
        r->cmos[reg] = v;
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
