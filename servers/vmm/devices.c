/* SPDX-License-Identifier: GPL-2.0-only */
/* The VM's devices besides the APICs and the PCI host bridge
 * (platform.c): the UART on COM1 on the console server (raw output,
 * polled input), the CMOS RTC, the i8042 (reset only), the ACPI PM block
 * (S5 power-off, reset register, SCI) and QEMU's isa-debug-exit (0xf4),
 * whose status the VMM prints as "vmm: guest powered off (status N)"
 * for tests to read. */
#include "core.h"
#include "pci_host.h"
#include "power.h"
#include "rtc.h"
#include "uart.h"

#define NS_PER_S 1000000000ull
/* No wall clock reaches the VMM: the RTC starts at this UNIX time and
 * runs with the TSC (2026-01-01 00:00:00 UTC). */
#define RTC_EPOCH_S 1767225600ull

static struct uart com1;
static struct rtc rtc;
static struct power power;
static uint64_t tsc_at_start;

static uint64_t rtc_now_ns(void *ctx)
{
    (void)ctx;
    uint64_t cycles = vmm_guest_tsc() - tsc_at_start, hz = vm.tsc_hz;
    return RTC_EPOCH_S * NS_PER_S + cycles / hz * NS_PER_S + cycles % hz * NS_PER_S / hz;
}

bool devices_init(struct pci_host *pci)
{
    tsc_at_start = vmm_guest_tsc();
    uart_init(&com1);
    return vmm_bus_add(&vm.io, UART_COM1_BASE, UART_PORTS, uart_io_read, uart_io_write, &com1) &&
           rtc_attach(&rtc, &vm.io, rtc_now_ns, NULL) && power_attach(&power, &vm.io) &&
           net_device(vm_start_info, pci);
}

size_t devices_console_input(const char *bytes, size_t n)
{
    return uart_receive(&com1, (const uint8_t *)bytes, n);
}
