/* SPDX-License-Identifier: GPL-2.0-only */
/* PCI configuration-space registers the PCI server uses (PCI Local Bus
 * 3.0 chapter 6, PCI Express Base 4.0 section 7.5.3). */
#pragma once

/* Type 0 and type 1 header, offsets in bytes. */
#define PCI_REG_VENDOR 0x00
#define PCI_REG_DEVICE 0x02
#define PCI_REG_COMMAND 0x04
#define PCI_REG_STATUS 0x06
#define PCI_REG_CLASS_REV 0x08
#define PCI_REG_CACHE_LINE 0x0c
#define PCI_REG_LATENCY 0x0d
#define PCI_REG_HEADER_TYPE 0x0e
#define PCI_REG_BIST 0x0f
#define PCI_REG_BAR0 0x10
#define PCI_REG_CARDBUS_CIS 0x28
#define PCI_REG_SUBSYS_VENDOR 0x2c
#define PCI_REG_SUBSYS 0x2e
#define PCI_REG_ROM 0x30
#define PCI_REG_CAP_PTR 0x34
#define PCI_REG_INT_LINE 0x3c
#define PCI_REG_INT_PIN 0x3d
#define PCI_HEADER_END 0x40 /* capabilities and device-specific registers follow */

/* Type 1 (PCI-to-PCI bridge) header. */
#define PCI_REG_SECONDARY_BUS 0x19
#define PCI_REG_BRIDGE_ROM 0x38
/* Type 2 (CardBus bridge) header. */
#define PCI_REG_CARDBUS_CAP_PTR 0x14

#define PCI_HEADER_MULTI_FUNCTION 0x80
#define PCI_HEADER_TYPE_MASK 0x7f
#define PCI_HEADER_NORMAL 0
#define PCI_HEADER_BRIDGE 1
#define PCI_HEADER_CARDBUS 2
#define PCI_BARS_NORMAL 6
#define PCI_BARS_BRIDGE 2

#define PCI_VENDOR_NONE 0xffff /* what an absent function reads as */
#define PCI_STATUS_CAP_LIST 0x10

/* BAR low bits. */
#define PCI_BAR_SPACE_IO 0x1
#define PCI_BAR_IO_FLAG_BITS 0x3
#define PCI_BAR_MEM_FLAG_BITS 0xf
#define PCI_BAR_MEM_TYPE_SHIFT 1
#define PCI_BAR_MEM_TYPE_MASK 0x3
#define PCI_BAR_MEM_TYPE_32 0
#define PCI_BAR_MEM_TYPE_BELOW_1M 1 /* PCI 2.x legacy; decoded like 32-bit */
#define PCI_BAR_MEM_TYPE_64 2
#define PCI_BAR_MEM_PREFETCH 0x8

/* Capability list. */
#define PCI_CAP_ID 0
#define PCI_CAP_NEXT 1
#define PCI_CAP_PTR_MASK 0xfc /* the low two bits are reserved */
#define PCI_CAP_ID_PM 0x01
#define PCI_CAP_ID_PCIE 0x10

/* MSI and MSI-X message control (capability offset + 2). */
#define PCI_MSI_CONTROL 2
#define PCI_MSI_ENABLE 0x0001
#define PCI_MSIX_CONTROL 2
#define PCI_MSIX_ENABLE 0x8000

/* PCI Express capability. */
#define PCIE_DEVCAP 0x04
#define PCIE_DEVCAP_FLR (1u << 28)
#define PCIE_DEVCTL 0x08
#define PCIE_DEVCTL_FLR 0x8000
#define PCIE_DEVSTA 0x0a
#define PCIE_DEVSTA_TRANSACTIONS_PENDING 0x0020
