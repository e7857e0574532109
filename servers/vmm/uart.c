/* SPDX-License-Identifier: GPL-2.0-only */
/* 16550A UART model: see uart.h. */
#include "uart.h"

enum { REG_DATA, REG_IER, REG_IIR_FCR, REG_LCR, REG_MCR, REG_LSR, REG_MSR, REG_SCR };

#define IER_RX (1u << 0)
#define IER_THRE (1u << 1)
#define IER_LINE_STATUS (1u << 2)
#define IER_WRITABLE 0x0fu

#define IIR_NONE 0x01u
#define IIR_THRE 0x02u
#define IIR_RX 0x04u
#define IIR_LINE_STATUS 0x06u
#define IIR_RX_TIMEOUT 0x0cu
#define IIR_FIFOS_ON 0xc0u

#define FCR_ENABLE (1u << 0)
#define FCR_CLEAR_RX (1u << 1)
#define FCR_KEPT 0xc9u /* enable, DMA mode, trigger level */
#define FCR_TRIGGER_SHIFT 6

#define LCR_DLAB (1u << 7)

#define MCR_DTR (1u << 0)
#define MCR_RTS (1u << 1)
#define MCR_OUT1 (1u << 2)
#define MCR_OUT2 (1u << 3)
#define MCR_LOOP (1u << 4)
#define MCR_WRITABLE 0x1fu

#define LSR_DATA_READY (1u << 0)
#define LSR_OVERRUN (1u << 1)
#define LSR_THRE (1u << 5)
#define LSR_TEMT (1u << 6)

#define MSR_CTS (1u << 4)
#define MSR_DSR (1u << 5)
#define MSR_DCD (1u << 7)
/* A console is always connected and ready. */
#define MSR_CONNECTED (MSR_CTS | MSR_DSR | MSR_DCD)

#define RESET_DIVISOR 12 /* 9600 baud */

static const uint8_t trigger_level[4] = { 1, 4, 8, 14 };

static bool fifos_on(const struct uart *u)
{
    return u->fcr & FCR_ENABLE;
}

/* In loopback the outputs come back: RTS as CTS, DTR as DSR, OUT1 as RI,
 * OUT2 as DCD. */
static uint8_t modem_inputs(const struct uart *u)
{
    uint8_t m = u->mcr;
    if (!(m & MCR_LOOP))
        return MSR_CONNECTED;
    return (uint8_t)((m & MCR_RTS ? MSR_CTS : 0) | (m & MCR_DTR ? MSR_DSR : 0) | (m & (MCR_OUT1 | MCR_OUT2)) << 4);
}

/* The pending interrupt of highest priority, as IIR bits 3:0. */
static uint8_t interrupt_id(const struct uart *u)
{
    if ((u->ier & IER_LINE_STATUS) && u->lsr_errors)
        return IIR_LINE_STATUS;
    if ((u->ier & IER_RX) && u->rx_count) {
        bool below = fifos_on(u) && u->rx_count < trigger_level[u->fcr >> FCR_TRIGGER_SHIFT];
        return below ? IIR_RX_TIMEOUT : IIR_RX;
    }
    if ((u->ier & IER_THRE) && u->thre_pending)
        return IIR_THRE;
    return IIR_NONE; /* modem status changes are not reported: no deltas */
}

static void update_line(struct uart *u)
{
    bool level = interrupt_id(u) != IIR_NONE && (u->mcr & (MCR_OUT2 | MCR_LOOP)) == MCR_OUT2;
    if (level == u->line)
        return;
    u->line = level;
    vmm_irq_set(UART_COM1_IRQ, level);
}

static bool rx_push(struct uart *u, uint8_t byte)
{
    if (u->rx_count >= (fifos_on(u) ? UART_FIFO_SIZE : 1u)) /* without FIFOs: one holding register */
        return false;
    u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
    u->rx_count++;
    return true;
}

static uint8_t rx_pop(struct uart *u)
{
    if (!u->rx_count)
        return 0;
    uint8_t byte = u->rx[u->rx_head];
    u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
    u->rx_count--;
    return byte;
}

static void transmit(struct uart *u, uint8_t byte)
{
    if (u->mcr & MCR_LOOP) {
        if (!rx_push(u, byte))
            u->lsr_errors |= LSR_OVERRUN;
    } else {
        vmm_console_write((const char *)&byte, 1);
    }
    u->thre_pending = true; /* sent at once: the holding register is empty again */
}

static void write_fcr(struct uart *u, uint8_t v)
{
    /* The other bits only take when the enable bit is written as 1;
     * turning the FIFOs on or off empties them. */
    uint8_t fcr = (v & FCR_ENABLE) ? (v & FCR_KEPT) : 0;
    if (((fcr ^ u->fcr) & FCR_ENABLE) || ((v & FCR_ENABLE) && (v & FCR_CLEAR_RX)))
        u->rx_head = u->rx_count = 0;
    u->fcr = fcr;
}

static void write_ier(struct uart *u, uint8_t v)
{
    uint8_t old = u->ier;
    u->ier = v & IER_WRITABLE;
    /* Enabling the THR-empty interrupt with the THR empty raises it. */
    if ((u->ier & IER_THRE) && !(old & IER_THRE))
        u->thre_pending = true;
}

static uint8_t read_byte(struct uart *u, unsigned reg)
{
    bool dlab = u->lcr & LCR_DLAB;
    switch (reg) {
    case REG_DATA: return dlab ? u->dll : rx_pop(u);
    case REG_IER: return dlab ? u->dlm : u->ier;
    case REG_IIR_FCR: {
        uint8_t id = interrupt_id(u);
        if (id == IIR_THRE)
            u->thre_pending = false; /* reading IIR acknowledges THR empty */
        return id | (fifos_on(u) ? IIR_FIFOS_ON : 0);
    }
    case REG_LCR: return u->lcr;
    case REG_MCR: return u->mcr;
    case REG_LSR: {
        uint8_t lsr = LSR_THRE | LSR_TEMT | u->lsr_errors | (u->rx_count ? LSR_DATA_READY : 0);
        u->lsr_errors = 0;
        return lsr;
    }
    case REG_MSR: return modem_inputs(u);
    case REG_SCR: return u->scr;
    }
    return 0xff;
}

/* Plain registers take the byte (DLL and DLM sit at the data and IER
 * ports while LCR.DLAB is set); the others act. LSR and MSR are
 * read-only (factory test writes are ignored). */
static void write_byte(struct uart *u, unsigned reg, uint8_t v)
{
    bool dlab = u->lcr & LCR_DLAB;
    uint8_t *plain[UART_PORTS] = {[REG_DATA] = dlab ? &u->dll : NULL, [REG_IER] = dlab ? &u->dlm : NULL,
                                  [REG_LCR] = &u->lcr, [REG_SCR] = &u->scr};
    if (plain[reg])
        *plain[reg] = v;
    else if (reg == REG_DATA)
        transmit(u, v);
    else if (reg == REG_IER)
        write_ier(u, v);
    else if (reg == REG_IIR_FCR)
        write_fcr(u, v);
    else if (reg == REG_MCR)
        u->mcr = v & MCR_WRITABLE;
}

uint64_t uart_io_read(void *dev, uint64_t offset, unsigned size)
{
    struct uart *u = dev;
    uint64_t v = 0;
    for (unsigned i = 0; i < size && i < 8; i++) {
        uint64_t reg = offset + i;
        uint8_t byte = reg < UART_PORTS ? read_byte(u, (unsigned)reg) : 0xff;
        v |= (uint64_t)byte << (8 * i);
    }
    update_line(u);
    return v;
}

void uart_io_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct uart *u = dev;
    for (unsigned i = 0; i < size && i < 8; i++)
        if (offset + i < UART_PORTS)
            write_byte(u, (unsigned)(offset + i), (uint8_t)(value >> (8 * i)));
    update_line(u);
}

size_t uart_receive(struct uart *u, const uint8_t *bytes, size_t n)
{
    size_t taken = 0;
    if (u->mcr & MCR_LOOP)
        return 0; /* loopback disconnects the serial input */
    while (taken < n && rx_push(u, bytes[taken]))
        taken++;
    update_line(u);
    return taken;
}

void uart_init(struct uart *u)
{
    *u = (struct uart){ .dll = RESET_DIVISOR };
}
