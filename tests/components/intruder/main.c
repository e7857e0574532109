/* SPDX-License-Identifier: GPL-2.0-only */
/* intruder: the isolation test of the NIC ISO (servers/init/net.conf). A
 * component that was granted a portal to the PCI server (and the console)
 * but no device, no device memory, no MSI, no interrupt line and no I/O
 * port tries to reach each of them anyway. Every attempt must be refused
 * with an error; it prints "PASS name" or "FAIL name: why" per attempt on
 * the console, then touches the PCI configuration ports, which must end it
 * with a #GP (init reports the kill). */
#include <stdbool.h>
#include <stdint.h>
#include "lib/component.h"
#include "lib/pci.h"
#include <stdio.h>
#include "lib/syscall.h"
#include "lib/x86.h"

#define PCI_CONFIG_ADDRESS 0xcf8
#define ANY_DEVICE_PAGE 0xfebf0000ull /* where firmware puts PCI BARs on QEMU's PCs */
#define ANY_GSI 11
#define SEL_SM DJ_CHILD_FIRST_FREE
#define MAP_VA DJ_CHILD_FREE_VA

static unsigned failures;

static void expect(const char *name, enum dj_status got, enum dj_status want)
{
    if (got == want) {
        printf("PASS %s\n", name);
        return;
    }
    failures++;
    printf("FAIL %s: status %d, expected %d\n", name, got, want);
}

static void try_pci_server(void)
{
    uint64_t pt;
    if (!dj_start_cap("pci", &pt)) {
        failures++;
        printf("FAIL isolation_pci_portal: no pci portal granted\n");
        return;
    }
    struct dj_pci_dev d;
    uint32_t value;
    expect("isolation_pci_open_without_device", dj_pci_open(pt, &d), DJ_E_BAD_CAP);
    /* A forged device: the server decides by the caller's badge alone. */
    d = (struct dj_pci_dev){.pt = pt, .bar[0] = {.base = ANY_DEVICE_PAGE, .size = 4096}};
    expect("isolation_pci_cfg_read_without_device", dj_pci_cfg_read(&d, 0, 4, &value), DJ_E_BAD_CAP);
    expect("isolation_pci_map_bar_without_device", dj_pci_map_bar(&d, 0, MAP_VA, 0), DJ_E_BAD_CAP);
}

int main(void)
{
    dj_start_with_console();
    dj_create_sm(SEL_SM, DJ_SEL_SELF_PD, 0);
    expect("isolation_device_memory", dj_mmio_map(DJ_SEL_DEVMEM, MAP_VA, ANY_DEVICE_PAGE, 0, DJ_MEM_R, DJ_CACHE_UC),
           DJ_E_BAD_CAP);
    expect("isolation_msi", dj_msi_bind(DJ_SEL_MSI_BASE, SEL_SM, 0, 0), DJ_E_BAD_CAP);
    expect("isolation_interrupt_line", dj_irq_ctrl(DJ_SEL_IRQ_BASE + ANY_GSI, DJ_IRQ_OP_BIND, SEL_SM, 0),
           DJ_E_BAD_CAP);
    try_pci_server();
    printf("%s; now reading port %#x, which must kill me\n", failures ? "FAILED" : "all refused",
           PCI_CONFIG_ADDRESS);
    uint32_t v = inl(PCI_CONFIG_ADDRESS);
    printf("FAIL isolation_io_port: read %#x from a port I was not granted\n", v);
    dj_block_forever(SEL_SM + 1);
}
