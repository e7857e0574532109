/* SPDX-License-Identifier: GPL-2.0-only */
/* The VM's network (docs/vmm.md, "Networking"): up to NET_MAX_DEVICES
 * virtio-net-pci devices (virtio_net.c), each with its own PCI slot, BAR
 * and MSI-X vectors, whose frames go over a channel (net_channel.c):
 *   - client: each pt= portal but the console's names a NIC-protocol
 *     server (a NIC driver, a side of the ESP gateway, another VM's VMM);
 *     the n-th (pt= order, net_peers.c) is the device at 00:0n.0;
 *   - server: with arg=net-serve the VMM offers one channel to the VM of
 *     a later line (its pt= names this VM) and tells it NET_PEER_MAC.
 * The main thread runs the channels in the console's 20 ms rounds
 * (main.c): it connects what is not connected (one attempt a round, so
 * one absent peer does not hold up the others) and polls every channel.
 * Each device has a relay thread (vCPU 0's CPU, the VM's highest
 * priority) that sleeps on the device's doorbell and wakes the main
 * thread, which sleeps on its own semaphore (vm.main_sm: the console, a
 * relay's doorbell, a relay that found its doorbell gone) and polls
 * every device.
 * Relays only make semaphore calls (no UTCB, no portal calls, no output:
 * those stay on the main thread). */
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
/* A client's 2 * NET_CHANNEL_SEL_PAIRS selectors, beyond the vCPUs' (smp.c) */
#define NET_CLIENT_SEL_BASE(i) (DJ_CHILD_FIRST_FREE + 0x400 + (uint64_t)(i) * 2 * NET_CHANNEL_SEL_PAIRS)
#define NET_SERVER_VA (DJ_CHILD_FREE_VA + 0x10000000)
#define NET_HANDLER_UTCB (DJ_CHILD_FREE_VA + 0x200000)
#define NET_VA_STRIDE 0x1000000ull
#define NET_CLIENT_VA(i) (DJ_CHILD_SHARED_VA + (uint64_t)(i) * NET_CHANNEL_VA_SLOTS * NET_VA_STRIDE)
/* A relay: DJ_EV_COUNT event selectors (STARTUP: its own portal; the
 * exceptions: init's), its EC, SC and idle semaphore. */
#define RELAY_SEL_BASE(i) (DJ_CHILD_FIRST_FREE + 0x600 + (uint64_t)(i) * 64)
#define RELAY_EC(i) (RELAY_SEL_BASE(i) + DJ_EV_COUNT)
#define RELAY_SC(i) (RELAY_EC(i) + 1)
#define RELAY_IDLE_SM(i) (RELAY_EC(i) + 2)
#define RELAY_UTCB(i) (DJ_CHILD_FREE_VA + 0x300000 + (uint64_t)(i) * 0x1000)
#define RELAY_STACK_BYTES 4096
#define STACK_BYTES 16384
#define PROBE_ROUNDS 25 /* a client checks its peer's doorbell every 25 rounds */

static const uint8_t server_mac[VIRTIO_NET_MAC_LEN] = {0x52, 0x54, 0x00, 0xd0, 0x00, 0x01};
static const uint8_t peer_mac[VIRTIO_NET_MAC_LEN] = {0x52, 0x54, 0x00, 0xd0, 0x00, 0x02};

struct net_port {
    struct net_channel nc;
    struct virtio_net dev;
    const char *peer; /* its pt= name ("the peer VM" when serving) */
    /* The relay: the doorbell it is to sleep on (0: none now, it waits on
     * its idle semaphore), and that the doorbell is gone. */
    volatile uint64_t relay_sm;
    volatile bool doorbell_lost;
    unsigned rounds; /* polls, for the peer's liveness probe */
};

static struct net_port ports[NET_MAX_DEVICES];
static unsigned nports;
static uint8_t handler_stack[STACK_BYTES] __attribute__((aligned(16)));
static uint8_t relay_stacks[NET_MAX_DEVICES][RELAY_STACK_BYTES] __attribute__((aligned(16)));

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
    enum dj_status st = net_channel_info(nc);
    if (st != DJ_OK)
        vmm_log("network: %s (pt=) does not answer INFO (status %d)", peer->name, st);
    return st == DJ_OK;
}

static bool port_attach(struct net_port *p, unsigned i, struct pci_host *pci)
{
    unsigned slot = NET_FIRST_SLOT + i;
    struct virtio_pci_setup setup = {&vm.mmio, &vm.ram, (uint32_t)NET_BAR(i)};
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

/* ---- relays ---------------------------------------------------------- */

/* Sleeps on the port's doorbell and wakes the main thread, which moves
 * the frames (one thread moves them, with the VM lock held; a relay
 * that moved them starved the main thread without a measured gain). */
static void relay(uint64_t i)
{
    struct net_port *p = &ports[i];
    for (;;) {
        uint64_t sm = p->relay_sm;
        if (!sm) {
            dj_sm_down(RELAY_IDLE_SM(i));
            continue;
        }
        /* Gone: the peer died (its zeroed ring pages look like an empty
         * ring, so the doorbell is what tells), and the main thread drops
         * the channel, unless it has dropped it already (then the relay
         * idles until the next one). */
        if (dj_sm_down(sm) != DJ_OK) {
            if (__sync_bool_compare_and_swap(&p->relay_sm, sm, 0))
                p->doorbell_lost = true;
            dj_sm_up(vm.main_sm);
            continue;
        }
        /* The main thread moves the frames. */
        dj_sm_up(vm.main_sm);
    }
}

uint64_t net_relay_startup(unsigned i, struct dj_utcb *u)
{
    return thread_start(u, i < nports, relay, relay_stacks[i % NET_MAX_DEVICES], RELAY_STACK_BYTES, i);
}

/* After the vCPUs exist: vCPU 0's handler EC serves the relays' startup
 * events, as it does its timer thread's (smp.c). */
bool net_relays_start(void)
{
    enum dj_status st = DJ_OK;
    for (unsigned i = 0; i < nports && st == DJ_OK; i++) {
        st = dj_create_sm(RELAY_IDLE_SM(i), DJ_SEL_SELF_PD, 0);
        if (st == DJ_OK)
            st = thread_create(&vm.vcpu[0], RELAY_SEL_BASE(i), VMM_RELAY_BADGE | i, RELAY_EC(i), RELAY_SC(i),
                               RELAY_UTCB(i), vm_start_info->vm_maxprio);
    }
    if (st != DJ_OK)
        vmm_log("network: cannot start the doorbell relays (status %d)", st);
    return st == DJ_OK;
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
    if (nc->chan && nc->stats.connects > 1)
        vmm_log("network: 00:%02x.0 connected to %s again", NET_FIRST_SLOT + nc->index, p->peer);
    if (nc->chan) {
        p->doorbell_lost = false;
        p->relay_sm = nc->chan->own_sm;
        dj_sm_up(RELAY_IDLE_SM(p - ports));
    }
    return nc->chan != NULL;
}

/* Polls a connected port; drops the channel when it broke (the guest's
 * link goes down, the next round connects again). */
static void port_poll(struct net_port *p)
{
    struct net_channel *nc = &p->nc;
    struct dj_chan *c = nc->chan;
    /* A dead peer's zeroed ring pages look like an empty ring, and a
     * relay asleep on its doorbell is not always woken: its own doorbell,
     * gone with it, tells (ringing it once in a while costs the peer one
     * look). */
    bool peer_gone = !nc->serving && ++p->rounds % PROBE_ROUNDS == 0 && dj_sm_up(c->peer_sm) != DJ_OK;
    if (c->rx.broken || c->tx.broken || nc->reset_requested || p->doorbell_lost || peer_gone) {
        if (p->relay_sm) {
            p->relay_sm = 0;
            dj_sm_up(c->own_sm); /* the relay leaves that doorbell before it goes */
        }
        net_channel_drop(nc);
        vmm_log("network: 00:%02x.0 lost its channel to %s", NET_FIRST_SLOT + nc->index, p->peer);
        return;
    }
    vm_lock();
    net_channel_poll(nc);
    net_channel_round_hook();
    vm_unlock();
}

/* One round of the main thread: connect and poll every port. */
void net_round(void)
{
    for (unsigned i = 0; i < nports; i++)
        if (port_connected(&ports[i]))
            port_poll(&ports[i]);
}

uint64_t net_frames_moved(void)
{
    uint64_t frames = 0;
    for (unsigned i = 0; i < nports; i++)
        frames += ports[i].nc.stats.to_peer + ports[i].nc.stats.from_peer;
    return frames;
}
