/* SPDX-License-Identifier: GPL-2.0-only */
/* vnettest's guest stand-in (guest.h). */
#include "guest.h"
#include <string.h>
#include "servers/vmm/vmm.h"

#define BAR_BASE 0xc0000000u
#define RX_DESC 0x1000u /* each ring in its own page */
#define RX_AVAIL 0x2000u
#define RX_USED 0x3000u
#define TX_DESC 0x4000u
#define TX_AVAIL 0x5000u
#define TX_USED 0x6000u
#define RX_BUFS 0x10000u
#define TX_BUFS (RX_BUFS + GUEST_QSIZE * GUEST_BUF_BYTES)
#define RAM_BYTES (TX_BUFS + GUEST_QSIZE * GUEST_BUF_BYTES)
#define FEATURES ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS))
#define STATUS_UP (VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK)
#define PCI_COMMAND_REG 0x04
#define PCI_COMMAND_MEM_MASTER 0x6

static uint8_t ram_bytes[RAM_BYTES] __attribute__((aligned(4096)));
static struct vmm_ram ram = {.base = ram_bytes, .size = RAM_BYTES};
static struct vmm_bus mmio;
struct virtio_net guest_dev;

/* Driver state */
static uint16_t rx_avail, rx_used_seen, tx_avail, tx_used_seen;
static unsigned tx_in_flight;
static bool tx_pending_kick;

/* No interrupt controller here: the driver polls. */
void vmm_irq_set(unsigned gsi, bool level_high)
{
    (void)gsi, (void)level_high;
}

void vmm_msi_send(uint64_t address, uint32_t data)
{
    (void)address, (void)data;
}

static void w(uint64_t off, unsigned size, uint64_t v)
{
    vmm_bus_write(&mmio, BAR_BASE + off, size, v);
}

static uint64_t r(uint64_t off, unsigned size)
{
    return vmm_bus_read(&mmio, BAR_BASE + off, size);
}

static volatile struct virtq_desc *desc(uint32_t table, unsigned i)
{
    return (volatile struct virtq_desc *)(ram_bytes + table + 16u * i);
}

static volatile uint16_t *u16_at(uint32_t gpa)
{
    return (volatile uint16_t *)(ram_bytes + gpa);
}

static volatile struct virtq_used_elem *used_elem(uint32_t used, unsigned i)
{
    return (volatile struct virtq_used_elem *)(ram_bytes + used + 4 + 8u * (i % GUEST_QSIZE));
}

static bool setup_queue(unsigned q, uint32_t d, uint32_t a, uint32_t u)
{
    w(0x16, 2, q);
    w(0x18, 2, GUEST_QSIZE);
    w(0x20, 8, d);
    w(0x28, 8, a);
    w(0x30, 8, u);
    w(0x1c, 2, 1);
    return r(0x1c, 2) == 1;
}

/* The avail ring entry and index; a compiler barrier keeps the order
 * (x86 keeps stores in order). */
static void publish(uint32_t avail, uint16_t *idx, uint16_t head)
{
    *u16_at(avail + 4 + 2u * (*idx % GUEST_QSIZE)) = head;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    (*idx)++;
    *u16_at(avail + 2) = *idx;
}

static void post_rx(unsigned slot)
{
    *desc(RX_DESC, slot) = (struct virtq_desc){RX_BUFS + slot * GUEST_BUF_BYTES, GUEST_BUF_BYTES, VIRTQ_DESC_F_WRITE, 0};
    publish(RX_AVAIL, &rx_avail, (uint16_t)slot);
}

bool guest_start(const struct virtio_net_backend *b, const uint8_t mac[6], const char **why)
{
    struct virtio_pci_setup s = {.bus = &mmio, .ram = &ram, .bar_base = BAR_BASE};
    *why = "virtio_net_init";
    if (!virtio_net_init(&guest_dev, &s, mac, b))
        return false;
    virtio_pci_cfg_write(&guest_dev.pci, PCI_COMMAND_REG, 2, PCI_COMMAND_MEM_MASTER);
    *why = "device identity";
    if (virtio_pci_cfg_read(&guest_dev.pci, 0, 4) != 0x10411af4u || r(0x12, 2) != 2)
        return false;
    w(0x14, 1, 0);
    w(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    w(0x08, 4, 0);
    w(0x0c, 4, (uint32_t)FEATURES);
    w(0x08, 4, 1);
    w(0x0c, 4, FEATURES >> 32);
    w(0x14, 1, STATUS_UP);
    *why = "FEATURES_OK";
    if (r(0x14, 1) != STATUS_UP)
        return false;
    *why = "queue set-up";
    if (!setup_queue(VIRTIO_NET_RXQ, RX_DESC, RX_AVAIL, RX_USED) || !setup_queue(VIRTIO_NET_TXQ, TX_DESC, TX_AVAIL, TX_USED))
        return false;
    w(0x14, 1, STATUS_UP | VIRTIO_STATUS_DRIVER_OK);
    *why = "DRIVER_OK";
    if (r(0x14, 1) != (STATUS_UP | VIRTIO_STATUS_DRIVER_OK))
        return false;
    for (unsigned i = 0; i < GUEST_QSIZE; i++)
        post_rx(i);
    w(VIRTIO_PCI_NOTIFY_OFF + VIRTIO_NET_RXQ * VIRTIO_PCI_NOTIFY_MULT, 2, VIRTIO_NET_RXQ);
    return true;
}

bool guest_link_up(void)
{
    return r(VIRTIO_PCI_DEVCFG_OFF + 6, 2) & VIRTIO_NET_S_LINK_UP;
}

unsigned guest_tx_free(void)
{
    return GUEST_QSIZE - tx_in_flight;
}

bool guest_send(const uint8_t *frame, size_t len)
{
    if (tx_in_flight == GUEST_QSIZE || len + VIRTIO_NET_HDR_LEN > GUEST_BUF_BYTES)
        return false;
    unsigned slot = tx_avail % GUEST_QSIZE; /* buffers are freed in order */
    uint8_t *buf = ram_bytes + TX_BUFS + slot * GUEST_BUF_BYTES;
    memset(buf, 0, VIRTIO_NET_HDR_LEN);
    memcpy(buf + VIRTIO_NET_HDR_LEN, frame, len);
    *desc(TX_DESC, slot) = (struct virtq_desc){TX_BUFS + slot * GUEST_BUF_BYTES, (uint32_t)(VIRTIO_NET_HDR_LEN + len), 0, 0};
    publish(TX_AVAIL, &tx_avail, (uint16_t)slot);
    tx_in_flight++;
    tx_pending_kick = true;
    return true;
}

void guest_kick(void)
{
    if (tx_pending_kick)
        w(VIRTIO_PCI_NOTIFY_OFF + VIRTIO_NET_TXQ * VIRTIO_PCI_NOTIFY_MULT, 2, VIRTIO_NET_TXQ);
    tx_pending_kick = false;
}

unsigned guest_reap(guest_rx_fn rx, unsigned max_rx)
{
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    uint16_t tx_used = *u16_at(TX_USED + 2);
    tx_in_flight -= (uint16_t)(tx_used - tx_used_seen);
    tx_used_seen = tx_used;
    unsigned n = 0;
    uint16_t rx_used = *u16_at(RX_USED + 2);
    for (; rx_used_seen != rx_used && n < max_rx; rx_used_seen++, n++) {
        volatile struct virtq_used_elem *e = used_elem(RX_USED, rx_used_seen);
        unsigned slot = e->id % GUEST_QSIZE;
        uint32_t len = e->len;
        if (len >= VIRTIO_NET_HDR_LEN && len <= GUEST_BUF_BYTES)
            rx(ram_bytes + RX_BUFS + slot * GUEST_BUF_BYTES + VIRTIO_NET_HDR_LEN, len - VIRTIO_NET_HDR_LEN);
        post_rx(slot);
    }
    if (n)
        w(VIRTIO_PCI_NOTIFY_OFF + VIRTIO_NET_RXQ * VIRTIO_PCI_NOTIFY_MULT, 2, VIRTIO_NET_RXQ);
    return n;
}
