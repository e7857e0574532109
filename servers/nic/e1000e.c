/* SPDX-License-Identifier: GPL-2.0-only */
/* Intel 82574 (e1000e) hardware code for the NIC driver loop (nic_hw.h).
 * QEMU's "-device e1000e" is this chip (PCI 8086:10d3).
 *
 * Choices (docs/nic.md has the whole picture):
 * - Legacy receive and transmit descriptors (16 bytes, RFCTL.EXTEN off):
 *   the simplest format the chip has, and all this driver needs (no
 *   checksum offload, no VLAN stripping, no RSS).
 * - One ring of RX_DESCS and one of TX_DESCS descriptors,
 *   each ring in one page; one 2048-byte buffer per descriptor
 *   (RCTL.BSIZE). Frames are copied in and out of these buffers, so the
 *   client's channel memory is never handed to the device.
 * - One interrupt vector for every cause, bound to the loop's wake
 *   semaphore: MSI-X entry 0 (all IVAR entries point to it) if the
 *   function has MSI-X, else MSI, else none (irq_rearm then wakes the
 *   loop itself). Nothing is auto-masked or auto-cleared: irq_rearm
 *   clears the causes.
 *
 * Register offsets and bits are from the 82574 GbE Controller Family
 * datasheet (section 10); every one used is named below. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/nic_proto.h"
#include <string.h>
#include "lib/syscall.h"
#include "nic_hw.h"
#include "nic_msix.h"
#include "lib/x86.h"

/* ---- Identity ------------------------------------------------------------ */
#define INTEL_VENDOR 0x8086
#define E1000E_DEV_82574L 0x10d3
#define E1000E_DEV_82574LA 0x10f6 /* the same chip under another id */

/* ---- Registers (byte offsets in BAR 0) ------------------------------------ */
#define REG_CTRL 0x0000
#define REG_STATUS 0x0008
#define REG_EECD 0x0010
#define REG_EERD 0x0014
#define REG_CTRL_EXT 0x0018
#define REG_ICR 0x00c0
#define REG_ITR 0x00c4
#define REG_IMS 0x00d0
#define REG_IMC 0x00d8
#define REG_EIAC 0x00dc
#define REG_IAM 0x00e0
#define REG_IVAR 0x00e4
#define REG_EITR0 0x00e8 /* throttling of MSI-X vector 0 */
#define REG_RCTL 0x0100
#define REG_TCTL 0x0400
#define REG_TIPG 0x0410
#define REG_RDBAL 0x2800
#define REG_RDBAH 0x2804
#define REG_RDLEN 0x2808
#define REG_RDH 0x2810
#define REG_RDT 0x2818
#define REG_RDTR 0x2820
#define REG_RADV 0x282c
#define REG_TDBAL 0x3800
#define REG_TDBAH 0x3804
#define REG_TDLEN 0x3808
#define REG_TDH 0x3810
#define REG_TDT 0x3818
#define REG_TIDV 0x3820
#define REG_TADV 0x382c
#define REG_TARC0 0x3840
#define REG_RXCSUM 0x5000
#define REG_RFCTL 0x5008
#define REG_MTA 0x5200
#define REG_RAL0 0x5400
#define REG_RAH0 0x5404
#define MTA_ENTRIES 128
#define REG_SPACE 0x20000 /* BAR 0 is 128 KiB of registers */

/* CTRL */
#define CTRL_GIO_MASTER_DISABLE (1u << 2)
#define CTRL_LRST (1u << 3)
#define CTRL_SLU (1u << 6)
#define CTRL_FRCSPD (1u << 11)
#define CTRL_FRCDPX (1u << 12)
#define CTRL_RST (1u << 26)
#define CTRL_VME (1u << 30)
#define CTRL_PHY_RST (1u << 31)
/* STATUS */
#define STATUS_LU (1u << 1)
#define STATUS_GIO_MASTER_ENABLE (1u << 19)
/* EECD */
#define EECD_AUTO_RD (1u << 9) /* the NVM has been read into the registers */
/* EERD (82574 layout) */
#define EERD_START (1u << 0)
#define EERD_DONE (1u << 1)
#define EERD_ADDR_SHIFT 2
#define EERD_DATA_SHIFT 16
#define NVM_WORD_MAC0 0 /* words 0-2 hold the MAC address, low byte first */
/* CTRL_EXT */
#define CTRL_EXT_DRV_LOAD (1u << 28) /* tells manageability firmware a driver runs */
#define CTRL_EXT_PBA_CLR (1u << 31)  /* writing IMS clears the MSI-X pending bits */
/* Interrupt causes (ICR, IMS, IMC) */
#define INT_TXDW (1u << 0)   /* a transmit descriptor was written back */
#define INT_LSC (1u << 2)    /* link status changed */
#define INT_RXDMT0 (1u << 4) /* receive descriptors below the threshold */
#define INT_RXO (1u << 6)    /* receiver overrun */
#define INT_RXT0 (1u << 7)   /* receive timer: frames arrived */
#define INT_RXQ0 (1u << 20)  /* MSI-X: receive queue 0 */
#define INT_TXQ0 (1u << 22)  /* MSI-X: transmit queue 0 */
#define INT_OTHER (1u << 24) /* MSI-X: any other cause (LSC, RXO, ...) */
#define INT_ALL 0xffffffffu
#define IMS_BASE (INT_RXT0 | INT_RXDMT0 | INT_RXO | INT_LSC | INT_TXDW)
#define IMS_MSIX (IMS_BASE | INT_RXQ0 | INT_TXQ0 | INT_OTHER)
/* IVAR: 4 bits per cause, vector number and a valid bit */
#define IVAR_VALID 0x8u
#define IVAR_RXQ0_SHIFT 0
#define IVAR_TXQ0_SHIFT 8
#define IVAR_OTHER_SHIFT 16
#define IVAR_ALL_TO_VECTOR0 \
    (IVAR_VALID << IVAR_RXQ0_SHIFT | IVAR_VALID << IVAR_TXQ0_SHIFT | IVAR_VALID << IVAR_OTHER_SHIFT)
/* ITR/EITR count in 256 ns units: 195 is about 20000 interrupts per
 * second, a modest limit that costs at most 50 us of latency. */
#define ITR_INTERVAL 195
/* RCTL */
#define RCTL_EN (1u << 1)
#define RCTL_RDMTS_HALF (0u << 8) /* RXDMT0 when half the ring is left */
#define RCTL_BAM (1u << 15)       /* accept broadcast */
#define RCTL_BSIZE_2048 (0u << 16) /* with RCTL.BSEX clear */
#define RCTL_SECRC (1u << 26)     /* strip the CRC */
/* TCTL */
#define TCTL_EN (1u << 1)
#define TCTL_PSP (1u << 3) /* pad short frames to 64 bytes */
#define TCTL_CT_SHIFT 4
#define TCTL_CT_DEFAULT 0x0f /* collision threshold (half duplex only) */
#define TCTL_COLD_SHIFT 12
#define TCTL_COLD_FULL_DUPLEX 0x3f /* collision distance, 64 byte times */
#define TCTL_RTLC (1u << 24)       /* retransmit on late collision */
/* TIPG: the datasheet's values for copper (IPGT 8, IPGR1 8, IPGR2 6) */
#define TIPG_IPGT 8u
#define TIPG_IPGR1_SHIFT 10
#define TIPG_IPGR1 8u
#define TIPG_IPGR2_SHIFT 20
#define TIPG_IPGR2 6u
/* TARC0 bit 10 enables transmit queue 0 (set at reset; QEMU's model does
 * not transmit without it, so it is set explicitly). */
#define TARC0_ENABLE (1u << 10)
/* RAH */
#define RAH_AV (1u << 31) /* the receive address is valid */

/* ---- Descriptors ---------------------------------------------------------- */
struct e1000e_rx_desc {
    uint64_t addr;
    uint16_t length;
    uint16_t checksum;
    uint8_t status;
    uint8_t errors;
    uint16_t special;
};
_Static_assert(sizeof(struct e1000e_rx_desc) == 16, "legacy receive descriptor is 16 bytes");

struct e1000e_tx_desc {
    uint64_t addr;
    uint16_t length;
    uint8_t cso;
    uint8_t cmd;
    uint8_t status;
    uint8_t css;
    uint16_t special;
};
_Static_assert(sizeof(struct e1000e_tx_desc) == 16, "legacy transmit descriptor is 16 bytes");

#define RXD_STAT_DD (1u << 0)  /* the device is done with it */
#define RXD_STAT_EOP (1u << 1) /* last descriptor of a frame */
/* Receive errors (bit 3 is reserved). Checksum offload is off, so the
 * checksum bits stay clear; any bit set drops the frame. */
#define RXD_ERR_CE (1u << 0)   /* CRC */
#define RXD_ERR_SE (1u << 1)   /* symbol */
#define RXD_ERR_SEQ (1u << 2)  /* sequence */
#define RXD_ERR_CXE (1u << 4)  /* carrier extension */
#define RXD_ERR_TCPE (1u << 5) /* TCP/UDP checksum */
#define RXD_ERR_IPE (1u << 6)  /* IP checksum */
#define RXD_ERR_RXE (1u << 7)  /* data error */
#define RXD_ERR_ANY \
    (RXD_ERR_CE | RXD_ERR_SE | RXD_ERR_SEQ | RXD_ERR_CXE | RXD_ERR_TCPE | RXD_ERR_IPE | RXD_ERR_RXE)
#define TXD_CMD_EOP (1u << 0)
#define TXD_CMD_IFCS (1u << 1) /* append the CRC */
#define TXD_CMD_RS (1u << 3)   /* report status (write DD back) */
#define TXD_STAT_DD (1u << 0)

#define PAGE_BYTES 4096u
/* One page of descriptors per ring: DMA pages are not physically
 * contiguous, and a ring must be. */
#define RX_DESCS 256u
#define TX_DESCS 256u
#define BUF_BYTES 2048u /* RCTL_BSIZE_2048 */
#define BUFS_PER_PAGE (PAGE_BYTES / BUF_BYTES)
/* Receive buffers go back to the device (RDT) in batches: an MMIO write
 * is the expensive part of a frame, under emulation more than ever. */
#define RX_RETURN_BATCH 32u
_Static_assert(RX_DESCS * sizeof(struct e1000e_rx_desc) == PAGE_BYTES, "receive ring is one page");
_Static_assert(TX_DESCS * sizeof(struct e1000e_tx_desc) == PAGE_BYTES, "transmit ring is one page");
_Static_assert(DJ_NIC_FRAME_MAX <= BUF_BYTES, "a frame fits one buffer");

/* ---- Waiting --------------------------------------------------------------
 * The TSC rate is not known here. Waits assume the fastest plausible
 * clock (5 GHz), so each lasts at least as long as the datasheet asks
 * (longer on a slower clock, which is harmless). */
#define TSC_TICKS_PER_US_MAX 5000u
#define QUIESCE_US 10000          /* after disabling rx/tx, for DMA in flight */
#define MASTER_DISABLE_TIMEOUT_US 80000
#define RESET_SETTLE_US 1000      /* before looking at CTRL.RST again */
#define RESET_TIMEOUT_US 100000
#define AUTO_READ_TIMEOUT_US 10000
#define PHY_CONFIG_US 25000       /* the PHY loads its NVM settings after the auto-read */
#define NVM_READ_TIMEOUT_US 10000

/* ---- State (one device per driver) ---------------------------------------- */
enum irq_mode { IRQ_POLL, IRQ_MSI, IRQ_MSIX };

static struct {
    volatile uint8_t *regs;
    volatile struct e1000e_rx_desc *rx_ring;
    volatile struct e1000e_tx_desc *tx_ring;
    uint8_t *rx_buf, *tx_buf;
    uint64_t rx_buf_bus[RX_DESCS], tx_buf_bus[TX_DESCS];
    unsigned rx_next;       /* the next descriptor the device fills */
    unsigned rx_unreturned; /* recycled, not yet handed back through RDT */
    bool rx_discarding;     /* inside a multi-descriptor frame being dropped */
    unsigned tx_next;       /* the next free descriptor */
    unsigned tx_clean;      /* the oldest descriptor the device may still own */
    unsigned tx_in_flight;
    unsigned tx_tail;       /* the TDT value last written */
    enum irq_mode irq;
    uint32_t ims;
    uint64_t wake_sm;
    struct nic_env *env;
    bool stopped;
} dev;

static void delay_us(uint64_t us)
{
    uint64_t end = rdtsc() + us * TSC_TICKS_PER_US_MAX;
    while (rdtsc() < end)
        cpu_pause();
}

static uint32_t reg_read(unsigned reg)
{
    return *(volatile uint32_t *)(dev.regs + reg);
}

static void reg_write(unsigned reg, uint32_t value)
{
    *(volatile uint32_t *)(dev.regs + reg) = value;
}

/* A read forces the posted writes before it out to the device. */
static void reg_flush(void)
{
    (void)reg_read(REG_STATUS);
}

/* Polls until (reg & mask) == want; false after timeout_us. */
static bool reg_poll(unsigned reg, uint32_t mask, uint32_t want, uint64_t timeout_us)
{
    uint64_t end = rdtsc() + timeout_us * TSC_TICKS_PER_US_MAX;
    for (;;) {
        if ((reg_read(reg) & mask) == want)
            return true;
        if (rdtsc() >= end)
            return false;
        cpu_pause();
    }
}

static bool e1000e_match(uint16_t vendor, uint16_t device)
{
    return vendor == INTEL_VENDOR && (device == E1000E_DEV_82574L || device == E1000E_DEV_82574LA);
}

/* ---- Reset -------------------------------------------------------------- */

/* Masks every cause and clears what is pending. ICR is cleared by
 * writing ones: a read clears it only in some modes (not with MSI-X). */
static void interrupts_off(void)
{
    reg_write(REG_IMC, INT_ALL);
    reg_write(REG_ICR, INT_ALL);
}

/* Receive and transmit off, then wait for the device's bus-master
 * requests to drain (GIO master disable), so nothing writes to memory
 * after this returns. */
static void quiesce(void)
{
    interrupts_off();
    reg_write(REG_RCTL, 0);
    reg_write(REG_TCTL, TCTL_PSP);
    reg_flush();
    delay_us(QUIESCE_US);
    reg_write(REG_CTRL, reg_read(REG_CTRL) | CTRL_GIO_MASTER_DISABLE);
    if (!reg_poll(REG_STATUS, STATUS_GIO_MASTER_ENABLE, 0, MASTER_DISABLE_TIMEOUT_US))
        nic_log("bus-master requests did not stop within %d ms", MASTER_DISABLE_TIMEOUT_US / 1000);
}

/* Global reset (CTRL.RST): everything but PCI configuration space. */
static bool device_reset(void)
{
    quiesce();
    reg_write(REG_CTRL, reg_read(REG_CTRL) | CTRL_RST);
    delay_us(RESET_SETTLE_US);
    if (!reg_poll(REG_CTRL, CTRL_RST, 0, RESET_TIMEOUT_US)) {
        nic_log("reset: CTRL.RST did not clear");
        return false;
    }
    if (!reg_poll(REG_EECD, EECD_AUTO_RD, EECD_AUTO_RD, AUTO_READ_TIMEOUT_US)) {
        nic_log("reset: the NVM auto-read did not finish (EECD %#x)", reg_read(REG_EECD));
        return false;
    }
    delay_us(PHY_CONFIG_US);
    interrupts_off();
    return true;
}

/* ---- MAC address ---------------------------------------------------------- */

static bool mac_usable(const uint8_t mac[6])
{
    static const uint8_t zero[6];
    bool multicast = mac[0] & 1; /* the broadcast address included */
    return !multicast && memcmp(mac, zero, sizeof(zero)) != 0;
}

static bool nvm_read_word(unsigned word, uint16_t *out)
{
    reg_write(REG_EERD, word << EERD_ADDR_SHIFT | EERD_START);
    if (!reg_poll(REG_EERD, EERD_DONE, EERD_DONE, NVM_READ_TIMEOUT_US))
        return false;
    *out = (uint16_t)(reg_read(REG_EERD) >> EERD_DATA_SHIFT);
    return true;
}

static bool mac_from_nvm(uint8_t mac[6])
{
    for (unsigned i = 0; i < 3; i++) {
        uint16_t w;
        if (!nvm_read_word(NVM_WORD_MAC0 + i, &w))
            return false;
        mac[2 * i] = (uint8_t)w;
        mac[2 * i + 1] = (uint8_t)(w >> 8);
    }
    return true;
}

/* Receive address 0 (loaded from the NVM at reset) if it is valid,
 * otherwise the NVM's words read through EERD; written back to RAL0/RAH0
 * either way so the unicast filter matches it. */
static bool read_mac(uint8_t mac[6])
{
    uint32_t ral = reg_read(REG_RAL0), rah = reg_read(REG_RAH0);
    for (unsigned i = 0; i < 4; i++)
        mac[i] = (uint8_t)(ral >> (8 * i));
    mac[4] = (uint8_t)rah;
    mac[5] = (uint8_t)(rah >> 8);
    if (!(rah & RAH_AV) || !mac_usable(mac)) {
        if (!mac_from_nvm(mac)) {
            nic_log("no MAC address: RAL0/RAH0 invalid and the NVM read timed out");
            return false;
        }
        if (!mac_usable(mac)) {
            nic_log("no MAC address: the NVM holds %02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2],
                    mac[3], mac[4], mac[5]);
            return false;
        }
    }
    reg_write(REG_RAL0, (uint32_t)mac[0] | (uint32_t)mac[1] << 8 | (uint32_t)mac[2] << 16 | (uint32_t)mac[3] << 24);
    reg_write(REG_RAH0, (uint32_t)mac[4] | (uint32_t)mac[5] << 8 | RAH_AV);
    return true;
}

/* ---- Rings ---------------------------------------------------------------- */

/* n buffers of BUF_BYTES in fresh DMA pages, with their bus addresses. */
static uint8_t *alloc_buffers(unsigned n, uint64_t *bus)
{
    uint8_t *buf = nic_dma_pages(n / BUFS_PER_PAGE);
    if (!buf)
        return NULL;
    for (unsigned i = 0; i < n; i++) {
        bus[i] = nic_dma_addr(buf + (size_t)i * BUF_BYTES);
        if (bus[i] == 0)
            return NULL;
    }
    return buf;
}

static bool alloc_rings(void)
{
    dev.rx_ring = nic_dma_pages(1);
    dev.tx_ring = nic_dma_pages(1);
    if (!dev.rx_ring || !dev.tx_ring)
        return false;
    dev.rx_buf = alloc_buffers(RX_DESCS, dev.rx_buf_bus);
    dev.tx_buf = alloc_buffers(TX_DESCS, dev.tx_buf_bus);
    return dev.rx_buf && dev.tx_buf;
}

/* Base and length registers of one ring; false if the ring's memory has
 * no bus address. */
static bool program_ring(const volatile void *ring, unsigned bal, unsigned bah, unsigned len)
{
    uint64_t bus = nic_dma_addr((const void *)ring);
    if (bus == 0)
        return false;
    reg_write(bal, (uint32_t)bus);
    reg_write(bah, (uint32_t)(bus >> 32));
    reg_write(len, PAGE_BYTES);
    return true;
}

static void rx_desc_reset(unsigned i)
{
    volatile struct e1000e_rx_desc *d = &dev.rx_ring[i];
    /* The device never changes the address of a legacy descriptor;
     * writing it again anyway keeps a stray write from steering DMA. */
    d->addr = dev.rx_buf_bus[i];
    d->length = 0;
    d->errors = 0;
    d->status = 0;
}

static bool setup_rx(void)
{
    for (unsigned i = 0; i < RX_DESCS; i++)
        rx_desc_reset(i);
    dev.rx_next = 0;
    dev.rx_unreturned = 0;
    dev.rx_discarding = false;
    if (!program_ring(dev.rx_ring, REG_RDBAL, REG_RDBAH, REG_RDLEN))
        return false;
    reg_write(REG_RDH, 0);
    reg_write(REG_RDT, 0);
    reg_write(REG_RDTR, 0); /* no receive delay: RXT0 as soon as a frame is stored */
    reg_write(REG_RADV, 0);
    reg_write(REG_RXCSUM, 0); /* no checksum offload */
    reg_write(REG_RFCTL, 0);  /* legacy descriptors */
    for (unsigned i = 0; i < MTA_ENTRIES; i++)
        reg_write(REG_MTA + 4 * i, 0);
    return true;
}

static bool setup_tx(void)
{
    for (unsigned i = 0; i < TX_DESCS; i++) {
        dev.tx_ring[i].addr = dev.tx_buf_bus[i];
        dev.tx_ring[i].status = 0;
    }
    dev.tx_next = dev.tx_clean = dev.tx_in_flight = dev.tx_tail = 0;
    if (!program_ring(dev.tx_ring, REG_TDBAL, REG_TDBAH, REG_TDLEN))
        return false;
    reg_write(REG_TDH, 0);
    reg_write(REG_TDT, 0);
    reg_write(REG_TIDV, 0);
    reg_write(REG_TADV, 0);
    reg_write(REG_TIPG, TIPG_IPGT | TIPG_IPGR1 << TIPG_IPGR1_SHIFT | TIPG_IPGR2 << TIPG_IPGR2_SHIFT);
    reg_write(REG_TARC0, reg_read(REG_TARC0) | TARC0_ENABLE);
    return true;
}

/* Link up by auto-negotiation (no forced speed or duplex), no VLAN mode;
 * the reset leaves GIO master disable to us to clear. */
static void setup_link(void)
{
    uint32_t ctrl = reg_read(REG_CTRL);
    ctrl |= CTRL_SLU;
    ctrl &= ~(CTRL_FRCSPD | CTRL_FRCDPX | CTRL_LRST | CTRL_PHY_RST | CTRL_VME | CTRL_GIO_MASTER_DISABLE);
    reg_write(REG_CTRL, ctrl);
    reg_write(REG_CTRL_EXT, reg_read(REG_CTRL_EXT) | CTRL_EXT_DRV_LOAD);
}

static void enable_rx_tx(void)
{
    reg_write(REG_RCTL, RCTL_EN | RCTL_BAM | RCTL_SECRC | RCTL_BSIZE_2048 | RCTL_RDMTS_HALF);
    /* Every descriptor but one: RDT == RDH would mean "none". */
    reg_write(REG_RDT, RX_DESCS - 1);
    reg_write(REG_TCTL, TCTL_EN | TCTL_PSP | TCTL_CT_DEFAULT << TCTL_CT_SHIFT |
                            TCTL_COLD_FULL_DUPLEX << TCTL_COLD_SHIFT | TCTL_RTLC);
}

/* ---- Interrupts ------------------------------------------------------------ */

/* MSI capability registers (PCI 3.0, 6.8.1). */
#define MSI_CONTROL 2
#define MSI_ADDR_LO 4
#define MSI_ADDR_HI 8      /* 64-bit capability only */
#define MSI_DATA_32 8
#define MSI_DATA_64 12
#define MSI_CTRL_ENABLE 0x1u
#define MSI_CTRL_MME_MASK 0x70u /* messages enabled: 0 = one */
#define MSI_CTRL_64BIT 0x80u

/* Binds the first MSI capability to the wake semaphore; a binding left
 * by an earlier instance of this driver (killed and restarted) is
 * undone first. */
static bool msi_bind(struct nic_env *env, uint64_t *addr, uint64_t *data)
{
    enum dj_status st = dj_msi_bind_device(env->msi_sel, env->wake_sm, nic_dma_device(), addr, data);
    if (st == DJ_E_BUSY && dj_irq_ctrl(env->msi_sel, DJ_IRQ_OP_UNBIND, 0, 0) == DJ_OK)
        st = dj_msi_bind_device(env->msi_sel, env->wake_sm, nic_dma_device(), addr, data);
    if (st != DJ_OK)
        nic_log("MSI: bind refused (status %d)", st);
    return st == DJ_OK;
}

static bool msi_write_message(struct nic_env *env, unsigned cap, uint32_t control, uint64_t addr, uint64_t data)
{
    bool is64 = control & MSI_CTRL_64BIT;
    if (!is64 && (addr >> 32) != 0)
        return false;
    if (dj_pci_cfg_write(env->pci, cap + MSI_ADDR_LO, 4, (uint32_t)addr) != DJ_OK)
        return false;
    if (is64 && dj_pci_cfg_write(env->pci, cap + MSI_ADDR_HI, 4, (uint32_t)(addr >> 32)) != DJ_OK)
        return false;
    return dj_pci_cfg_write(env->pci, cap + (is64 ? MSI_DATA_64 : MSI_DATA_32), 2, (uint16_t)data) == DJ_OK;
}

/* Plain MSI, one message. */
static bool msi_enable(struct nic_env *env)
{
    unsigned cap = dj_pci_find_cap(env->pci, DJ_PCI_CAP_MSI);
    uint32_t control = 0;
    uint64_t addr = 0, data = 0;
    if (!cap || env->msi_count == 0) {
        nic_log(cap ? "MSI: no MSI capability granted (msi= on the line)" : "no MSI capability in the device");
        return false;
    }
    if (dj_pci_cfg_read(env->pci, cap + MSI_CONTROL, 2, &control) != DJ_OK || !msi_bind(env, &addr, &data))
        return false;
    control &= ~(MSI_CTRL_MME_MASK | MSI_CTRL_ENABLE);
    if (!msi_write_message(env, cap, control, addr, data) ||
        dj_pci_cfg_write(env->pci, cap + MSI_CONTROL, 2, control | MSI_CTRL_ENABLE) != DJ_OK) {
        nic_log("MSI: the PCI server refused the capability's registers");
        dj_irq_ctrl(env->msi_sel, DJ_IRQ_OP_UNBIND, 0, 0);
        return false;
    }
    return true;
}

static void msi_disable(struct nic_env *env)
{
    unsigned cap = dj_pci_find_cap(env->pci, DJ_PCI_CAP_MSI);
    if (cap)
        dj_pci_cfg_write(env->pci, cap + MSI_CONTROL, 2, 0);
}

/* Every cause on MSI-X vector 0: the loop has one semaphore to wake. */
static void msix_route_all_to_vector0(void)
{
    reg_write(REG_IVAR, IVAR_ALL_TO_VECTOR0);
    reg_write(REG_EIAC, 0); /* no auto-clear: irq_rearm clears */
    reg_write(REG_CTRL_EXT, reg_read(REG_CTRL_EXT) | CTRL_EXT_PBA_CLR);
    reg_write(REG_EITR0, ITR_INTERVAL);
}

static void setup_interrupts(struct nic_env *env)
{
    dev.env = env;
    dev.wake_sm = env->wake_sm;
    reg_write(REG_IAM, 0); /* no auto-mask */
    if (nic_msix_enable(env, 1)) {
        msix_route_all_to_vector0();
        dev.irq = IRQ_MSIX;
        dev.ims = IMS_MSIX;
    } else if (msi_enable(env)) {
        reg_write(REG_ITR, ITR_INTERVAL);
        dev.irq = IRQ_MSI;
        dev.ims = IMS_BASE;
    } else {
        dev.irq = IRQ_POLL;
        dev.ims = 0;
        return;
    }
    dj_pci_command(env->pci, DJ_PCI_CMD_INTX_DISABLE, 0);
}

static const char *irq_mode_name(enum irq_mode m)
{
    return m == IRQ_MSIX ? "MSI-X" : m == IRQ_MSI ? "MSI" : "none (polling)";
}

/* ---- The operations --------------------------------------------------------- */

static bool map_registers(struct nic_env *env)
{
    const struct dj_pci_bar *bar = &env->pci->bar[0];
    if (!env->bar[0] || (bar->flags & DJ_PCI_BAR_IO) || bar->size < REG_SPACE) {
        nic_log("BAR 0 is not %d KiB of mapped registers (size %#lx)", REG_SPACE / 1024,
                (unsigned long)bar->size);
        return false;
    }
    dev.regs = env->bar[0];
    return true;
}

static bool e1000e_init(struct nic_env *env)
{
    if (!map_registers(env) || !device_reset() || !read_mac(env->mac))
        return false;
    if (!alloc_rings()) {
        nic_log("out of memory for rings and buffers (%u pages needed)",
                2 + (RX_DESCS + TX_DESCS) / BUFS_PER_PAGE);
        return false;
    }
    setup_link();
    if (!setup_rx() || !setup_tx()) {
        nic_log("rings have no bus address");
        return false;
    }
    if (dj_pci_command(env->pci, DJ_PCI_CMD_MEMORY | DJ_PCI_CMD_BUS_MASTER, 0) != DJ_OK) {
        nic_log("the PCI server refused bus mastering");
        return false;
    }
    setup_interrupts(env);
    enable_rx_tx();
    if (dev.ims)
        reg_write(REG_IMS, dev.ims);
    nic_log("82574 up: MAC %02x:%02x:%02x:%02x:%02x:%02x, interrupts %s, link %s", env->mac[0], env->mac[1],
            env->mac[2], env->mac[3], env->mac[4], env->mac[5], irq_mode_name(dev.irq),
            (reg_read(REG_STATUS) & STATUS_LU) ? "up" : "down");
    return true;
}

static bool e1000e_link_up(void)
{
    return (reg_read(REG_STATUS) & STATUS_LU) != 0;
}

/* Frees the descriptors the device has sent; returns how many. */
static unsigned tx_reclaim(void)
{
    unsigned freed = 0;
    while (dev.tx_in_flight > 0) {
        volatile struct e1000e_tx_desc *d = &dev.tx_ring[dev.tx_clean];
        if (!(d->status & TXD_STAT_DD))
            break;
        d->status = 0;
        dev.tx_clean = (dev.tx_clean + 1) % TX_DESCS;
        dev.tx_in_flight--;
        freed++;
    }
    return freed;
}

static bool e1000e_tx(const void *frame, size_t len)
{
    /* The loop drops frames of a bad length before they get here; this
     * only keeps such a frame from ever reaching the device. */
    if (len < DJ_NIC_FRAME_MIN || len > DJ_NIC_FRAME_MAX)
        return true;
    /* One descriptor stays unused: TDT == TDH means an empty ring. */
    if (dev.tx_in_flight == TX_DESCS - 1 && tx_reclaim() == 0)
        return false;
    unsigned i = dev.tx_next;
    memcpy(dev.tx_buf + (size_t)i * BUF_BYTES, frame, len);
    volatile struct e1000e_tx_desc *d = &dev.tx_ring[i];
    d->addr = dev.tx_buf_bus[i];
    d->length = (uint16_t)len;
    d->cso = 0;
    d->css = 0;
    d->special = 0;
    d->status = 0;
    d->cmd = TXD_CMD_EOP | TXD_CMD_IFCS | TXD_CMD_RS;
    dev.tx_next = (i + 1) % TX_DESCS;
    dev.tx_in_flight++;
    return true;
}

static void e1000e_tx_kick(void)
{
    if (dev.tx_tail == dev.tx_next)
        return;
    /* The descriptors (ordinary memory) before the tail (device memory). */
    __atomic_thread_fence(__ATOMIC_RELEASE);
    dev.tx_tail = dev.tx_next;
    reg_write(REG_TDT, dev.tx_tail);
}

/* Hands the recycled receive buffers back: RDT names the last one. */
static void rx_return_buffers(void)
{
    if (dev.rx_unreturned == 0)
        return;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    reg_write(REG_RDT, (dev.rx_next + RX_DESCS - 1) % RX_DESCS);
    dev.rx_unreturned = 0;
}

static void rx_recycle(void)
{
    rx_desc_reset(dev.rx_next);
    dev.rx_next = (dev.rx_next + 1) % RX_DESCS;
    if (++dev.rx_unreturned >= RX_RETURN_BATCH)
        rx_return_buffers();
}

/* The verdict on one completed descriptor: its length, SIZE_MAX for a
 * frame to drop, or 0 to skip it silently (the rest of a frame already
 * counted as dropped). Buffers hold a whole frame, so a frame spread over
 * several descriptors is an error (it cannot happen with long packets
 * off; a device that does it anyway gets the frame dropped). */
static size_t rx_check(uint8_t status, uint8_t errors, size_t len, size_t cap)
{
    if (dev.rx_discarding) {
        if (status & RXD_STAT_EOP)
            dev.rx_discarding = false;
        return 0;
    }
    if (!(status & RXD_STAT_EOP)) {
        dev.rx_discarding = true;
        return SIZE_MAX;
    }
    if ((errors & RXD_ERR_ANY) || len < DJ_NIC_FRAME_MIN || len > BUF_BYTES || len > cap)
        return SIZE_MAX;
    return len;
}

static size_t e1000e_rx(void *buf, size_t cap)
{
    for (;;) {
        volatile struct e1000e_rx_desc *d = &dev.rx_ring[dev.rx_next];
        uint8_t status = d->status;
        if (!(status & RXD_STAT_DD)) {
            rx_return_buffers();
            return 0;
        }
        /* Length and errors only after DD was seen set. */
        __atomic_thread_fence(__ATOMIC_ACQUIRE);
        size_t len = rx_check(status, d->errors, d->length, cap);
        if (len != 0 && len != SIZE_MAX)
            memcpy(buf, dev.rx_buf + (size_t)dev.rx_next * BUF_BYTES, len);
        rx_recycle();
        if (len != 0)
            return len;
    }
}

/* Clears every cause (write 1 to clear): the next cause then raises a
 * new message. Nothing was masked (no auto-mask), so nothing needs
 * unmasking. A cause cleared here before its work was seen is harmless:
 * the loop looks at both rings once more after re-arming (nic_loop.c
 * arm()), and the link state is read from STATUS when asked. One
 * register write per sleep, no read. */
static void e1000e_irq_rearm(void)
{
    if (dev.stopped)
        return;
    if (dev.irq == IRQ_POLL) {
        dj_sm_up(dev.wake_sm); /* no interrupt will come: look again soon */
        return;
    }
    reg_write(REG_ICR, INT_ALL);
}

static void e1000e_stop(void)
{
    if (!dev.regs)
        return;
    quiesce();
    if (dev.irq == IRQ_MSIX)
        nic_msix_disable(dev.env);
    else if (dev.irq == IRQ_MSI)
        msi_disable(dev.env);
    dev.stopped = true;
}

const struct nic_hw nic_hw = {
    .name = "e1000e",
    .match = e1000e_match,
    .init = e1000e_init,
    .link_up = e1000e_link_up,
    .tx = e1000e_tx,
    .tx_kick = e1000e_tx_kick,
    .rx = e1000e_rx,
    .irq_rearm = e1000e_irq_rearm,
    .stop = e1000e_stop,
};
