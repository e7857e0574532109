/* SPDX-License-Identifier: GPL-2.0-only */
/* A PCI function's type-0 configuration space, for the VMM's PCI devices
 * (the host bridge, virtio-net): the 256-byte header and capability area
 * with a mask of guest-writable bits, and at most one BAR, BAR0, a 32-bit
 * memory BAR (what virtio-net needs; no I/O or 64-bit BARs). Its address
 * bits are simply the writable bits of the register, which gives the
 * sizing protocol for free (writing all ones reads back the size mask).
 * While memory decoding is on and BAR0 is not 0, its region sits on the
 * MMIO bus at the programmed address and follows every change.
 *
 * The status register is read-only: no device here ever sets an error
 * bit, so its write-one-to-clear bits have nothing to clear. Offsets
 * 256..4095 (PCIe extended space, through ECAM) read as zero: no extended
 * capabilities. Register with pci_host_add(host, slot, fn,
 * pci_config_read, pci_config_write, &cfg). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmm.h"

#define PCI_CONFIG_SIZE 256

/* Header offsets and bits the VMM's devices use. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_BAR0 0x10
#define PCI_SUBSYS_VENDOR 0x2c
#define PCI_SUBSYS_ID 0x2e
#define PCI_CAP_PTR 0x34
#define PCI_INT_LINE 0x3c
#define PCI_COMMAND_MEMORY (1u << 1)
#define PCI_COMMAND_MASTER (1u << 2)
#define PCI_STATUS_CAP_LIST (1u << 4)

struct pci_config {
    uint8_t data[PCI_CONFIG_SIZE];
    uint8_t wmask[PCI_CONFIG_SIZE];  /* bits the guest may write */
    uint8_t cap_end;                 /* where the next capability goes */
    /* BAR0 (bar_size 0: none) and where it is on mmio_bus. */
    struct vmm_bus *mmio_bus;
    struct vmm_region bar;           /* base and len: its size; read, write, dev */
    bool mapped;
    uint64_t mapped_at;
    unsigned bar_conflicts;          /* placements refused: overlap with another region, bus full */
};

/* A header with these IDs and class (base << 16 | sub << 8 | prog-if),
 * the command register's memory and bus-master bits and the interrupt
 * line writable, no interrupt pin. */
void pci_config_init(struct pci_config *c, uint16_t vendor, uint16_t device, uint32_t class_code, uint8_t revision,
                     struct vmm_bus *mmio_bus);
/* Declares BAR0, a 32-bit memory BAR of size bytes (a power of two, at
 * least a page); false for a bad size. */
bool pci_config_set_bar(struct pci_config *c, uint64_t size, vmm_read_fn read, vmm_write_fn write, void *dev);
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
