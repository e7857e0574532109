/* SPDX-License-Identifier: BSD-2-Clause */
/* PCI devices for drivers: the client side of the PCI server's protocol
 * (servers/pci; docs/pci.md).
 *
 * A driver reaches exactly one PCI function, the one its boot
 * configuration line names (pci=VVVV:DDDD or pci=BB:DD.F, or up to four
 * such alternatives separated by '|': the first that names a present
 * function no other driver owns). init announces that choice to the PCI
 * server together with the driver's badge, and
 * gives the driver a portal named "pci". Through it the driver reads its
 * identity and BARs, reads and writes its configuration space (filtered:
 * no BAR or ROM relocation, command register bits limited to decoding,
 * bus mastering and INTx disable), gets its memory BARs delegated as
 * uncached memory and its I/O BARs as ports, and resets the function. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

/* ---- Protocol (words of the UTCB) --------------------------------------
 * Every request: [0] op. Every reply: [0] status.
 *
 * DJ_PCI_OP_INFO: no arguments. Reply [1] segment << 16 | bus << 8 |
 *   dev << 3 | fn, [2] vendor | device << 16, [3] class << 8 | revision
 *   (class code in bits 8-31), [4] subsystem vendor | subsystem << 16,
 *   then per BAR i (0..5): [5 + 2i] base | DJ_PCI_BAR_* flags (base is
 *   16-byte aligned for memory, 4-byte for I/O; 0 if not implemented),
 *   [6 + 2i] size in bytes. A 64-bit BAR fills i and the upper half i + 1
 *   reports size 0. DJ_PCI_INFO_WORDS words in all.
 * DJ_PCI_OP_CFG_READ: [1] offset, [2] width (1, 2 or 4, offset aligned to
 *   it, below 4096 with ECAM, 256 otherwise). Reply [1] value.
 * DJ_PCI_OP_CFG_WRITE: [1] offset, [2] width, [3] value. Writes to BARs,
 *   the ROM BAR, header type and other read-only identity fields are
 *   refused (DJ_E_BAD_PARAM); the command register keeps only I/O, memory,
 *   bus master and INTx-disable bits.
 * DJ_PCI_OP_MAP_BAR: [1] BAR index, [2] destination page number in the
 *   caller (its receive window must cover the BAR's pages). Reply: the BAR
 *   as typed items, memory with DJ_CACHE_UC (prefetchable BARs too), or
 *   I/O ports for an I/O BAR (ports keep their numbers); [1] the BAR's size.
 * DJ_PCI_OP_RESET: function-level reset when the function supports it,
 *   otherwise bus mastering, memory and I/O decoding are switched off and
 *   MSI/MSI-X disabled. Decoding is switched on again afterwards (bus
 *   mastering is not). Reply [1] 1 if an FLR was done, 0 otherwise.
 * DJ_PCI_OP_DEVICE: [1] destination selector in the caller (its receive
 *   window must cover it). Reply: a device capability (DJ_OBJ_DEVICE,
 *   right DJ_DEV_ASSIGN) to the function alone as one typed item; the
 *   driver assigns it to its own DMA space (DJ_SYS_DEV_CTRL). DJ_E_BAD_CAP
 *   when the server holds no device capability (VT-d off: physical DMA).
 *   Taking the function back revokes the capability and blocks its DMA.
 * Errors: DJ_E_BAD_CAP when the badge has no device (no pci= on the
 * driver's line, or no such device), DJ_E_BAD_PARAM for anything out of
 * range. */
#define DJ_PCI_OP_INFO 1
#define DJ_PCI_OP_CFG_READ 2
#define DJ_PCI_OP_CFG_WRITE 3
#define DJ_PCI_OP_MAP_BAR 4
#define DJ_PCI_OP_RESET 5
#define DJ_PCI_OP_DEVICE 6
#define DJ_PCI_INFO_WORDS 17
#define DJ_PCI_BARS 6

#define DJ_PCI_BAR_IO 0x1          /* an I/O port BAR */
#define DJ_PCI_BAR_64 0x4          /* a 64-bit memory BAR */
#define DJ_PCI_BAR_PREFETCH 0x8
#define DJ_PCI_BAR_FLAGS 0xf

/* The device selectors init sends with a client announcement
 * (DJ_SERVICE_OP_CLIENT words [4..7], lib/proto.h): one of these per
 * alternative of pci=, in the order written, then 0. */
#define DJ_PCI_SEL_ID(vendor, device, index) \
    (1ull << 60 | (uint64_t)(index) << 32 | (uint64_t)(device) << 16 | (uint64_t)(vendor))
#define DJ_PCI_SEL_BDF(seg, bus, dev, fn) \
    (2ull << 60 | (uint64_t)(seg) << 16 | (uint64_t)(bus) << 8 | (uint64_t)(dev) << 3 | (uint64_t)(fn))
#define DJ_PCI_SEL_KIND(s) ((s) >> 60)

/* ---- Client library (lib/pci.c) ------------------------------------- */
struct dj_pci_bar {
    uint64_t base; /* physical address or first port */
    uint64_t size; /* bytes (ports for an I/O BAR); 0: not implemented */
    uint32_t flags; /* DJ_PCI_BAR_* */
};

struct dj_pci_dev {
    uint64_t pt; /* the portal to the PCI server */
    uint32_t bdf;
    uint16_t vendor, device;
    uint32_t class_rev;
    uint16_t subsys_vendor, subsys;
    struct dj_pci_bar bar[DJ_PCI_BARS];
};

/* Reads the identity and BARs of the caller's device through portal pt. */
enum dj_status dj_pci_open(uint64_t pt, struct dj_pci_dev *d);
enum dj_status dj_pci_cfg_read(const struct dj_pci_dev *d, unsigned offset, unsigned width, uint32_t *value);
enum dj_status dj_pci_cfg_write(const struct dj_pci_dev *d, unsigned offset, unsigned width, uint32_t value);
/* Maps BAR bar at va (page aligned, free): memory BARs uncached. *out gets
 * va plus the BAR's offset in its first page. */
enum dj_status dj_pci_map_bar(const struct dj_pci_dev *d, unsigned bar, uint64_t va, volatile void **out);
/* The function's device capability at selector sel (DJ_PCI_OP_DEVICE). */
enum dj_status dj_pci_device(const struct dj_pci_dev *d, uint64_t sel);
enum dj_status dj_pci_reset(const struct dj_pci_dev *d);
/* Sets or clears bits of the command register (DJ_PCI_CMD_*). */
enum dj_status dj_pci_command(const struct dj_pci_dev *d, uint16_t set, uint16_t clear);
/* Offset of the first capability with this id in configuration space, or 0. */
unsigned dj_pci_find_cap(const struct dj_pci_dev *d, uint8_t cap_id);

#define DJ_PCI_CMD_IO 0x1
#define DJ_PCI_CMD_MEMORY 0x2
#define DJ_PCI_CMD_BUS_MASTER 0x4
#define DJ_PCI_CMD_INTX_DISABLE 0x400
#define DJ_PCI_CAP_MSI 0x05
#define DJ_PCI_CAP_VENDOR 0x09
#define DJ_PCI_CAP_MSIX 0x11
