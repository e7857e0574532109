/* Which function a boot configuration's pci= names: a device selector
 * (lib/pci.h DJ_PCI_SEL_*) as init announces it, matched against the
 * enumeration. The selector comes from init, but it is checked like any
 * message word: unknown kinds and stray bits match nothing. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "pci_scan.h"

#define PCI_SEL_KIND_ID 1
#define PCI_SEL_KIND_BDF 2

/* The index in scan of the function sel names, or -1. */
int pci_select(const struct pci_scan *scan, uint64_t sel);

/* The selector as the configuration spells it ("8086:10d3#1", "00:02.0"),
 * or "selector 0x..." for one that is malformed. */
void pci_select_text(uint64_t sel, char *buf, size_t size);
