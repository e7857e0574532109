/* SPDX-License-Identifier: GPL-2.0-only */
/* The virtio 1.x PCI transport, modern only (virtio_pci.h). */
#include "virtio_pci.h"
#include <string.h>

#define PCI_CAP_ID_MSIX 0x11
#define PCI_CAP_ID_VENDOR 0x09

#define MSIX_CAP_BYTES 12
#define MSIX_CONTROL 2 /* within the capability */
#define MSIX_TABLE 4
#define MSIX_PBA 8
#define MSIX_CTRL_ENABLE 0x8000u
#define MSIX_CTRL_MASKALL 0x4000u
#define MSIX_ENTRY_BYTES 16u
#define MSIX_ENTRY_ADDR_LO 0
#define MSIX_ENTRY_ADDR_HI 1
#define MSIX_ENTRY_DATA 2
#define MSIX_ENTRY_CTRL 3
#define MSIX_ENTRY_MASKED 1u
#define MSIX_BIR_BAR0 0u
#define MSIX_PBA_LEN 8u

/* struct virtio_pci_cap fields */
#define VCAP_LEN 2
#define VCAP_TYPE 3
#define VCAP_BAR 4
#define VCAP_OFFSET 8
#define VCAP_LENGTH 12
#define VCAP_NOTIFY_MULT 16
#define VCAP_PCI_CFG_DATA 16
#define VCAP_BYTES 16
#define VCAP_NOTIFY_BYTES 20
#define VCAP_PCI_CFG_BYTES 20
enum virtio_cap_type { VCAP_COMMON = 1, VCAP_NOTIFY_T = 2, VCAP_ISR_T = 3, VCAP_DEVICE_T = 4, VCAP_PCI_CFG_T = 5 };

/* Common configuration offsets (virtio 1.x 4.1.4.3) */
#define CC_DFSELECT 0x00
#define CC_DF 0x04
#define CC_GFSELECT 0x08
#define CC_GF 0x0c
#define CC_MSIX_CONFIG 0x10
#define CC_NUM_QUEUES 0x12
#define CC_STATUS 0x14
#define CC_CFG_GENERATION 0x15
#define CC_Q_SELECT 0x16
#define CC_Q_SIZE 0x18
#define CC_Q_MSIX 0x1a
#define CC_Q_ENABLE 0x1c
#define CC_Q_NOFF 0x1e
#define CC_Q_DESC_LO 0x20
#define CC_Q_AVAIL_LO 0x28
#define CC_Q_USED_LO 0x30

/* No VIRTIO_F_INDIRECT_DESC: optional, and Linux's virtio-net sends and
 * receives its frames in one or two descriptors without it. */
#define TRANSPORT_FEATURES ((1ull << VIRTIO_F_VERSION_1) | (1ull << VIRTIO_F_EVENT_IDX))

static uint64_t offered(const struct virtio_pci *vp)
{
    return vp->ops->features | TRANSPORT_FEATURES;
}

static bool access_ok(uint64_t off, unsigned size, uint64_t len)
{
    return (size == 1 || size == 2 || size == 4 || size == 8) && !(off & (size - 1)) && off < len &&
           size <= len - off;
}

/* ---- interrupts ---------------------------------------------------------- */

static uint16_t cfg16(const struct virtio_pci *vp, unsigned reg)
{
    return (uint16_t)pci_config_get(&vp->cfg, reg, 2);
}

static bool msix_enabled(const struct virtio_pci *vp)
{
    return cfg16(vp, vp->cap_msix + MSIX_CONTROL) & MSIX_CTRL_ENABLE;
}

static bool msix_vector_masked(const struct virtio_pci *vp, unsigned v)
{
    return (cfg16(vp, vp->cap_msix + MSIX_CONTROL) & MSIX_CTRL_MASKALL) ||
           (vp->msix_table[v][MSIX_ENTRY_CTRL] & MSIX_ENTRY_MASKED);
}

static void msix_fire(struct virtio_pci *vp, unsigned v)
{
    if (msix_vector_masked(vp, v)) {
        vp->msix_pending |= 1ull << v;
        return;
    }
    vp->msix_pending &= ~(1ull << v);
    const uint32_t *e = vp->msix_table[v];
    vmm_msi_send(((uint64_t)e[MSIX_ENTRY_ADDR_HI] << 32) | e[MSIX_ENTRY_ADDR_LO], e[MSIX_ENTRY_DATA]);
}

/* After an unmask: deliver what waited. */
static void msix_flush_pending(struct virtio_pci *vp)
{
    if (!msix_enabled(vp))
        return;
    for (unsigned v = 0; v < vp->msix_vectors; v++)
        if ((vp->msix_pending & (1ull << v)) && !msix_vector_masked(vp, v))
            msix_fire(vp, v);
}

/* MSI-X only: a driver that did not enable it gets no interrupts. */
static void interrupt_guest(struct virtio_pci *vp, uint16_t vector)
{
    if (msix_enabled(vp) && vector < vp->msix_vectors)
        msix_fire(vp, vector);
}

void virtio_pci_queue_interrupt(struct virtio_pci *vp, unsigned q)
{
    if (q < vp->ops->num_queues && virtq_should_interrupt(&vp->queues[q]))
        interrupt_guest(vp, vp->queue_vector[q]);
}

void virtio_pci_config_changed(struct virtio_pci *vp)
{
    vp->config_generation++;
    if (vp->status & VIRTIO_STATUS_DRIVER_OK)
        interrupt_guest(vp, vp->config_vector);
}

void virtio_pci_fail(struct virtio_pci *vp, const char *why)
{
    if (!vp->error)
        vp->error = why ? why : "device error";
    for (unsigned q = 0; q < vp->ops->num_queues; q++)
        virtq_break(&vp->queues[q], vp->error);
    if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
        return;
    vp->status |= VIRTIO_STATUS_NEEDS_RESET;
    virtio_pci_config_changed(vp);
}

static bool virtio_pci_negotiated(const struct virtio_pci *vp, unsigned feature_bit)
{
    return feature_bit < 64 && (vp->driver_features >> feature_bit) & 1;
}

bool virtio_pci_driver_ok(const struct virtio_pci *vp)
{
    const uint8_t live = VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK;
    return (vp->status & (live | VIRTIO_STATUS_NEEDS_RESET)) == live;
}

/* ---- device reset ---------------------------------------------------------- */

static void device_reset(struct virtio_pci *vp)
{
    vp->device_feature_select = vp->driver_feature_select = 0;
    vp->driver_features = 0;
    vp->status = 0;
    vp->queue_select = 0;
    vp->config_vector = VIRTIO_MSI_NO_VECTOR;
    vp->error = NULL;
    for (unsigned q = 0; q < VIRTIO_PCI_MAX_QUEUES; q++) {
        /* Forgets everything the driver set. */
        vp->queues[q] = (struct virtq){.size = q < vp->ops->num_queues ? vp->ops->queue_max : 0};
        vp->queue_vector[q] = VIRTIO_MSI_NO_VECTOR;
        vp->queue_enabled[q] = false;
    }
    if (vp->ops->reset)
        vp->ops->reset(vp);
}

/* ---- common configuration -------------------------------------------------- */

static struct virtq *selected_queue(struct virtio_pci *vp)
{
    return vp->queue_select < vp->ops->num_queues ? &vp->queues[vp->queue_select] : NULL;
}

static uint64_t common_read(struct virtio_pci *vp, unsigned off, unsigned size)
{
    uint8_t img[VIRTIO_PCI_COMMON_LEN] = {0};
    uint64_t df = vp->device_feature_select < 2 ? offered(vp) >> (32 * vp->device_feature_select) : 0;
    uint64_t gf = vp->driver_feature_select < 2 ? vp->driver_features >> (32 * vp->driver_feature_select) : 0;
    vmm_put_le(&img[CC_DFSELECT], 4, vp->device_feature_select);
    vmm_put_le(&img[CC_DF], 4, (uint32_t)df);
    vmm_put_le(&img[CC_GFSELECT], 4, vp->driver_feature_select);
    vmm_put_le(&img[CC_GF], 4, (uint32_t)gf);
    vmm_put_le(&img[CC_MSIX_CONFIG], 2, vp->config_vector);
    vmm_put_le(&img[CC_NUM_QUEUES], 2, vp->ops->num_queues);
    img[CC_STATUS] = vp->status;
    img[CC_CFG_GENERATION] = vp->config_generation;
    vmm_put_le(&img[CC_Q_SELECT], 2, vp->queue_select);
    struct virtq *q = selected_queue(vp);
    if (q) {
        unsigned i = vp->queue_select;
        vmm_put_le(&img[CC_Q_SIZE], 2, q->size);
        vmm_put_le(&img[CC_Q_MSIX], 2, vp->queue_vector[i]);
        vmm_put_le(&img[CC_Q_ENABLE], 2, vp->queue_enabled[i]);
        vmm_put_le(&img[CC_Q_NOFF], 2, i);
        vmm_put_le(&img[CC_Q_DESC_LO], 8, q->desc_gpa);
        vmm_put_le(&img[CC_Q_AVAIL_LO], 8, q->avail_gpa);
        vmm_put_le(&img[CC_Q_USED_LO], 8, q->used_gpa);
    }
    return vmm_get_le(&img[off], size);
}

static void set_status(struct virtio_pci *vp, uint8_t v)
{
    if (v == 0) {
        device_reset(vp);
        return;
    }
    uint8_t old = vp->status;
    uint8_t now = (uint8_t)(v | (old & VIRTIO_STATUS_NEEDS_RESET));
    if ((now & VIRTIO_STATUS_FEATURES_OK) && !(old & VIRTIO_STATUS_FEATURES_OK)) {
        bool ok = !(vp->driver_features & ~offered(vp)) && virtio_pci_negotiated(vp, VIRTIO_F_VERSION_1);
        if (!ok)
            now &= (uint8_t)~VIRTIO_STATUS_FEATURES_OK;
    }
    vp->status = now;
    if ((now & VIRTIO_STATUS_DRIVER_OK) && !(old & VIRTIO_STATUS_DRIVER_OK) && vp->ops->driver_ok &&
        virtio_pci_driver_ok(vp))
        vp->ops->driver_ok(vp);
}

static uint16_t checked_vector(const struct virtio_pci *vp, uint64_t v)
{
    /* A vector the table lacks reads back as NO_VECTOR: that is how the
     * driver learns it cannot have it. */
    return v < vp->msix_vectors ? (uint16_t)v : VIRTIO_MSI_NO_VECTOR;
}

static void enable_queue(struct virtio_pci *vp, unsigned i)
{
    struct virtq *q = &vp->queues[i];
    if (vp->queue_enabled[i])
        return;
    vp->queue_enabled[i] = true;
    if (!virtq_enable(q, vp->setup.ram, vp->ops->queue_max, virtio_pci_negotiated(vp, VIRTIO_F_EVENT_IDX)))
        virtio_pci_fail(vp, q->error);
    else if (vp->status & VIRTIO_STATUS_NEEDS_RESET)
        virtq_break(q, vp->error);
}

static void queue_write(struct virtio_pci *vp, unsigned off, unsigned size, uint64_t v)
{
    struct virtq *q = selected_queue(vp);
    if (!q)
        return; /* no such queue: ignored */
    unsigned i = vp->queue_select;
    if (off == CC_Q_MSIX && size == 2)
        vp->queue_vector[i] = checked_vector(vp, v);
    else if (off == CC_Q_ENABLE && size == 2 && v == 1)
        enable_queue(vp, i);
    else if (off == CC_Q_ENABLE || vp->queue_enabled[i])
        return; /* the geometry is fixed while enabled */
    else if (off == CC_Q_SIZE && size == 2)
        q->size = (uint16_t)v; /* checked when the queue is enabled */
    else if (off >= CC_Q_DESC_LO) { /* a ring address, or a part of one (access_ok: within it) */
        uint64_t *ring[] = {&q->desc_gpa, &q->avail_gpa, &q->used_gpa};
        vmm_put_le((uint8_t *)ring[(off - CC_Q_DESC_LO) / 8] + off % 8, size, v);
    }
}

static void common_write(struct virtio_pci *vp, unsigned off, unsigned size, uint64_t v)
{
    /* Each register takes only an access of its own width. */
    if (off == CC_DFSELECT && size == 4)
        vp->device_feature_select = (uint32_t)v;
    else if (off == CC_GFSELECT && size == 4)
        vp->driver_feature_select = (uint32_t)v;
    else if (off == CC_GF && size == 4 && vp->driver_feature_select < 2 && !(vp->status & VIRTIO_STATUS_FEATURES_OK))
        vmm_put_le((uint8_t *)&vp->driver_features + 4 * vp->driver_feature_select, 4, v);
    else if (off == CC_MSIX_CONFIG && size == 2)
        vp->config_vector = checked_vector(vp, v);
    else if (off == CC_STATUS && size == 1)
        set_status(vp, (uint8_t)v);
    else if (off == CC_Q_SELECT && size == 2)
        vp->queue_select = (uint16_t)v;
    else if (off >= CC_Q_SIZE)
        queue_write(vp, off, size, v);
}

/* ---- the other BAR structures ---------------------------------------------- */

/* The MSI-X table words an access at off covers, or NULL for a bad one.
 * The access_ok() alignment keeps an 8-byte access in one entry. */
static uint32_t *msix_words(struct virtio_pci *vp, uint64_t off, unsigned size)
{
    if ((size != 4 && size != 8) || !access_ok(off, size, (uint64_t)vp->msix_vectors * MSIX_ENTRY_BYTES))
        return NULL;
    return &vp->msix_table[off / MSIX_ENTRY_BYTES][off % MSIX_ENTRY_BYTES / 4];
}

static uint64_t msix_table_read(struct virtio_pci *vp, uint64_t off, unsigned size)
{
    const uint32_t *w = msix_words(vp, off, size);
    return w ? vmm_get_le(w, size) : 0;
}

static void msix_table_write(struct virtio_pci *vp, uint64_t off, unsigned size, uint64_t v)
{
    uint32_t *w = msix_words(vp, off, size);
    if (!w)
        return;
    vmm_put_le(w, size, v);
    vp->msix_table[off / MSIX_ENTRY_BYTES][MSIX_ENTRY_CTRL] &= MSIX_ENTRY_MASKED; /* the other control bits are reserved */
    msix_flush_pending(vp);
}

static void notify_write(struct virtio_pci *vp, uint64_t off, unsigned size)
{
    unsigned q = (unsigned)(off / VIRTIO_PCI_NOTIFY_MULT);
    bool ok = q < vp->ops->num_queues && !(off % VIRTIO_PCI_NOTIFY_MULT) && size <= VIRTIO_PCI_NOTIFY_MULT;
    if (ok && virtio_pci_driver_ok(vp) && vp->queues[q].live)
        vp->ops->notify(vp, q);
}

uint64_t virtio_pci_bar_read(void *opaque, uint64_t offset, unsigned size)
{
    struct virtio_pci *vp = opaque;
    if (access_ok(offset - VIRTIO_PCI_COMMON_OFF, size, VIRTIO_PCI_COMMON_LEN))
        return common_read(vp, (unsigned)offset, size);
    if (access_ok(offset - VIRTIO_PCI_ISR_OFF, size, VIRTIO_PCI_ISR_LEN))
        return 0; /* no INTx: nothing is ever pending there */
    if (offset >= VIRTIO_PCI_DEVCFG_OFF && access_ok(offset - VIRTIO_PCI_DEVCFG_OFF, size, vp->ops->cfg_len))
        return vp->ops->cfg_read(vp, (unsigned)(offset - VIRTIO_PCI_DEVCFG_OFF), size);
    if (offset >= VIRTIO_PCI_MSIX_TABLE_OFF && offset < VIRTIO_PCI_MSIX_PBA_OFF)
        return msix_table_read(vp, offset - VIRTIO_PCI_MSIX_TABLE_OFF, size);
    if (offset >= VIRTIO_PCI_MSIX_PBA_OFF && access_ok(offset - VIRTIO_PCI_MSIX_PBA_OFF, size, MSIX_PBA_LEN))
        return vp->msix_pending >> (8 * (offset - VIRTIO_PCI_MSIX_PBA_OFF));
    return 0; /* nothing there, or a malformed access */
}

void virtio_pci_bar_write(void *opaque, uint64_t offset, unsigned size, uint64_t value)
{
    struct virtio_pci *vp = opaque;
    if (access_ok(offset - VIRTIO_PCI_COMMON_OFF, size, VIRTIO_PCI_COMMON_LEN))
        common_write(vp, (unsigned)offset, size, value);
    else if (offset >= VIRTIO_PCI_NOTIFY_OFF &&
             offset < VIRTIO_PCI_NOTIFY_OFF + (uint64_t)vp->ops->num_queues * VIRTIO_PCI_NOTIFY_MULT)
        notify_write(vp, offset - VIRTIO_PCI_NOTIFY_OFF, size);
    else if (offset >= VIRTIO_PCI_MSIX_TABLE_OFF && offset < VIRTIO_PCI_MSIX_PBA_OFF)
        msix_table_write(vp, offset - VIRTIO_PCI_MSIX_TABLE_OFF, size, value);
    /* else ignored: ISR, device configuration and PBA are read-only */
}

/* ---- PCI configuration space ----------------------------------------------- */

static unsigned add_virtio_cap(struct virtio_pci *vp, unsigned len, enum virtio_cap_type type, uint32_t offset,
                               uint32_t length)
{
    unsigned at = pci_config_add_cap(&vp->cfg, PCI_CAP_ID_VENDOR, len);
    pci_config_put(&vp->cfg, at + VCAP_LEN, 1, len);
    pci_config_put(&vp->cfg, at + VCAP_TYPE, 1, type);
    pci_config_put(&vp->cfg, at + VCAP_OFFSET, 4, offset);
    pci_config_put(&vp->cfg, at + VCAP_LENGTH, 4, length);
    return at;
}

static void build_config_space(struct virtio_pci *vp)
{
    const struct virtio_dev_ops *ops = vp->ops;
    struct pci_config *c = &vp->cfg;
    uint16_t device = (uint16_t)(VIRTIO_PCI_DEVICE_ID_BASE + ops->virtio_type);
    pci_config_init(c, VIRTIO_PCI_VENDOR_ID, device, ops->class_code, VIRTIO_PCI_REVISION, vp->setup.bus);
    pci_config_put(c, PCI_SUBSYS_VENDOR, 2, VIRTIO_PCI_VENDOR_ID);
    pci_config_put(c, PCI_SUBSYS_ID, 2, device);
    pci_config_set_bar(c, VIRTIO_PCI_BAR_SIZE, virtio_pci_bar_read, virtio_pci_bar_write, vp);
    pci_config_put(c, PCI_BAR0, 4, vp->setup.bar_base); /* where firmware would put it; decoding stays off */

    vp->cap_msix = pci_config_add_cap(c, PCI_CAP_ID_MSIX, MSIX_CAP_BYTES);
    pci_config_put(c, vp->cap_msix + MSIX_CONTROL, 2, vp->msix_vectors - 1);
    pci_config_set_writable(c, vp->cap_msix + MSIX_CONTROL, 2, MSIX_CTRL_ENABLE | MSIX_CTRL_MASKALL);
    pci_config_put(c, vp->cap_msix + MSIX_TABLE, 4, VIRTIO_PCI_MSIX_TABLE_OFF | MSIX_BIR_BAR0);
    pci_config_put(c, vp->cap_msix + MSIX_PBA, 4, VIRTIO_PCI_MSIX_PBA_OFF | MSIX_BIR_BAR0);

    add_virtio_cap(vp, VCAP_BYTES, VCAP_COMMON, VIRTIO_PCI_COMMON_OFF, VIRTIO_PCI_COMMON_LEN);
    unsigned notify = add_virtio_cap(vp, VCAP_NOTIFY_BYTES, VCAP_NOTIFY_T, VIRTIO_PCI_NOTIFY_OFF,
                                     ops->num_queues * VIRTIO_PCI_NOTIFY_MULT);
    pci_config_put(c, notify + VCAP_NOTIFY_MULT, 4, VIRTIO_PCI_NOTIFY_MULT);
    add_virtio_cap(vp, VCAP_BYTES, VCAP_ISR_T, VIRTIO_PCI_ISR_OFF, VIRTIO_PCI_ISR_LEN);
    add_virtio_cap(vp, VCAP_BYTES, VCAP_DEVICE_T, VIRTIO_PCI_DEVCFG_OFF, ops->cfg_len);
    /* The access window: the driver picks bar, offset and length. */
    vp->cap_pci_cfg = add_virtio_cap(vp, VCAP_PCI_CFG_BYTES, VCAP_PCI_CFG_T, 0, 0);
    pci_config_set_writable(c, vp->cap_pci_cfg + VCAP_BAR, 1, 0xff);
    pci_config_set_writable(c, vp->cap_pci_cfg + VCAP_OFFSET, 4, 0xffffffffu);
    pci_config_set_writable(c, vp->cap_pci_cfg + VCAP_LENGTH, 4, 0xffffffffu);
}

/* The VIRTIO_PCI_CAP_PCI_CFG window: an access to BAR0 through config space. */
static bool pci_cfg_window(struct virtio_pci *vp, unsigned reg, unsigned size, uint32_t *value, bool write)
{
    unsigned data = vp->cap_pci_cfg + VCAP_PCI_CFG_DATA;
    if (reg < data || reg >= data + 4)
        return false;
    uint32_t off = pci_config_get(&vp->cfg, vp->cap_pci_cfg + VCAP_OFFSET, 4);
    uint32_t len = pci_config_get(&vp->cfg, vp->cap_pci_cfg + VCAP_LENGTH, 4);
    uint32_t bar = pci_config_get(&vp->cfg, vp->cap_pci_cfg + VCAP_BAR, 1);
    bool ok = reg == data && size == len && bar == 0 && off < VIRTIO_PCI_BAR_SIZE;
    if (ok && write)
        virtio_pci_bar_write(vp, off, size, *value);
    if (!write)
        *value = ok ? (uint32_t)virtio_pci_bar_read(vp, off, size) : 0;
    return true;
}

uint32_t virtio_pci_cfg_read(void *opaque, unsigned reg, unsigned size)
{
    struct virtio_pci *vp = opaque; /* the host bridge passes only aligned accesses of 1, 2 or 4 bytes */
    uint32_t v;
    if (pci_cfg_window(vp, reg, size, &v, false))
        return v;
    return pci_config_read(&vp->cfg, reg, size);
}

void virtio_pci_cfg_write(void *opaque, unsigned reg, unsigned size, uint32_t value)
{
    struct virtio_pci *vp = opaque;
    if (pci_cfg_window(vp, reg, size, &value, true))
        return;
    pci_config_write(&vp->cfg, reg, size, value);
    msix_flush_pending(vp); /* MSI-X enable or function mask may have changed */
}

bool virtio_pci_init(struct virtio_pci *vp, const struct virtio_dev_ops *ops, void *dev,
                     const struct virtio_pci_setup *setup)
{
    if (setup->bar_base & (VIRTIO_PCI_BAR_SIZE - 1))
        return false; /* ops are the device type's constants (virtio_pci.h says what they must be) */
    memset(vp, 0, sizeof(*vp));
    vp->ops = ops;
    vp->dev = dev;
    vp->setup = *setup;
    vp->msix_vectors = ops->num_queues + 1u;
    for (unsigned v = 0; v < VIRTIO_PCI_MAX_VECTORS; v++)
        vp->msix_table[v][MSIX_ENTRY_CTRL] = MSIX_ENTRY_MASKED;
    build_config_space(vp);
    device_reset(vp);
    return true;
}
