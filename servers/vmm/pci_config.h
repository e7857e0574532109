/* SPDX-License-Identifier: GPL-2.0-only */
/* A PCI function's type-0 configuration space, for the VMM's PCI devices
 * (the host bridge, virtio-net): the 256-byte header and capability area
 * with a mask of guest-writable bits, write-1-to-clear status bits, the
 * BAR sizing protocol (writing all ones reads back the size mask), and
 * BAR placement: when the guest enables decoding in the command register
 * or moves an enabled BAR, the BAR's region moves on the I/O or MMIO bus
 * (vmm_bus_add / vmm_bus_move) and the owner hears of it.
 *
 * Offsets 256..4095 (PCIe extended space, through ECAM) read as zero: no
 * extended capabilities. Register with pci_host_add(host, slot, fn,
 * pci_config_read, pci_config_write, &cfg). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmm.h"

#define PCI_CONFIG_SIZE 256
#define PCI_BARS 6

/* Header offsets and bits the VMM's devices use. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_HEADER_TYPE 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INT_LINE 0x3c
#define PCI_INT_PIN 0x3d
#define PCI_COMMAND_IO (1u << 0)
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_COMMAND_INTX_DISABLE (1u << 10)
#define PCI_STATUS_INTX (1u << 3)
#define PCI_STATUS_CAP_LIST (1u << 4)
#define PCI_BAR_IO 0x1u
#define PCI_BAR_MEM64 0x4u
#define PCI_BAR_PREFETCH 0x8u

enum pci_bar_kind { PCI_BAR_NONE, PCI_BAR_KIND_IO, PCI_BAR_KIND_MEM32, PCI_BAR_KIND_MEM64 };

struct pci_bar {
    enum pci_bar_kind kind;
    uint64_t size;        /* a power of two: >= 4 (I/O), >= 4096 (memory, one page at least) */
    bool prefetchable;
    /* The region the BAR decodes: on io_bus or mmio_bus at the guest's address. */
    vmm_read_fn read;
    vmm_write_fn write;
    void *dev;
    /* Placement state */
    uint64_t addr;        /* the guest-programmed base (size-aligned) */
    bool mapped;          /* registered on its bus at mapped_at */
    uint64_t mapped_at;
};

struct pci_config {
    uint8_t data[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];  /* bits the guest may write */
    uint8_t w1c[PCI_CONFIG_SIZE];    /* bits a written one clears */
    struct pci_bar bar[PCI_BARS];    /* a 64-bit BAR uses two slots: the second is PCI_BAR_NONE */
    uint8_t cap_end;                 /* where the next capability goes */
    struct vmm_bus *io_bus, *mmio_bus;
    unsigned bar_conflicts;          /* placements refused: overlap with another region, bus full */
    /* Optional: after a guest write (offset, size as written), e.g. to see
     * MSI-X enable; and after a BAR's placement changed. */
    void (*written)(void *owner, unsigned offset, unsigned size);
    void (*bar_moved)(void *owner, unsigned bar, bool mapped, uint64_t base);
    void *owner;
};

/* A header with these IDs, class (base << 16 | sub << 8 | prog-if), the
 * command register's I/O, memory, bus-master and INTx-disable bits
 * writable, interrupt line writable and pin intx_pin (0: none, 1: INTA). */
void pci_config_init(struct pci_config *c, uint16_t vendor, uint16_t device, uint32_t class_code,
                     uint8_t revision, uint8_t intx_pin, struct vmm_bus *io_bus, struct vmm_bus *mmio_bus);
/* Declares BAR index (0..5; MEM64 also takes index + 1); false on a bad
 * index, size or overlap with a declared BAR. */
bool pci_config_set_bar(struct pci_config *c, unsigned index, enum pci_bar_kind kind, uint64_t size,
                        bool prefetchable, vmm_read_fn read, vmm_write_fn write, void *dev);
/* Appends a capability of len bytes (id and next pointer included) to the
 * list: its offset, or 0 when it does not fit. Its body starts read-only;
 * pci_config_set_writable opens bits. */
unsigned pci_config_add_cap(struct pci_config *c, uint8_t id, unsigned len);
void pci_config_set_writable(struct pci_config *c, unsigned offset, unsigned size, uint32_t mask);
/* Little-endian helpers for the owner's own fields. */
uint32_t pci_config_get(const struct pci_config *c, unsigned offset, unsigned size);
void pci_config_put(struct pci_config *c, unsigned offset, unsigned size, uint32_t value);

/* The guest's accesses (pci_host.h callbacks; dev is the struct pci_config). */
uint32_t pci_config_read(void *dev, unsigned offset, unsigned size);
void pci_config_write(void *dev, unsigned offset, unsigned size, uint32_t value);
