/* SPDX-License-Identifier: GPL-2.0-only */
/* The VM's devices besides the APICs and the PCI host bridge
 * (platform.c): the UART on COM1 on the console server (raw output,
 * polled input), the CMOS RTC, the i8042 (reset only), the ACPI PM block
 * (S5 power-off, reset register, SCI) and QEMU's isa-debug-exit (0xf4),
 * whose status the VMM prints as "vmm: guest powered off (status N)"
 * for tests to read. */
#include "core.h"
#include "debug_exit.h"
#include "i8042.h"
#include "pci_host.h"
#include "pm.h"
#include "rtc.h"
#include "uart.h"

#define NS_PER_S 1000000000ull
/* No wall clock reaches the VMM: the RTC starts at this UNIX time and
 * runs with the TSC (2026-01-01 00:00:00 UTC). */
#define RTC_EPOCH_S 1767225600ull

static struct uart com1;
static struct rtc rtc;
static struct i8042 kbc;
static struct pm pm;
static struct debug_exit dbg;
static uint64_t tsc_at_start;

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

static uint64_t rtc_now_ns(void *ctx)
{
    (void)ctx;
    uint64_t cycles = vmm_guest_tsc() - tsc_at_start, hz = vmm_tsc_hz();
    return RTC_EPOCH_S * NS_PER_S + cycles / hz * NS_PER_S + cycles % hz * NS_PER_S / hz;
}

static void reset_cb(void *ctx)
{
    (void)ctx;
    vmm_reset();
}

static void power_off_cb(void *ctx)
{
    (void)ctx;
    vmm_power_off(0);
}

static void sci_cb(void *ctx, bool level)
{
    (void)ctx;
    vmm_irq_set(ACPI_SCI_IRQ, level);
}

static void debug_exit_cb(void *ctx, uint32_t status)
{
    (void)ctx;
    vmm_power_off(status);
}

bool devices_init(struct pci_host *pci)
{
    static const struct uart_ops com1_ops = {NULL, com1_tx, com1_irq, NULL};
    (void)pci;
    tsc_at_start = vmm_guest_tsc();
    uart_init(&com1, &com1_ops);
    return vmm_bus_add(&vm.io, UART_COM1_BASE, UART_PORTS, uart_io_read, uart_io_write, &com1) &&
           rtc_attach(&rtc, &vm.io, rtc_now_ns, NULL) && i8042_attach(&kbc, &vm.io, reset_cb, NULL) &&
           pm_attach(&pm, &vm.io, power_off_cb, reset_cb, sci_cb, NULL) &&
           debug_exit_attach(&dbg, &vm.io, debug_exit_cb, NULL);
}

size_t devices_console_input(const char *bytes, size_t n)
{
    return uart_receive(&com1, (const uint8_t *)bytes, n);
}
