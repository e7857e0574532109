/* SPDX-License-Identifier: GPL-2.0-only */
/* Which driver owns which function. init announces each driver (its badge)
 * with the devices its pci= names: alternatives, of which the driver gets
 * the first, in the order written, that matches a function no other badge
 * owns. A function belongs to at most one badge, and an announcement for
 * a badge that had a device first gives that device back (a restarted
 * driver is announced again before it runs). Pure bookkeeping: the server
 * quiesces and revokes what the release reports. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pci_scan.h"
#include "pci_select.h"

#define PCI_MAX_CLIENTS 32 /* badges 1..PCI_MAX_CLIENTS */
#define PCI_NO_DEVICE (-1)

struct pci_claims {
    int dev_of[PCI_MAX_CLIENTS + 1];  /* per badge: function index or PCI_NO_DEVICE */
    uint8_t owner_of[PCI_MAX_FUNCS];  /* per function: badge, 0 none */
};

enum pci_claim_result {
    PCI_CLAIM_GIVEN,        /* dev is the badge's now */
    PCI_CLAIM_NONE,         /* no selector: the driver has no device */
    PCI_CLAIM_NO_MATCH,     /* no alternative matches a function */
    PCI_CLAIM_TAKEN,        /* every function an alternative matches is another badge's: dev, holder the first */
    PCI_CLAIM_NOT_ENDPOINT, /* the first free function an alternative matches (dev) is a bridge */
    PCI_CLAIM_BAD_BADGE,    /* 0 or above PCI_MAX_CLIENTS: nothing changed */
    PCI_CLAIM_BAD_LIST,     /* selectors not as init sends them (pci_select_list_ok): nothing changed */
};

/* What an announcement did besides its result. */
struct pci_claim_outcome {
    int released;    /* the function the badge had before, PCI_NO_DEVICE if none */
    int dev;         /* the function given or refused, PCI_NO_DEVICE if none */
    int alt;         /* the alternative (selector index) that named dev, -1 if none */
    unsigned holder; /* PCI_CLAIM_TAKEN: the badge owning dev */
};

void pci_claims_init(struct pci_claims *c);

/* badge announced with the selectors sels (PCI_SEL_ALTS words). Unless the
 * badge or the list is bad, the badge's previous device is released
 * (out->released) whatever the result. */
enum pci_claim_result pci_claim(struct pci_claims *c, const struct pci_scan *scan, uint64_t badge,
                                const uint64_t sels[PCI_SEL_ALTS], struct pci_claim_outcome *out);

/* The function badge owns, or PCI_NO_DEVICE. */
int pci_device_of(const struct pci_claims *c, uint64_t badge);

/* Pages of a BAR as a driver gets them: the page holding its first byte,
 * how many pages, and the offset of the BAR in its first page. */
struct pci_bar_pages {
    uint64_t first_phys, count, offset;
};
struct pci_bar_pages pci_bar_pages(const struct dj_pci_bar *b);

/* Whether a page of memory BAR bar of function dev also holds some of
 * another function's memory BAR (small BARs can share a page: mapping it
 * would give away the other device's registers). *other gets its index. */
bool pci_bar_page_shared(const struct pci_scan *scan, unsigned dev, unsigned bar, unsigned *other);
