/* SPDX-License-Identifier: GPL-2.0-only */
/* The CMOS real-time clock (MC146818) at ports 0x70 (index; bit 7, the
 * NMI mask, is ignored) and 0x71 (data). The time comes from a callback
 * (UNIX time in nanoseconds, which the VMM derives from its own clock);
 * the guest reads it in BCD or binary as register B says, always in the
 * 24-hour mode (B's 24/12 bit reads 1 whatever the guest writes). Register A's update-in-progress bit is set in the last 244 us of
 * each second, as on the real chip. The guest cannot set the clock: the
 * time registers (and the century) ignore writes, and register B's SET
 * bit is only stored. Register C reads zero: the model raises no interrupts
 * (no periodic, alarm or update-ended IRQ 8). Registers 0x0e..0x7f are
 * plain CMOS RAM, except 0x32, the century (ACPI_CMOS_CENTURY). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmm.h"

#define RTC_INDEX_PORT 0x70
#define RTC_CMOS_SIZE 128

/* The clock fields as the guest sees them, in binary. */
struct rtc_time {
    unsigned sec, min, hour, wday /* 1 = Sunday */, mday, mon /* 1..12 */, year /* 4 digits */;
};

struct rtc {
    uint8_t index;
    uint8_t cmos[RTC_CMOS_SIZE];   /* registers A, B, D and the NVRAM; time fields are computed */
    uint64_t (*now_ns)(void *ctx); /* UNIX time, nanoseconds */
    void *ctx;
};

/* Claims ports 0x70..0x71. False if they are taken. */
bool rtc_attach(struct rtc *rtc, struct vmm_bus *io_bus, uint64_t (*now_ns)(void *ctx), void *ctx);

/* The bus callbacks (offset 0: index, 1: data). */
uint64_t rtc_read(void *rtc, uint64_t offset, unsigned size);
void rtc_write(void *rtc, uint64_t offset, unsigned size, uint64_t value);

/* The calendar (proleptic Gregorian, UTC), exposed for tests. */
void rtc_time_from_unix(uint64_t seconds, struct rtc_time *t);
