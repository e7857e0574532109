// host-test-sources: servers/vmm/rtc.c tests/host/vmm_bus_fake.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's CMOS RTC: the calendar against the C library's gmtime, the
 * clock registers in BCD and binary (24-hour only), the update-in-
 * progress window, time registers that ignore writes,
 * CMOS RAM, read-only registers, word accesses and garbage writes. */
#define _DEFAULT_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cmocka.h>
#include "servers/vmm/rtc.h"

#define NS 1000000000ull

static struct vmm_bus io;
static struct rtc rtc;
static uint64_t fake_now;

static uint64_t clock_ns(void *ctx)
{
    (void)ctx;
    return fake_now;
}

/* 2026-12-05 23:49:16 UTC, a Saturday */
#define T0 1796514556ull

static int setup(void **state)
{
    (void)state;
    memset(&io, 0, sizeof io);
    fake_now = T0 * NS + NS / 2;
    return rtc_attach(&rtc, &io, clock_ns, NULL) ? 0 : -1;
}

static uint8_t cmos_read(uint8_t reg)
{
    vmm_bus_write(&io, 0x70, 1, reg);
    return (uint8_t)vmm_bus_read(&io, 0x71, 1);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
    vmm_bus_write(&io, 0x70, 1, reg);
    vmm_bus_write(&io, 0x71, 1, v);
}

static void calendar_matches_gmtime(void **state)
{
    (void)state;
    srand(99);
    for (int i = 0; i < 300000; i++) {
        int64_t s;
        if (i < 1000)
            s = (int64_t)i * 86399 * 37;
        else
            s = ((int64_t)rand() << 6 ^ rand()) % 253402300799ll; /* up to 9999-12-31 */
        time_t tt = (time_t)s;
        struct tm tm;
        assert_non_null(gmtime_r(&tt, &tm));
        struct rtc_time t;
        rtc_time_from_unix((uint64_t)s, &t);
        if (t.year != (unsigned)tm.tm_year + 1900 || t.mon != (unsigned)tm.tm_mon + 1 || t.mday != (unsigned)tm.tm_mday
            || t.hour != (unsigned)tm.tm_hour || t.min != (unsigned)tm.tm_min || t.sec != (unsigned)tm.tm_sec
            || t.wday != (unsigned)tm.tm_wday + 1)
            fail_msg("%lld: %u-%u-%u %u:%u:%u wday %u", (long long)s, t.year, t.mon, t.mday, t.hour, t.min, t.sec, t.wday);
    }
}

static void reads_bcd_24_hour_by_default(void **state)
{
    (void)state;
    assert_int_equal(cmos_read(0x00), 0x16);
    assert_int_equal(cmos_read(0x02), 0x49);
    assert_int_equal(cmos_read(0x04), 0x23);
    assert_int_equal(cmos_read(0x06), 7); /* Saturday */
    assert_int_equal(cmos_read(0x07), 0x05);
    assert_int_equal(cmos_read(0x08), 0x12);
    assert_int_equal(cmos_read(0x09), 0x26);
    assert_int_equal(cmos_read(0x32), 0x20);
    assert_int_equal(cmos_read(0x0b), 0x02);
    assert_int_equal(cmos_read(0x0d), 0x80);
    assert_int_equal(cmos_read(0x0c), 0);
    /* The clock runs with the callback. */
    fake_now += 11 * NS;
    assert_int_equal(cmos_read(0x00), 0x27);
    /* Bit 7 of the index (NMI mask) is ignored. */
    assert_int_equal(cmos_read(0x80 | 0x02), 0x49);
}

static void binary_mode_and_always_24_hours(void **state)
{
    (void)state;
    cmos_write(0x0b, 0x06); /* binary, 24h */
    assert_int_equal(cmos_read(0x00), 16);
    assert_int_equal(cmos_read(0x04), 23);
    assert_int_equal(cmos_read(0x09), 26);
    cmos_write(0x0b, 0x04); /* binary, 12h asked: not modelled, stays 24h */
    assert_int_equal(cmos_read(0x0b), 0x06);
    assert_int_equal(cmos_read(0x04), 23);
    cmos_write(0x0b, 0x00); /* BCD */
    assert_int_equal(cmos_read(0x04), 0x23);
    fake_now += 15 * 60 * NS; /* 00:04 next day */
    assert_int_equal(cmos_read(0x04), 0x00);
}

static void update_in_progress_window(void **state)
{
    (void)state;
    fake_now = T0 * NS + NS / 2;
    assert_int_equal(cmos_read(0x0a), 0x26);
    fake_now = T0 * NS + NS - 100000; /* 100 us before the second */
    assert_int_equal(cmos_read(0x0a), 0xa6);
    fake_now = T0 * NS + NS - 300000;
    assert_int_equal(cmos_read(0x0a), 0x26);
    cmos_write(0x0a, 0xff); /* UIP is read-only */
    assert_int_equal(cmos_read(0x0a), 0x7f);
}

/* The clock is the host's: writes to the time registers change nothing. */
static void guest_cannot_set_the_clock(void **state)
{
    (void)state;
    cmos_write(0x0b, 0x82); /* SET, then fields, as Linux does it */
    assert_int_equal(cmos_read(0x0b), 0x82);
    for (uint8_t reg = 0; reg <= 0x09; reg += (reg < 4 ? 2 : 1))
        cmos_write(reg, 0x11);
    cmos_write(0x32, 0x19);
    cmos_write(0x0b, 0x02);
    assert_int_equal(cmos_read(0x00), 0x16);
    assert_int_equal(cmos_read(0x02), 0x49);
    assert_int_equal(cmos_read(0x04), 0x23);
    assert_int_equal(cmos_read(0x07), 0x05);
    assert_int_equal(cmos_read(0x08), 0x12);
    assert_int_equal(cmos_read(0x09), 0x26);
    assert_int_equal(cmos_read(0x32), 0x20);
    fake_now += 3 * NS; /* and it runs on */
    assert_int_equal(cmos_read(0x00), 0x19);
    /* The alarm registers between the time fields are plain CMOS bytes. */
    cmos_write(0x01, 0x42);
    assert_int_equal(cmos_read(0x01), 0x42);
}

static void cmos_ram_and_word_access(void **state)
{
    (void)state;
    for (unsigned r = 0x0e; r < 0x80; r++)
        if (r != 0x32)
            cmos_write((uint8_t)r, (uint8_t)(r ^ 0x5a));
    for (unsigned r = 0x0e; r < 0x80; r++)
        if (r != 0x32)
            assert_int_equal(cmos_read((uint8_t)r), r ^ 0x5a);
    cmos_write(0x0c, 0xff);
    cmos_write(0x0d, 0x00);
    assert_int_equal(cmos_read(0x0c), 0);
    assert_int_equal(cmos_read(0x0d), 0x80);
    /* outw 0x70: index in the low byte, data in the high byte. */
    vmm_bus_write(&io, 0x70, 2, 0x7700 | 0x20);
    assert_int_equal(cmos_read(0x20), 0x77);
    vmm_bus_write(&io, 0x70, 1, 0x20);
    assert_int_equal(vmm_bus_read(&io, 0x70, 2), 0x77ff);
    assert_int_equal(vmm_bus_read(&io, 0x70, 1), 0xff);
    /* Another device cannot take the ports. */
    static struct rtc again;
    assert_false(rtc_attach(&again, &io, clock_ns, NULL));
}

static void garbage_writes_keep_the_clock_sane(void **state)
{
    (void)state;
    srand(5);
    for (int i = 0; i < 100000; i++) {
        uint8_t reg = (uint8_t)(rand() % 14);
        if (rand() % 3 == 0)
            reg = 0x32;
        cmos_write(reg, (uint8_t)rand());
        fake_now += (uint64_t)(rand() % 1000) * 1000000ull;
        cmos_write(0x0b, (uint8_t)(cmos_read(0x0b) | 0x06)); /* binary, 24h: easy to check */
        if (rand() % 4 == 0)
            cmos_write(0x0b, 0x06);
        unsigned sec = cmos_read(0), min = cmos_read(2), hour = cmos_read(4), mday = cmos_read(7), mon = cmos_read(8);
        unsigned wday = cmos_read(6), year = cmos_read(9), century = cmos_read(0x32);
        assert_true(sec < 60 && min < 60 && hour < 24 && mday >= 1 && mday <= 31 && mon >= 1 && mon <= 12);
        assert_true(wday >= 1 && wday <= 7 && year < 100 && century < 100);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(calendar_matches_gmtime),
        cmocka_unit_test_setup(reads_bcd_24_hour_by_default, setup),
        cmocka_unit_test_setup(binary_mode_and_always_24_hours, setup),
        cmocka_unit_test_setup(update_in_progress_window, setup),
        cmocka_unit_test_setup(guest_cannot_set_the_clock, setup),
        cmocka_unit_test_setup(cmos_ram_and_word_access, setup),
        cmocka_unit_test_setup(garbage_writes_keep_the_clock_sane, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
