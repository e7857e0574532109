/* SPDX-License-Identifier: GPL-2.0-only */
/* The platform (docs/vmm.md, "Platform"): which devices a VM has, where
 * they sit, and the glue between the exit handlers and the device models:
 * a LAPIC per vCPU (x2APIC MSRs), the IOAPIC, the PCI host
 * bridge (mechanism 1 and ECAM), the ACPI tables in the BIOS area, and
 * the devices of devices.c. */
#include <string.h>
#include "core.h"
#include "ioapic.h"
#include "lapic.h"
#include "pci_host.h"

static struct lapic_set lapics;
static struct ioapic ioapic;
static struct pci_host pci;

/* ---- LAPIC and IOAPIC wiring ---------------------------------------------- */

static void ioapic_to_lapics(void *ctx, const struct apic_msg *m)
{
    (void)ctx;
    lapic_deliver(&lapics, m);
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

/* ---- assembly ---------------------------------------------------------------- */

static bool acpi_tables(void)
{
    struct vmm_acpi_config cfg = {
        .vcpus = vm.nvcpus, .ecam = true, .dsdt = vmm_dsdt_aml, .dsdt_len = vmm_dsdt_aml_len};
    uint64_t used = 0;
    enum vmm_acpi_status st = vmm_acpi_build(&vm.ram, GUEST_ACPI_BASE, GUEST_ACPI_SIZE, &cfg, &used);
    if (st != VMM_ACPI_OK)
        vmm_log("ACPI tables not built (status %d)", st);
    return st == VMM_ACPI_OK;
}

bool platform_init(void)
{
    static const struct ioapic_ops iops = {NULL, ioapic_to_lapics};
    if (!lapic_set_init(&lapics, vm.nvcpus))
        return false;
    lapic_platform_attach(&lapics);
    ioapic_init(&ioapic, VMM_IOAPIC_ID, &iops);
    ioapic_platform_attach(&ioapic);
    bool ok = vmm_bus_add(&vm.mmio, IOAPIC_MMIO_BASE, IOAPIC_MMIO_SIZE, ioapic_mmio_read, ioapic_mmio_write, &ioapic) &&
              pci_host_attach(&pci, &vm.io, &vm.mmio) && devices_init(&pci) && acpi_tables();
    if (!ok)
        vmm_log("platform: a device could not be set up");
    return ok;
}

