/* SPDX-License-Identifier: GPL-2.0-only */
/* 16550A UART model (COM1: ports 0x3f8-0x3ff, ISA IRQ 4).
 *
 * Registers: RBR/THR and IER (DLL/DLM while LCR.DLAB), IIR/FCR, LCR,
 * MCR (loopback), LSR, MSR, SCR. A 16-byte receive FIFO (one byte with
 * FIFOs off) is fed by uart_receive(); bytes the guest writes go to
 * vmm_console_write() at once, so the transmitter is always empty (LSR.THRE and
 * TEMT set) and a THR-empty interrupt follows every write. Without
 * timing, received bytes below the FIFO trigger level report the
 * character-timeout interrupt right away (which is what the guest would
 * see once the line went idle). Modem inputs read as CTS, DSR and DCD
 * asserted; in loopback they follow DTR, RTS, OUT1 and OUT2 and the
 * transmitter feeds the receiver. The MSR's delta bits and the modem
 * status interrupt are not modelled (the inputs of a console never
 * change outside loopback).
 *
 * The interrupt line is the PC's: pending interrupt and MCR.OUT2 set and
 * not in loopback: vmm_irq_set(UART_COM1_IRQ, level). Linux's 8250 probe (autoconfig
 * including the loopback and FIFO size tests, and the startup THRE
 * tests) identifies it as a 16550A; tests/host/test_uart.c replays it. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "vmm.h"

#define UART_COM1_BASE 0x3f8u
#define UART_COM1_IRQ 4u
#define UART_PORTS 8u
#define UART_FIFO_SIZE 16u

struct uart {
    uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
    uint8_t lsr_errors;    /* sticky LSR error bits (overrun) */
    bool thre_pending;     /* THR-empty interrupt not yet acknowledged */
    bool line;             /* interrupt line as last reported */
    uint8_t rx[UART_FIFO_SIZE];
    unsigned rx_head, rx_count;
};

/* Power-on state; the line starts low (ops.irq is not called). */
void uart_init(struct uart *u);
/* vmm_bus callbacks for [UART_COM1_BASE, +UART_PORTS). Wider accesses
 * act as consecutive byte accesses, as on the ISA bus. */
uint64_t uart_io_read(void *dev, uint64_t offset, unsigned size);
void uart_io_write(void *dev, uint64_t offset, unsigned size, uint64_t value);
/* Bytes from the console: returns how many the receive FIFO took (the
 * rest waits for ops.rx_room; nothing is dropped here). */
size_t uart_receive(struct uart *u, const uint8_t *bytes, size_t n);
