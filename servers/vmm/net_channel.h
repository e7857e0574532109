/* SPDX-License-Identifier: GPL-2.0-only */
/* The virtio-net backend of a VMM: frames over a channel (lib/channel.h)
 * in the NIC drivers' framing (lib/nic_proto.h: one message is one
 * Ethernet frame; ring 0 carries the client's frames out, ring 1 brings
 * frames in).
 *
 * Two roles:
 *   - client: connects through a portal to a NIC driver (servers/nic) or
 *     to a peer VMM that serves; asks DJ_NIC_OP_INFO for the MAC address
 *     and the link state first, as tests/components/netself does. When
 *     the peer dies (broken ring or doorbell gone), the link goes down in
 *     the guest, frames from the guest are dropped, and the I/O thread
 *     connects again (init puts the restarted peer's portal at the same
 *     selector); each attempt uses fresh addresses and selectors.
 *   - server: a VMM that offers a channel to another VM's VMM. Its portal
 *     handler passes requests to net_channel_portal (INFO with the MAC it
 *     hands the peer, CONNECT, DOORBELLS, init's client announcements).
 *
 * Threads: the VMM's main thread connects, polls and sleeps on the
 * doorbells (net.c; the portal calls of a client use dj_utcb(), which
 * is the main thread's UTCB); vCPU handlers reach the channel through the
 * virtio_net backend calls. Everything that touches the rings or the
 * device runs under the VMM lock (lock/unlock below); only the sleeping
 * and the portal calls happen outside it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/channel.h"
#include "lib/nic_proto.h"
#include "virtio_net.h"

#define NET_CHANNEL_VA_SLOTS 4    /* address windows the client cycles through */
#define NET_CHANNEL_SEL_PAIRS 4   /* doorbell selector pairs the client cycles through */

struct net_channel_stats {
    uint64_t to_peer, from_peer;
    uint64_t dropped_unconnected; /* guest frames while no channel was up */
    uint64_t connects, losses;
};

struct net_channel {
    struct virtio_net *dev;
    unsigned index;           /* the VM's device number (net.c): 0 is 00:01.0 */
    void (*lock)(void);
    void (*unlock)(void);
    /* Client: the peer's portal; region windows (each
     * 2^dj_chan_region_order pages, NET_CHANNEL_VA_SLOTS of them from
     * va_base, va_stride apart) and 2 * NET_CHANNEL_SEL_PAIRS selectors
     * from sel_base. */
    uint64_t pt;
    uint64_t va_base, va_stride, sel_base;
    uint64_t sleep_sm;        /* a semaphore nobody ups: the pause between attempts */
    unsigned generation;
    /* Server */
    bool serving;
    struct dj_chan_server server;
    uint8_t peer_mac[VIRTIO_NET_MAC_LEN]; /* what INFO tells the peer */
    volatile bool reset_requested;
    /* Either role */
    struct dj_chan own;       /* the client's channel */
    struct dj_chan *chan;     /* &own or &server.chan while connected, else NULL */
    uint8_t mac[VIRTIO_NET_MAC_LEN];
    bool link_up;
    bool rx_stalled;          /* the guest had no buffer for the frame at the head */
    struct net_channel_stats stats;
};

/* The backend to pass to virtio_net_init (ctx: nc). */
struct virtio_net_backend net_channel_backend(struct net_channel *nc);

/* Client: asks the peer for MAC and link state (filled into nc->mac and
 * nc->link_up) without connecting, so the VMM can give the device its
 * MAC before the guest starts. */
enum dj_status net_channel_info(struct net_channel *nc);
/* Client: INFO, then a new channel; the guest sees the link come up.
 * Call without the VMM lock (it is taken inside). */
enum dj_status net_channel_connect(struct net_channel *nc);

/* Server: set up nc->server (pd_sel, va, sm_sel; the NIC geometry is the
 * largest accepted) and its doorbells. */
enum dj_status net_channel_serve_init(struct net_channel *nc, uint64_t pd_sel, uint64_t va, uint64_t sm_sel,
                                      const uint8_t peer_mac[VIRTIO_NET_MAC_LEN]);
/* Server: one request on the VMM's channel portal; returns the reply MTD. */
uint64_t net_channel_portal(struct net_channel *nc, uint64_t badge, struct dj_utcb *u);

/* Under the VMM lock: moves waiting frames from the channel into the
 * guest and resumes the guest's transmission when the ring has room. */
void net_channel_poll(struct net_channel *nc);

/* Connects (client, retrying) or waits for the peer (server). */
void net_channel_establish(struct net_channel *nc);
/* Drops the channel after a loss (broken ring, doorbell gone, peer
 * restarted): the guest sees the link go down; establish again. */
void net_channel_drop(struct net_channel *nc);

/* THE HOOK: every frame between the guest and the channel passes here
 * (to_peer: from the guest out; else from the peer in, before the guest
 * has it), also frames dropped for want of a channel. Here a weak
 * do-nothing; the demo's VMM (vmm-pcap) links the recorder
 * servers/vmm-pcap/pcap.c, which defines it. */
void net_channel_frame_hook(const struct net_channel *nc, bool to_peer, const void *frame, size_t len);
/* Once a round of the VMM's main thread, under the VMM lock (net.c): the
 * recorder writes out what the hook saw on other threads (the relays
 * and the vCPU handlers, which must not call out). Weak do-nothing here. */
void net_channel_round_hook(void);
