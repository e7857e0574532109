/* SPDX-License-Identifier: GPL-2.0-only */
/* virtio-net (virtio_net.h). */
#include "virtio_net.h"
#include <string.h>

#define CFG_MAC 0
#define CFG_STATUS 6
#define CFG_LEN 8
#define HDR_NUM_BUFFERS 10 /* the last field of the 12-byte header */

static uint64_t net_cfg_read(struct virtio_pci *vp, unsigned off, unsigned size)
{
    struct virtio_net *n = vp->dev;
    uint8_t img[CFG_LEN] = {[CFG_STATUS] = n->link_up ? VIRTIO_NET_S_LINK_UP : 0};
    memcpy(&img[CFG_MAC], n->mac, VIRTIO_NET_MAC_LEN);
    return vmm_get_le(&img[off], size); /* off + size <= CFG_LEN: the transport checked */
}

/* Gathers one chain into tx_buf; the frame's length with its header in
 * *total (beyond the buffer: too long). false: the chain is bad. */
static bool gather(struct virtio_net *n, struct virtq_chain *c, uint64_t *total)
{
    struct virtq_seg seg;
    enum virtq_result r;
    *total = 0;
    while ((r = virtq_next(c, &seg)) == VIRTQ_OK) {
        if (seg.writable)
            continue; /* nothing for the device to write on transmit */
        if (*total < sizeof(n->tx_buf)) {
            uint64_t room = sizeof(n->tx_buf) - *total;
            memcpy(&n->tx_buf[*total], seg.ptr, seg.len < room ? seg.len : room);
        }
        *total += seg.len;
    }
    return r == VIRTQ_END;
}

/* Hands one queued frame to the backend: false when the queue is empty,
 * broken, or the backend is full. */
static bool tx_one(struct virtio_net *n, struct virtq *q)
{
    struct virtq_chain c;
    enum virtq_result r = virtq_pop(q, &c);
    if (r == VIRTQ_BAD)
        virtio_pci_fail(&n->pci, q->error);
    if (r != VIRTQ_OK)
        return false;
    uint64_t total;
    if (!gather(n, &c, &total)) {
        virtio_pci_fail(&n->pci, q->error);
        return false;
    }
    if (total < VIRTIO_NET_HDR_LEN + VIRTIO_NET_FRAME_MIN || total > sizeof(n->tx_buf)) {
        n->stats.tx_dropped++;
        virtq_push(q, c.head, 0);
        return true;
    }
    size_t len = (size_t)total - VIRTIO_NET_HDR_LEN;
    if (!n->backend.send(n->backend.ctx, &n->tx_buf[VIRTIO_NET_HDR_LEN], len)) {
        q->last_avail--; /* the chain goes back: the backend cannot take it now */
        n->tx_blocked = true;
        n->stats.tx_blocked++;
        return false;
    }
    n->stats.tx_frames++;
    n->stats.tx_bytes += len;
    virtq_push(q, c.head, 0);
    return true;
}

/* Sends everything the guest queued, until the backend is full. With
 * EVENT_IDX the driver is asked for a notification after the last entry
 * taken, then the ring is looked at again (it may have added one in
 * between). */
static void tx_process(struct virtio_net *n)
{
    struct virtq *q = &n->pci.queues[VIRTIO_NET_TXQ];
    unsigned sent = 0;
    for (;;) {
        while (!n->tx_blocked && tx_one(n, q))
            sent++;
        if (n->tx_blocked || !q->live)
            break;
        virtq_ask_notify(q);
        uint16_t pending;
        if (virtq_pending(q, &pending) != VIRTQ_OK || pending == 0)
            break;
    }
    if (sent && n->backend.flush)
        n->backend.flush(n->backend.ctx);
    virtio_pci_queue_interrupt(&n->pci, VIRTIO_NET_TXQ);
}

void virtio_net_tx_resume(struct virtio_net *n)
{
    n->tx_blocked = false;
    if (virtio_pci_driver_ok(&n->pci) && n->pci.queues[VIRTIO_NET_TXQ].live)
        tx_process(n);
}

/* Copies header and frame into the chain's writable buffers; bytes
 * written in *written. false: the chain is bad. */
static bool scatter(struct virtq_chain *c, const uint8_t *hdr, const uint8_t *frame, size_t len, size_t *written)
{
    size_t want = VIRTIO_NET_HDR_LEN + len, done = 0;
    struct virtq_seg seg;
    enum virtq_result r = VIRTQ_END;
    while (done < want && (r = virtq_next(c, &seg)) == VIRTQ_OK) {
        if (!seg.writable)
            continue; /* a readable buffer before the writable ones: nothing to fill */
        size_t off = 0;
        while (off < seg.len && done < want) {
            const uint8_t *src = done < VIRTIO_NET_HDR_LEN ? hdr + done : frame + (done - VIRTIO_NET_HDR_LEN);
            size_t avail = done < VIRTIO_NET_HDR_LEN ? VIRTIO_NET_HDR_LEN - done : want - done;
            size_t n = seg.len - off < avail ? seg.len - off : avail;
            memcpy(seg.ptr + off, src, n);
            off += n;
            done += n;
        }
    }
    *written = done;
    return done == want || r == VIRTQ_END;
}

enum virtio_net_rx_result virtio_net_receive(struct virtio_net *n, const void *frame, size_t len)
{
    struct virtq *q = &n->pci.queues[VIRTIO_NET_RXQ];
    if (!virtio_pci_driver_ok(&n->pci) || !q->live || len < VIRTIO_NET_FRAME_MIN || len > VIRTIO_NET_FRAME_MAX) {
        n->stats.rx_dropped++;
        return VIRTIO_NET_RX_DROPPED;
    }
    struct virtq_chain c;
    enum virtq_result r = virtq_pop(q, &c);
    if (r == VIRTQ_EMPTY) {
        virtq_ask_notify(q); /* then look again: the driver may have just added one */
        r = virtq_pop(q, &c);
    }
    if (r == VIRTQ_EMPTY) {
        n->stats.rx_no_buffer++;
        return VIRTIO_NET_RX_NO_BUFFER;
    }
    uint8_t hdr[VIRTIO_NET_HDR_LEN] = {[HDR_NUM_BUFFERS] = 1};
    size_t written;
    if (r == VIRTQ_BAD || !scatter(&c, hdr, frame, len, &written)) {
        virtio_pci_fail(&n->pci, q->error);
        n->stats.rx_dropped++;
        return VIRTIO_NET_RX_DROPPED;
    }
    if (written < VIRTIO_NET_HDR_LEN + len) {
        /* The guest's buffer is too small: it gets it back empty. */
        virtq_push(q, c.head, 0);
        n->stats.rx_dropped++;
        return VIRTIO_NET_RX_DROPPED;
    }
    virtq_push(q, c.head, (uint32_t)written);
    n->stats.rx_frames++;
    n->stats.rx_bytes += len;
    return VIRTIO_NET_RX_DONE;
}

void virtio_net_rx_flush(struct virtio_net *n)
{
    virtio_pci_queue_interrupt(&n->pci, VIRTIO_NET_RXQ);
}

void virtio_net_set_link(struct virtio_net *n, bool up)
{
    if (n->link_up == up)
        return;
    n->link_up = up;
    virtio_pci_config_changed(&n->pci);
}

static void net_notify(struct virtio_pci *vp, unsigned queue)
{
    struct virtio_net *n = vp->dev;
    if (queue == VIRTIO_NET_TXQ)
        tx_process(n);
    else if (queue == VIRTIO_NET_RXQ && n->backend.rx_ready)
        n->backend.rx_ready(n->backend.ctx);
}

static void net_driver_ok(struct virtio_pci *vp)
{
    struct virtio_net *n = vp->dev;
    if (n->pci.queues[VIRTIO_NET_TXQ].live)
        tx_process(n);
    if (n->backend.rx_ready)
        n->backend.rx_ready(n->backend.ctx);
}

static void net_reset(struct virtio_pci *vp)
{
    ((struct virtio_net *)vp->dev)->tx_blocked = false;
}

static const struct virtio_dev_ops net_ops = {
    .virtio_type = VIRTIO_TYPE_NET,
    .class_code = VIRTIO_NET_PCI_CLASS,
    .features = (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS),
    .num_queues = 2,
    .queue_max = VIRTIO_NET_QUEUE_SIZE,
    .cfg_len = CFG_LEN,
    .cfg_read = net_cfg_read,
    .notify = net_notify,
    .driver_ok = net_driver_ok,
    .reset = net_reset,
};

bool virtio_net_init(struct virtio_net *n, const struct virtio_pci_setup *setup, const uint8_t mac[VIRTIO_NET_MAC_LEN],
                     const struct virtio_net_backend *backend)
{
    if (!backend || !backend->send)
        return false;
    memset(n, 0, sizeof(*n));
    n->backend = *backend;
    memcpy(n->mac, mac, VIRTIO_NET_MAC_LEN);
    n->link_up = true;
    return virtio_pci_init(&n->pci, &net_ops, n, setup);
}
