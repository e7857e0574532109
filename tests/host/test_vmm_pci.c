// host-test-sources: servers/vmm/pci_host.c servers/vmm/pci_config.c tests/host/vmm_bus_fake.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's PCI host bridge and configuration-space helper: mechanism 1
 * and ECAM reads and writes of every size, absent functions and buses,
 * the 0xcf9 reset, read-only and write-1-to-clear bits, the BAR sizing
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

static void count_reset(void *ctx)
{
    (void)ctx;
    resets++;
}

static int setup(void **state)
{
    (void)state;
    memset(&io, 0, sizeof io);
    memset(&mmio, 0, sizeof mmio);
    resets = 0;
    return pci_host_attach(&host, &io, &mmio, true, count_reset, NULL) ? 0 : -1;
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
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 0), 8) & 0xffffffffu, PCI_HOST_DEVICE << 16 | PCI_HOST_VENDOR);
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 0x100), 4), 0); /* no extended capabilities */
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 0xffc), 4), 0);
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 7, 0, 0), 4), 0xffffffffu);
    assert_int_equal(vmm_bus_read(&mmio, ecam(255, 31, 7, 0xffc), 4), 0xffffffffu);
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 1), 2), 0xffff); /* misaligned */
    /* Beyond the window: nobody's. */
    assert_int_equal(vmm_bus_read(&mmio, VMM_PCI_ECAM_BASE + ((uint64_t)VMM_PCI_ECAM_BUSES << 20), 4), 0xffffffffu);
}

static void host_add_checks_its_arguments(void **state)
{
    (void)state;
    struct pci_config c;
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, 1, &io, &mmio);
    assert_false(pci_host_add(&host, 0, 0, pci_config_read, pci_config_write, &c));
    assert_false(pci_host_add(&host, 32, 0, pci_config_read, pci_config_write, &c));
    assert_false(pci_host_add(&host, 3, 8, pci_config_read, pci_config_write, &c));
    assert_false(pci_host_add(&host, 3, 0, NULL, pci_config_write, &c));
    assert_true(pci_host_add(&host, 3, 0, pci_config_read, pci_config_write, &c));
    assert_false(pci_host_add(&host, 3, 0, pci_config_read, pci_config_write, &c));
    assert_int_equal(m1_read(0, 3, 0, 0, 4), 0x10411af4u);
    /* A second host on the same buses cannot claim the same ranges. */
    static struct pci_host other;
    assert_false(pci_host_attach(&other, &io, &mmio, true, NULL, NULL));
}

static void read_only_and_write_one_to_clear_bits(void **state)
{
    (void)state;
    struct pci_config c;
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, 1, &io, &mmio);
    assert_true(pci_host_add(&host, 2, 0, pci_config_read, pci_config_write, &c));
    m1_write(0, 2, 0, 0, 4, 0);
    assert_int_equal(m1_read(0, 2, 0, 0, 4), 0x10411af4u);
    m1_write(0, 2, 0, PCI_COMMAND, 2, 0xffff);
    assert_int_equal(m1_read(0, 2, 0, PCI_COMMAND, 2), 0x0407);
    m1_write(0, 2, 0, PCI_INT_LINE, 1, 11);
    assert_int_equal(m1_read(0, 2, 0, PCI_INT_LINE, 1), 11);
    assert_int_equal(m1_read(0, 2, 0, PCI_INT_PIN, 1), 1);
    m1_write(0, 2, 0, PCI_INT_PIN, 1, 4);
    assert_int_equal(m1_read(0, 2, 0, PCI_INT_PIN, 1), 1);
    pci_config_put(&c, PCI_STATUS, 2, 0x2010); /* master abort + cap list */
    m1_write(0, 2, 0, PCI_STATUS, 2, 0x0010);   /* writing the read-only bit changes nothing */
    assert_int_equal(m1_read(0, 2, 0, PCI_STATUS, 2), 0x2010);
    m1_write(0, 2, 0, PCI_STATUS, 2, 0x2000);
    assert_int_equal(m1_read(0, 2, 0, PCI_STATUS, 2), 0x0010);
    /* A dword write over command and status. */
    pci_config_put(&c, PCI_STATUS, 2, 0x2000);
    m1_write(0, 2, 0, PCI_COMMAND, 4, 0x20000002);
    assert_int_equal(m1_read(0, 2, 0, PCI_COMMAND, 4), 0x00000002);
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

static unsigned moves;
static bool last_mapped;
static uint64_t last_base;

static void note_move(void *owner, unsigned bar, bool mapped, uint64_t base)
{
    (void)owner;
    (void)bar;
    moves++;
    last_mapped = mapped;
    last_base = base;
}

static void bar_sizing_and_placement(void **state)
{
    (void)state;
    static struct pci_config c;
    static struct fake_dev mem_dev, io_dev, mem64_dev;
    memset(&mem_dev, 0, sizeof mem_dev);
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, 1, &io, &mmio);
    c.bar_moved = note_move;
    moves = 0;
    assert_true(pci_config_set_bar(&c, 0, PCI_BAR_KIND_MEM32, 0x1000, false, dev_read, dev_write, &mem_dev));
    assert_true(pci_config_set_bar(&c, 1, PCI_BAR_KIND_IO, 0x20, false, dev_read, dev_write, &io_dev));
    assert_true(pci_config_set_bar(&c, 2, PCI_BAR_KIND_MEM64, 0x4000, true, dev_read, dev_write, &mem64_dev));
    assert_false(pci_config_set_bar(&c, 3, PCI_BAR_KIND_MEM32, 0x1000, false, dev_read, dev_write, &mem_dev));
    assert_false(pci_config_set_bar(&c, 4, PCI_BAR_KIND_MEM32, 0x1800, false, dev_read, dev_write, &mem_dev));
    assert_false(pci_config_set_bar(&c, 5, PCI_BAR_KIND_MEM64, 0x4000, false, dev_read, dev_write, &mem_dev));
    assert_false(pci_config_set_bar(&c, 4, PCI_BAR_KIND_IO, 2, false, dev_read, dev_write, &mem_dev));
    assert_true(pci_host_add(&host, 1, 0, pci_config_read, pci_config_write, &c));
    /* Sizing: all ones in, size mask and flags out. */
    for (unsigned i = 0; i < 6; i++)
        m1_write(0, 1, 0, PCI_BAR0 + 4 * i, 4, 0xffffffffu);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0, 4), 0xfffff000u);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0 + 4, 4), 0x0000ffe1u);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0 + 8, 4), 0xffffc00cu);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0 + 12, 4), 0xffffffffu);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0 + 16, 4), 0);
    assert_int_equal(moves, 0); /* decoding is off */
    /* Program and enable. */
    m1_write(0, 1, 0, PCI_BAR0, 4, 0xc0001234u);
    m1_write(0, 1, 0, PCI_BAR0 + 4, 4, 0xc040);
    m1_write(0, 1, 0, PCI_BAR0 + 8, 4, 0x00010000u);
    m1_write(0, 1, 0, PCI_BAR0 + 12, 4, 0x1);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0, 4), 0xc0001000u);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0001000u, 4), 0xffffffffu);
    m1_write(0, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0001010u, 4), 0x5a);
    assert_int_equal(mem_dev.last_offset, 0x10);
    assert_int_equal(vmm_bus_read(&io, 0xc05f, 1), 0x5a);
    assert_int_equal(io_dev.last_offset, 0x1f);
    assert_int_equal(vmm_bus_read(&mmio, 0x100013ffcull, 4), 0x5a);
    assert_int_equal(mem64_dev.last_offset, 0x3ffc);
    assert_int_equal(moves, 3);
    /* Move BAR0 with a byte write to its second byte: the region follows. */
    m1_write(0, 1, 0, PCI_BAR0 + 1, 1, 0x20);
    assert_int_equal(m1_read(0, 1, 0, PCI_BAR0, 4), 0xc0002000u);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0001000u, 4), 0xffffffffu);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0002000u, 4), 0x5a);
    assert_true(last_mapped);
    assert_int_equal(last_base, 0xc0002000u);
    /* Disable memory decoding: gone from the bus, I/O stays. */
    m1_write(0, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_IO);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0002000u, 4), 0xffffffffu);
    assert_int_equal(vmm_bus_read(&io, 0xc040, 1), 0x5a);
    assert_false(last_mapped);
    /* Overlap with the ECAM window: refused and counted, nothing mapped. */
    m1_write(0, 1, 0, PCI_BAR0, 4, (uint32_t)VMM_PCI_ECAM_BASE);
    m1_write(0, 1, 0, PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    assert_int_equal(c.bar_conflicts, 1);
    assert_false(c.bar[0].mapped);
    assert_int_equal(vmm_bus_read(&mmio, ecam(0, 0, 0, 0), 2), PCI_HOST_VENDOR);
    /* Back to a free place: mapped again. */
    m1_write(0, 1, 0, PCI_BAR0, 4, 0xc0003000u);
    assert_true(c.bar[0].mapped);
    assert_int_equal(vmm_bus_read(&mmio, 0xc0003004u, 4), 0x5a);
}

static void capabilities_form_a_list(void **state)
{
    (void)state;
    struct pci_config c;
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, 1, &io, &mmio);
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

static unsigned owner_writes;
static void note_write(void *owner, unsigned offset, unsigned size)
{
    (void)owner;
    (void)offset;
    (void)size;
    owner_writes++;
}

static void random_accesses_stay_inside(void **state)
{
    (void)state;
    static struct pci_config c;
    static struct fake_dev d;
    pci_config_init(&c, 0x1af4, 0x1041, 0x020000, 1, 1, &io, &mmio);
    c.written = note_write;
    assert_true(pci_config_set_bar(&c, 0, PCI_BAR_KIND_MEM64, 0x4000, false, dev_read, dev_write, &d));
    assert_true(pci_config_set_bar(&c, 2, PCI_BAR_KIND_IO, 0x40, false, dev_read, dev_write, &d));
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
        /* The invariants: IDs never change, BARs stay aligned, mapped BARs are on the bus. */
        assert_int_equal(pci_config_get(&c, 0, 4), 0x10411af4u);
        assert_int_equal(c.bar[0].addr & 0x3fff, 0);
        assert_int_equal(c.bar[2].addr & 0x3f, 0);
        assert_true(c.bar[2].addr < 0x10000);
    }
    assert_true(owner_writes > 0);
    resets = 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(mechanism_1_reads_the_bridge, setup),
        cmocka_unit_test_setup(reset_control_register, setup),
        cmocka_unit_test_setup(ecam_matches_mechanism_1, setup),
        cmocka_unit_test_setup(host_add_checks_its_arguments, setup),
        cmocka_unit_test_setup(read_only_and_write_one_to_clear_bits, setup),
        cmocka_unit_test_setup(bar_sizing_and_placement, setup),
        cmocka_unit_test_setup(capabilities_form_a_list, setup),
        cmocka_unit_test_setup(random_accesses_stay_inside, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
