// host-test-sources: servers/vmm/uart.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* 16550A UART model: the register file, transmit and receive through
 * the FIFO, interrupt identification and priority, the interrupt line,
 * loopback, and a replay of the register sequence Linux's 8250 driver
 * uses to probe and start a port (autoconfig with the IER, loopback and
 * FIFO tests, the full 16550A variant checks and FIFO sizing, then the
 * THRE tests of startup), which must find a 16550A with 16-byte FIFOs
 * and no bugs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/uart.h"

enum { RBR = 0, THR = 0, DLL = 0, IER = 1, DLM = 1, IIR = 2, FCR = 2, EFR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7 };

static struct uart u;
static uint8_t sent[512];
static unsigned nsent, line_changes;
static bool line;

/* The VMM services the UART calls (vmm.h). */
void vmm_console_write(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        assert_true(nsent < sizeof sent);
        sent[nsent++] = (uint8_t)s[i];
    }
}

void vmm_irq_set(unsigned gsi, bool level)
{
    assert_int_equal(gsi, UART_COM1_IRQ);
    assert_true(level != line); /* only changes are reported */
    line = level;
    line_changes++;
}

static int setup(void **state)
{
    (void)state;
    nsent = line_changes = 0;
    line = false;
    uart_init(&u);
    return 0;
}

static uint8_t in(unsigned reg) { return (uint8_t)uart_io_read(&u, reg, 1); }
static void out(unsigned reg, uint8_t v) { uart_io_write(&u, reg, 1, v); }

static void test_reset_and_registers(void **state)
{
    (void)state;
    assert_int_equal(in(IER), 0);
    assert_int_equal(in(IIR), 0x01);
    assert_int_equal(in(LCR), 0);
    assert_int_equal(in(MCR), 0);
    assert_int_equal(in(LSR), 0x60);
    assert_int_equal(in(MSR), 0xb0);
    out(SCR, 0x5a);
    assert_int_equal(in(SCR), 0x5a);
    out(IER, 0xff);
    assert_int_equal(in(IER), 0x0f);
    out(MCR, 0xff);
    assert_int_equal(in(MCR), 0x1f);
    out(LSR, 0);  /* read-only */
    assert_int_equal(in(LSR), 0x60);
    /* Divisor latch behind DLAB. */
    out(LCR, 0x83);
    assert_int_equal(in(DLL), 12);
    out(DLL, 0x01);
    out(DLM, 0x02);
    assert_int_equal(in(DLL), 0x01);
    assert_int_equal(in(DLM), 0x02);
    out(LCR, 0x03);
    assert_int_equal(in(IER), 0x0f);
    assert_int_equal(nsent, 0); /* DLL write was not a transmit */
    /* Past the eight ports: floating bus, writes ignored. */
    assert_int_equal(uart_io_read(&u, 8, 1), 0xff);
    uart_io_write(&u, 9, 1, 0);
    /* A 16-bit read is two byte reads: IER in the high byte. */
    out(MCR, 0);
    assert_int_equal(uart_io_read(&u, 0, 2), 0x0f00);
    uart_io_write(&u, 6, 2, 0x7700); /* MSR ignored, SCR written */
    assert_int_equal(in(SCR), 0x77);
}

static void test_transmit_and_thre_interrupt(void **state)
{
    (void)state;
    out(MCR, 0x0b); /* DTR, RTS, OUT2 */
    out(THR, 'h');
    out(THR, 'i');
    assert_int_equal(nsent, 2);
    assert_memory_equal(sent, "hi", 2);
    assert_int_equal(line_changes, 0);
    out(IER, 0x02);
    assert_true(line);
    assert_int_equal(in(IIR), 0x02);
    assert_false(line); /* reading IIR acknowledged it */
    assert_int_equal(in(IIR), 0x01);
    out(THR, '!');      /* the THR empties again: interrupt again */
    assert_true(line);
    assert_int_equal(in(IIR), 0x02);
    out(IER, 0x02);     /* re-writing an enabled ETBEI does not re-raise */
    assert_int_equal(in(IIR), 0x01);
    out(IER, 0x00);
    out(IER, 0x02);     /* 0 -> 1 does */
    assert_int_equal(in(IIR), 0x02);
}

static void test_receive_fifo(void **state)
{
    (void)state;
    uint8_t data[20];
    for (unsigned i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)('a' + i);
    out(MCR, 0x08);
    out(FCR, 0x01); /* FIFOs on, trigger 1 */
    out(IER, 0x01);
    assert_int_equal(uart_receive(&u, data, sizeof data), 16);
    assert_true(line);
    assert_int_equal(in(IIR), 0xc4);
    assert_int_equal(in(LSR), 0x61);
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(in(RBR), 'a' + i);
    assert_int_equal(in(LSR), 0x60);
    assert_false(line);
    assert_int_equal(in(IIR), 0xc1);
    assert_int_equal(in(RBR), 0); /* empty FIFO reads harmlessly */
    /* Trigger level 14: fewer bytes give the character timeout. */
    out(FCR, 0xc1);
    assert_int_equal(uart_receive(&u, data, 5), 5);
    assert_int_equal(in(IIR), 0xcc);
    assert_int_equal(uart_receive(&u, data, 9), 9);
    assert_int_equal(in(IIR), 0xc4);
    out(FCR, 0xc3); /* clear the receive FIFO */
    assert_int_equal(in(LSR) & 1, 0);
    /* FIFOs off: one byte of buffering, no FIFO bits in IIR. */
    out(FCR, 0x00);
    assert_int_equal(uart_receive(&u, data, 3), 1);
    assert_int_equal(in(IIR), 0x04);
    assert_int_equal(in(RBR), 'a');
    /* Disabled interrupt: data waits, line stays low. */
    out(IER, 0);
    assert_int_equal(uart_receive(&u, data + 1, 1), 1);
    assert_false(line);
    assert_int_equal(in(IIR), 0x01);
}

static void test_line_needs_out2(void **state)
{
    (void)state;
    uint8_t b = 'x';
    out(IER, 0x01);
    uart_receive(&u, &b, 1);
    assert_false(line);          /* OUT2 off: the PC's IRQ buffer is off */
    assert_int_equal(in(IIR), 0x04);
    out(MCR, 0x08);
    assert_true(line);
    out(MCR, 0x18);              /* loopback disconnects the line */
    assert_false(line);
    out(MCR, 0x08);
    in(RBR);
    assert_false(line);
}

static void test_loopback_overrun_and_priority(void **state)
{
    (void)state;
    out(FCR, 0x07);
    out(MCR, 0x10);
    assert_int_equal(in(MSR), 0x00); /* entering loopback dropped CTS, DSR, DCD (no delta bits) */
    for (unsigned i = 0; i < 17; i++)
        out(THR, (uint8_t)i);
    assert_int_equal(nsent, 0); /* loopback keeps it inside */
    uint8_t b = 1;
    assert_int_equal(uart_receive(&u, &b, 1), 0); /* no outside input */
    out(IER, 0x0f);
    assert_int_equal(in(IIR), 0xc6);   /* line status first */
    assert_int_equal(in(LSR), 0x63);   /* overrun, cleared by the read */
    assert_int_equal(in(LSR), 0x61);
    assert_int_equal(in(IIR), 0xc4);   /* then received data */
    for (unsigned i = 0; i < 16; i++)
        assert_int_equal(in(RBR), i);
    assert_int_equal(in(IIR), 0xc2);   /* then THR empty */
    /* Modem status: the looped-back outputs, no deltas, no interrupt. */
    out(MCR, 0x12);                    /* RTS -> CTS */
    assert_int_equal(in(IIR), 0xc1);
    assert_int_equal(in(MSR), 0x10);
    out(MCR, 0x14);                    /* OUT1 -> RI, RTS off */
    assert_int_equal(in(MSR), 0x40);
    out(MCR, 0x00);                    /* leave loopback: lines connected */
    assert_int_equal(in(MSR), 0xb0);
}

/* ---- Linux 8250 probe replay ---- */
enum port_type { PORT_NONE, PORT_8250ISH, PORT_UNKNOWN, PORT_16550, PORT_16550A, PORT_OTHER };

static unsigned size_fifo(void)
{
    uint8_t old_lcr = in(LCR);
    out(LCR, 0);
    uint8_t old_fcr = in(FCR); /* the driver reads IIR here */
    uint8_t old_mcr = in(MCR);
    out(FCR, 0x07);
    out(MCR, 0x10);
    out(LCR, 0x80);
    uint8_t old_dll = in(DLL), old_dlm = in(DLM);
    out(DLL, 1);
    out(DLM, 0);
    out(LCR, 0x03);
    for (unsigned i = 0; i < 256; i++)
        out(THR, (uint8_t)i);
    unsigned count = 0;
    while ((in(LSR) & 0x01) && count < 256) {
        in(RBR);
        count++;
    }
    out(FCR, old_fcr);
    out(MCR, old_mcr);
    out(LCR, 0x80);
    out(DLL, old_dll);
    out(DLM, old_dlm);
    out(LCR, old_lcr);
    return count;
}

static enum port_type autoconfig_16550a_full(void)
{
    /* EFR behind DLAB (ST16C650V1): IIR must not read 0. */
    out(LCR, 0x80);
    if (in(EFR) == 0)
        return PORT_OTHER;
    /* EFR behind LCR 0xbf (ST16C650V2, TI16C752). */
    out(LCR, 0xbf);
    if (in(EFR) == 0)
        return PORT_OTHER;
    /* National SuperIO: EXCR1 must not mirror MCR.LOOP. */
    out(LCR, 0);
    uint8_t mcr = in(MCR);
    out(LCR, 0xe0);
    uint8_t excr1 = in(2);
    if (!((excr1 ^ mcr) & 0x10)) {
        out(LCR, 0);
        out(MCR, mcr ^ 0x10);
        out(LCR, 0xe0);
        excr1 = in(2);
        out(LCR, 0);
        out(MCR, mcr);
        if ((excr1 ^ mcr) & 0x10)
            return PORT_OTHER;
    }
    /* TI16750: IIR bit 5 with 64-byte FIFO and DLAB. */
    out(LCR, 0);
    out(FCR, 0x21);
    uint8_t s1 = in(IIR) & 0xe0;
    out(FCR, 0x01);
    out(LCR, 0x80);
    out(FCR, 0x21);
    uint8_t s2 = in(IIR) & 0xe0;
    out(FCR, 0x01);
    out(LCR, 0);
    if (s1 == 0xc0 && s2 == 0xe0)
        return PORT_OTHER;
    /* XScale: IER bit 6 must not stick. */
    uint8_t ier = in(IER);
    out(IER, ier & ~0x40);
    if (in(IER) & 0x40)
        return PORT_OTHER;
    out(IER, ier | 0x40);
    if (in(IER) & 0x40)
        return PORT_OTHER;
    out(IER, ier);
    /* U6_16550A has 64 bytes. */
    if (size_fifo() == 64)
        return PORT_OTHER;
    return PORT_16550A;
}

static enum port_type autoconfig(void)
{
    /* IER existence test. */
    uint8_t saved = in(IER);
    out(IER, 0);
    uint8_t s2 = in(IER) & 0x0f;
    out(IER, 0x0f);
    uint8_t s3 = in(IER) & 0x0f;
    out(IER, saved);
    if (s2 != 0 || s3 != 0x0f)
        return PORT_NONE;
    uint8_t save_mcr = in(MCR), save_lcr = in(LCR);
    /* Loopback test. */
    out(MCR, 0x10 | 0x0a);
    uint8_t status = in(MSR) & 0xf0;
    out(MCR, save_mcr);
    if (status != 0x90)
        return PORT_NONE;
    /* Type from the IIR FIFO bits. */
    out(LCR, 0xbf);
    out(EFR, 0);
    out(LCR, 0);
    out(FCR, 0x01);
    enum port_type type;
    switch (in(IIR) >> 6) {
    case 0: type = PORT_8250ISH; break;
    case 1: type = PORT_UNKNOWN; break;
    case 2: type = PORT_16550; break;
    default: type = autoconfig_16550a_full(); break;
    }
    out(LCR, save_lcr);
    /* Reset: MCR, clear FIFOs, read RX, IER off. */
    out(MCR, save_mcr);
    out(FCR, 0x01);
    out(FCR, 0x07);
    out(FCR, 0x00);
    in(RBR);
    out(IER, 0);
    return type;
}

static void test_linux_8250_probe(void **state)
{
    (void)state;
    assert_int_equal(autoconfig(), PORT_16550A);
    assert_int_equal(size_fifo(), UART_FIFO_SIZE);
    assert_int_equal(nsent, 0);       /* probing sent nothing to the console */
    assert_int_equal(in(LSR) & 0x01, 0);

    /* serial8250_do_startup: clear FIFOs, clear interrupt registers, the
     * LSR safety check. */
    out(FCR, 0x01);
    out(FCR, 0x07);
    out(FCR, 0x00);
    in(LSR);
    in(RBR);
    in(IIR);
    in(MSR);
    assert_true(in(LSR) != 0xff);
    /* THRE re-assertion test (UART_BUG_THRE when it fails). */
    assert_true(in(LSR) & 0x20);
    out(IER, 0x02);
    uint8_t iir1 = in(IIR);
    out(IER, 0);
    out(IER, 0x02);
    uint8_t iir = in(IIR);
    out(IER, 0);
    assert_false(!(iir1 & 0x01) && (iir & 0x01));
    assert_false(iir1 & 0x01);
    /* 8 bits, OUT2 for the IRQ, then the TX-enable test (UART_BUG_TXEN
     * when the LSR says empty but no interrupt is pending). */
    out(LCR, 0x03);
    out(MCR, 0x0b);
    out(IER, 0x02);
    uint8_t lsr = in(LSR);
    iir = in(IIR);
    out(IER, 0);
    assert_false((lsr & 0x40) && (iir & 0x01));
    /* set_termios: 115200 8N1, FIFO trigger 8; receive interrupts on. */
    out(LCR, 0x83);
    out(DLL, 1);
    out(DLM, 0);
    out(LCR, 0x03);
    out(FCR, 0x81);
    out(IER, 0x05);
    uint8_t msg[] = "ls\r";
    assert_int_equal(uart_receive(&u, msg, 3), 3);
    assert_true(line);
    assert_int_equal(in(IIR), 0xcc);
    unsigned got = 0;
    while (in(LSR) & 0x01)
        assert_int_equal(in(RBR), msg[got++]);
    assert_int_equal(got, 3);
    assert_false(line);
    out(THR, '$');
    assert_int_equal(nsent, 1);
    assert_int_equal(sent[0], '$');
}

/* A hostile guest and a chatty console: random port accesses of every
 * width and random input. Nothing may crash, the FIFO never holds more
 * than it can, the IIR always names a real interrupt, and the line
 * reported matches what the registers say. */
static uint64_t rng = 0xda942042e4dd58b5ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void test_hostile_guest(void **state)
{
    (void)state;
    static const unsigned sizes[] = {1, 2, 4, 8};
    uint8_t input[40];
    for (unsigned step = 0; step < 200000; step++) {
        nsent = 0;
        switch (rnd() % 4) {
        case 0: uart_io_write(&u, rnd() % 10, sizes[rnd() % 4], rnd()); break;
        case 1: uart_io_read(&u, rnd() % 10, sizes[rnd() % 4]); break;
        case 2: {
            size_t n = rnd() % sizeof input;
            for (size_t i = 0; i < n; i++)
                input[i] = (uint8_t)rnd();
            assert_true(uart_receive(&u, input, n) <= UART_FIFO_SIZE);
            break;
        }
        default: out((unsigned)(rnd() % 8), (uint8_t)rnd()); break;
        }
        assert_true(u.rx_count <= UART_FIFO_SIZE);
        assert_true((u.fcr & 1) || u.rx_count <= 1);
        assert_int_equal(u.ier & 0xf0, 0);
        assert_int_equal(u.mcr & 0xe0, 0);
        assert_true(line == u.line);
        if (u.lcr & 0x80)
            continue; /* offset 2 is still IIR, but keep DLAB states simple */
        uint8_t iir = in(IIR) & 0x0f;
        assert_true(iir == 0x01 || iir == 0x00 || iir == 0x02 || iir == 0x04 || iir == 0x06 || iir == 0x0c);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_and_registers, setup),
        cmocka_unit_test_setup(test_transmit_and_thre_interrupt, setup),
        cmocka_unit_test_setup(test_receive_fifo, setup),
        cmocka_unit_test_setup(test_line_needs_out2, setup),
        cmocka_unit_test_setup(test_loopback_overrun_and_priority, setup),
        cmocka_unit_test_setup(test_linux_8250_probe, setup),
        cmocka_unit_test_setup(test_hostile_guest, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
