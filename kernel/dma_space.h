/* SPDX-License-Identifier: GPL-2.0-only */
/* A PD's DMA space and the device capability (docs/iommu.md).
 *
 * With VT-d on, the memory a PD holds with DJ_MEM_DMA is mirrored into
 * second-level tables at the same virtual addresses; PCI functions
 * assigned to the PD translate through them. The mirror follows the
 * memspace: pd_mem_attach/detach/protect call the hooks below (under the
 * mdb lock); the TLB shootdown flushes the IOTLB (vtd_flush_pending)
 * before a revoked frame can be freed. Without VT-d every hook is a no-op. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "kernel/kobj.h"
#include "kernel/mdb.h"

struct pd;
struct dma_space;

/* A device capability's object: requester ids [rid_first, rid_first +
 * rid_count) of PCI segment 0. */
struct dma_device {
    struct kobj obj;
    uint32_t rid_first, rid_count;
};

/* Every function of segment 0: the root's DJ_SEL_DEVICES. */
extern struct dma_device dma_all_devices;

/* Hooks for pd.c (mdb lock held). map: DJ_E_QUOTA when a table page or
 * a domain is missing (nothing left mapped). */
int dma_space_map(struct pd *pd, const struct mdb_node *n);
void dma_space_unmap(struct pd *pd, const struct mdb_node *n);
void dma_space_protect(struct pd *pd, const struct mdb_node *n);
/* The PD is gone: block its functions, free its tables (pd_reclaim.c). */
void dma_space_destroy(struct pd *pd);

struct sm;

/* DJ_SYS_DEV_CTRL's ASSIGN (sm: signalled on the function's DMA faults,
 * or NULL), BLOCK and FAULTS for one function (the caller has checked
 * the capabilities). */
int dma_device_assign(struct pd *pd, uint16_t rid, struct sm *sm);
int dma_device_block(uint16_t rid);
int dma_device_faults(uint16_t rid, uint64_t *count, uint64_t *last);

/* Faults the fault interrupt recorded wait for dma_fault_deliver (kernel
 * lock held, from irq_deliver_pending): console lines, rate-limited, and
 * the owners' semaphores. */
bool dma_fault_pending(void);
void dma_fault_deliver(void);
/* A new capability object for the single function rid, charged to q. */
struct dma_device *dma_device_narrow(struct quota *q, uint16_t rid);
