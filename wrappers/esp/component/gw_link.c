/* SPDX-License-Identifier: GPL-2.0-only */
/* Ethernet on the gateway's two sides. Each side is a point-to-point wire
 * to one client (a VM's virtio-net, a test component): the wrapper has one
 * address there (own_addr) that it answers ARP for, and one neighbor, the
 * next hop for everything it sends on that side. The neighbor's MAC is
 * learned from ARP only (its requests and replies, sender = neighbor);
 * while it is unknown, a packet for that side is dropped (no_neighbor) and
 * an ARP request goes out instead: one per dropped packet, so never more
 * frames than came in. Frames to another unicast MAC, other ARP, and
 * anything that is neither ARP nor IP are dropped and counted; the IP
 * packet inside is trimmed to its own length (Ethernet pads short frames)
 * and handed to the policy, which decides everything else. */
#include <string.h>

#include "lib/syscall.h"

#include "gw.h"

#define ETH_HEADER 14
#define ETH_TYPE_OFF 12
#define ETH_MIN_FRAME 60
#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_ARP 0x0806
#define ETH_TYPE_IPV6 0x86dd
#define ARP_LEN 28
#define ARP_HTYPE_ETHERNET 1
#define ARP_OPER_REQUEST 1
#define ARP_OPER_REPLY 2
#define ARP_OFF_OPER 6
#define ARP_OFF_SHA 8
#define ARP_OFF_SPA 14
#define ARP_OFF_THA 18
#define ARP_OFF_TPA 24
#define IPV4_HEADER_MIN 20
#define IPV6_HEADER 40
#define IP_VERSION_SHIFT 4

static const uint8_t broadcast[GW_MAC_BYTES] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)(v >> 16));
    put16(p + 2, (uint16_t)v);
}

void gw_count_drop(enum esp_drop why)
{
    if ((unsigned)why < ESP_DROP_COUNT)
        gws.gw.count.drops[why]++;
}

/* One frame into the side's ring (the loop publishes later). */
static bool put_frame(struct gw_link *l, const uint8_t *frame, size_t len)
{
    if (!l->attached) {
        gw_count_drop(ESP_DROP_LINK_NO_CLIENT);
        return false;
    }
    if (len < ETH_MIN_FRAME)
        len = ETH_MIN_FRAME; /* the caller's buffer is zeroed past its data */
    void *slot = dj_chan_tx_reserve(&l->server.chan.tx, len);
    if (!slot) {
        gw_count_drop(ESP_DROP_LINK_RING_FULL);
        l->stats[DJ_NIC_STAT_RX_DROPPED]++;
        return false;
    }
    memcpy(slot, frame, len);
    dj_chan_tx_commit(&l->server.chan.tx, len);
    l->stats[DJ_NIC_STAT_RX_FRAMES]++; /* "received" from the client's point of view */
    l->stats[DJ_NIC_STAT_RX_BYTES] += len;
    return true;
}

static void send_arp(struct gw_link *l, uint16_t oper, const uint8_t *dst_mac, uint32_t target)
{
    uint8_t f[ETH_MIN_FRAME];
    memset(f, 0, sizeof(f));
    memcpy(f, dst_mac, GW_MAC_BYTES);
    memcpy(f + GW_MAC_BYTES, l->own_mac, GW_MAC_BYTES);
    put16(f + ETH_TYPE_OFF, ETH_TYPE_ARP);
    uint8_t *a = f + ETH_HEADER;
    put16(a, ARP_HTYPE_ETHERNET);
    put16(a + 2, ETH_TYPE_IPV4);
    a[4] = GW_MAC_BYTES;
    a[5] = 4;
    put16(a + ARP_OFF_OPER, oper);
    memcpy(a + ARP_OFF_SHA, l->own_mac, GW_MAC_BYTES);
    put32(a + ARP_OFF_SPA, l->own_addr);
    if (oper == ARP_OPER_REPLY)
        memcpy(a + ARP_OFF_THA, dst_mac, GW_MAC_BYTES);
    put32(a + ARP_OFF_TPA, target);
    if (put_frame(l, f, sizeof(f))) {
        if (oper == ARP_OPER_REPLY)
            l->arp_replies++;
        else
            l->arp_requests++;
    }
}

static void arp_in(struct gw_link *l, const uint8_t *frame, size_t len)
{
    const uint8_t *a = frame + ETH_HEADER;
    if (len < ETH_HEADER + ARP_LEN || be16(a) != ARP_HTYPE_ETHERNET || be16(a + 2) != ETH_TYPE_IPV4 ||
        a[4] != GW_MAC_BYTES || a[5] != 4) {
        gw_count_drop(ESP_DROP_LINK_NOT_OURS);
        return;
    }
    uint16_t oper = be16(a + ARP_OFF_OPER);
    uint32_t sender = be32(a + ARP_OFF_SPA), target = be32(a + ARP_OFF_TPA);
    bool for_us = target == l->own_addr && l->own_addr != 0;
    /* Learn only from the neighbor, and only when it talks to us. */
    if (for_us && sender == l->neighbor && !(a[ARP_OFF_SHA] & 1)) {
        memcpy(l->neighbor_mac, a + ARP_OFF_SHA, GW_MAC_BYTES);
        l->neighbor_known = true;
    }
    if (for_us && oper == ARP_OPER_REQUEST && !(a[ARP_OFF_SHA] & 1))
        send_arp(l, ARP_OPER_REPLY, a + ARP_OFF_SHA, sender);
    else if (!for_us || oper != ARP_OPER_REPLY)
        gw_count_drop(ESP_DROP_LINK_NOT_OURS);
}

/* The IP packet's own length: the frame may carry Ethernet padding. */
static size_t ip_length(const uint8_t *p, size_t avail)
{
    if (avail >= IPV4_HEADER_MIN && p[0] >> IP_VERSION_SHIFT == 4 && be16(p + 2) <= avail)
        return be16(p + 2);
    if (avail >= IPV6_HEADER && p[0] >> IP_VERSION_SHIFT == 6 && IPV6_HEADER + (size_t)be16(p + 4) <= avail)
        return IPV6_HEADER + be16(p + 4);
    return avail; /* malformed: the policy's own checks count it */
}

bool gw_link_receive(enum gw_side from, uint8_t *frame, size_t len, const uint8_t **pkt, size_t *pkt_len)
{
    struct gw_link *l = &gws.side[from];
    l->stats[DJ_NIC_STAT_TX_FRAMES]++;
    l->stats[DJ_NIC_STAT_TX_BYTES] += len;
    if (len < ETH_HEADER) {
        gw_count_drop(ESP_DROP_LINK_NOT_IP);
        return false;
    }
    uint16_t type = be16(frame + ETH_TYPE_OFF);
    bool to_us = memcmp(frame, l->own_mac, GW_MAC_BYTES) == 0;
    if (type == ETH_TYPE_ARP) {
        if (to_us || memcmp(frame, broadcast, GW_MAC_BYTES) == 0)
            arp_in(l, frame, len);
        else
            gw_count_drop(ESP_DROP_LINK_NOT_OURS);
        return false;
    }
    bool ip = type == ETH_TYPE_IPV4 || (type == ETH_TYPE_IPV6 && from == GW_INNER);
    if (!ip) {
        gw_count_drop(ESP_DROP_LINK_NOT_IP);
        return false;
    }
    if (!to_us) {
        gw_count_drop(ESP_DROP_LINK_NOT_OURS);
        return false;
    }
    *pkt = frame + ETH_HEADER;
    *pkt_len = ip_length(*pkt, len - ETH_HEADER);
    return true;
}

void gw_link_send_ip(enum gw_side to, uint8_t *frame, size_t ip_len)
{
    struct gw_link *l = &gws.side[to];
    if (!l->attached) {
        gw_count_drop(ESP_DROP_LINK_NO_CLIENT);
        return;
    }
    if (!l->neighbor_known) {
        gw_count_drop(ESP_DROP_LINK_NO_NEIGHBOR);
        send_arp(l, ARP_OPER_REQUEST, broadcast, l->neighbor);
        return;
    }
    uint8_t *ip = frame + ETH_HEADER;
    memcpy(frame, l->neighbor_mac, GW_MAC_BYTES);
    memcpy(frame + GW_MAC_BYTES, l->own_mac, GW_MAC_BYTES);
    put16(frame + ETH_TYPE_OFF, ip[0] >> IP_VERSION_SHIFT == 6 ? ETH_TYPE_IPV6 : ETH_TYPE_IPV4);
    size_t len = ETH_HEADER + ip_len;
    if (len < ETH_MIN_FRAME)
        memset(frame + len, 0, ETH_MIN_FRAME - len);
    put_frame(l, frame, len);
}

void gw_link_flush(enum gw_side s)
{
    struct gw_link *l = &gws.side[s];
    if (!l->attached)
        return;
    bool ring = dj_chan_tx_publish(&l->server.chan.tx);
    ring |= dj_chan_rx_publish(&l->server.chan.rx);
    if (ring)
        dj_sm_up(l->server.chan.peer_sm);
}
