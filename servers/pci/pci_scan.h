/* SPDX-License-Identifier: GPL-2.0-only */
/* Enumerating PCI functions: every bus reachable from bus 0 through
 * bridges (each bus once, however the bridges point), every device and
 * function, their BARs (sized with decoding off, then restored) and the
 * capabilities the server uses. What is wrong is reported through a
 * callback and left out; nothing is repaired or reprogrammed (bus
 * numbers and BAR addresses stay as the firmware assigned them). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/pci.h"
#include "pci_cfg.h"

#define PCI_MAX_FUNCS 64
#define PCI_WARN_MAX 120 /* bytes of a report */

struct pci_func {
    uint16_t bdf;
    uint16_t vendor, device;
    uint16_t subsys_vendor, subsys;
    uint32_t class_rev;    /* class code in bits 8-31, revision in 0-7 */
    uint8_t header_type;   /* without the multi-function bit */
    struct dj_pci_bar bar[DJ_PCI_BARS]; /* size 0: none, or refused; a 64-bit BAR's upper slot stays 0 */
    uint16_t cap_msi, cap_msix, cap_pcie, cap_pm; /* offsets, 0: none */
    bool flr;              /* function-level reset (PCI Express capability) */
    bool caps_bad;         /* the capability list was malformed: cut where it went wrong */
};

struct pci_scan {
    struct pci_func func[PCI_MAX_FUNCS]; /* in address order */
    unsigned count;
    unsigned left_out; /* functions beyond PCI_MAX_FUNCS */
    unsigned buses;    /* buses walked */
};

struct pci_report {
    void (*warn)(void *ctx, const char *line); /* one line, no newline */
    void *ctx;
};

/* Walks configuration space through cfg into *out. */
void pci_scan(const struct pci_cfg *cfg, struct pci_scan *out, const struct pci_report *report);

/* "BB:DD.F" of a function into buf (at least 8 bytes). */
void pci_bdf_text(uint16_t bdf, char *buf, size_t size);
