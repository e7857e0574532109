// host-test-sources: servers/vmm/pci_host.c servers/vmm/pci_config.c tests/host/vmm_bus_fake.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's PCI host bridge and configuration-space helper: mechanism 1
 * and ECAM reads and writes of every size, absent functions and buses,
 * the 0xcf9 reset, read-only bits, the BAR sizing
 * protocol, BARs moving on the buses as the guest programs them, overlap
 * refusal, capabilities, and random accesses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/acpi.h"
#include "servers/vmm/pci_host.h"

static struct vmm_bus io, mmio;
static struct pci_host host;
static unsigned resets;

void vmm_reset(void)
{
    resets++;
}

static int setup(void **state)
{
    (void)state;
    memset(&io, 0, sizeof io);
    memset(&mmio, 0, sizeof mmio);
    resets = 0;
    return pci_host_attach(&host, &io, &mmio) ? 0 : -1;
}

static uint32_t cf8(unsigned bus, unsigned slot, unsigned fn, unsigned reg)
{
    return 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (reg & 0xfc);
}

/* Mechanism 1 read / write of size bytes at reg. */
static uint32_t m1_read(unsigned bus, unsigned slot, unsigned fn, unsigned reg, unsigned size)
{
    vmm_bus_write(&io, 0xcf8, 4, cf8(bus, slot, fn, reg));
    return (uint32_t)vmm_bus_read(&io, 0xcfc + (reg & 3), size);
}

static void m1_write(unsigned bus, unsigned slot, unsigned fn, unsigned reg, unsigned size, uint32_t v)
{
    vmm_bus_write(&io, 0xcf8, 4, cf8(bus, slot, fn, reg));
    vmm_bus_write(&io, 0xcfc + (reg & 3), size, v);
}

static uint64_t ecam(unsigned bus, unsigned slot, unsigned fn, unsigned reg)
{
    return VMM_PCI_ECAM_BASE + ((uint64_t)bus << 20 | slot << 15 | fn << 12 | reg);
}

static void mechanism_1_reads_the_bridge(void **state)
{
    (void)state;
    assert_int_equal(m1_read(0, 0, 0, 0, 4), PCI_HOST_DEVICE << 16 | PCI_HOST_VENDOR);
    assert_int_equal(m1_read(0, 0, 0, 2, 2), PCI_HOST_DEVICE);
    assert_int_equal(m1_read(0, 0, 0, 3, 1), PCI_HOST_DEVICE >> 8);
    assert_int_equal(m1_read(0, 0, 0, 0x0b, 1), 0x06); /* bridge */
    assert_int_equal(m1_read(0, 0, 0, 0x0a, 1), 0x00); /* host */
    /* Absent slot, function, bus: all ones. */
    assert_int_equal(m1_read(0, 5, 0, 0, 4), 0xffffffffu);
    assert_int_equal(m1_read(0, 0, 1, 0, 2), 0xffff);
    assert_int_equal(m1_read(1, 0, 0, 0, 4), 0xffffffffu);
    /* The address latch reads back without its reserved bits. */
    vmm_bus_write(&io, 0xcf8, 4, 0xffffffffu);
    assert_int_equal(vmm_bus_read(&io, 0xcf8, 4), 0x80fffffcu);
    /* Enable bit clear: the data port floats. */
    vmm_bus_write(&io, 0xcf8, 4, 0);
    assert_int_equal(vmm_bus_read(&io, 0xcfc, 4), 0xffffffffu);
    /* Byte and word writes to 0xcf8 leave the latch alone. */
    vmm_bus_write(&io, 0xcf8, 4, cf8(0, 0, 0, 0));
    vmm_bus_write(&io, 0xcf8, 2, 0x1234);
    vmm_bus_write(&io, 0xcfa, 1, 0x56);
    assert_int_equal(vmm_bus_read(&io, 0xcf8, 4), 0x80000000u);
    /* Misaligned data access: all ones. */
    vmm_bus_write(&io, 0xcf8, 4, cf8(0, 0, 0, 0));
    assert_int_equal(vmm_bus_read(&io, 0xcfd, 2), 0xffff);
}

static void reset_control_register(void **state)
{
    (void)state;
    vmm_bus_write(&io, 0xcf9, 1, 0x02); /* hard-reset select only: no reset yet */
    assert_int_equal(resets, 0);
    vmm_bus_write(&io, 0xcf9, 1, 0x06);
    assert_int_equal(resets, 1);
    vmm_bus_write(&io, 0xcf8, 4, 0x00000400); /* a dword to 0xcf8 is the address */
    assert_int_equal(resets, 1);
}

static void ecam_matches_mechanism_1(void **state)
{
    (void)state;
    for (unsigned reg = 0; reg < 64; reg += 4)
        assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, reg), 4), m1_read(0, 0, 0, reg, 4));
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 2), 2), PCI_HOST_DEVICE);
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 0), 8), ~0ull); /* 8-byte accesses: not PCIe's */
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 0x100), 4), 0); /* no extended capabilities */
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 0xffc), 4), 0);
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 7, 0, 0), 4), 0xffffffffu);
    assert_int_equal(vmm_bus_read(&mmio, ecam(255, 31, 7, 0xffc), 4), 0xffffffffu);
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 1), 2), 0xffff); /* misaligned */
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 4), 8), ~0ull);
    /* Beyond the window: nobody's. */
    assert_int_equal(vmm_bus_read(&mmio, VMM_PCI_ECAM_BASE + ((uint64_t)VMM_PCI_ECAM_BUSES << 20), 4), 0xffffffffu);
}

static void host_add_checks_its_arguments(void **state)
{
    (void)state;
    struct pci_config c;
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, &mmio);
    assert_false(pci_host_add(&host, 0, 0, pci_config_read, pci_config_write, &c));
    assert_false(pci_host_add(&host, 32, 0, pci_config_read, pci_config_write, &c));
    assert_false(pci_host_add(&host, 3, 8, pci_config_read, pci_config_write, &c));
    assert_false(pci_host_add(&host, 3, 0, NULL, pci_config_write, &c));
    assert_true(pci_host_add(&host, 3, 0, pci_config_read, pci_config_write, &c));
    assert_false(pci_host_add(&host, 3, 0, pci_config_read, pci_config_write, &c));
    assert_int_equal(m1_read(0, 3, 0, 0, 4), 0x10411af4u);
    /* A second host on the same buses cannot claim the same ranges. */
    static struct pci_host other;
    assert_false(pci_host_attach(&other, &io, &mmio));
}

static void read_only_bits(void **state)
{
    (void)state;
    struct pci_config c;
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, &mmio);
    assert_true(pci_host_add(&host, 2, 0, pci_config_read, pci_config_write, &c));
    m1_write(0, 2, 0, 0, 4, 0);
    assert_int_equal(m1_read(0, 2, 0, 0, 4), 0x10411af4u);
    m1_write(0, 2, 0, PCI_COMMAND, 2, 0xffff);
    assert_int_equal(m1_read(0, 2, 0, PCI_COMMAND, 2), 0x0006);
    m1_write(0, 2, 0, PCI_INT_LINE, 1, 11);
    assert_int_equal(m1_read(0, 2, 0, PCI_INT_LINE, 1), 11);
    assert_int_equal(m1_read(0, 2, 0, PCI_INT_LINE + 1, 1), 0); /* no interrupt pin */
    m1_write(0, 2, 0, PCI_INT_LINE + 1, 1, 4);
    assert_int_equal(m1_read(0, 2, 0, PCI_INT_LINE + 1, 1), 0);
    pci_config_put(&c, PCI_STATUS, 2, 0x0010); /* cap list */
    m1_write(0, 2, 0, PCI_STATUS, 2, 0xffff);   /* status is read-only */
    assert_int_equal(m1_read(0, 2, 0, PCI_STATUS, 2), 0x0010);
    /* A dword write over command and status. */
    m1_write(0, 2, 0, PCI_COMMAND, 4, 0x20000002);
    assert_int_equal(m1_read(0, 2, 0, PCI_COMMAND, 4), 0x00100002);
}

struct fake_dev {
    unsigned reads, writes;
    uint64_t last_offset;
};

static uint64_t dev_read(void *d, uint64_t offset, unsigned size)
{
    struct fake_dev *f = d;
    (void)size;
    f->reads++;
    f->last_offset = offset;
    return 0x5a;
}

static void dev_write(void *d, uint64_t offset, unsigned size, uint64_t value)
{
    struct fake_dev *f = d;
    (void)size;
    (void)value;
    f->writes++;
    f->last_offset = offset;
}

static void bar_sizing_and_placement(void **state)
{
    (void)state;
    static struct pci_config c;
    static struct fake_dev mem_dev;
    memset(&mem_dev, 0, sizeof mem_dev);
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, &mmio);
    assert_false(pci_config_set_bar(&c, 0x1800, dev_read, dev_write, &mem_dev));
    assert_false(pci_config_set_bar(&c, 0x800, dev_read, dev_write, &mem_dev));
    assert_true(pci_config_set_bar(&c, 0x1000, dev_read, dev_write, &mem_dev));
    assert_true(pci_host_add(&host, 1, 0, pci_config_read, pci_config_write, &c));
    /* Sizing: all ones in, size mask out; BARs 1-5 are not there. */
    for (unsigned i = 0; i < 6; i++)
        m1_write(0, 1, 0, PCI_BAR0 + 4 * i, 4, 0xffffffffu);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0, 4), 0xfffff000u);
    for (unsigned i = 1; i < 6; i++)
        assert_int_equal(m1_read(0, 1, 0, PCI_BAR0 + 4 * i, 4), 0);
    assert_int_equal(mmio.count, 1); /* decoding is off: only the ECAM window */
    /* Program and enable. */
    m1_write(0, 1, 0, PCI_BAR0, 4, 0xc0001234u);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0, 4), 0xc0001000u);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0001000u, 4), 0xffffffffu);
    m1_write(0, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0001010u, 4), 0x5a);
    assert_int_equal(mem_dev.last_offset, 0x10);
    /* Move BAR0 with a byte write to its second byte: the region follows. */
    m1_write(0, 1, 0, PCI_BAR0 + 1, 1, 0x20);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0, 4), 0xc0002000u);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0001000u, 4), 0xffffffffu);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0002000u, 4), 0x5a);
    assert_true(c.mapped);
    /* Disable memory decoding: gone from the bus. */
    m1_write(0, 1, 0, PCI_COMMAND, 2, 0);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0002000u, 4), 0xffffffffu);
    assert_false(c.mapped);
    /* Overlap with the ECAM window: refused and counted, nothing mapped. */
    m1_write(0, 1, 0, PCI_BAR0, 4, (uint32_t)VMM_PCI_ECAM_BASE);
    m1_write(0, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
    assert_int_equal(c.bar_conflicts, 1);
    assert_false(c.mapped);
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 0), 2), PCI_HOST_VENDOR);
    /* Back to a free place: mapped again. */
    m1_write(0, 1, 0, PCI_BAR0, 4, 0xc0003000u);
    assert_true(c.mapped);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0003004u, 4), 0x5a);
}

static void capabilities_form_a_list(void **state)
{
    (void)state;
    struct pci_config c;
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, &mmio);
    assert_int_equal(pci_config_get(&c, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
    unsigned a = pci_config_add_cap(&c, 0x11, 12);
    unsigned b = pci_config_add_cap(&c, 0x09, 17);
    assert_int_equal(a, 0x40);
    assert_int_equal(b, 0x4c);
    assert_true(pci_config_get(&c, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    assert_int_equal(pci_config_read(&c, PCI_CAP_PTR, 1), a);
    assert_int_equal(pci_config_read(&c, a, 1), 0x11);
    assert_int_equal(pci_config_read(&c, a + 1, 1), b);
    assert_int_equal(pci_config_read(&c, b + 1, 1), 0);
    /* Writable bits the owner opens; the rest stays. */
    pci_config_set_writable(&c, a + 2, 2, 0xc000);
    pci_config_write(&c, a, 4, 0xffffffffu);
    assert_int_equal(pci_config_read(&c, a, 4), 0xc0000000u | b << 8 | 0x11);
    /* Fill the space: a cap that does not fit gives 0 and links nothing. */
    unsigned n = 0;
    while (pci_config_add_cap(&c, 0x09, 16))
        n++;
    assert_true(n > 0 && n < 16);
    assert_int_equal(pci_config_add_cap(&c, 0x09, 300), 0);
    assert_int_equal(pci_config_add_cap(&c, 0x09, 1), 0);
}

static void random_accesses_stay_inside(void **state)
{
    (void)state;
    static struct pci_config c;
    static struct fake_dev d;
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, &mmio);
    assert_true(pci_config_set_bar(&c, 0x4000, dev_read, dev_write, &d));
    assert_true(pci_host_add(&host, 4, 0, pci_config_read, pci_config_write, &c));
    srand(7);
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    for (int i = 0; i < 200000; i++) {
        unsigned size = sizes[rand() % 4];
        uint64_t v = (uint64_t)rand() << 32 | (uint64_t)rand();
        if (rand() & 1) {
            uint64_t off = (uint64_t)rand() % (2u << 20); /* buses 0 and 1 */
            if (rand() & 1)
                vmm_bus_write(&mmio, VMM_PCI_ECAM_BASE + off, size, v);
            else
                (void)vmm_bus_read(&mmio, VMM_PCI_ECAM_BASE + off, size);
        } else {
            uint64_t port = 0xcf8 + (unsigned)rand() % 8;
            if (size == 8)
                size = 4;
            if (rand() & 1)
                vmm_bus_write(&io, port, size, port == 0xcf8 ? (0x80000000u | (unsigned)rand() % 0x10000) : v);
            else
                (void)vmm_bus_read(&io, port, size);
        }
        /* The invariants: IDs never change, the BAR stays aligned and is on the bus where it says. */
        assert_int_equal(pci_config_get(&c, 0, 4), 0x10411af4u);
        assert_int_equal(pci_config_get(&c, PCI_BAR0, 4) & 0x3fff, 0);
        if (c.mapped)
            assert_int_equal(c.mapped_at, pci_config_get(&c, PCI_BAR0, 4));
    }
    resets = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(mechanism_1_reads_the_bridge, setup),
        cmocka_unit_test_setup(reset_control_register, setup),
        cmocka_unit_test_setup(ecam_matches_mechanism_1, setup),
        cmocka_unit_test_setup(host_add_checks_its_arguments, setup),
        cmocka_unit_test_setup(read_only_bits, setup),
        cmocka_unit_test_setup(bar_sizing_and_placement, setup),
        cmocka_unit_test_setup(capabilities_form_a_list, setup),
        cmocka_unit_test_setup(random_accesses_stay_inside, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
