/* SPDX-License-Identifier: GPL-2.0-only */
/* The VM's devices besides the APICs and the PCI host bridge
 * (platform.c): the UART on COM1, whose output goes to the console
 * server (it offers no input yet: the guest's serial port receives
 * nothing), and the devices of the other VMM files as they exist. */
#include "core.h"
#include "pci_host.h"
#include "uart.h"

static struct uart com1;

static void com1_tx(void *ctx, uint8_t byte)
{
    (void)ctx;
    char c = (char)byte;
    vmm_console_write(&c, 1);
}

static void com1_irq(void *ctx, bool level)
{
    (void)ctx;
    vmm_irq_set(UART_COM1_IRQ, level);
}

bool devices_init(struct pci_host *pci)
{
    static const struct uart_ops com1_ops = {NULL, com1_tx, com1_irq, NULL};
    (void)pci;
    uart_init(&com1, &com1_ops);
    return vmm_bus_add(&vm.io, UART_COM1_BASE, UART_PORTS, uart_io_read, uart_io_write, &com1);
}
