/* SPDX-License-Identifier: GPL-2.0-only */
/* A NIC driver (docs/nic.md): this common part plus one hardware file
 * (nic_hw.h). Start-up here: the device through the PCI server's portal
 * ("pci"), its memory BARs mapped, the wake-up semaphore, the hardware
 * brought up, the service offered; then the loop (nic_loop.c) runs on
 * this thread for good.
 *
 * A driver whose device cannot be used still offers its service (init
 * waits for that before it starts the clients), answering every request
 * with DJ_E_ABORTED, and then rests. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/component.h"
#include "lib/pci.h"
#include "lib/syscall.h"
#include "nic_driver.h"

#define HANDLER_STACK_BYTES 16384

struct nic_driver nic;
static struct dj_pci_dev pci_dev;
static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

static bool open_device(void)
{
    uint64_t pt;
    enum dj_status st;
    if (!dj_start_cap("pci", &pt)) {
        nic_log("no \"pci\" portal: the configuration line needs pt=pci and pci=");
        return false;
    }
    if ((st = dj_pci_open(pt, &pci_dev)) != DJ_OK) {
        nic_log("the PCI server gives no device (status %d): is pci= on the line?", st);
        return false;
    }
    if (!nic_hw.match(pci_dev.vendor, pci_dev.device)) {
        nic_log("device %04x:%04x is not a %s", pci_dev.vendor, pci_dev.device, nic_hw.name);
        return false;
    }
    /* A previous instance of this driver may have left it running. */
    if ((st = dj_pci_reset(&pci_dev)) != DJ_OK) {
        nic_log("PCI reset refused (status %d)", st);
        return false;
    }
    /* Memory decoding; never I/O ports or INTx (MSI-X or MSI). No DMA
     * yet: without an FLR the device may still hold the rings of a dead
     * previous instance, and would write to them as soon as bus mastering
     * is on. The hardware part switches it on once it has reset the device. */
    st = dj_pci_command(&pci_dev, DJ_PCI_CMD_MEMORY | DJ_PCI_CMD_INTX_DISABLE,
                        DJ_PCI_CMD_IO | DJ_PCI_CMD_BUS_MASTER);
    if (st != DJ_OK) {
        nic_log("PCI command register refused (status %d)", st);
        return false;
    }
    return true;
}

/* Every memory BAR, each in a slot of its own; the hardware code checks
 * that the ones it needs are there. */
static void map_bars(void)
{
    for (unsigned i = 0; i < DJ_PCI_BARS; i++) {
        const struct dj_pci_bar *b = &pci_dev.bar[i];
        if (b->size == 0 || (b->flags & DJ_PCI_BAR_IO))
            continue;
        if (b->size > NIC_VA_BAR_SLOT) {
            nic_log("BAR %u: %#lx bytes is more than a driver maps", i, (unsigned long)b->size);
            continue;
        }
        enum dj_status st = dj_pci_map_bar(&pci_dev, i, NIC_VA_BARS + i * NIC_VA_BAR_SLOT, &nic.env.bar[i]);
        if (st != DJ_OK) {
            nic.env.bar[i] = NULL;
            nic_log("BAR %u: mapping refused (status %d)", i, st);
        }
    }
}

/* The channel's own doorbell exists before any client, so interrupts can
 * be bound to it: the loop then sleeps on one semaphore for both. */
static bool create_semaphores(void)
{
    nic.server = (struct dj_chan_server){
        .pd_sel = DJ_SEL_SELF_PD,
        .va = NIC_VA_CHANNEL,
        .sm_sel = NIC_SEL_CHAN_SM,
        .max = {DJ_NIC_SLOTS, DJ_NIC_SLOT_SIZE},
    };
    enum dj_status st = dj_chan_server_init(&nic.server);
    if (st == DJ_OK)
        st = dj_create_sm(NIC_SEL_RESET_DONE_SM, DJ_SEL_SELF_PD, 0);
    if (st != DJ_OK) {
        nic_log("cannot create its semaphores (status %d)", st);
        return false;
    }
    nic.env.wake_sm = nic.server.chan.own_sm;
    return true;
}

static bool bring_up(const struct dj_start_info *si)
{
    nic.env.pci = &pci_dev;
    nic.env.msi_sel = DJ_SEL_MSI_BASE;
    nic.env.msi_count = si->nmsi < DJ_MSI_COUNT ? si->nmsi : DJ_MSI_COUNT;
    if (!open_device() || !nic_dma_setup(si, &pci_dev) || !create_semaphores())
        return false;
    map_bars();
    if (!nic_hw.init(&nic.env)) {
        nic_hw.stop();
        nic_log("%s: device not usable", nic_hw.name);
        return false;
    }
    return true;
}

int main(void)
{
    const struct dj_start_info *si = dj_start();
    if (!si)
        return 1;
    nic_log_init(si->name);
    nic_fault_configure(si);
    nic.ready = bring_up(si);
    enum dj_status st = dj_serve(nic_service_handler, handler_stack, sizeof(handler_stack), NIC_VA_HANDLER_UTCB);
    if (st != DJ_OK)
        nic_log("cannot offer its service (status %d)", st);
    if (!nic.ready || st != DJ_OK)
        dj_block_forever(NIC_SEL_SLEEP_SM);
    nic_loop_run();
}
