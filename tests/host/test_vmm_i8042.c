// host-test-sources: servers/vmm/power.c tests/host/vmm_bus_fake.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's i8042: the reset paths (0xfe, other pulse commands, the output
 * port), that nothing else answers (status, self-test, keyboard), and
 * random bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/power.h"

static struct vmm_bus io;
static struct power kbc;
static unsigned resets;

/* The VMM services power.c calls (vmm.h). */
void vmm_reset(void) { resets++; }
void vmm_power_off(unsigned status) { (void)status; fail_msg("power off"); }
void vmm_irq_set(unsigned gsi, bool level) { (void)gsi; (void)level; }

static int setup(void **state)
{
    (void)state;
    memset(&io, 0, sizeof io);
    resets = 0;
    return power_attach(&kbc, &io) ? 0 : -1;
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
    command(0xd1);
    put(0x03); /* reset line high: nothing */
    assert_int_equal(resets, 0);
    command(0xd1);
    put(0x02);
    assert_int_equal(resets, 1);
    put(0x02); /* no command pending: a keyboard byte */
    assert_int_equal(resets, 1);
}

/* Only the reset line: buffers always empty, nothing answers. */
static void nothing_else_answers(void **state)
{
    (void)state;
    assert_int_equal(status(), 0x14); /* system flag, not inhibited, buffers empty */
    command(0xaa);                    /* self-test: not modelled */
    assert_int_equal(status() & 0x01, 0);
    assert_int_equal(data(), 0xff);
    command(0x60);
    put(0x45);
    put(0xff); /* a keyboard command */
    assert_int_equal(status(), 0x14);
    command(0xd3);
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
    static struct power again;
    assert_false(power_attach(&again, &io));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(reset_by_pulse_command, setup),
        cmocka_unit_test_setup(reset_by_output_port, setup),
        cmocka_unit_test_setup(nothing_else_answers, setup),
        cmocka_unit_test_setup(random_bytes, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
