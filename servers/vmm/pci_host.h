/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI host bridge: configuration mechanism 1 (address 0xcf8, data
 * 0xcfc..0xcff, byte, word and dword), the ECAM window at
 * VMM_PCI_ECAM_BASE (acpi.h; MCFG), one segment with bus 0 only. Device 0
 * function 0 is the bridge itself (Intel vendor ID, a Q35-style host
 * bridge ID); the VMM's PCI functions register a read/write callback pair
 * for their configuration space (pci_config.h gives a ready one). Absent
 * functions, other buses and malformed accesses read all ones and ignore
 * writes. A byte write with bit 2 (reset CPU) set to 0xcf9, the chipset's
 * reset control register, resets the VM (vmm_reset). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pci_config.h"
#include "vmm.h"

#define PCI_HOST_SLOTS 32
#define PCI_HOST_FUNCTIONS 8
#define PCI_CONFIG_ADDRESS_PORT 0xcf8
#define PCI_HOST_VENDOR 0x8086
#define PCI_HOST_DEVICE 0x29c0 /* Q35's DRAM controller/host bridge ID, which Linux treats as a plain host bridge */

typedef uint32_t (*pci_cfg_read_fn)(void *dev, unsigned offset, unsigned size);
typedef void (*pci_cfg_write_fn)(void *dev, unsigned offset, unsigned size, uint32_t value);

struct pci_function_slot {
    pci_cfg_read_fn read;
    pci_cfg_write_fn write;
    void *dev;
};

struct pci_host {
    uint32_t address;    /* the 0xcf8 latch */
    struct pci_function_slot fn[PCI_HOST_SLOTS][PCI_HOST_FUNCTIONS];
    struct pci_config bridge;
};

/* Sets up the bridge and claims 0xcf8..0xcff on io_bus and the ECAM
 * window on mmio_bus. False when a range is taken. */
bool pci_host_attach(struct pci_host *h, struct vmm_bus *io_bus, struct vmm_bus *mmio_bus);
/* Puts a function at bus 0, slot (1..31), function (0..7); false when
 * taken or out of range. Function 0 must say "multi-function" in its
 * header type for the guest to look at the others. */
bool pci_host_add(struct pci_host *h, unsigned slot, unsigned function, pci_cfg_read_fn read, pci_cfg_write_fn write,
                  void *dev);
