/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI server's way to configuration space on this machine: ECAM
 * (memory-mapped, 4 KiB per function, from the ACPI MCFG table that the
 * kernel passes in the boot information and init in the start page) when
 * the firmware has it and the kernel maps it, otherwise configuration
 * mechanism 1 (ports 0xcf8-0xcff, granted by io= on the server's line). */
#pragma once
#include <stdbool.h>
#include "lib/startinfo.h"
#include "pci_cfg.h"
#include "pci_reset.h"

/* Fills *cfg; false when neither way works. *how names the way taken. */
bool pci_access_init(const struct dj_start_info *si, struct pci_cfg *cfg, const char **how);

/* A delay for resets from uncached reads of the chipset (ports 0xcf8, or
 * the first bus's ECAM; there is no clock a component can read yet): at
 * least the time asked for where such a read takes a microsecond or more,
 * as on PC chipsets; under an emulator it can be shorter, which emulated
 * devices do not mind. */
extern const struct pci_delay pci_device_delay;

/* Whether the server holds all of ports [first, last] (its start page). */
bool pci_ports_held(const struct dj_start_info *si, uint64_t first, uint64_t last);
