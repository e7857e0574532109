/* SPDX-License-Identifier: GPL-2.0-only */
/* The rogue's device (rogue_device.h). It also provides what servers/nic's
 * virtio transport and ring code expect from a driver (nic_hw.h): DMA
 * pages, their device addresses, a log. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/component.h"
#include "lib/pci.h"
#include "lib/syscall.h"
#include "servers/nic/nic_hw.h"
#include "servers/nic/virtio_pci.h"
#include "servers/nic/virtio_ring.h"
#include "roguenic.h"
#include "rogue_device.h"

#define VIRTIO_VENDOR 0x1af4
#define VIRTIO_NET_MODERN 0x1041
#define RX_QUEUE 0
#define TX_QUEUE 1
#define QUEUE_SIZE 64 /* ROGUE_BURST_MAX */
#define DRAIN_BUFFERS 8
#define BAR_VA (DJ_CHILD_FREE_VA + (1ull << 30))
#define BAR_SLOT (1ull << 28)
#define DMA_REGION_BYTES (16ull << 20)
#define TX_WAIT_STEPS 400 /* of TX_WAIT_STEP_US: 2 s */
#define TX_WAIT_STEP_US 5000
#define SPIN_POLLS 1000000
#define SEL_TIMER_SM (DJ_CHILD_FIRST_FREE + 9)
#define LOG_LINE_BYTES 160
#define DRAIN_QUIET_STEPS 10 /* of TX_WAIT_STEP_US without a frame: drained */
#define DRAIN_MAX 100000

static struct dj_pci_dev pci;
static struct nic_env env;
static struct virtio_pci vp;
static struct virtq rxq, txq;
static uint64_t dma_next, dma_end;
static uint8_t *drain_area; /* DRAIN_BUFFERS receive buffers */

void nic_log(const char *fmt, ...)
{
    char line[LOG_LINE_BYTES];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    say("virtio: %s", line);
}

void *nic_dma_pages(size_t pages)
{
    if (pages == 0 || pages > (dma_end - dma_next) / ROGUE_PAGE)
        return NULL;
    uint64_t va = dma_next;
    for (size_t i = 0; i < pages; i++)
        if (dj_mem_alloc(va + i * ROGUE_PAGE, 0, DJ_MEM_R | DJ_MEM_W | DJ_MEM_DMA) != DJ_OK)
            return NULL;
    dma_next += pages * ROGUE_PAGE;
    return (void *)(uintptr_t)va;
}

/* VT-d on: device address = virtual address (the rogue never runs without it). */
uint64_t nic_dma_addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

uint64_t nic_dma_device(void)
{
    return ROGUE_SEL_DEVICE;
}

void *rogue_dma_page(void)
{
    return nic_dma_pages(1);
}

static bool open_function(uint64_t pt)
{
    enum dj_status st = dj_pci_open(pt, &pci);
    if (st != DJ_OK || pci.vendor != VIRTIO_VENDOR || pci.device != VIRTIO_NET_MODERN) {
        say("no modern virtio-net function from the PCI server (status %d, %04x:%04x)", st, pci.vendor, pci.device);
        return false;
    }
    if ((st = dj_pci_reset(&pci)) == DJ_OK)
        st = dj_pci_command(&pci, DJ_PCI_CMD_MEMORY | DJ_PCI_CMD_INTX_DISABLE, DJ_PCI_CMD_IO);
    if (st != DJ_OK) {
        say("PCI reset or command refused (status %d)", st);
        return false;
    }
    env.pci = &pci;
    for (unsigned i = 0; i < DJ_PCI_BARS; i++) {
        const struct dj_pci_bar *b = &pci.bar[i];
        if (b->size && !(b->flags & DJ_PCI_BAR_IO) && b->size <= BAR_SLOT &&
            dj_pci_map_bar(&pci, i, BAR_VA + i * BAR_SLOT, &env.bar[i]) != DJ_OK)
            env.bar[i] = NULL;
    }
    return virtio_pci_find(&vp, &env);
}

bool rogue_device_open(const struct dj_start_info *si, uint64_t dma_va, uint64_t fault_sm)
{
    uint64_t pt;
    dma_next = dma_va;
    dma_end = dma_va + DMA_REGION_BYTES;
    if (!dj_start_cap("pci", &pt) || !open_function(pt))
        return false;
    if (si->dma_bits < 64 && dma_end > (1ull << si->dma_bits)) {
        say("device addresses have %u bits: the DMA region does not fit", si->dma_bits);
        return false;
    }
    enum dj_status st = dj_pci_device(&pci, ROGUE_SEL_DEVICE);
    if (st == DJ_OK)
        st = dj_dev_ctrl(ROGUE_SEL_DEVICE, DJ_DEV_OP_ASSIGN, DJ_SEL_SELF_PD, fault_sm);
    if (st == DJ_OK)
        st = dj_create_sm(SEL_TIMER_SM, DJ_SEL_SELF_PD, 0);
    if (st != DJ_OK) {
        say("device capability, assignment or timer: status %d", st);
        return false;
    }
    if (!virtio_pci_reset(&vp))
        return false;
    if ((st = dj_pci_command(&pci, DJ_PCI_CMD_BUS_MASTER, 0)) != DJ_OK) {
        say("bus mastering refused (status %d)", st);
        return false;
    }
    uint16_t rx_max = virtio_pci_queue_max(&vp, RX_QUEUE), tx_max = virtio_pci_queue_max(&vp, TX_QUEUE);
    if (rx_max < QUEUE_SIZE || tx_max < QUEUE_SIZE || !virtq_alloc(&rxq, RX_QUEUE, QUEUE_SIZE) ||
        !virtq_alloc(&txq, TX_QUEUE, QUEUE_SIZE) ||
        !(drain_area = nic_dma_pages(DRAIN_BUFFERS * ROGUE_RX_BYTES / ROGUE_PAGE))) {
        say("queues: the device allows %u and %u entries, or no memory", rx_max, tx_max);
        return false;
    }
    return true;
}

struct rogue_queue_at rogue_queue_own(void)
{
    return (struct rogue_queue_at){txq.desc_bus, txq.avail_bus, txq.used_bus};
}

const char *rogue_outcome_name(enum rogue_outcome o)
{
    static const char *const names[] = {"done", "refused", "no answer", "broken"};
    return o < sizeof(names) / sizeof(names[0]) ? names[o] : "?";
}

static bool needs_reset(void)
{
    return virtio_pci_status(&vp) & VIRTIO_STATUS_NEEDS_RESET;
}

/* A queue as virtq_alloc left it, for a device fresh from reset. */
static void queue_forget(struct virtq *q)
{
    memset((void *)q->desc, 0, ROGUE_PAGE);
    memset((void *)q->avail, 0, ROGUE_PAGE);
    memset((void *)q->used, 0, ROGUE_PAGE);
    q->avail_idx = q->avail_published = q->used_idx = 0;
    memset(q->posted, 0, sizeof(q->posted));
    q->broken = false;
}

enum rogue_outcome rogue_device_up(struct rogue_queue_at at)
{
    if (!virtio_pci_reset(&vp))
        return ROGUE_BROKEN;
    queue_forget(&rxq);
    queue_forget(&txq);
    virtio_pci_add_status(&vp, VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
    uint64_t want = VIRTIO_F_VERSION_1 | VIRTIO_F_ACCESS_PLATFORM;
    if ((virtio_pci_device_features(&vp) & want) != want || !virtio_pci_set_features(&vp, want)) {
        say("the device does not take VERSION_1 and ACCESS_PLATFORM (iommu_platform=on?)");
        return ROGUE_BROKEN;
    }
    struct virtq q = txq;
    q.desc_bus = at.desc;
    q.avail_bus = at.avail;
    q.used_bus = at.used;
    bool vector_ok;
    if (!virtio_pci_queue_enable(&vp, &rxq, VIRTIO_MSI_NO_VECTOR, &vector_ok) ||
        !virtio_pci_queue_enable(&vp, &q, VIRTIO_MSI_NO_VECTOR, &vector_ok))
        return ROGUE_BROKEN;
    txq.notify = q.notify;
    if (needs_reset())
        return ROGUE_REFUSED;
    virtio_pci_add_status(&vp, VIRTIO_STATUS_DRIVER_OK);
    return needs_reset() ? ROGUE_REFUSED : ROGUE_DONE;
}

/* Until the device returns every buffer posted on q (or flags an error):
 * polled without a pause first (a storm runs as fast as the device), then
 * in steps of TX_WAIT_STEP_US. */
static enum rogue_outcome wait_returned(struct virtq *q, unsigned want, uint32_t *len)
{
    unsigned got = 0;
    for (unsigned step = 0; step < SPIN_POLLS + TX_WAIT_STEPS; step++) {
        uint16_t id;
        uint32_t used_len;
        while (got < want && virtq_take(q, &id, &used_len) == VIRTQ_TAKEN) {
            got++;
            if (len)
                *len = used_len;
        }
        if (got == want)
            return ROGUE_DONE;
        if (step >= SPIN_POLLS) {
            if (needs_reset())
                return ROGUE_REFUSED;
            dj_sm_down_timeout(SEL_TIMER_SM, TX_WAIT_STEP_US);
        } else {
            __builtin_ia32_pause();
        }
    }
    return ROGUE_NO_ANSWER;
}

enum rogue_outcome rogue_device_tx_burst(uint64_t bus, unsigned n)
{
    _Static_assert(ROGUE_BURST_MAX <= QUEUE_SIZE, "a burst fits the queue");
    if (n == 0 || n > ROGUE_BURST_MAX)
        return ROGUE_BROKEN;
    for (uint16_t id = 0; id < n; id++) {
        virtq_set_buffer(&txq, id, bus, ROGUE_NET_HDR + ROGUE_FRAME, false);
        if (!virtq_post(&txq, id, ROGUE_NET_HDR + ROGUE_FRAME))
            return ROGUE_BROKEN;
    }
    virtq_publish(&txq);
    virtq_kick(&txq);
    return wait_returned(&txq, n, NULL);
}

enum rogue_outcome rogue_device_tx(uint64_t bus)
{
    return rogue_device_tx_burst(bus, 1);
}

void rogue_device_rx_post(uint64_t bus)
{
    virtq_set_buffer(&rxq, 0, bus, ROGUE_RX_BYTES, true);
    virtq_post(&rxq, 0, 0);
    virtq_publish(&rxq);
    virtq_kick(&rxq);
}

unsigned rogue_device_rx_drain(void)
{
    if (rogue_device_up(rogue_queue_own()) != ROGUE_DONE)
        return 0;
    for (uint16_t id = 0; id < DRAIN_BUFFERS; id++) {
        virtq_set_buffer(&rxq, id, nic_dma_addr(drain_area + id * ROGUE_RX_BYTES), ROGUE_RX_BYTES, true);
        virtq_post(&rxq, id, 0);
    }
    virtq_publish(&rxq);
    virtq_kick(&rxq);
    unsigned total = 0;
    for (unsigned quiet = 0; quiet < DRAIN_QUIET_STEPS && total < DRAIN_MAX;) {
        uint16_t id;
        uint32_t len;
        unsigned took = 0;
        while (virtq_take(&rxq, &id, &len) == VIRTQ_TAKEN) {
            virtq_post(&rxq, id, 0);
            took++;
        }
        if (took) {
            virtq_publish(&rxq);
            virtq_kick(&rxq);
            total += took;
            quiet = 0;
        } else {
            quiet++;
            dj_sm_down_timeout(SEL_TIMER_SM, TX_WAIT_STEP_US);
        }
    }
    return total;
}

enum rogue_outcome rogue_device_rx_wait(uint32_t *len)
{
    return wait_returned(&rxq, 1, len);
}

bool rogue_device_faults(uint64_t *count, uint64_t *last)
{
    return dj_dev_faults(ROGUE_SEL_DEVICE, count, last) == DJ_OK;
}
