/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI server's shared state (main.c: start and device list;
 * pci_serve.c: the protocol; pci_map.c: BARs as capabilities). All of it
 * is touched by one EC at a time: the main EC until the service is
 * offered, then only the service's handler EC. */
#pragma once
#include <stdint.h>
#include "lib/startinfo.h"
#include "pci_cfg.h"
#include "pci_claims.h"
#include "pci_scan.h"

#define PCI_LOG_PREFIX "pci: "

extern struct pci_scan pci_devices;
extern struct pci_claims pci_owners;
extern struct pci_cfg pci_config;
extern const struct dj_start_info *pci_start;
extern char pci_client_names[PCI_MAX_CLIENTS + 1][DJ_START_NAME_MAX];

/* The portal handler (server.h dj_handler_fn). */
uint64_t pci_handler(uint64_t badge, struct dj_utcb *u);

/* BAR bar of function dev as typed items for the caller (reply words
 * [0..1] are the caller's to fill): dst_page is where they land. */
enum dj_status pci_map_bar(unsigned dev, unsigned bar, uint64_t dst_page, struct dj_utcb *u, unsigned *items);
/* Takes back the driver's device capability (DMA) of dev and blocks it. */
void pci_device_take_back(unsigned dev);
/* Takes back every BAR of dev delegated since it was last claimed. */
void pci_unmap_all(unsigned dev);
