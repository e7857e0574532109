/* SPDX-License-Identifier: GPL-2.0-only */
/* The VM's network (docs/vmm.md, "Networking"): up to NET_MAX_DEVICES
 * virtio-net-pci devices (virtio_net.c), each with its own PCI slot, BAR
 * and MSI-X vectors, whose frames go over a channel (net_channel.c):
 *   - client: each pt= portal but the console's names a NIC-protocol
 *     server (a NIC driver, a side of the ESP gateway, another VM's VMM);
 *     the n-th (pt= order, net_peers.c) is the device at 00:0n.0;
 *   - server: with arg=net-serve the VMM offers one channel to the VM of
 *     a later line (its pt= names this VM) and tells it NET_PEER_MAC.
 * The main thread runs the channels between the console's 20 ms rounds
 * (main.c): it connects what is not connected (one attempt a round, so
 * one absent peer does not hold up the others), polls every channel and
 * sleeps on a doorbell. It can sleep on one semaphore only (a client's
 * doorbell is its server's): with one device on that one for the whole
 * round, with several on each in turn for at most NET_SLICE_US. */
#include <string.h>
#include "lib/component.h"
#include "lib/syscall.h"
#include "core.h"
#include "net_channel.h"
#include "net_peers.h"
#include "pci_host.h"
#include "virtio_net.h"

#define NET_FIRST_SLOT 1
#define NET_BAR(i) (VMM_PCI_MMIO_BASE + (uint64_t)(i) * VIRTIO_PCI_BAR_SIZE)
#define NET_SERVER_SEL_BASE (DJ_CHILD_FIRST_FREE + 8) /* 2 selectors: the served channel's doorbells */
#define NET_SLEEP_SM (DJ_CHILD_FIRST_FREE + 3)
/* A client's 2 * NET_CHANNEL_SEL_PAIRS selectors, beyond the vCPUs' (smp.c) */
#define NET_CLIENT_SEL_BASE(i) (DJ_CHILD_FIRST_FREE + 0x400 + (uint64_t)(i) * 2 * NET_CHANNEL_SEL_PAIRS)
#define NET_SERVER_VA (DJ_CHILD_FREE_VA + 0x10000000)
#define NET_HANDLER_UTCB (DJ_CHILD_FREE_VA + 0x200000)
#define NET_VA_STRIDE 0x1000000ull
#define NET_CLIENT_VA(i) (DJ_CHILD_SHARED_VA + (uint64_t)(i) * NET_CHANNEL_VA_SLOTS * NET_VA_STRIDE)
#define NET_SLICE_US 1000
#define STACK_BYTES 16384

static const uint8_t server_mac[VIRTIO_NET_MAC_LEN] = {0x52, 0x54, 0x00, 0xd0, 0x00, 0x01};
static const uint8_t peer_mac[VIRTIO_NET_MAC_LEN] = {0x52, 0x54, 0x00, 0xd0, 0x00, 0x02};

struct net_port {
    struct net_channel nc;
    struct virtio_net dev;
    const char *peer; /* its pt= name ("the peer VM" when serving) */
};

static struct net_port ports[NET_MAX_DEVICES];
static unsigned nports, next_sleep;
static uint8_t handler_stack[STACK_BYTES] __attribute__((aligned(16)));

static uint64_t net_portal(uint64_t badge, struct dj_utcb *u)
{
    return net_channel_portal(&ports[0].nc, badge, u);
}

bool net_serve_early(const struct dj_start_info *si)
{
    if (strcmp(si->arg, "net-serve") != 0)
        return true;
    struct net_channel *nc = &ports[0].nc;
    nc->lock = vm_lock;
    nc->unlock = vm_unlock;
    enum dj_status st = net_channel_serve_init(nc, DJ_SEL_SELF_PD, NET_SERVER_VA, NET_SERVER_SEL_BASE, peer_mac);
    if (st == DJ_OK)
        st = dj_serve(net_portal, handler_stack, sizeof(handler_stack), NET_HANDLER_UTCB);
    if (st != DJ_OK) {
        vmm_log("network: cannot offer the channel (status %d)", st);
        return false;
    }
    memcpy(nc->mac, server_mac, sizeof(server_mac));
    ports[0].peer = "the peer VM";
    nports = 1;
    return true;
}

/* A client port: the peer's MAC before the guest starts. */
static bool client_init(struct net_port *p, unsigned i, const struct net_peer *peer)
{
    struct net_channel *nc = &p->nc;
    p->peer = peer->name;
    nc->pt = peer->sel;
    nc->lock = vm_lock;
    nc->unlock = vm_unlock;
    nc->va_base = NET_CLIENT_VA(i);
    nc->va_stride = NET_VA_STRIDE;
    nc->sel_base = NET_CLIENT_SEL_BASE(i);
    nc->sleep_sm = NET_SLEEP_SM;
    enum dj_status st = net_channel_info(nc);
    if (st != DJ_OK)
        vmm_log("network: %s (pt=) does not answer INFO (status %d)", peer->name, st);
    return st == DJ_OK;
}

static bool port_attach(struct net_port *p, unsigned i, struct pci_host *pci)
{
    unsigned slot = NET_FIRST_SLOT + i;
    unsigned gsi = VMM_PCI_INTX_GSI_BASE + (slot & 3);
    struct virtio_pci_setup setup = {&vm.mmio, &vm.ram, (uint32_t)NET_BAR(i), gsi, (uint8_t)gsi};
    struct virtio_net_backend be = net_channel_backend(&p->nc);
    p->nc.index = i;
    if (!virtio_net_init(&p->dev, &setup, p->nc.mac, &be) ||
        !pci_host_add(pci, slot, 0, virtio_pci_cfg_read, virtio_pci_cfg_write, &p->dev.pci))
        return false;
    p->nc.dev = &p->dev;
    const uint8_t *m = p->nc.mac;
    vmm_log("network: 00:%02x.0 virtio-net %02x:%02x:%02x:%02x:%02x:%02x, channel to %s", slot, m[0], m[1], m[2], m[3],
            m[4], m[5], p->peer);
    return true;
}

bool net_device(const struct dj_start_info *si, struct pci_host *pci)
{
    if (!nports) {
        struct net_peer peers[NET_MAX_DEVICES];
        const char *why = "";
        int n = net_peers_choose(si->caps, si->ncaps, peers, &why);
        if (n < 0) {
            vmm_log("network: %s", why);
            return false;
        }
        if (n && dj_create_sm(NET_SLEEP_SM, DJ_SEL_SELF_PD, 0) != DJ_OK)
            return false;
        for (int i = 0; i < n; i++)
            if (!client_init(&ports[i], (unsigned)i, &peers[i]))
                return false;
        nports = (unsigned)n;
    }
    for (unsigned i = 0; i < nports; i++)
        if (!port_attach(&ports[i], i, pci))
            return false;
    return true;
}

bool net_present(void)
{
    return nports != 0;
}

/* Connects a client port (one attempt) or, when serving, waits for the
 * peer (that blocks the console meanwhile, as there is nothing else). */
static bool port_connected(struct net_port *p)
{
    struct net_channel *nc = &p->nc;
    if (nc->chan)
        return true;
    if (nc->serving)
        net_channel_establish(nc);
    else
        net_channel_connect(nc);
    return nc->chan != NULL;
}

/* Polls a connected port; false (and the channel dropped: the guest's
 * link goes down, the next round connects again) when it broke. */
static bool port_poll(struct net_port *p)
{
    struct net_channel *nc = &p->nc;
    struct dj_chan *c = nc->chan;
    if (c->rx.broken || c->tx.broken || nc->reset_requested) {
        net_channel_drop(nc);
        return false;
    }
    vm_lock();
    net_channel_poll(nc);
    vm_unlock();
    return true;
}

/* One round of the main thread: connect, poll, then sleep on the
 * doorbells at most timeout_us in all. */
void net_round(uint64_t timeout_us)
{
    uint64_t slice = nports > 1 && timeout_us > NET_SLICE_US ? NET_SLICE_US : timeout_us;
    for (uint64_t spent = 0; spent < timeout_us; spent += slice) {
        struct net_port *sleeper = NULL;
        for (unsigned k = 0; k < nports; k++) {
            struct net_port *p = &ports[(next_sleep + k) % nports];
            if (port_connected(p) && port_poll(p) && !sleeper)
                sleeper = p;
        }
        next_sleep = (next_sleep + 1) % nports;
        if (!sleeper) {
            dj_sm_down_timeout(NET_SLEEP_SM, slice);
            continue;
        }
        enum dj_status st = dj_sm_down_timeout(sleeper->nc.chan->own_sm, slice);
        if (st != DJ_OK && st != DJ_E_TIMEOUT)
            net_channel_drop(&sleeper->nc); /* the doorbell is gone: the peer died */
        else if (st == DJ_OK)
            return; /* traffic: back to the main loop, which comes right back */
    }
}
