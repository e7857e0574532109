/* SPDX-License-Identifier: GPL-2.0-only */
/* Memory a NIC reads and writes by DMA: fresh pages from the driver's own
 * quota (dj_mem_alloc), handed out from a region reserved for them, and
 * their bus addresses: with VT-d the driver's own virtual addresses (its
 * function translates through the driver's DMA space, which holds exactly
 * these pages: they carry DJ_MEM_DMA); without an IOMMU the physical ones
 * the kernel reports. Only the main thread allocates (during the
 * hardware's init). */
#include <stddef.h>
#include <stdint.h>
#include "lib/pci.h"
#include "lib/syscall.h"
#include "nic_driver.h"

static uint64_t dma_next = NIC_VA_DMA;
static bool translated; /* VT-d: device address = virtual address */

bool nic_dma_setup(const struct dj_start_info *si, const struct dj_pci_dev *pci)
{
    if (!si->dma_bits) {
        nic_log("no VT-d: the device gets physical addresses (driver and device are trusted)");
        return true;
    }
    if (si->dma_bits < 64 && NIC_VA_DMA_END > (1ull << si->dma_bits)) {
        nic_log("VT-d device addresses have %u bits: the DMA region does not fit", si->dma_bits);
        return false;
    }
    enum dj_status st = dj_pci_device(pci, NIC_SEL_DEVICE);
    if (st == DJ_OK)
        st = dj_dev_ctrl(NIC_SEL_DEVICE, DJ_DEV_OP_ASSIGN, DJ_SEL_SELF_PD, 0);
    if (st != DJ_OK) {
        nic_log("VT-d: cannot put the device into the driver's DMA space (status %d)", st);
        return false;
    }
    translated = true;
    nic_log("VT-d: the device reaches only the driver's DMA pages, by their virtual addresses");
    return true;
}

void *nic_dma_pages(size_t pages)
{
    if (pages == 0 || pages > (NIC_VA_DMA_END - dma_next) / NIC_PAGE)
        return NULL;
    uint64_t va = dma_next;
    /* One page at a time: the pages are not contiguous anyway, and a
     * failure part way leaves the region's next pages unused, never
     * half-mapped. */
    for (size_t i = 0; i < pages; i++) {
        enum dj_status st = dj_mem_alloc(va + i * NIC_PAGE, 0, DJ_MEM_R | DJ_MEM_W | DJ_MEM_DMA);
        if (st != DJ_OK) {
            dma_next = va + (i + 1) * NIC_PAGE;
            return NULL;
        }
    }
    dma_next = va + pages * NIC_PAGE;
    return (void *)(uintptr_t)va;
}

uint64_t nic_dma_device(void)
{
    return translated ? NIC_SEL_DEVICE : 0;
}

uint64_t nic_dma_addr(const void *p)
{
    uint64_t va = (uint64_t)(uintptr_t)p;
    if (translated)
        return va >= NIC_VA_DMA && va < dma_next ? va : 0; /* 0: not DMA memory, refused by the callers */
    uint64_t phys = 0;
    unsigned cache = 0;
    /* 0 only for memory that is not mapped (not from nic_dma_pages):
     * callers refuse to hand that to a device. */
    if (dj_mem_phys((uint64_t)(uintptr_t)p, &phys, &cache) != DJ_OK)
        return 0;
    return phys;
}
