/* intruder: the isolation test of the NIC ISO (servers/init/net.conf). A
 * component that was granted a portal to the PCI server (and the console)
 * but no device, no device memory, no MSI, no interrupt line and no I/O
 * port tries to reach each of them anyway. Every attempt must be refused
 * with an error; it prints "PASS name" or "FAIL name: why" per attempt on
 * the console, then touches the PCI configuration ports, which must end it
 * with a #GP (init reports the kill). */
#include <stdbool.h>
#include <stdint.h>
#include <component.h>
#include <pci.h>
#include <stdio.h>
#include <syscall.h>
#include <utcb.h>

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

static enum dj_status pci_request(uint64_t pt, uint64_t op, uint64_t a, uint64_t b)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = op;
    u->words[1] = a;
    u->words[2] = b;
    uint64_t out;
    enum dj_status st = dj_call(pt, DJ_MTD(3, 0), &out);
    if (st != DJ_OK)
        return st;
    return DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
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
    expect("isolation_pci_open_without_device", dj_pci_open(pt, &d), DJ_E_BAD_CAP);
    expect("isolation_pci_cfg_read_without_device", pci_request(pt, DJ_PCI_OP_CFG_READ, 0, 4), DJ_E_BAD_CAP);
    expect("isolation_pci_map_bar_without_device",
           pci_request(pt, DJ_PCI_OP_MAP_BAR, 0, MAP_VA / 4096), DJ_E_BAD_CAP);
}

static inline uint32_t inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
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
