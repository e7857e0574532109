/* SPDX-License-Identifier: GPL-2.0-only */
/* Quiescing and resetting a function: see pci_reset.h. */
#include "lib/pci.h"
#include "pci_regs.h"
#include "pci_reset.h"

#define FLR_WAIT_MS 100        /* before the function may be accessed again */
#define PENDING_POLLS 100      /* times 1 ms: outstanding transactions before the FLR */
#define ANSWER_POLLS 10        /* times 100 ms: a function still busy after the FLR */
#define ANSWER_POLL_MS 100
#define DECODE_BITS (DJ_PCI_CMD_IO | DJ_PCI_CMD_MEMORY)

/* What an FLR clears that the server, not the driver, set up. */
struct saved_header {
    uint32_t bar[PCI_BARS_NORMAL], rom;
    uint8_t cache_line, latency, int_line;
    uint16_t command;
};

static void interrupts_off(const struct pci_cfg *cfg, const struct pci_func *f)
{
    if (f->cap_msi) {
        unsigned reg = f->cap_msi + PCI_MSI_CONTROL;
        pci_write(cfg, f->bdf, reg, 2, pci_read(cfg, f->bdf, reg, 2) & ~(uint32_t)PCI_MSI_ENABLE);
    }
    if (f->cap_msix) {
        unsigned reg = f->cap_msix + PCI_MSIX_CONTROL;
        pci_write(cfg, f->bdf, reg, 2, pci_read(cfg, f->bdf, reg, 2) & ~(uint32_t)PCI_MSIX_ENABLE);
    }
}

/* The decoding bits the function's BARs need. */
static uint16_t decoding_needed(const struct pci_func *f)
{
    uint16_t bits = 0;
    for (unsigned i = 0; i < DJ_PCI_BARS; i++)
        if (f->bar[i].size)
            bits |= f->bar[i].flags & DJ_PCI_BAR_IO ? DJ_PCI_CMD_IO : DJ_PCI_CMD_MEMORY;
    return bits;
}

void pci_quiesce(const struct pci_cfg *cfg, const struct pci_func *f)
{
    uint16_t command = (uint16_t)pci_read(cfg, f->bdf, PCI_REG_COMMAND, 2);
    pci_write(cfg, f->bdf, PCI_REG_COMMAND, 2,
              (command & ~DJ_PCI_CMD_BUS_MASTER) | DJ_PCI_CMD_INTX_DISABLE);
    interrupts_off(cfg, f);
}

static void save_header(const struct pci_cfg *cfg, const struct pci_func *f, struct saved_header *s)
{
    for (unsigned i = 0; i < PCI_BARS_NORMAL; i++)
        s->bar[i] = pci_read(cfg, f->bdf, PCI_REG_BAR0 + 4 * i, 4);
    s->rom = pci_read(cfg, f->bdf, PCI_REG_ROM, 4);
    s->cache_line = (uint8_t)pci_read(cfg, f->bdf, PCI_REG_CACHE_LINE, 1);
    s->latency = (uint8_t)pci_read(cfg, f->bdf, PCI_REG_LATENCY, 1);
    s->int_line = (uint8_t)pci_read(cfg, f->bdf, PCI_REG_INT_LINE, 1);
    s->command = (uint16_t)pci_read(cfg, f->bdf, PCI_REG_COMMAND, 2);
}

static void restore_header(const struct pci_cfg *cfg, const struct pci_func *f, const struct saved_header *s)
{
    for (unsigned i = 0; i < PCI_BARS_NORMAL; i++)
        pci_write(cfg, f->bdf, PCI_REG_BAR0 + 4 * i, 4, s->bar[i]);
    pci_write(cfg, f->bdf, PCI_REG_ROM, 4, s->rom);
    pci_write(cfg, f->bdf, PCI_REG_CACHE_LINE, 1, s->cache_line);
    pci_write(cfg, f->bdf, PCI_REG_LATENCY, 1, s->latency);
    pci_write(cfg, f->bdf, PCI_REG_INT_LINE, 1, s->int_line);
}

static bool answers(const struct pci_cfg *cfg, const struct pci_func *f)
{
    return pci_read(cfg, f->bdf, PCI_REG_VENDOR, 2) == f->vendor;
}

static enum pci_reset_result flr(const struct pci_cfg *cfg, const struct pci_func *f, const struct pci_delay *d)
{
    struct saved_header s;
    save_header(cfg, f, &s);
    pci_write(cfg, f->bdf, PCI_REG_COMMAND, 2, s.command & ~DJ_PCI_CMD_BUS_MASTER);
    unsigned sta = f->cap_pcie + PCIE_DEVSTA, ctl = f->cap_pcie + PCIE_DEVCTL;
    for (unsigned i = 0; i < PENDING_POLLS && (pci_read(cfg, f->bdf, sta, 2) & PCIE_DEVSTA_TRANSACTIONS_PENDING); i++)
        d->wait_ms(d->ctx, 1);
    pci_write(cfg, f->bdf, ctl, 2, pci_read(cfg, f->bdf, ctl, 2) | PCIE_DEVCTL_FLR);
    d->wait_ms(d->ctx, FLR_WAIT_MS);
    for (unsigned i = 0; !answers(cfg, f); i++) {
        if (i == ANSWER_POLLS)
            return PCI_RESET_NO_ANSWER;
        d->wait_ms(d->ctx, ANSWER_POLL_MS);
    }
    restore_header(cfg, f, &s);
    uint16_t keep = s.command & DJ_PCI_CMD_INTX_DISABLE;
    pci_write(cfg, f->bdf, PCI_REG_COMMAND, 2, keep | decoding_needed(f));
    return PCI_RESET_FLR;
}

enum pci_reset_result pci_reset(const struct pci_cfg *cfg, const struct pci_func *f, const struct pci_delay *delay)
{
    if (f->flr && f->cap_pcie && f->header_type == PCI_HEADER_NORMAL)
        return flr(cfg, f, delay);
    uint16_t command = (uint16_t)pci_read(cfg, f->bdf, PCI_REG_COMMAND, 2);
    command &= ~(DJ_PCI_CMD_BUS_MASTER | DECODE_BITS);
    pci_write(cfg, f->bdf, PCI_REG_COMMAND, 2, command);
    interrupts_off(cfg, f);
    pci_write(cfg, f->bdf, PCI_REG_COMMAND, 2, command | decoding_needed(f));
    return PCI_RESET_QUIESCED;
}
