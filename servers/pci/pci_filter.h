/* SPDX-License-Identifier: GPL-2.0-only */
/* What a driver may do with its function's configuration space.
 *
 * Reads: anything inside configuration space (256 bytes with mechanism 1,
 * 4096 with ECAM), width 1, 2 or 4, aligned to the width.
 * Writes, byte by byte of the standard header (0x00-0x3f):
 *   - passed: status (write-1-to-clear bits), cache line size, latency
 *     timer, interrupt line (a scratch register);
 *   - command: only I/O space, memory space, bus master and INTx disable
 *     change; every other bit keeps its present value;
 *   - refused (the whole write, DJ_E_BAD_PARAM): vendor and device id,
 *     revision and class, header type, BIST, the BARs, CardBus CIS,
 *     subsystem ids, the expansion ROM BAR, the capability pointer,
 *     reserved bytes, interrupt pin, min grant and max latency.
 * Capabilities and device-specific registers (0x40-0xff) are the
 * driver's: it programs MSI and MSI-X there, and without an IOMMU a
 * bus-mastering device can write anywhere anyway (docs/pci.md). Extended
 * configuration space (0x100 up, ECAM only) is read-only for drivers:
 * SR-IOV would create functions and resizable BARs move address ranges
 * behind the server's back. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <donjon/abi.h>

/* Width 1, 2 or 4, offset aligned to it, inside size bytes. */
bool pci_access_ok(unsigned offset, unsigned width, unsigned size);

/* A write of value (width bytes) at offset: DJ_OK with *out the value to
 * write instead, or DJ_E_BAD_PARAM. current: what the same bytes hold now
 * (for the command bits a driver may not change). */
enum dj_status pci_filter_write(unsigned offset, unsigned width, uint32_t value, uint32_t current, uint32_t *out);
