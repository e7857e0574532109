/* SPDX-License-Identifier: GPL-2.0-only */
/* The platform (docs/vmm.md, "Platform"): which devices a VM has, where
 * they sit, and the glue between the exit handlers and the device models:
 * a LAPIC per vCPU (x2APIC MSRs), the IOAPIC, the PCI host bridge
 * (mechanism 1 and ECAM) with the virtio-net functions (net.c), the ACPI
 * tables in the BIOS area, the UART on COM1 on the console server (raw
 * output, polled input), the CMOS RTC, the i8042 (reset only), the ACPI
 * PM block (S5 power-off, reset register) and QEMU's isa-debug-exit
 * (0xf4), whose status the VMM prints as "vmm: guest powered off (status
 * N)" for tests to read. */
#include "core.h"
#include "ioapic.h"
#include "lapic.h"
#include "pci_host.h"
#include "power.h"
#include "rtc.h"
#include "uart.h"

#define NS_PER_S 1000000000ull
/* No wall clock reaches the VMM: the RTC starts at this UNIX time and
 * runs with the TSC (2026-01-01 00:00:00 UTC). */
#define RTC_EPOCH_S 1767225600ull

static struct lapic_set lapics;
static struct ioapic ioapic;
static struct pci_host pci;
static struct uart com1;
static struct rtc rtc;
static struct power power;
static uint64_t tsc_at_start;

/* ---- LAPIC and IOAPIC wiring ---------------------------------------------- */

static void ioapic_to_lapics(const struct apic_msg *m)
{
    lapic_deliver(&lapics, m);
}

/* What the device models ask for (vmm.h). */
void vmm_irq_set(unsigned gsi, bool level_high)
{
    ioapic_set_irq(&ioapic, gsi, level_high);
}

void vmm_irq_eoi(uint8_t vector)
{
    ioapic_eoi(&ioapic, vector);
}

void vmm_msi_send(uint64_t address, uint32_t data)
{
    lapic_msi(&lapics, address, data);
}

struct lapic *platform_lapic(unsigned vcpu)
{
    return &lapics.cpu[vcpu];
}

uint64_t platform_timer_deadline(unsigned vcpu)
{
    struct lapic *l = &lapics.cpu[vcpu];
    lapic_timer_tick(l, vmm_guest_tsc()); /* fires it if it is due */
    return l->deadline;
}

/* ---- the legacy devices ----------------------------------------------------- */

static uint64_t rtc_now_ns(void *ctx)
{
    (void)ctx;
    uint64_t cycles = vmm_guest_tsc() - tsc_at_start, hz = vm.tsc_hz;
    return RTC_EPOCH_S * NS_PER_S + cycles / hz * NS_PER_S + cycles % hz * NS_PER_S / hz;
}

size_t platform_console_input(const char *bytes, size_t n)
{
    return uart_receive(&com1, (const uint8_t *)bytes, n);
}

/* ---- assembly ---------------------------------------------------------------- */

static bool acpi_tables(void)
{
    struct vmm_acpi_config cfg = {
        .vcpus = vm.nvcpus, .dsdt = vmm_dsdt_aml, .dsdt_len = vmm_dsdt_aml_len};
    uint64_t used = 0;
    enum vmm_acpi_status st = vmm_acpi_build(&vm.ram, GUEST_ACPI_BASE, GUEST_ACPI_SIZE, &cfg, &used);
    if (st != VMM_ACPI_OK)
        vmm_log("ACPI tables not built (status %d)", st);
    return st == VMM_ACPI_OK;
}

bool platform_init(void)
{
    tsc_at_start = vmm_guest_tsc();
    uart_init(&com1);
    lapic_set_init(&lapics, vm.nvcpus);
    ioapic_init(&ioapic, VMM_IOAPIC_ID, ioapic_to_lapics);
    bool ok = vmm_bus_add(&vm.mmio, VMM_IOAPIC_BASE, IOAPIC_MMIO_SIZE, ioapic_mmio_read, ioapic_mmio_write, &ioapic) &&
              pci_host_attach(&pci, &vm.io, &vm.mmio) && acpi_tables() &&
              vmm_bus_add(&vm.io, UART_COM1_BASE, UART_PORTS, uart_io_read, uart_io_write, &com1) &&
              rtc_attach(&rtc, &vm.io, rtc_now_ns, NULL) && power_attach(&power, &vm.io) &&
              net_device(vm_start_info, &pci);
    if (!ok)
        vmm_log("platform: a device could not be set up");
    return ok;
}

