/* SPDX-License-Identifier: GPL-2.0-only */
/* The PCI server's protocol (lib/pci.h): announcements from init (badge
 * DJ_BADGE_PARENT) and each driver's requests about the one function its
 * badge owns. Every word is checked before use; a request of the wrong
 * shape gets DJ_E_BAD_PARAM and changes nothing. */
#include "lib/proto.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "pci_access.h"
#include "pci_filter.h"
#include "pci_reset.h"
#include "pci_select.h"
#include "pci_server.h"

#define REQ_INFO_WORDS 1
#define REQ_CFG_READ_WORDS 3
#define REQ_CFG_WRITE_WORDS 4
#define REQ_MAP_BAR_WORDS 3
#define REQ_RESET_WORDS 1
#define REQ_DEVICE_WORDS 2
#define DEVICE_SEL_BASE 0x2000 /* + function index: the server's one-function device capabilities */
#define REPLY_VALUE_WORDS 2

static uint64_t reply(struct dj_utcb *u, enum dj_status st, unsigned words, unsigned items)
{
    u->words[0] = st;
    return DJ_MTD(words, items);
}

static const char *client_name(uint64_t badge)
{
    return badge <= PCI_MAX_CLIENTS && pci_client_names[badge][0] ? pci_client_names[badge] : "?";
}

/* ---- Announcements ------------------------------------------------------ */

/* A driver's previous device: no more DMA or interrupts, no more BARs. */
static void take_back(int dev, uint64_t badge)
{
    char where[8];
    pci_bdf_text(pci_devices.func[dev].bdf, where, sizeof(where));
    pci_quiesce(&pci_config, &pci_devices.func[dev]);
    pci_unmap_all((unsigned)dev);
    pci_device_take_back((unsigned)dev);
    printf(PCI_LOG_PREFIX "%s taken back from %s: bus mastering and interrupts off, BARs revoked\n", where,
           client_name(badge));
}

static enum dj_status report_claim(enum pci_claim_result r, uint64_t badge, const uint64_t *sels,
                                   const struct pci_claim_outcome *out)
{
    char what[PCI_SEL_TEXT_MAX], all[PCI_SEL_LIST_TEXT_MAX], where[8] = "";
    pci_select_text(out->alt >= 0 ? sels[out->alt] : 0, what, sizeof(what));
    pci_select_list_text(sels, all, sizeof(all));
    if (out->dev >= 0)
        pci_bdf_text(pci_devices.func[out->dev].bdf, where, sizeof(where));
    const char *name = client_name(badge);
    switch (r) {
    case PCI_CLAIM_GIVEN:
        printf(PCI_LOG_PREFIX "%s (%s) given to %s\n", where, what, name);
        return DJ_OK;
    case PCI_CLAIM_NONE: return DJ_OK;
    case PCI_CLAIM_NO_MATCH:
        printf(PCI_LOG_PREFIX "%s: no device matches pci=%s: its requests will be refused\n", name, all);
        return DJ_OK;
    case PCI_CLAIM_TAKEN:
        if (pci_select_list_count(sels) > 1)
            printf(PCI_LOG_PREFIX "%s refused: no device pci=%s matches is free; %s (%s) already belongs to %s\n",
                   name, all, where, what, client_name(out->holder));
        else
            printf(PCI_LOG_PREFIX "%s refused: %s (%s) already belongs to %s\n", name, where, what,
                   client_name(out->holder));
        return DJ_E_BUSY;
    case PCI_CLAIM_NOT_ENDPOINT:
        printf(PCI_LOG_PREFIX "%s refused: %s (%s) is a bridge, not a device for a driver\n", name, where, what);
        return DJ_E_BAD_PARAM;
    case PCI_CLAIM_BAD_LIST:
    case PCI_CLAIM_BAD_BADGE: break;
    }
    return DJ_E_BAD_PARAM;
}

/* DJ_SERVICE_OP_CLIENT from init: name, badge and devices of a driver.
 * The selector list is checked before anything changes, the name
 * included; it is copied out of the UTCB before system calls (taking a
 * device back revokes) could disturb the message. */
static enum dj_status announce(const struct dj_utcb *u)
{
    uint64_t badge = u->words[1], sels[PCI_SEL_ALTS];
    if (u->mtd != DJ_MTD(DJ_SERVICE_CLIENT_WORDS, 0) || badge < 1 || badge > PCI_MAX_CLIENTS)
        return DJ_E_BAD_PARAM;
    memcpy(sels, &u->words[DJ_SERVICE_CLIENT_PCI], sizeof(sels));
    if (!pci_select_list_ok(sels)) {
        printf(PCI_LOG_PREFIX "announcement of badge %llu refused: malformed device list\n", (unsigned long long)badge);
        return DJ_E_BAD_PARAM;
    }
    char *name = pci_client_names[badge];
    memcpy(name, &u->words[2], DJ_START_NAME_MAX);
    name[DJ_START_NAME_MAX - 1] = '\0';
    for (size_t i = 0; name[i]; i++)
        if (name[i] < 0x21 || name[i] > 0x7e)
            name[i] = '?';
    struct pci_claim_outcome out;
    enum pci_claim_result r = pci_claim(&pci_owners, &pci_devices, badge, sels, &out);
    if (out.released >= 0)
        take_back(out.released, badge);
    return report_claim(r, badge, sels, &out);
}

/* ---- A driver's requests ------------------------------------------------------ */

static uint64_t info(const struct pci_func *f, struct dj_utcb *u)
{
    u->words[1] = f->bdf; /* segment 0 */
    u->words[2] = f->vendor | (uint64_t)f->device << 16;
    u->words[3] = f->class_rev;
    u->words[4] = f->subsys_vendor | (uint64_t)f->subsys << 16;
    for (unsigned i = 0; i < DJ_PCI_BARS; i++) {
        u->words[5 + 2 * i] = f->bar[i].size ? f->bar[i].base | f->bar[i].flags : 0;
        u->words[6 + 2 * i] = f->bar[i].size;
    }
    return reply(u, DJ_OK, DJ_PCI_INFO_WORDS, 0);
}

static uint64_t cfg_read(const struct pci_func *f, struct dj_utcb *u)
{
    uint64_t offset = u->words[1], width = u->words[2];
    if (offset > pci_config.size || width > 4 || !pci_access_ok((unsigned)offset, (unsigned)width, pci_config.size))
        return reply(u, DJ_E_BAD_PARAM, 1, 0);
    u->words[1] = pci_read(&pci_config, f->bdf, (unsigned)offset, (unsigned)width);
    return reply(u, DJ_OK, REPLY_VALUE_WORDS, 0);
}

static uint64_t cfg_write(const struct pci_func *f, struct dj_utcb *u)
{
    uint64_t offset = u->words[1], width = u->words[2], value = u->words[3];
    if (offset > pci_config.size || width > 4 || value > UINT32_MAX ||
        !pci_access_ok((unsigned)offset, (unsigned)width, pci_config.size))
        return reply(u, DJ_E_BAD_PARAM, 1, 0);
    uint32_t now = pci_read(&pci_config, f->bdf, (unsigned)offset, (unsigned)width), out;
    enum dj_status st = pci_filter_write((unsigned)offset, (unsigned)width, (uint32_t)value, now, &out);
    if (st == DJ_OK)
        pci_write(&pci_config, f->bdf, (unsigned)offset, (unsigned)width, out);
    return reply(u, st, 1, 0);
}

static uint64_t map_bar(unsigned dev, struct dj_utcb *u)
{
    uint64_t bar = u->words[1], dst_page = u->words[2];
    unsigned items = 0;
    enum dj_status st = bar < DJ_PCI_BARS ? pci_map_bar(dev, (unsigned)bar, dst_page, u, &items) : DJ_E_BAD_PARAM;
    if (st != DJ_OK)
        return reply(u, st, 1, 0);
    u->words[1] = pci_devices.func[dev].bar[bar].size;
    return reply(u, DJ_OK, REPLY_VALUE_WORDS, items);
}

static uint64_t reset(const struct pci_func *f, struct dj_utcb *u)
{
    enum pci_reset_result r = pci_reset(&pci_config, f, &pci_device_delay);
    if (r == PCI_RESET_NO_ANSWER) {
        char where[8];
        pci_bdf_text(f->bdf, where, sizeof(where));
        printf(PCI_LOG_PREFIX "%s did not answer after its function-level reset\n", where);
        return reply(u, DJ_E_TIMEOUT, 1, 0);
    }
    u->words[1] = r == PCI_RESET_FLR;
    return reply(u, DJ_OK, REPLY_VALUE_WORDS, 0);
}

/* ---- DMA (VT-d) ---------------------------------------------------------
 * The server holds every function's DMA (DJ_SEL_DEVICES, from init when
 * the kernel has it). A driver gets a capability to its own function
 * alone, narrowed once per function here; taking the function back
 * revokes the driver's copy and blocks the function. */
static bool device_made[PCI_MAX_FUNCS];

static uint64_t device_sel(unsigned dev)
{
    return DEVICE_SEL_BASE + dev;
}

void pci_device_take_back(unsigned dev)
{
    if (!device_made[dev])
        return;
    dj_revoke(DJ_CRD(DJ_CRD_OBJ, device_sel(dev), 0, DJ_OBJ_ALL), false);
    dj_dev_ctrl(device_sel(dev), DJ_DEV_OP_BLOCK, 0, 0);
}

static uint64_t device(unsigned dev, struct dj_utcb *u)
{
    uint64_t dst = u->words[1];
    enum dj_obj_type t = DJ_OBJ_NONE;
    if (dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_DEVICES, 0, 0), 0, &t) != DJ_OK || t != DJ_OBJ_DEVICE)
        return reply(u, DJ_E_BAD_CAP, 1, 0);
    const struct pci_func *f = &pci_devices.func[dev]; /* segment 0: the only one the server scans */
    if (!device_made[dev]) {
        enum dj_status st = dj_dev_ctrl(DJ_SEL_DEVICES, DJ_DEV_OP_NARROW, device_sel(dev), f->bdf);
        if (st != DJ_OK)
            return reply(u, st, 1, 0);
        device_made[dev] = true;
    }
    dj_utcb_typed(u, 1)[0] = (struct dj_typed_item){DJ_CRD(DJ_CRD_OBJ, device_sel(dev), 0, DJ_DEV_ASSIGN), dst};
    return reply(u, DJ_OK, 1, 1);
}

/* The request's op and exact size. */
static bool shaped(const struct dj_utcb *u, uint64_t op, unsigned words)
{
    return u->words[0] == op && u->mtd == DJ_MTD(words, 0);
}

static uint64_t request(uint64_t badge, struct dj_utcb *u)
{
    int dev = pci_device_of(&pci_owners, badge);
    if (dev < 0)
        return reply(u, DJ_E_BAD_CAP, 1, 0);
    const struct pci_func *f = &pci_devices.func[dev];
    if (shaped(u, DJ_PCI_OP_INFO, REQ_INFO_WORDS))
        return info(f, u);
    if (shaped(u, DJ_PCI_OP_CFG_READ, REQ_CFG_READ_WORDS))
        return cfg_read(f, u);
    if (shaped(u, DJ_PCI_OP_CFG_WRITE, REQ_CFG_WRITE_WORDS))
        return cfg_write(f, u);
    if (shaped(u, DJ_PCI_OP_MAP_BAR, REQ_MAP_BAR_WORDS))
        return map_bar((unsigned)dev, u);
    if (shaped(u, DJ_PCI_OP_RESET, REQ_RESET_WORDS))
        return reset(f, u);
    if (shaped(u, DJ_PCI_OP_DEVICE, REQ_DEVICE_WORDS))
        return device((unsigned)dev, u);
    return reply(u, DJ_E_BAD_PARAM, 1, 0);
}

uint64_t pci_handler(uint64_t badge, struct dj_utcb *u)
{
    if (DJ_MTD_UNTYPED(u->mtd) < 1 || DJ_MTD_TYPED(u->mtd) != 0)
        return reply(u, DJ_E_BAD_PARAM, 1, 0);
    if (badge == DJ_BADGE_PARENT)
        return reply(u, u->words[0] == DJ_SERVICE_OP_CLIENT ? announce(u) : DJ_E_BAD_PARAM, 1, 0);
    if (u->words[0] == DJ_SERVICE_OP_CLIENT)
        return reply(u, DJ_E_BAD_CAP, 1, 0); /* only init announces */
    return request(badge, u);
}
