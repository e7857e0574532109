/* SPDX-License-Identifier: GPL-2.0-only */
/* virtio-net over modern virtio 1.x PCI (virtio 1.x specification, 5.1),
 * for 1af4:1041 and the transitional 1af4:1000 (through its modern
 * interface only). One receive queue (0) and one transmit queue (1), each
 * descriptor with a fixed 2 KiB buffer of its own: the 12-byte
 * virtio_net_hdr, then the frame. No offloads are negotiated, so every
 * header the driver sends is zero and a received one is skipped.
 *
 * Interrupts: MSI-X vector 0 for both queues, bound to the loop's wake
 * semaphore; receive interrupts stay on, transmit interrupts only while
 * the transmit ring is full (completions are reclaimed lazily). Without
 * MSI-X (or without an MSI capability) the driver polls: irq_rearm wakes
 * the loop itself. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/nic_proto.h"
#include <string.h>
#include "lib/syscall.h"
#include "nic_hw.h"
#include "nic_msix.h"
#include "virtio_pci.h"
#include "virtio_ring.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_NET_MODERN 0x1041
#define VIRTIO_NET_TRANSITIONAL 0x1000

/* Network device features (5.1.3) and configuration (5.1.4). */
#define VIRTIO_NET_F_MAC (1ull << 5)
#define VIRTIO_NET_F_STATUS (1ull << 16)
#define NET_CFG_MAC 0
#define NET_CFG_STATUS 6
#define NET_STATUS_LINK_UP 1

#define RX_QUEUE 0
#define TX_QUEUE 1
#define QUEUE_VECTOR 0 /* both queues share MSI-X entry 0 */
#define NET_HDR_LEN 12 /* struct virtio_net_hdr with VERSION_1 */
#define BUF_SIZE 2048
#define BUFS_PER_PAGE (VIRTQ_PAGE / BUF_SIZE)
_Static_assert(NET_HDR_LEN + DJ_NIC_FRAME_MAX <= BUF_SIZE, "a frame and its header must fit a buffer");

struct queue_bufs {
    struct virtq q;
    uint8_t *buf; /* buffer i at buf + i * BUF_SIZE */
};

static struct virtio_pci vp;
static struct queue_bufs rx, tx;
static uint16_t tx_free[VIRTQ_MAX_SIZE];
static unsigned tx_free_count;
static bool tx_irq_on, rx_kick_due, polled, device_broken;
static uint64_t features, wake_sm;

static bool match(uint16_t vendor, uint16_t device)
{
    return vendor == VIRTIO_VENDOR && (device == VIRTIO_NET_MODERN || device == VIRTIO_NET_TRANSITIONAL);
}

/* A power of two no larger than what the device allows or a page holds. */
static uint16_t queue_size(uint16_t device_max)
{
    uint16_t size = VIRTQ_MAX_SIZE;
    while (size > device_max)
        size >>= 1;
    return size;
}

/* Queue memory and buffers, described once in the descriptor table. */
static bool alloc_queue(struct queue_bufs *b, uint16_t index, bool device_writes)
{
    uint16_t size = queue_size(virtio_pci_queue_max(&vp, index));
    if (size == 0 || !virtq_alloc(&b->q, index, size)) {
        nic_log("queue %u: %s", index, size ? "out of memory" : "not offered by the device");
        return false;
    }
    b->buf = nic_dma_pages((size + BUFS_PER_PAGE - 1) / BUFS_PER_PAGE);
    if (!b->buf) {
        nic_log("queue %u: no memory for %u buffers", index, size);
        return false;
    }
    for (uint16_t i = 0; i < size; i++) {
        uint64_t bus = nic_dma_addr(b->buf + (size_t)i * BUF_SIZE);
        if (!bus)
            return false;
        virtq_set_buffer(&b->q, i, bus, BUF_SIZE, device_writes);
    }
    return true;
}

static bool negotiate(void)
{
    uint64_t offered = virtio_pci_device_features(&vp);
    if (!(offered & VIRTIO_F_VERSION_1)) {
        nic_log("device does not offer VIRTIO_F_VERSION_1 (features %#lx)", (unsigned long)offered);
        return false;
    }
    /* ACCESS_PLATFORM only says DMA goes through the platform's address
     * translation, which is the identity here: accept it if required. */
    features = offered & (VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM | VIRTIO_NET_F_MAC | VIRTIO_NET_F_STATUS);
    if (!virtio_pci_set_features(&vp, features)) {
        nic_log("device refused features %#lx", (unsigned long)features);
        return false;
    }
    return true;
}

/* MSI-X vector 0 to the wake semaphore, or polling. */
static void choose_interrupts(struct nic_env *env)
{
    polled = env->msi_count == 0 || !nic_msix_enable(env, 1);
    if (polled)
        nic_log("no MSI-X interrupt: polling");
}

static bool enable_queue(struct queue_bufs *b)
{
    bool vector_ok = false;
    if (!virtio_pci_queue_enable(&vp, &b->q, polled ? VIRTIO_MSI_NO_VECTOR : QUEUE_VECTOR, &vector_ok))
        return false;
    if (!vector_ok) {
        nic_log("queue %u: device refused MSI-X vector %u: polling", b->q.index, QUEUE_VECTOR);
        polled = true;
    }
    return true;
}

static void read_mac(struct nic_env *env)
{
    if ((features & VIRTIO_NET_F_MAC) && virtio_pci_read_config(&vp, NET_CFG_MAC, env->mac, sizeof(env->mac)))
        return;
    /* No address from the device: a locally administered one made from
     * the PCI location, stable across restarts of the driver. */
    static const uint8_t local[6] = {0x02, 'D', 'j', 0, 0, 0};
    memcpy(env->mac, local, sizeof(local));
    env->mac[4] = (uint8_t)(env->pci->bdf >> 8);
    env->mac[5] = (uint8_t)env->pci->bdf;
    nic_log("device has no MAC address: using a locally administered one");
}

static void fill_rx(void)
{
    for (uint16_t i = 0; i < rx.q.size; i++)
        virtq_post(&rx.q, i, 0);
    virtq_publish(&rx.q);
}

static void init_tx(void)
{
    tx_free_count = 0;
    for (uint16_t i = 0; i < tx.q.size; i++)
        tx_free[tx_free_count++] = i;
    virtq_interrupts(&tx.q, false);
    tx_irq_on = false;
}

static bool bring_up(struct nic_env *env)
{
    if (!virtio_pci_find(&vp, env) || !virtio_pci_reset(&vp))
        return false;
    /* The device is reset: DMA may start (QEMU ignores DRIVER_OK without it). */
    if (dj_pci_command(env->pci, DJ_PCI_CMD_BUS_MASTER, 0) != DJ_OK)
        return false;
    virtio_pci_add_status(&vp, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    if (!negotiate())
        return false;
    choose_interrupts(env);
    virtio_pci_no_config_vector(&vp);
    if (!alloc_queue(&rx, RX_QUEUE, true) || !alloc_queue(&tx, TX_QUEUE, false))
        return false;
    fill_rx();
    init_tx();
    if (!enable_queue(&rx) || !enable_queue(&tx))
        return false;
    read_mac(env);
    virtio_pci_add_status(&vp, VIRTIO_STATUS_DRIVER_OK);
    virtq_kick(&rx.q);
    return true;
}

static bool init(struct nic_env *env)
{
    wake_sm = env->wake_sm;
    if (bring_up(env)) {
        nic_log("virtio-net %02x:%02x:%02x:%02x:%02x:%02x, queues of %u/%u, %s", env->mac[0], env->mac[1],
                env->mac[2], env->mac[3], env->mac[4], env->mac[5], rx.q.size, tx.q.size,
                polled ? "polled" : "MSI-X");
        return true;
    }
    if (vp.common)
        virtio_pci_add_status(&vp, VIRTIO_STATUS_FAILED);
    return false;
}

static bool link_up(void)
{
    uint16_t status = 0;
    if (!(features & VIRTIO_NET_F_STATUS))
        return true; /* without the feature the link is always up (5.1.4) */
    return virtio_pci_read_config(&vp, NET_CFG_STATUS, &status, sizeof(status)) && (status & NET_STATUS_LINK_UP);
}

/* A device that returns impossible indexes is not used any more. */
static bool check_broken(void)
{
    if (!device_broken && (rx.q.broken || tx.q.broken)) {
        device_broken = true;
        nic_log("device wrote an impossible used index: stopped using it");
    }
    return device_broken;
}

/* Buffers the device has sent back to the free list. */
static void reclaim_tx(void)
{
    uint16_t id;
    uint32_t len;
    enum virtq_take t;
    while ((t = virtq_take(&tx.q, &id, &len)) != VIRTQ_EMPTY)
        if (t == VIRTQ_TAKEN && tx_free_count < VIRTQ_MAX_SIZE)
            tx_free[tx_free_count++] = id;
}

/* No free buffer even after reclaiming: ask for an interrupt when the
 * device finishes one, then look once more (it may have just done so). */
static bool wait_for_tx_space(void)
{
    if (!tx_irq_on) {
        virtq_interrupts(&tx.q, true);
        tx_irq_on = true;
        reclaim_tx();
    }
    return tx_free_count > 0;
}

static bool tx_frame(const void *frame, size_t len)
{
    if (check_broken() || len > BUF_SIZE - NET_HDR_LEN)
        return false; /* a broken device sends nothing; the loop checks lengths */
    if (tx_free_count == 0)
        reclaim_tx();
    if (tx_free_count == 0 && !wait_for_tx_space())
        return false;
    if (tx_irq_on) {
        virtq_interrupts(&tx.q, false);
        tx_irq_on = false;
    }
    uint16_t id = tx_free[--tx_free_count];
    uint8_t *buf = tx.buf + (size_t)id * BUF_SIZE;
    memset(buf, 0, NET_HDR_LEN); /* no offloads: an all-zero header */
    memcpy(buf + NET_HDR_LEN, frame, len);
    virtq_post(&tx.q, id, (uint32_t)(NET_HDR_LEN + len));
    return true;
}

static void tx_kick(void)
{
    if (virtq_publish(&tx.q))
        virtq_kick(&tx.q);
}

static void rx_repost(uint16_t id)
{
    virtq_post(&rx.q, id, 0);
    virtq_publish(&rx.q);
    rx_kick_due = true;
}

/* The device waits for a notification only when it ran out of buffers;
 * one per batch is enough. */
static void rx_kick(void)
{
    if (rx_kick_due) {
        rx_kick_due = false;
        virtq_kick(&rx.q);
    }
}

static size_t rx_frame(void *out, size_t cap)
{
    uint16_t id;
    uint32_t len;
    enum virtq_take t = check_broken() ? VIRTQ_EMPTY : virtq_take(&rx.q, &id, &len);
    if (t == VIRTQ_EMPTY) {
        rx_kick();
        return 0;
    }
    if (t == VIRTQ_BOGUS)
        return SIZE_MAX;
    size_t frame_len = len > NET_HDR_LEN ? len - NET_HDR_LEN : 0;
    bool good = len > NET_HDR_LEN && len <= BUF_SIZE && frame_len <= cap;
    if (good)
        memcpy(out, rx.buf + (size_t)id * BUF_SIZE + NET_HDR_LEN, frame_len);
    rx_repost(id);
    return good ? frame_len : SIZE_MAX;
}

static void irq_rearm(void)
{
    rx_kick();
    if (polled)
        dj_sm_up(wake_sm); /* no interrupt will come: look again soon */
}

static void stop(void)
{
    if (!vp.common)
        return;
    virtio_pci_reset(&vp); /* a reset device does no more DMA */
    nic_msix_disable(vp.env);
}

const struct nic_hw nic_hw = {
    .name = "virtio-net",
    .match = match,
    .init = init,
    .link_up = link_up,
    .tx = tx_frame,
    .tx_kick = tx_kick,
    .rx = rx_frame,
    .irq_rearm = irq_rearm,
    .stop = stop,
};
