/* SPDX-License-Identifier: GPL-2.0-only */
/* The modern virtio PCI transport: see virtio_pci.h. Offsets and
 * capability layout from the virtio 1.x specification, 4.1.4. */
#include <stddef.h>
#include <stdint.h>
#include "lib/pci.h"
#include "virtio_pci.h"

/* Configuration space: the capability list. */
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define PCI_CAP_POINTER 0x34
#define PCI_CAP_POINTER_MASK 0xfc
#define PCI_CAP_FIRST_OFFSET 0x40 /* capabilities live after the header */
#define PCI_CFG_SIZE 256
#define PCI_CAP_ID 0
#define PCI_CAP_NEXT 1
#define PCI_CAP_MAX_WALK 48 /* (256 - 64) / 4: more means a loop */

/* struct virtio_pci_cap, after the generic id and next bytes. */
#define VCAP_LEN 2
#define VCAP_CFG_TYPE 3
#define VCAP_BAR 4
#define VCAP_OFFSET 8
#define VCAP_LENGTH 12
#define VCAP_NOTIFY_MULTIPLIER 16 /* struct virtio_pci_notify_cap */
#define VCAP_MIN_LEN 16
#define VCAP_NOTIFY_MIN_LEN 20
#define VIRTIO_CAP_COMMON 1
#define VIRTIO_CAP_NOTIFY 2
#define VIRTIO_CAP_ISR 3 /* only for INTx, which this driver never uses */
#define VIRTIO_CAP_DEVICE 4

/* struct virtio_pci_common_cfg. */
#define CC_DEVICE_FEATURE_SELECT 0x00
#define CC_DEVICE_FEATURE 0x04
#define CC_DRIVER_FEATURE_SELECT 0x08
#define CC_DRIVER_FEATURE 0x0c
#define CC_CONFIG_MSIX_VECTOR 0x10
#define CC_NUM_QUEUES 0x12
#define CC_DEVICE_STATUS 0x14
#define CC_CONFIG_GENERATION 0x15
#define CC_QUEUE_SELECT 0x16
#define CC_QUEUE_SIZE 0x18
#define CC_QUEUE_MSIX_VECTOR 0x1a
#define CC_QUEUE_ENABLE 0x1c
#define CC_QUEUE_NOTIFY_OFF 0x1e
#define CC_QUEUE_DESC 0x20
#define CC_QUEUE_DRIVER 0x28
#define CC_QUEUE_DEVICE 0x30
#define CC_SIZE 0x38

#define RESET_WAIT_LIMIT 1000000 /* status reads before a reset counts as failed */
#define CONFIG_READ_TRIES 16

static uint8_t rd8(volatile uint8_t *b, unsigned off) { return *(volatile uint8_t *)(b + off); }
static uint16_t rd16(volatile uint8_t *b, unsigned off) { return *(volatile uint16_t *)(b + off); }
static uint32_t rd32(volatile uint8_t *b, unsigned off) { return *(volatile uint32_t *)(b + off); }
static void wr8(volatile uint8_t *b, unsigned off, uint8_t v) { *(volatile uint8_t *)(b + off) = v; }
static void wr16(volatile uint8_t *b, unsigned off, uint16_t v) { *(volatile uint16_t *)(b + off) = v; }
static void wr32(volatile uint8_t *b, unsigned off, uint32_t v) { *(volatile uint32_t *)(b + off) = v; }

/* 64-bit fields as two 32-bit halves (4.1.3.1 allows it). */
static void wr64(volatile uint8_t *b, unsigned off, uint64_t v)
{
    wr32(b, off, (uint32_t)v);
    wr32(b, off + 4, (uint32_t)(v >> 32));
}

struct vcap {
    uint8_t bar;
    uint32_t offset, length, multiplier;
};

static bool cfg(struct nic_env *env, unsigned off, unsigned width, uint32_t *v)
{
    return dj_pci_cfg_read(env->pci, off, width, v) == DJ_OK;
}

/* Reads the virtio capability at pos; false if it is malformed. */
static bool read_vcap(struct nic_env *env, unsigned pos, uint32_t *type, struct vcap *c)
{
    uint32_t len = 0, bar = 0;
    if (!cfg(env, pos + VCAP_LEN, 1, &len) || !cfg(env, pos + VCAP_CFG_TYPE, 1, type) ||
        !cfg(env, pos + VCAP_BAR, 1, &bar) || !cfg(env, pos + VCAP_OFFSET, 4, &c->offset) ||
        !cfg(env, pos + VCAP_LENGTH, 4, &c->length) || len < VCAP_MIN_LEN)
        return false;
    c->bar = (uint8_t)bar;
    c->multiplier = 0;
    if (*type == VIRTIO_CAP_NOTIFY &&
        (len < VCAP_NOTIFY_MIN_LEN || !cfg(env, pos + VCAP_NOTIFY_MULTIPLIER, 4, &c->multiplier)))
        return false;
    return true;
}

/* The structure's address, if it lies whole inside a mapped memory BAR
 * (the device says where; the driver checks before it dereferences). */
static volatile uint8_t *locate(struct nic_env *env, const struct vcap *c)
{
    if (c->bar >= DJ_PCI_BARS || !env->bar[c->bar] || c->length == 0 ||
        (uint64_t)c->offset + c->length > env->pci->bar[c->bar].size)
        return NULL;
    return (volatile uint8_t *)env->bar[c->bar] + c->offset;
}

/* Keeps the first usable structure of each type (4.1.4: a driver uses
 * the first one it can). */
static void take(struct virtio_pci *vp, uint32_t type, const struct vcap *c)
{
    volatile uint8_t *p = locate(vp->env, c);
    if (!p)
        return;
    if (type == VIRTIO_CAP_COMMON && !vp->common && c->length >= CC_SIZE) {
        vp->common = p;
    } else if (type == VIRTIO_CAP_NOTIFY && !vp->notify) {
        vp->notify = p;
        vp->notify_len = c->length;
        vp->notify_multiplier = c->multiplier;
    } else if (type == VIRTIO_CAP_DEVICE && !vp->device) {
        vp->device = p;
        vp->device_len = c->length;
    }
}

bool virtio_pci_find(struct virtio_pci *vp, struct nic_env *env)
{
    *vp = (struct virtio_pci){.env = env};
    uint32_t status = 0, pos = 0;
    if (!cfg(env, PCI_STATUS, 2, &status) || !(status & PCI_STATUS_CAP_LIST) || !cfg(env, PCI_CAP_POINTER, 1, &pos)) {
        nic_log("no PCI capability list");
        return false;
    }
    for (unsigned walked = 0; walked < PCI_CAP_MAX_WALK; walked++) {
        pos &= PCI_CAP_POINTER_MASK;
        if (pos < PCI_CAP_FIRST_OFFSET || pos >= PCI_CFG_SIZE)
            break;
        uint32_t id = 0, next = 0, type = 0;
        struct vcap c;
        if (!cfg(env, pos + PCI_CAP_ID, 1, &id) || !cfg(env, pos + PCI_CAP_NEXT, 1, &next))
            break;
        if (id == DJ_PCI_CAP_VENDOR && read_vcap(env, pos, &type, &c))
            take(vp, type, &c);
        pos = next;
    }
    if (!vp->common || !vp->notify || !vp->device) {
        nic_log("virtio structures missing or outside the BARs:%s%s%s", vp->common ? "" : " common",
                vp->notify ? "" : " notify", vp->device ? "" : " device");
        return false;
    }
    return true;
}

uint8_t virtio_pci_status(struct virtio_pci *vp)
{
    return rd8(vp->common, CC_DEVICE_STATUS);
}

void virtio_pci_add_status(struct virtio_pci *vp, uint8_t bits)
{
    wr8(vp->common, CC_DEVICE_STATUS, virtio_pci_status(vp) | bits);
}

bool virtio_pci_reset(struct virtio_pci *vp)
{
    wr8(vp->common, CC_DEVICE_STATUS, 0);
    for (unsigned i = 0; i < RESET_WAIT_LIMIT; i++)
        if (virtio_pci_status(vp) == 0)
            return true;
    nic_log("device does not complete its reset (status %#x)", virtio_pci_status(vp));
    return false;
}

uint64_t virtio_pci_device_features(struct virtio_pci *vp)
{
    wr32(vp->common, CC_DEVICE_FEATURE_SELECT, 0);
    uint64_t low = rd32(vp->common, CC_DEVICE_FEATURE);
    wr32(vp->common, CC_DEVICE_FEATURE_SELECT, 1);
    return (uint64_t)rd32(vp->common, CC_DEVICE_FEATURE) << 32 | low;
}

bool virtio_pci_set_features(struct virtio_pci *vp, uint64_t features)
{
    wr32(vp->common, CC_DRIVER_FEATURE_SELECT, 0);
    wr32(vp->common, CC_DRIVER_FEATURE, (uint32_t)features);
    wr32(vp->common, CC_DRIVER_FEATURE_SELECT, 1);
    wr32(vp->common, CC_DRIVER_FEATURE, (uint32_t)(features >> 32));
    virtio_pci_add_status(vp, VIRTIO_STATUS_FEATURES_OK);
    return (virtio_pci_status(vp) & VIRTIO_STATUS_FEATURES_OK) != 0;
}

void virtio_pci_no_config_vector(struct virtio_pci *vp)
{
    wr16(vp->common, CC_CONFIG_MSIX_VECTOR, VIRTIO_MSI_NO_VECTOR);
}

uint16_t virtio_pci_queue_max(struct virtio_pci *vp, uint16_t index)
{
    if (index >= rd16(vp->common, CC_NUM_QUEUES))
        return 0;
    wr16(vp->common, CC_QUEUE_SELECT, index);
    return rd16(vp->common, CC_QUEUE_SIZE);
}

bool virtio_pci_queue_enable(struct virtio_pci *vp, struct virtq *q, uint16_t vector, bool *vector_ok)
{
    volatile uint8_t *cc = vp->common;
    wr16(cc, CC_QUEUE_SELECT, q->index);
    uint64_t doorbell = (uint64_t)rd16(cc, CC_QUEUE_NOTIFY_OFF) * vp->notify_multiplier;
    if (doorbell + sizeof(uint16_t) > vp->notify_len) {
        nic_log("queue %u: doorbell at %#lx is outside the notification area (%u bytes)", q->index,
                (unsigned long)doorbell, vp->notify_len);
        return false;
    }
    q->notify = (volatile uint16_t *)(vp->notify + doorbell);
    wr16(cc, CC_QUEUE_SIZE, q->size);
    wr16(cc, CC_QUEUE_MSIX_VECTOR, vector);
    /* The device answers NO_VECTOR when it could not take the vector. */
    *vector_ok = vector == VIRTIO_MSI_NO_VECTOR || rd16(cc, CC_QUEUE_MSIX_VECTOR) == vector;
    wr64(cc, CC_QUEUE_DESC, q->desc_bus);
    wr64(cc, CC_QUEUE_DRIVER, q->avail_bus);
    wr64(cc, CC_QUEUE_DEVICE, q->used_bus);
    wr16(cc, CC_QUEUE_ENABLE, 1);
    return true;
}

bool virtio_pci_read_config(struct virtio_pci *vp, unsigned offset, void *buf, unsigned len)
{
    uint8_t *out = buf;
    if ((uint64_t)offset + len > vp->device_len)
        return false;
    for (unsigned tries = 0; tries < CONFIG_READ_TRIES; tries++) {
        uint8_t before = rd8(vp->common, CC_CONFIG_GENERATION);
        for (unsigned i = 0; i < len; i++)
            out[i] = rd8(vp->device, offset + i);
        if (rd8(vp->common, CC_CONFIG_GENERATION) == before)
            return true;
    }
    return false;
}
