/* SPDX-License-Identifier: GPL-2.0-only */
/* Host-test harness for servers/vmm/virtio_net.c: fake guest RAM (exactly
 * RAM_SIZE bytes from malloc, so ASan sees any access beside it), a
 * fake MMIO bus, recorded interrupts, a fake backend, and a driver that
 * brings the device up the way Linux's virtio_pci_modern and virtio_net
 * do (BAR sizing, capability walk, MSI-X, feature negotiation, queue
 * set-up), then sends and receives frames through split rings.
 * Included by one test file only (it defines the vmm.h services). */
#pragma once
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/virtio_net.h"

/* Each test file uses a different subset of the helpers. */
#pragma GCC diagnostic ignored "-Wunused-function"

#define RAM_SIZE 0x100000u
#define BAR_ADDR 0xfe000000u
#define TEST_GSI 11u
#define MSI_ADDR 0xfee00000u
#define MSI_DATA_BASE 0x40u /* vector v signals with data MSI_DATA_BASE + v */
#define QSIZE 256u
#define MAX_FRAMES 64
#define FRAME_BYTES 2048

/* Where the test driver puts things in guest RAM */
#define RXQ_DESC 0x10000u
#define RXQ_AVAIL 0x11000u
#define RXQ_USED 0x12000u
#define TXQ_DESC 0x20000u
#define TXQ_AVAIL 0x21000u
#define TXQ_USED 0x22000u
#define BUF_BASE 0x40000u
#define BUF_STRIDE 0x800u
#define INDIRECT_BASE 0xc0000u

/* Capability offsets the driver found (by walking the list). */
struct caps {
    unsigned msix;
    uint32_t common, notify, isr, device, notify_mult;
    unsigned pci_cfg;
    uint32_t device_len;
};

/* ---- fakes of the vmm.h services ------------------------------------------ */

static struct vmm_ram ram;
static struct vmm_bus bus;
static struct {
    uint64_t addr[1024];
    uint32_t data[1024];
    unsigned count;
} msi;
static bool irq_level[32];
static unsigned irq_changes;

void *vmm_gpa_ptr(const struct vmm_ram *r, uint64_t gpa, uint64_t len)
{
    if (gpa < r->size && len <= r->size - gpa)
        return r->base + gpa;
    return NULL;
}

bool vmm_bus_add(struct vmm_bus *b, uint64_t base, uint64_t len, vmm_read_fn rd, vmm_write_fn wr, void *dev)
{
    if (b->count == VMM_MAX_REGIONS || len == 0)
        return false;
    for (unsigned i = 0; i < b->count; i++)
        if (base < b->r[i].base + b->r[i].len && b->r[i].base < base + len)
            return false;
    b->r[b->count++] = (struct vmm_region){base, len, rd, wr, dev};
    return true;
}

void vmm_bus_remove(struct vmm_bus *b, void *dev, uint64_t base)
{
    for (unsigned i = 0; i < b->count; i++)
        if (b->r[i].dev == dev && b->r[i].base == base)
            b->r[i--] = b->r[--b->count];
}

uint64_t vmm_bus_read(struct vmm_bus *b, uint64_t addr, unsigned size)
{
    for (unsigned i = 0; i < b->count; i++)
        if (addr >= b->r[i].base && addr - b->r[i].base < b->r[i].len)
            return b->r[i].read(b->r[i].dev, addr - b->r[i].base, size);
    return size == 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

void vmm_bus_write(struct vmm_bus *b, uint64_t addr, unsigned size, uint64_t value)
{
    for (unsigned i = 0; i < b->count; i++)
        if (addr >= b->r[i].base && addr - b->r[i].base < b->r[i].len) {
            b->r[i].write(b->r[i].dev, addr - b->r[i].base, size, value);
            return;
        }
}

void vmm_irq_set(unsigned gsi, bool level_high)
{
    assert_true(gsi < 32);
    irq_level[gsi] = level_high;
    irq_changes++;
}

void vmm_msi_send(uint64_t address, uint32_t data)
{
    assert_true(msi.count < 1024);
    msi.addr[msi.count] = address;
    msi.data[msi.count++] = data;
}

/* ---- fake backend ------------------------------------------------------------ */

static struct {
    uint8_t frame[MAX_FRAMES][FRAME_BYTES];
    size_t len[MAX_FRAMES];
    unsigned count;
    unsigned flushes;
    unsigned rx_ready;
    unsigned room; /* frames it still accepts */
} be;

static bool be_send(void *ctx, const uint8_t *frame, size_t len)
{
    assert_ptr_equal(ctx, &be);
    if (be.room == 0)
        return false;
    be.room--;
    assert_true(len <= FRAME_BYTES && be.count < MAX_FRAMES);
    memcpy(be.frame[be.count], frame, len);
    be.len[be.count++] = len;
    return true;
}

static void be_flush(void *ctx)
{
    (void)ctx;
    be.flushes++;
}

static void be_rx_ready(void *ctx)
{
    (void)ctx;
    be.rx_ready++;
}

static const struct virtio_net_backend backend = {&be, be_send, be_flush, be_rx_ready};
static const uint8_t test_mac[6] = {0x52, 0x54, 0x00, 0xab, 0xcd, 0xef};
static struct virtio_net *net;

/* ---- driver side --------------------------------------------------------------- */

static uint32_t cfg_r(unsigned reg, unsigned size)
{
    return virtio_pci_cfg_read(&net->pci, reg, size);
}

static void cfg_w(unsigned reg, unsigned size, uint32_t v)
{
    virtio_pci_cfg_write(&net->pci, reg, size, v);
}

static uint64_t mmio_r(uint64_t off, unsigned size)
{
    return vmm_bus_read(&bus, BAR_ADDR + off, size);
}

static void mmio_w(uint64_t off, unsigned size, uint64_t v)
{
    vmm_bus_write(&bus, BAR_ADDR + off, size, v);
}

static uint8_t *gpa(uint64_t a)
{
    assert_true(a < RAM_SIZE);
    return ram.base + a;
}

static struct virtq_desc *desc(uint64_t table, unsigned i)
{
    return (struct virtq_desc *)gpa(table + 16ull * i);
}

static uint16_t *avail_word(uint64_t avail, unsigned i) /* 0 flags, 1 idx, 2+ ring, 2+size used_event */
{
    return (uint16_t *)gpa(avail + 2ull * i);
}

static uint16_t used_idx(uint64_t used)
{
    return *(uint16_t *)gpa(used + 2);
}

static struct virtq_used_elem *used_elem(uint64_t used, unsigned i)
{
    return (struct virtq_used_elem *)gpa(used + 4 + 8ull * (i % QSIZE));
}

static void setup_device(void)
{
    ram.size = RAM_SIZE;
    ram.base = malloc(RAM_SIZE);
    assert_non_null(ram.base);
    memset(ram.base, 0, RAM_SIZE);
    memset(&bus, 0, sizeof(bus));
    memset(&msi, 0, sizeof(msi));
    memset(irq_level, 0, sizeof(irq_level));
    irq_changes = 0;
    memset(&be, 0, sizeof(be));
    be.room = ~0u;
    net = malloc(sizeof(*net));
    assert_non_null(net);
    struct virtio_pci_setup s = {.bus = &bus, .ram = &ram, .bar_base = BAR_ADDR};
    assert_true(virtio_net_init(net, &s, test_mac, &backend));
}

static int teardown(void **state)
{
    (void)state;
    free(net);
    free(ram.base);
    net = NULL;
    ram.base = NULL;
    return 0;
}

/* Walks the capability list as Linux's virtio_pci_find_capability does. */
static struct caps walk_caps(void)
{
    struct caps c = {0};
    unsigned seen = 0;
    for (unsigned p = cfg_r(0x34, 1); p; p = cfg_r(p + 1, 1)) {
        assert_true(p >= 0x40 && p < 0x100 && ++seen < 48);
        unsigned id = cfg_r(p, 1);
        if (id == 0x11) {
            c.msix = p;
            continue;
        }
        assert_int_equal(id, 0x09);
        unsigned type = cfg_r(p + 3, 1);
        assert_int_equal(cfg_r(p + 4, 1), 0); /* BAR0 */
        uint32_t off = cfg_r(p + 8, 4), len = cfg_r(p + 12, 4);
        if (type != 5)
            assert_true(off + len <= VIRTIO_PCI_BAR_SIZE);
        switch (type) {
        case 1: c.common = off; assert_true(len >= 0x38); break;
        case 2: c.notify = off; c.notify_mult = cfg_r(p + 16, 4); break;
        case 3: c.isr = off; break;
        case 4: c.device = off; c.device_len = len; break;
        case 5: c.pci_cfg = p; break;
        default: fail_msg("unknown virtio capability type %u", type);
        }
    }
    return c;
}

static void program_msix(const struct caps *c, unsigned vectors)
{
    uint32_t table = cfg_r(c->msix + 4, 4);
    assert_int_equal(table & 7, 0);
    for (unsigned v = 0; v < vectors; v++) {
        mmio_w((table & ~7u) + 16 * v, 4, MSI_ADDR);
        mmio_w((table & ~7u) + 16 * v + 4, 4, 0);
        mmio_w((table & ~7u) + 16 * v + 8, 4, MSI_DATA_BASE + v);
        mmio_w((table & ~7u) + 16 * v + 12, 4, 0); /* unmask */
    }
    cfg_w(c->msix + 2, 2, 0x8000); /* enable */
}

static void setup_queue(unsigned q, uint64_t d, uint64_t a, uint64_t u, uint16_t vector)
{
    mmio_w(0x16, 2, q);
    assert_int_equal(mmio_r(0x18, 2), QSIZE);
    mmio_w(0x18, 2, QSIZE);
    mmio_w(0x20, 4, (uint32_t)d); /* two 32-bit halves, as vp_iowrite64_twopart */
    mmio_w(0x24, 4, d >> 32);
    mmio_w(0x28, 4, (uint32_t)a);
    mmio_w(0x2c, 4, a >> 32);
    mmio_w(0x30, 4, (uint32_t)u);
    mmio_w(0x34, 4, u >> 32);
    mmio_w(0x1a, 2, vector);
    assert_int_equal(mmio_r(0x1a, 2), vector);
    mmio_w(0x1c, 2, 1);
    assert_int_equal(mmio_r(0x1c, 2), 1);
}

static uint8_t status(void)
{
    return (uint8_t)mmio_r(0x14, 1);
}

/* BAR sizing and placement, as the PCI core does. */
static void size_and_enable_bar(void)
{
    cfg_w(0x04, 2, 0);
    cfg_w(0x10, 4, 0xffffffffu);
    uint32_t mask = cfg_r(0x10, 4);
    assert_int_equal(mask, (uint32_t)~(VIRTIO_PCI_BAR_SIZE - 1));
    cfg_w(0x10, 4, BAR_ADDR);
    cfg_w(0x04, 2, 0x0006); /* memory + bus master */
}

/* Linux's order: reset, ACKNOWLEDGE, DRIVER, features, FEATURES_OK, queues,
 * DRIVER_OK (which may meet a ring another thread is scribbling on: the
 * caller checks the status). */
static void bring_up_unchecked(uint64_t features, bool use_msix)
{
    size_and_enable_bar();
    struct caps c = walk_caps();
    assert_int_equal(c.common, VIRTIO_PCI_COMMON_OFF);
    if (use_msix)
        program_msix(&c, 3);
    mmio_w(0x14, 1, 0);
    assert_int_equal(status(), 0);
    mmio_w(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE);
    mmio_w(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    mmio_w(0x00, 4, 0);
    uint64_t offered = mmio_r(0x04, 4);
    mmio_w(0x00, 4, 1);
    offered |= mmio_r(0x04, 4) << 32;
    assert_int_equal(features & ~offered, 0);
    mmio_w(0x08, 4, 0);
    mmio_w(0x0c, 4, (uint32_t)features);
    mmio_w(0x08, 4, 1);
    mmio_w(0x0c, 4, features >> 32);
    mmio_w(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
    assert_true(status() & VIRTIO_STATUS_FEATURES_OK);
    uint16_t nv = use_msix ? 0 : VIRTIO_MSI_NO_VECTOR;
    mmio_w(0x10, 2, nv);
    assert_int_equal(mmio_r(0x10, 2), nv);
    setup_queue(VIRTIO_NET_RXQ, RXQ_DESC, RXQ_AVAIL, RXQ_USED, use_msix ? 1 : VIRTIO_MSI_NO_VECTOR);
    setup_queue(VIRTIO_NET_TXQ, TXQ_DESC, TXQ_AVAIL, TXQ_USED, use_msix ? 2 : VIRTIO_MSI_NO_VECTOR);
    mmio_w(0x14, 1, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK |
                        VIRTIO_STATUS_DRIVER_OK);
}

static void bring_up(uint64_t features, bool use_msix)
{
    bring_up_unchecked(features, use_msix);
    assert_int_equal(mmio_r(0x14, 1), 0x0f);
}

#define BASE_FEATURES ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_NET_F_MAC) | (1ull << VIRTIO_NET_F_STATUS))

/* Driver-side queue bookkeeping */
struct dq {
    uint64_t desc, avail, used;
    uint16_t avail_idx;
    uint16_t free_desc;
};
static struct dq rxq, txq;

static void driver_queues_reset(void)
{
    rxq = (struct dq){RXQ_DESC, RXQ_AVAIL, RXQ_USED, 0, 0};
    txq = (struct dq){TXQ_DESC, TXQ_AVAIL, TXQ_USED, 0, 0};
}

static void publish(struct dq *q, uint16_t head)
{
    *avail_word(q->avail, 2 + (q->avail_idx % QSIZE)) = head;
    q->avail_idx++;
    *avail_word(q->avail, 1) = q->avail_idx;
}

static void notify(unsigned queue)
{
    mmio_w(VIRTIO_PCI_NOTIFY_OFF + queue * VIRTIO_PCI_NOTIFY_MULT, 2, queue);
}

/* Puts one descriptor at the next free slot; returns its index. */
static uint16_t put_desc(struct dq *q, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
    uint16_t i = q->free_desc++ % QSIZE;
    *desc(q->desc, i) = (struct virtq_desc){addr, len, flags, next};
    return i;
}

/* A frame in a buffer at slot b: virtio_net_hdr (zero) then the frame. */
static uint64_t tx_buffer(unsigned b, const uint8_t *frame, size_t len)
{
    uint64_t a = BUF_BASE + (uint64_t)b * BUF_STRIDE;
    assert_true(VIRTIO_NET_HDR_LEN + len <= BUF_STRIDE);
    memset(gpa(a), 0, VIRTIO_NET_HDR_LEN);
    memcpy(gpa(a + VIRTIO_NET_HDR_LEN), frame, len);
    return a;
}

static void make_frame(uint8_t *f, size_t len, unsigned seed)
{
    for (size_t i = 0; i < len; i++)
        f[i] = (uint8_t)(seed * 31 + i * 7);
}

/* Posts n receive buffers of len bytes each (one writable descriptor). */
static void post_rx(unsigned n, uint32_t len)
{
    for (unsigned i = 0; i < n; i++) {
        uint16_t slot = rxq.free_desc % QSIZE;
        uint64_t a = BUF_BASE + 0x40000 + (uint64_t)(slot % 64) * BUF_STRIDE;
        uint16_t d = put_desc(&rxq, a, len, VIRTQ_DESC_F_WRITE, 0);
        publish(&rxq, d);
    }
}

static unsigned msi_count_for(unsigned vector)
{
    unsigned n = 0;
    for (unsigned i = 0; i < msi.count; i++)
        if (msi.addr[i] == MSI_ADDR && msi.data[i] == MSI_DATA_BASE + vector)
            n++;
    return n;
}

static bool needs_reset(void)
{
    return (status() & VIRTIO_STATUS_NEEDS_RESET) != 0;
}
