// host-test-sources: servers/vmm/i8042.c tests/host/vmm_bus_fake.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's i8042: the reset paths (0xfe, other pulse commands, the output
 * port), what Linux's probe sees (status, self-test, port tests, command
 * byte, AUX loopback), keyboard commands timing out, and random bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/i8042.h"

static struct vmm_bus io;
static struct i8042 kbc;
static unsigned resets;

static void count_reset(void *ctx)
{
    assert_ptr_equal(ctx, &kbc);
    resets++;
}

static int setup(void **state)
{
    (void)state;
    memset(&io, 0, sizeof io);
    resets = 0;
    return i8042_attach(&kbc, &io, count_reset, &kbc) ? 0 : -1;
}

static uint8_t status(void) { return (uint8_t)vmm_bus_read(&io, 0x64, 1); }
static uint8_t data(void) { return (uint8_t)vmm_bus_read(&io, 0x60, 1); }
static void command(uint8_t c) { vmm_bus_write(&io, 0x64, 1, c); }
static void put(uint8_t d) { vmm_bus_write(&io, 0x60, 1, d); }

static void reset_by_pulse_command(void **state)
{
    (void)state;
    assert_int_equal(status() & 0x02, 0); /* input buffer never full: Linux's kb_wait passes */
    command(0xfe);
    assert_int_equal(resets, 1);
    command(0xff); /* pulses nothing */
    command(0xfd); /* line 1 only */
    assert_int_equal(resets, 1);
    command(0xf0); /* all lines, line 0 included */
    assert_int_equal(resets, 2);
}

static void reset_by_output_port(void **state)
{
    (void)state;
    command(0xd0);
    assert_int_equal(status() & 0x01, 0x01);
    uint8_t port = data();
    assert_int_equal(port & 0x01, 0x01);
    assert_int_equal(status() & 0x01, 0);
    command(0xd1);
    put(port | 0x01);
    assert_int_equal(resets, 0);
    command(0xd1);
    put(port & ~0x01);
    assert_int_equal(resets, 1);
}

static void probe_sees_a_working_empty_controller(void **state)
{
    (void)state;
    assert_int_not_equal(status(), 0xff); /* Linux: "no controller" if 0xff */
    command(0xaa);
    assert_int_equal(data(), 0x55);
    assert_true(status() & 0x04);
    command(0xab);
    assert_int_equal(data(), 0x00);
    command(0xa9);
    assert_int_equal(data(), 0x00);
    command(0x20);
    uint8_t cb = data();
    command(0x60);
    assert_true(status() & 0x08); /* last write was a command */
    put(cb | 0x10);
    command(0x20);
    assert_int_equal(data(), cb | 0x10);
    command(0xae);
    command(0x20);
    assert_int_equal(data(), cb);
    /* AUX loopback echoes with the AUX bit. */
    command(0xd3);
    put(0x5a);
    assert_int_equal(status() & 0x21, 0x21);
    assert_int_equal(data(), 0x5a);
    /* A keyboard command: nobody answers, the controller reports a timeout. */
    put(0xff);
    assert_int_equal(status() & 0x41, 0x40);
    command(0x20);
    assert_int_equal(status() & 0x40, 0);
    assert_int_equal(resets, 0);
}

static void random_bytes(void **state)
{
    (void)state;
    srand(3);
    for (int i = 0; i < 100000; i++) {
        uint8_t v = (uint8_t)rand();
        if ((v & 0xf1) == 0xf0 || v == 0xd1)
            v = 0x20; /* keep the reset paths out: counted below */
        if (rand() & 1)
            command(v);
        else
            put(v);
        (void)status();
        if (rand() & 1)
            (void)data();
    }
    assert_int_equal(resets, 0);
    static struct i8042 again;
    assert_false(i8042_attach(&again, &io, NULL, NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(reset_by_pulse_command, setup),
        cmocka_unit_test_setup(reset_by_output_port, setup),
        cmocka_unit_test_setup(probe_sees_a_working_empty_controller, setup),
        cmocka_unit_test_setup(random_bytes, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
