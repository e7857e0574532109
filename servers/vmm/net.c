/* SPDX-License-Identifier: GPL-2.0-only */
/* The VM's network (docs/vmm.md, "Networking"): a virtio-net-pci device
 * (virtio_net.c) whose frames go over a channel (net_channel.c):
 *   - client: the VM line grants a portal to a NIC driver or to another
 *     VM's VMM (pt=NAME, any granted portal but console): the VMM
 *     connects to it;
 *   - server: with arg=net-serve the VMM offers a channel to the VM of a
 *     later line (its pt= names this VM) and tells it NET_PEER_MAC.
 * The main thread runs the channel: it connects (or waits for the peer),
 * then polls it between the console's 20 ms rounds (main.c). */
#include <string.h>
#include "lib/component.h"
#include "lib/syscall.h"
#include "core.h"
#include "net_channel.h"
#include "pci_host.h"
#include "virtio_net.h"

#define NET_SLOT 1
#define NET_BAR (VMM_PCI_MMIO_BASE)
#define NET_SEL_BASE (DJ_CHILD_FIRST_FREE + 8)   /* 2 * NET_CHANNEL_SEL_PAIRS selectors */
#define NET_SLEEP_SM (DJ_CHILD_FIRST_FREE + 3)
#define NET_SERVER_VA (DJ_CHILD_FREE_VA + 0x10000000)
#define NET_HANDLER_UTCB (DJ_CHILD_FREE_VA + 0x200000)
#define NET_VA_STRIDE 0x1000000ull
#define STACK_BYTES 16384

static const uint8_t server_mac[VIRTIO_NET_MAC_LEN] = {0x52, 0x54, 0x00, 0xd0, 0x00, 0x01};
static const uint8_t peer_mac[VIRTIO_NET_MAC_LEN] = {0x52, 0x54, 0x00, 0xd0, 0x00, 0x02};

static struct net_channel nc;
static struct virtio_net dev;
static bool have_net;
static uint8_t handler_stack[STACK_BYTES] __attribute__((aligned(16)));

static uint64_t net_portal(uint64_t badge, struct dj_utcb *u)
{
    return net_channel_portal(&nc, badge, u);
}

/* The peer's portal: the first granted one that is not the console's. */
static bool peer_portal(const struct dj_start_info *si, uint64_t *sel)
{
    for (uint32_t i = 0; i < si->ncaps && i < DJ_CHILD_MAX_GRANTS; i++)
        if (strcmp(si->caps[i].name, "console") != 0 && strcmp(si->caps[i].name, "parent") != 0) {
            *sel = si->caps[i].sel;
            return true;
        }
    return false;
}

bool net_serve_early(const struct dj_start_info *si)
{
    if (strcmp(si->arg, "net-serve") != 0)
        return true;
    nc.lock = vm_lock;
    nc.unlock = vm_unlock;
    enum dj_status st = net_channel_serve_init(&nc, DJ_SEL_SELF_PD, NET_SERVER_VA, NET_SEL_BASE, peer_mac);
    if (st == DJ_OK)
        st = dj_serve(net_portal, handler_stack, sizeof(handler_stack), NET_HANDLER_UTCB);
    if (st != DJ_OK) {
        vmm_log("network: cannot offer the channel (status %d)", st);
        return false;
    }
    memcpy(nc.mac, server_mac, sizeof(server_mac));
    have_net = true;
    return true;
}

bool net_device(const struct dj_start_info *si, struct pci_host *pci)
{
    if (!nc.serving) {
        if (!peer_portal(si, &nc.pt))
            return true; /* no network */
        nc.lock = vm_lock;
        nc.unlock = vm_unlock;
        nc.va_base = DJ_CHILD_SHARED_VA;
        nc.va_stride = NET_VA_STRIDE;
        nc.sel_base = NET_SEL_BASE;
        nc.sleep_sm = NET_SLEEP_SM;
        if (dj_create_sm(NET_SLEEP_SM, DJ_SEL_SELF_PD, 0) != DJ_OK)
            return false;
        enum dj_status st = net_channel_info(&nc);
        if (st != DJ_OK) {
            vmm_log("network: the peer does not answer INFO (status %d)", st);
            return false;
        }
        have_net = true;
    }
    unsigned gsi = VMM_PCI_INTX_GSI_BASE + (NET_SLOT & 3);
    struct virtio_pci_setup setup = {&vm.mmio, &vm.ram, (uint32_t)NET_BAR, gsi, (uint8_t)gsi};
    struct virtio_net_backend be = net_channel_backend(&nc);
    if (!virtio_net_init(&dev, &setup, nc.mac, &be) ||
        !pci_host_add(pci, NET_SLOT, 0, virtio_pci_cfg_read, virtio_pci_cfg_write, &dev.pci))
        return false;
    nc.dev = &dev;
    vmm_log("network: virtio-net %02x:%02x:%02x:%02x:%02x:%02x, %s", nc.mac[0], nc.mac[1], nc.mac[2], nc.mac[3],
            nc.mac[4], nc.mac[5], nc.serving ? "serving a channel to the peer VM" : "channel to its peer");
    return true;
}

bool net_present(void)
{
    return have_net;
}

/* One round of the main thread: connect or wait for the peer first (that
 * blocks the console meanwhile), then poll and sleep on the doorbell at
 * most timeout_us. */
void net_round(uint64_t timeout_us)
{
    if (!nc.chan) {
        net_channel_establish(&nc);
        return;
    }
    struct dj_chan *c = nc.chan;
    if (c->rx.broken || c->tx.broken || nc.reset_requested) {
        net_channel_wait(&nc); /* drops the channel: the next round connects again */
        return;
    }
    vm_lock();
    net_channel_poll(&nc);
    vm_unlock();
    dj_sm_down_timeout(c->own_sm, timeout_us);
}
