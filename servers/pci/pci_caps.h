/* SPDX-License-Identifier: GPL-2.0-only */
/* Walking a function's capability list (configuration space read through
 * an accessor that may lie): pointers are masked as the specification
 * says, must point past the standard header and inside configuration
 * space, and a list that comes back to a capability it visited is cut
 * there. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pci_cfg.h"

/* Called for each capability; true stops the walk. */
typedef bool (*pci_cap_visit_fn)(void *ctx, uint8_t id, unsigned offset);

enum pci_caps_result {
    PCI_CAPS_OK,          /* the list ended with a null pointer (or has no entries) */
    PCI_CAPS_STOPPED,     /* the visitor stopped the walk */
    PCI_CAPS_BAD_POINTER, /* a pointer into the standard header */
    PCI_CAPS_LOOP,        /* a pointer back to a capability already visited */
};

/* Walks the capability list of the function at bdf, whose header type
 * (without the multi-function bit) is header_type. */
enum pci_caps_result pci_caps_walk(const struct pci_cfg *cfg, uint16_t bdf, unsigned header_type,
                                   pci_cap_visit_fn visit, void *ctx);

/* The offset of the first capability with this id, or 0 (also when the
 * list is malformed before reaching it). */
unsigned pci_cap_find(const struct pci_cfg *cfg, uint16_t bdf, unsigned header_type, uint8_t id);

/* What the walk found wrong, for a report. */
const char *pci_caps_strerror(enum pci_caps_result r);
