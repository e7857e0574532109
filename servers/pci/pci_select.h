/* SPDX-License-Identifier: GPL-2.0-only */
/* Which function a boot configuration's pci= names: device selectors
 * (lib/pci.h DJ_PCI_SEL_*) as init announces them, matched against the
 * enumeration. A pci= may list alternatives, so an announcement carries
 * up to PCI_SEL_ALTS selectors in the order written. The selectors come
 * from init, but they are checked like any message word: unknown kinds
 * and stray bits match nothing, and a list init could not have sent is
 * refused as a whole. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/proto.h"
#include "pci_scan.h"

#define PCI_SEL_KIND_ID 1
#define PCI_SEL_KIND_BDF 2
#define PCI_SEL_ALTS DJ_SERVICE_CLIENT_PCI_ALTS
#define PCI_SEL_TEXT_MAX 28      /* "selector 0x" and 16 digits, NUL */
#define PCI_SEL_LIST_TEXT_MAX (PCI_SEL_ALTS * PCI_SEL_TEXT_MAX) /* joined by '|' */

/* The index in scan of the function sel names, or -1. */
int pci_select(const struct pci_scan *scan, uint64_t sel);

/* Whether sels is a list as init sends it: the alternatives first, then
 * only 0 (a selector after a 0 would be one init never meant), and no
 * selector twice. All 0 is the list of a driver without a device. */
bool pci_select_list_ok(const uint64_t sels[PCI_SEL_ALTS]);

/* How many alternatives a well-formed list has. */
unsigned pci_select_list_count(const uint64_t sels[PCI_SEL_ALTS]);

/* The selector as the configuration spells it ("8086:10d3#1", "00:02.0"),
 * or "selector 0x..." for one that is malformed. */
void pci_select_text(uint64_t sel, char *buf, size_t size);

/* A well-formed list's alternatives joined by '|' ("1af4:1041#0|1af4:1000#0"). */
void pci_select_list_text(const uint64_t sels[PCI_SEL_ALTS], char *buf, size_t size);
