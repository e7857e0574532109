/* SPDX-License-Identifier: BSD-2-Clause */
/* Client side of the PCI server's protocol: see pci.h. Every call uses
 * the main EC's UTCB (dj_utcb()), like printf on the console: call these
 * from the main EC only. Replies are checked for their shape before a
 * word is used. */
#include "lib/pci.h"
#include "lib/proto.h"
#include "lib/syscall.h"
#include "lib/utcb.h"

#define PAGE 4096ull
#define PAGE_SHIFT 12
#define REPLY_VALUE_WORDS 2
#define IO_BAR_FLAG_BITS 0x3 /* an I/O BAR's base is 4-byte aligned: only the I/O bit is a flag */
#define CAP_LIST_MAX 48      /* capabilities that fit above the standard header */
#define CAP_FIRST 0x40
#define CAP_PTR_MASK 0xfc
#define REG_COMMAND 0x04
#define REG_STATUS 0x06
#define REG_CAP_PTR 0x34
#define STATUS_CAP_LIST 0x10

/* Sends words [0, n) and returns the reply's status; *reply_words gets
 * how many words came back. */
static enum dj_status call(uint64_t pt, unsigned n, unsigned *reply_words)
{
    struct dj_utcb *u = dj_utcb();
    uint64_t out = 0;
    enum dj_status st = dj_call(pt, DJ_MTD(n, 0), &out);
    *reply_words = (unsigned)DJ_MTD_UNTYPED(out);
    if (st != DJ_OK)
        return st;
    return *reply_words >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
}

static void decode_bar(uint64_t word, uint64_t size, struct dj_pci_bar *b)
{
    uint64_t flag_bits = word & DJ_PCI_BAR_IO ? IO_BAR_FLAG_BITS : DJ_PCI_BAR_FLAGS;
    b->flags = (uint32_t)(word & flag_bits);
    b->base = word & ~flag_bits;
    b->size = size;
}

enum dj_status dj_pci_open(uint64_t pt, struct dj_pci_dev *d)
{
    struct dj_utcb *u = dj_utcb();
    unsigned words;
    u->words[0] = DJ_PCI_OP_INFO;
    enum dj_status st = call(pt, 1, &words);
    if (st != DJ_OK)
        return st;
    if (words != DJ_PCI_INFO_WORDS)
        return DJ_E_BAD_PARAM;
    d->pt = pt;
    d->bdf = (uint32_t)u->words[1];
    d->vendor = (uint16_t)u->words[2];
    d->device = (uint16_t)(u->words[2] >> 16);
    d->class_rev = (uint32_t)u->words[3];
    d->subsys_vendor = (uint16_t)u->words[4];
    d->subsys = (uint16_t)(u->words[4] >> 16);
    for (unsigned i = 0; i < DJ_PCI_BARS; i++)
        decode_bar(u->words[5 + 2 * i], u->words[6 + 2 * i], &d->bar[i]);
    return DJ_OK;
}

enum dj_status dj_pci_cfg_read(const struct dj_pci_dev *d, unsigned offset, unsigned width, uint32_t *value)
{
    struct dj_utcb *u = dj_utcb();
    unsigned words;
    u->words[0] = DJ_PCI_OP_CFG_READ;
    u->words[1] = offset;
    u->words[2] = width;
    enum dj_status st = call(d->pt, 3, &words);
    if (st != DJ_OK)
        return st;
    if (words != REPLY_VALUE_WORDS)
        return DJ_E_BAD_PARAM;
    *value = (uint32_t)u->words[1];
    return DJ_OK;
}

enum dj_status dj_pci_cfg_write(const struct dj_pci_dev *d, unsigned offset, unsigned width, uint32_t value)
{
    struct dj_utcb *u = dj_utcb();
    unsigned words;
    u->words[0] = DJ_PCI_OP_CFG_WRITE;
    u->words[1] = offset;
    u->words[2] = width;
    u->words[3] = value;
    return call(d->pt, 4, &words);
}

/* The smallest order with 2^order >= n. */
static unsigned order_of(uint64_t n)
{
    unsigned order = 0;
    while ((1ull << order) < n)
        order++;
    return order;
}

enum dj_status dj_pci_map_bar(const struct dj_pci_dev *d, unsigned bar, uint64_t va, volatile void **out)
{
    if (bar >= DJ_PCI_BARS || !d->bar[bar].size || (va & (PAGE - 1)))
        return DJ_E_BAD_PARAM;
    const struct dj_pci_bar *b = &d->bar[bar];
    struct dj_utcb *u = dj_utcb();
    bool io = b->flags & DJ_PCI_BAR_IO;
    uint64_t offset = b->base & (PAGE - 1), pages = (offset + b->size + PAGE - 1) / PAGE;
    /* Ports keep their numbers; memory lands at va. */
    u->recv_window = io ? DJ_CRD(DJ_CRD_IO, b->base, order_of(b->size), DJ_IO_ACCESS)
                        : dj_mem_window(va >> PAGE_SHIFT, pages);
    u->words[0] = DJ_PCI_OP_MAP_BAR;
    u->words[1] = bar;
    u->words[2] = va >> PAGE_SHIFT;
    unsigned words;
    enum dj_status st = call(d->pt, 3, &words);
    u->recv_window = 0; /* nothing else may land here */
    if (st != DJ_OK)
        return st;
    if (words != REPLY_VALUE_WORDS || u->words[1] != b->size)
        return DJ_E_BAD_PARAM;
    if (out)
        *out = io ? NULL : (volatile void *)(uintptr_t)(va + offset);
    return DJ_OK;
}

enum dj_status dj_pci_reset(const struct dj_pci_dev *d)
{
    struct dj_utcb *u = dj_utcb();
    unsigned words;
    u->words[0] = DJ_PCI_OP_RESET;
    enum dj_status st = call(d->pt, 1, &words);
    if (st == DJ_OK && words != REPLY_VALUE_WORDS)
        return DJ_E_BAD_PARAM;
    return st;
}

enum dj_status dj_pci_command(const struct dj_pci_dev *d, uint16_t set, uint16_t clear)
{
    uint32_t command;
    enum dj_status st = dj_pci_cfg_read(d, REG_COMMAND, 2, &command);
    if (st != DJ_OK)
        return st;
    return dj_pci_cfg_write(d, REG_COMMAND, 2, (command | set) & ~(uint32_t)clear & 0xffff);
}

unsigned dj_pci_find_cap(const struct dj_pci_dev *d, uint8_t cap_id)
{
    uint32_t status, ptr, header;
    if (dj_pci_cfg_read(d, REG_STATUS, 2, &status) != DJ_OK || !(status & STATUS_CAP_LIST) ||
        dj_pci_cfg_read(d, REG_CAP_PTR, 1, &ptr) != DJ_OK)
        return 0;
    /* A list longer than what fits must loop: stop there. */
    for (unsigned n = 0; n < CAP_LIST_MAX && (ptr &= CAP_PTR_MASK) >= CAP_FIRST; n++) {
        if (dj_pci_cfg_read(d, ptr, 2, &header) != DJ_OK)
            return 0;
        if ((header & 0xff) == cap_id)
            return ptr;
        ptr = header >> 8;
    }
    return 0;
}

enum dj_status dj_pci_device(const struct dj_pci_dev *d, uint64_t sel)
{
    struct dj_utcb *u = dj_utcb();
    u->recv_window = DJ_CRD(DJ_CRD_OBJ, sel, 0, DJ_OBJ_ALL);
    u->words[0] = DJ_PCI_OP_DEVICE;
    u->words[1] = sel;
    unsigned words;
    enum dj_status st = call(d->pt, 2, &words);
    u->recv_window = 0;
    if (st != DJ_OK)
        return st;
    enum dj_obj_type t = DJ_OBJ_NONE;
    if (dj_lookup(DJ_CRD(DJ_CRD_OBJ, sel, 0, 0), 0, &t) != DJ_OK || t != DJ_OBJ_DEVICE)
        return DJ_E_BAD_CAP; /* the server said yes but nothing arrived */
    return DJ_OK;
}
