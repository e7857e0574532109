/* SPDX-License-Identifier: GPL-2.0-only */
/* MSI-X set-up for NIC drivers: see nic_msix.h. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/pci.h"
#include "lib/syscall.h"
#include "nic_msix.h"

/* The MSI-X capability in configuration space (PCI 3.0, 6.8.2). */
#define MSIX_CONTROL 2
#define MSIX_TABLE 4
#define MSIX_CTRL_TABLE_SIZE_MASK 0x7ff /* entries - 1 */
#define MSIX_CTRL_FUNCTION_MASK 0x4000
#define MSIX_CTRL_ENABLE 0x8000
#define MSIX_BIR_MASK 0x7
#define MSIX_OFFSET_MASK 0xfffffff8u
/* One table entry. */
#define MSIX_ENTRY_BYTES 16
#define MSIX_ENTRY_ADDR_LO 0
#define MSIX_ENTRY_ADDR_HI 4
#define MSIX_ENTRY_DATA 8
#define MSIX_ENTRY_VECTOR_CTRL 12
#define MSIX_VECTOR_MASKED 1u

static void write32(volatile uint8_t *p, uint32_t v)
{
    *(volatile uint32_t *)p = v;
}

/* Binds one MSI to the wake semaphore. A binding left by a previous
 * instance of this driver (killed and restarted) is undone first: the
 * capability is ours now. */
static bool bind(struct nic_env *env, uint64_t msi, uint64_t *addr, uint64_t *data)
{
    enum dj_status st = dj_msi_bind_device(msi, env->wake_sm, nic_dma_device(), addr, data);
    if (st == DJ_E_BUSY && dj_irq_ctrl(msi, DJ_IRQ_OP_UNBIND, 0, 0) == DJ_OK)
        st = dj_msi_bind_device(msi, env->wake_sm, nic_dma_device(), addr, data);
    if (st != DJ_OK) {
        nic_log("MSI capability %#lx: bind refused (status %d)", (unsigned long)msi, st);
        return false;
    }
    return true;
}

/* The mapped table, if it lies whole inside a mapped memory BAR. */
static volatile uint8_t *find_table(struct nic_env *env, unsigned cap, unsigned *entries)
{
    uint32_t control = 0, table = 0;
    if (dj_pci_cfg_read(env->pci, cap + MSIX_CONTROL, 2, &control) != DJ_OK ||
        dj_pci_cfg_read(env->pci, cap + MSIX_TABLE, 4, &table) != DJ_OK)
        return NULL;
    unsigned bir = table & MSIX_BIR_MASK;
    uint64_t offset = table & MSIX_OFFSET_MASK;
    *entries = (control & MSIX_CTRL_TABLE_SIZE_MASK) + 1;
    if (bir >= DJ_PCI_BARS || !env->bar[bir] ||
        offset + (uint64_t)*entries * MSIX_ENTRY_BYTES > env->pci->bar[bir].size) {
        nic_log("MSI-X table (BAR %u offset %#lx, %u entries) is not inside a mapped BAR", bir,
                (unsigned long)offset, *entries);
        return NULL;
    }
    return (volatile uint8_t *)env->bar[bir] + offset;
}

bool nic_msix_enable(struct nic_env *env, unsigned vectors)
{
    unsigned cap = dj_pci_find_cap(env->pci, DJ_PCI_CAP_MSIX), entries = 0;
    if (!cap) {
        nic_log("no MSI-X capability");
        return false;
    }
    if (env->msi_count < vectors) {
        nic_log("%u MSI capabilities granted, %u needed", env->msi_count, vectors);
        return false;
    }
    volatile uint8_t *table = find_table(env, cap, &entries);
    if (!table)
        return false;
    if (entries < vectors) {
        nic_log("MSI-X table has %u entries, %u needed", entries, vectors);
        return false;
    }
    /* Everything masked while the entries change, so the device cannot
     * send a half-written message. */
    if (dj_pci_cfg_write(env->pci, cap + MSIX_CONTROL, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_FUNCTION_MASK) != DJ_OK) {
        nic_log("MSI-X: the PCI server refused to enable it");
        return false;
    }
    for (unsigned i = 0; i < entries; i++)
        write32(table + i * MSIX_ENTRY_BYTES + MSIX_ENTRY_VECTOR_CTRL, MSIX_VECTOR_MASKED);
    for (unsigned i = 0; i < vectors; i++) {
        uint64_t addr = 0, data = 0;
        if (!bind(env, env->msi_sel + i, &addr, &data)) {
            nic_msix_disable(env);
            return false;
        }
        volatile uint8_t *e = table + i * MSIX_ENTRY_BYTES;
        write32(e + MSIX_ENTRY_ADDR_LO, (uint32_t)addr);
        write32(e + MSIX_ENTRY_ADDR_HI, (uint32_t)(addr >> 32));
        write32(e + MSIX_ENTRY_DATA, (uint32_t)data);
        write32(e + MSIX_ENTRY_VECTOR_CTRL, 0);
    }
    return dj_pci_cfg_write(env->pci, cap + MSIX_CONTROL, 2, MSIX_CTRL_ENABLE) == DJ_OK;
}

void nic_msix_disable(struct nic_env *env)
{
    unsigned cap = dj_pci_find_cap(env->pci, DJ_PCI_CAP_MSIX);
    if (cap)
        dj_pci_cfg_write(env->pci, cap + MSIX_CONTROL, 2, 0);
}
