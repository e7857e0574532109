/* SPDX-License-Identifier: GPL-2.0-only */
/* Device memory as a capability: the holder of the device-memory object
 * (the root PD gets it; it hands it on) may map physical ranges that are
 * not RAM and not used by the kernel itself (DJ_SYS_MMIO_MAP), with a
 * cache attribute. Such pages are mapping-database nodes derived from the
 * device-memory capability they were mapped with, so revoking that
 * capability (or destroying its PD) removes them; otherwise they are
 * delegated and revoked like any memory and keep their attribute, and
 * their frames are never freed as RAM. */
#pragma once
#include <stdint.h>
#include "kernel/kobj.h"
#include "kernel/pd.h"

extern struct kobj devmem_object;

/* Map 2^order pages of device memory at phys into pd at va, below the
 * capability node `cap` of the device-memory capability used. DJ_E_BAD_PARAM
 * for RAM, kernel devices, the interrupt window, addresses beyond the CPU's
 * physical width or bad rights/cache; DJ_E_BAD_ADDR for a bad va; DJ_E_BUSY
 * if some page at va is mapped (the pages before it stay mapped). */
int devmem_map(struct pd *pd, struct mdb_node *cap, uint64_t va, uint64_t phys, unsigned order, unsigned rights, unsigned cache);
