/* Which driver owns which function. init announces each driver (its badge)
 * with the device its pci= names; a function belongs to at most one
 * badge, and an announcement for a badge that had a device first gives
 * that device back (a restarted driver is announced again before it
 * runs). Pure bookkeeping: the server quiesces and revokes what the
 * release reports. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "pci_scan.h"

#define PCI_MAX_CLIENTS 32 /* badges 1..PCI_MAX_CLIENTS */
#define PCI_NO_DEVICE (-1)

struct pci_claims {
    int dev_of[PCI_MAX_CLIENTS + 1];  /* per badge: function index or PCI_NO_DEVICE */
    uint8_t owner_of[PCI_MAX_FUNCS];  /* per function: badge, 0 none */
};

enum pci_claim_result {
    PCI_CLAIM_GIVEN,        /* *dev is the badge's now */
    PCI_CLAIM_NONE,         /* selector 0: the driver has no device */
    PCI_CLAIM_NO_MATCH,     /* no function matches the selector */
    PCI_CLAIM_TAKEN,        /* another badge (*holder) owns it */
    PCI_CLAIM_NOT_ENDPOINT, /* a bridge: not given to drivers */
    PCI_CLAIM_BAD_BADGE,    /* 0 or above PCI_MAX_CLIENTS */
};

void pci_claims_init(struct pci_claims *c);

/* badge announced with sel. *released: the function it had before
 * (PCI_NO_DEVICE if none), released whatever the result; *dev the
 * function it gets (PCI_CLAIM_GIVEN) or was refused (PCI_CLAIM_TAKEN,
 * PCI_CLAIM_NOT_ENDPOINT); *holder its owner for PCI_CLAIM_TAKEN. */
enum pci_claim_result pci_claim(struct pci_claims *c, const struct pci_scan *scan, uint64_t badge, uint64_t sel,
                                int *released, int *dev, unsigned *holder);

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
