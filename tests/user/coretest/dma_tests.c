/* SPDX-License-Identifier: GPL-2.0-only */
/* DMA remapping (VT-d): the device capability and the DMA right, then a
 * real device's DMA confined to its driver's DMA space. The device is
 * QEMU's "edu" teaching device (1234:11e8), whose DMA engine copies
 * between its own 4 KiB buffer and a bus address: the test, as its
 * driver, programs its own virtual addresses. Runs that lack VT-d or the
 * device skip the device test (tests/qemu/matrix has a q35+vtd run). */
#include <stdbool.h>
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "utest.h"

#define EDU_VENDOR_DEVICE 0x11e81234u
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_COUNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1u
#define EDU_DMA_TO_RAM 0x2u
#define EDU_BUFFER 0x40000ull       /* the device's buffer in its DMA address space */
#define EDU_DMA_LIMIT (1ull << 28)  /* edu's default DMA mask */
#define PCI_REG_COMMAND 0x04
#define PCI_REG_BAR0 0x10
#define PCI_CMD_MEMORY 0x2u
#define PCI_CMD_BUS_MASTER 0x4u
#define PCI_BAR_MEM_MASK (~0xfull)
#define ECAM_FUNCTION_BYTES 4096ull
#define PCI_DEVICES 32
#define DMA_VA 0x0f000000ull        /* below the edu mask and any DMA width */
#define COPY_BYTES 64
#define DMA_WAIT_SECONDS 3
#define FAULT_WAIT_US 2000000
#define KERNEL_IMAGE_PHYS 0x200000ull /* where the kernel is loaded */
#define EDU_REG_RAISE 0x60
#define EDU_REG_ACK 0x64
#define PCI_REG_STATUS_CMD 0x04
#define PCI_STATUS_CAP_LIST (1u << 20) /* in the command/status dword */
#define PCI_REG_CAP_PTR 0x34
#define PCI_CAP_MSI 0x05
#define MSI_ENABLE (1u << 16)         /* in the capability's first dword */
#define MSI_64BIT (1u << 23)
#define MSI_COMPAT_BASE 0xfee00000ull
#define KERNEL_MSI_VECTOR(n) (0xb0 + (n)) /* kernel/irq.h: VEC_MSI_BASE + n */
#define IRQ_WAIT_US 300000
#define MSI_OWN 40                    /* MSI capabilities the test binds */
#define MSI_OTHER 41
#define MSI_SPOOFED 42

UTEST(dma_device_capability_checks)
{
    uint64_t sel = utest_selector();
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_SELF_PD, DJ_DEV_OP_NARROW, sel, 0) == DJ_E_BAD_CAP, "a PD capability narrowed");
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_DEVICES, DJ_DEV_OP_NARROW, sel, 0x10000) == DJ_E_BAD_PARAM,
                  "requester id 0x10000 accepted");
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_DEVICES, DJ_DEV_OP_NARROW, DJ_SEL_SELF_PD, 8) == DJ_E_BUSY,
                  "narrowed onto an occupied selector");
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_DEVICES, DJ_DEV_OP_ASSIGN, DJ_SEL_SELF_PD, 0) == DJ_E_BAD_PARAM,
                  "a capability to every function was assigned as a whole");
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_DEVICES, 9, 0, 0) == DJ_E_BAD_PARAM, "an unknown operation was accepted");
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_DEVICES, DJ_DEV_OP_NARROW, sel, DJ_DEV_RID(0, 1, 0)) == DJ_OK, "narrow failed");
    enum dj_obj_type t = DJ_OBJ_NONE;
    UTEST_REQUIRE(dj_lookup(DJ_CRD(DJ_CRD_OBJ, sel, 0, 0), 0, &t) == DJ_OK && t == DJ_OBJ_DEVICE,
                  "the narrowed capability is of type %d", t);
    uint64_t sub = utest_selector();
    UTEST_REQUIRE(dj_dev_ctrl(sel, DJ_DEV_OP_NARROW, sub, DJ_DEV_RID(0, 2, 0)) == DJ_E_BAD_PARAM,
                  "a one-function capability widened to another function");
    enum dj_status st = dj_dev_ctrl(sel, DJ_DEV_OP_ASSIGN, DJ_SEL_SELF_PD, 0);
    if (utest_bootinfo->dma_bits == 0) {
        UTEST_REQUIRE(st == DJ_E_BAD_PARAM, "assign without VT-d gave %d", st);
    } else {
        UTEST_REQUIRE(st == DJ_OK, "assign gave %d", st);
        UTEST_REQUIRE(dj_dev_ctrl(sel, DJ_DEV_OP_BLOCK, 0, 0) == DJ_OK, "block failed");
    }
    return true;
}

UTEST(dma_right_allocate_and_revoke)
{
    uint64_t va = utest_va(1);
    UTEST_REQUIRE(dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W | DJ_MEM_DMA) == DJ_OK, "allocation with DMA failed");
    *(volatile uint64_t *)va = 42;
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_DMA), true) == DJ_OK,
                  "revoking only the DMA right failed");
    UTEST_REQUIRE(*(volatile uint64_t *)va == 42, "the page changed");
    UTEST_REQUIRE(dj_mem_alloc(utest_va(1), 0, DJ_MEM_R | (1u << 4)) == DJ_E_BAD_PARAM, "an unknown right accepted");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_ALL), true) == DJ_OK, "revoke");
    return true;
}

struct edu {
    volatile uint32_t *cfg;
    volatile uint8_t *regs;
    uint16_t rid;
};

static bool find_edu(struct edu *e)
{
    uint64_t ecam = utest_bootinfo->pci_ecam_base;
    if (!ecam)
        return false;
    uint64_t va = utest_va(1);
    for (unsigned dev = 0; dev < PCI_DEVICES; dev++) {
        uint64_t pa = ecam + ((uint64_t)dev << 15);
        if (dj_mmio_map(DJ_SEL_DEVMEM, va, pa, 0, DJ_MEM_R | DJ_MEM_W, DJ_CACHE_UC) != DJ_OK)
            return false;
        if (*(volatile uint32_t *)va == EDU_VENDOR_DEVICE) {
            e->cfg = (volatile uint32_t *)va;
            e->rid = (uint16_t)DJ_DEV_RID(0, dev, 0);
            return true;
        }
        dj_revoke(DJ_CRD(DJ_CRD_MEM, va / UTEST_PAGE, 0, DJ_MEM_ALL), true);
    }
    return false;
}

static bool edu_dma(struct edu *e, uint64_t src, uint64_t dst, uint32_t cmd)
{
    *(volatile uint64_t *)(e->regs + EDU_REG_DMA_SRC) = src;
    *(volatile uint64_t *)(e->regs + EDU_REG_DMA_DST) = dst;
    *(volatile uint64_t *)(e->regs + EDU_REG_DMA_COUNT) = COPY_BYTES;
    *(volatile uint64_t *)(e->regs + EDU_REG_DMA_CMD) = EDU_DMA_RUN | cmd;
    uint64_t t0 = utest_rdtsc(), limit = utest_bootinfo->tsc_hz * DMA_WAIT_SECONDS;
    while (*(volatile uint64_t *)(e->regs + EDU_REG_DMA_CMD) & EDU_DMA_RUN)
        if (limit && utest_rdtsc() - t0 > limit)
            return false;
    return true;
}

static bool all_bytes(const volatile uint8_t *p, uint8_t v)
{
    for (unsigned i = 0; i < COPY_BYTES; i++)
        if (p[i] != v)
            return false;
    return true;
}

/* The edu device assigned to this PD copies between pages this PD holds
 * with the DMA right, addressed by virtual address; a page without the
 * right, a page whose right was revoked and every page after the device
 * is blocked stay unchanged. */
UTEST(dma_device_confined_to_its_dma_space)
{
    if (!utest_bootinfo->dma_bits)
        UTEST_SKIP("no VT-d DMA remapping on this machine");
    struct edu e;
    if (!find_edu(&e))
        UTEST_SKIP("no edu device (1234:11e8) on PCI bus 0");
    uint64_t bar = e.cfg[PCI_REG_BAR0 / 4] & PCI_BAR_MEM_MASK;
    uint64_t regs_va = utest_va(1);
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, regs_va, bar, 0, DJ_MEM_R | DJ_MEM_W, DJ_CACHE_UC) == DJ_OK,
                  "mapping BAR0 at %#llx failed", (unsigned long long)bar);
    e.regs = (volatile uint8_t *)regs_va;
    e.cfg[PCI_REG_COMMAND / 4] |= PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER;
    uint64_t dev = utest_selector(), sm = utest_selector();
    UTEST_REQUIRE(dj_create_sm(sm, DJ_SEL_SELF_PD, 0) == DJ_OK, "semaphore");
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_DEVICES, DJ_DEV_OP_NARROW, dev, e.rid) == DJ_OK, "narrow");
    UTEST_REQUIRE(dj_dev_ctrl(dev, DJ_DEV_OP_ASSIGN, DJ_SEL_SELF_PD, DJ_SEL_SELF_EC) == DJ_E_BAD_CAP,
                  "an EC accepted as the fault semaphore");
    UTEST_REQUIRE(dj_dev_ctrl(dev, DJ_DEV_OP_ASSIGN, DJ_SEL_SELF_PD, sm) == DJ_OK, "assign");
    uint64_t faults = 99, last = 0;
    UTEST_REQUIRE(dj_dev_faults(dev, &faults, &last) == DJ_OK && faults == 0, "%llu faults before any DMA",
                  (unsigned long long)faults);

    uint64_t src = DMA_VA, dst = DMA_VA + 2 * UTEST_PAGE, forbidden = DMA_VA + 4 * UTEST_PAGE;
    UTEST_REQUIRE(src + 8 * UTEST_PAGE <= EDU_DMA_LIMIT, "test addresses beyond the edu mask");
    UTEST_REQUIRE(dj_mem_alloc(src, 0, DJ_MEM_R | DJ_MEM_W | DJ_MEM_DMA) == DJ_OK, "source page");
    UTEST_REQUIRE(dj_mem_alloc(dst, 0, DJ_MEM_R | DJ_MEM_W | DJ_MEM_DMA) == DJ_OK, "destination page");
    UTEST_REQUIRE(dj_mem_alloc(forbidden, 0, DJ_MEM_R | DJ_MEM_W) == DJ_OK, "page without DMA");
    volatile uint8_t *s = (volatile uint8_t *)src, *d = (volatile uint8_t *)dst, *f = (volatile uint8_t *)forbidden;
    for (unsigned i = 0; i < COPY_BYTES; i++)
        s[i] = 0xa5;

    UTEST_REQUIRE(edu_dma(&e, src, EDU_BUFFER, 0) && edu_dma(&e, EDU_BUFFER, dst, EDU_DMA_TO_RAM),
                  "the device's DMA did not finish");
    UTEST_REQUIRE(all_bytes(d, 0xa5), "DMA into a page with the DMA right did not arrive (byte 0: %#x)", d[0]);

    UTEST_REQUIRE(dj_sm_ctrl(sm, DJ_SM_OP_TRY_DOWN) == DJ_E_TIMEOUT, "the fault semaphore was up before a fault");
    UTEST_REQUIRE(edu_dma(&e, EDU_BUFFER, forbidden, EDU_DMA_TO_RAM), "DMA did not finish");
    UTEST_REQUIRE(all_bytes(f, 0), "DMA reached a page without the DMA right");
    UTEST_REQUIRE(dj_sm_down_timeout(sm, FAULT_WAIT_US) == DJ_OK, "the fault was not signalled to the driver");
    UTEST_REQUIRE(dj_dev_faults(dev, &faults, &last) == DJ_OK && faults >= 1 && last == (forbidden | 1),
                  "fault record: %llu faults, latest %#llx", (unsigned long long)faults, (unsigned long long)last);

    /* What a driver without VT-d would program: physical addresses (of
     * its own source page, and of the kernel image at 2 MiB). Neither is
     * a device address of this DMA space: blocked, counted, unchanged. */
    uint64_t src_phys = 0, before = faults;
    UTEST_REQUIRE(dj_mem_phys(src, &src_phys, 0) == DJ_OK, "lookup");
    for (unsigned i = 0; i < COPY_BYTES; i++)
        s[i] = 0x5a;
    UTEST_REQUIRE(edu_dma(&e, EDU_BUFFER, src_phys, EDU_DMA_TO_RAM), "DMA did not finish");
    UTEST_REQUIRE(edu_dma(&e, EDU_BUFFER, KERNEL_IMAGE_PHYS, EDU_DMA_TO_RAM), "DMA did not finish");
    UTEST_REQUIRE(all_bytes(s, 0x5a), "DMA to a physical address reached the page");
    UTEST_REQUIRE(dj_sm_down_timeout(sm, FAULT_WAIT_US) == DJ_OK, "no fault signalled");
    UTEST_REQUIRE(dj_dev_faults(dev, &faults, 0) == DJ_OK && faults >= before + 2, "%llu faults after %llu",
                  (unsigned long long)faults, (unsigned long long)before);

    /* A page given back: its address leads nowhere any more. */
    uint64_t gone = DMA_VA + 6 * UTEST_PAGE;
    UTEST_REQUIRE(dj_mem_alloc(gone, 0, DJ_MEM_R | DJ_MEM_W | DJ_MEM_DMA) == DJ_OK, "page to give back");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, gone / UTEST_PAGE, 0, DJ_MEM_ALL), true) == DJ_OK, "give back");
    UTEST_REQUIRE(edu_dma(&e, EDU_BUFFER, gone, EDU_DMA_TO_RAM), "DMA did not finish");
    UTEST_REQUIRE(dj_sm_down_timeout(sm, FAULT_WAIT_US) == DJ_OK, "no fault signalled for a page given back");
    UTEST_REQUIRE(dj_dev_faults(dev, 0, &last) == DJ_OK && last == (gone | 1), "latest fault %#llx",
                  (unsigned long long)last);

    for (unsigned i = 0; i < COPY_BYTES; i++)
        d[i] = 0;
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_MEM, dst / UTEST_PAGE, 0, DJ_MEM_DMA), true) == DJ_OK, "revoke DMA");
    UTEST_REQUIRE(edu_dma(&e, EDU_BUFFER, dst, EDU_DMA_TO_RAM), "DMA did not finish");
    UTEST_REQUIRE(all_bytes(d, 0), "DMA reached a page after its DMA right was revoked");

    UTEST_REQUIRE(dj_dev_ctrl(dev, DJ_DEV_OP_BLOCK, 0, 0) == DJ_OK, "block");
    for (unsigned i = 0; i < COPY_BYTES; i++)
        s[i] = 0;
    UTEST_REQUIRE(edu_dma(&e, EDU_BUFFER, src, EDU_DMA_TO_RAM), "DMA did not finish");
    UTEST_REQUIRE(all_bytes(s, 0), "a blocked device reached memory");
    e.cfg[PCI_REG_COMMAND / 4] &= ~PCI_CMD_BUS_MASTER;
    return true;
}

/* The edu function's MSI capability (dword offset), or 0. */
static unsigned msi_cap(const struct edu *e)
{
    if (!(e->cfg[PCI_REG_STATUS_CMD / 4] & PCI_STATUS_CAP_LIST))
        return 0;
    unsigned at = e->cfg[PCI_REG_CAP_PTR / 4] & 0xfc;
    for (unsigned hops = 0; at && hops < 48; hops++) {
        uint32_t head = e->cfg[at / 4];
        if ((head & 0xff) == PCI_CAP_MSI)
            return at;
        at = (head >> 8) & 0xfc;
    }
    return 0;
}

static void edu_msi(struct edu *e, unsigned cap, uint64_t addr, uint64_t data)
{
    bool wide = e->cfg[cap / 4] & MSI_64BIT;
    e->cfg[cap / 4 + 1] = (uint32_t)addr;
    if (wide)
        e->cfg[cap / 4 + 2] = (uint32_t)(addr >> 32);
    e->cfg[cap / 4 + (wide ? 3 : 2)] = (uint32_t)data;
    e->cfg[cap / 4] |= MSI_ENABLE;
}

/* Raise edu's interrupt once (one MSI), then clear its status. */
static void edu_raise(struct edu *e)
{
    *(volatile uint32_t *)(e->regs + EDU_REG_RAISE) = 1;
    *(volatile uint32_t *)(e->regs + EDU_REG_ACK) = 1;
}

/* With interrupt remapping, edu raises only the MSI bound for it: not
 * another function's remapping entry (source-id check), not its own after
 * the unbind, and (on hardware that honours CFI) not another driver's
 * vector in compatibility format. */
UTEST(dma_forged_interrupts_blocked)
{
    if (!utest_bootinfo->intr_remap)
        UTEST_SKIP("no VT-d interrupt remapping on this machine");
    struct edu e;
    if (!find_edu(&e))
        UTEST_SKIP("no edu device (1234:11e8) on PCI bus 0");
    unsigned cap = msi_cap(&e);
    UTEST_REQUIRE(cap, "edu has no MSI capability");
    uint64_t bar = e.cfg[PCI_REG_BAR0 / 4] & PCI_BAR_MEM_MASK, regs_va = utest_va(1);
    UTEST_REQUIRE(dj_mmio_map(DJ_SEL_DEVMEM, regs_va, bar, 0, DJ_MEM_R | DJ_MEM_W, DJ_CACHE_UC) == DJ_OK, "BAR0");
    e.regs = (volatile uint8_t *)regs_va;
    e.cfg[PCI_REG_COMMAND / 4] |= PCI_CMD_MEMORY | PCI_CMD_BUS_MASTER;
    uint64_t dev = utest_selector(), other_dev = utest_selector();
    uint64_t sm_own = utest_selector(), sm_other = utest_selector(), sm_spoofed = utest_selector();
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_DEVICES, DJ_DEV_OP_NARROW, dev, e.rid) == DJ_OK &&
                      dj_dev_ctrl(dev, DJ_DEV_OP_ASSIGN, DJ_SEL_SELF_PD, 0) == DJ_OK,
                  "edu's capability");
    UTEST_REQUIRE(dj_dev_ctrl(DJ_SEL_DEVICES, DJ_DEV_OP_NARROW, other_dev, DJ_DEV_RID(0, 1, 0)) == DJ_OK,
                  "another function's capability");
    UTEST_REQUIRE(dj_create_sm(sm_own, DJ_SEL_SELF_PD, 0) == DJ_OK && dj_create_sm(sm_other, DJ_SEL_SELF_PD, 0) == DJ_OK &&
                      dj_create_sm(sm_spoofed, DJ_SEL_SELF_PD, 0) == DJ_OK,
                  "semaphores");
    uint64_t own_addr, own_data, sp_addr, sp_data;
    UTEST_REQUIRE(dj_msi_bind_device(DJ_SEL_MSI_BASE + MSI_OWN, sm_own, dev, &own_addr, &own_data) == DJ_OK,
                  "binding edu's MSI");
    UTEST_REQUIRE(dj_msi_bind_device(DJ_SEL_MSI_BASE + MSI_OTHER, sm_other, 0, 0, 0) == DJ_OK,
                  "binding another driver's MSI");
    UTEST_REQUIRE(dj_msi_bind_device(DJ_SEL_MSI_BASE + MSI_SPOOFED, sm_spoofed, other_dev, &sp_addr, &sp_data) ==
                      DJ_OK,
                  "binding another function's MSI");
    UTEST_REQUIRE(dj_msi_bind_device(DJ_SEL_MSI_BASE + MSI_SPOOFED + 1, sm_own, DJ_SEL_SELF_EC, 0, 0) == DJ_E_BAD_CAP,
                  "an EC accepted as the MSI's device");

    edu_msi(&e, cap, own_addr, own_data);
    edu_raise(&e);
    UTEST_REQUIRE(dj_sm_down_timeout(sm_own, FAULT_WAIT_US) == DJ_OK, "edu's own MSI did not arrive");

    uint64_t before = 0, after = 0;
    dj_dev_faults(dev, &before, 0);
    edu_msi(&e, cap, sp_addr, sp_data); /* another function's remapping entry */
    edu_raise(&e);
    UTEST_REQUIRE(dj_sm_down_timeout(sm_spoofed, IRQ_WAIT_US) == DJ_E_TIMEOUT,
                  "edu raised another function's MSI");
    /* Compatibility format with the other driver's vector: the kernel
     * keeps CFI off, so VT-d hardware blocks it; QEMU 7.2 forwards such
     * messages whatever CFI says, which is reported, not hidden. */
    edu_msi(&e, cap, MSI_COMPAT_BASE, KERNEL_MSI_VECTOR(MSI_OTHER));
    edu_raise(&e);
    bool compat_arrived = dj_sm_down_timeout(sm_other, IRQ_WAIT_US) == DJ_OK;
    UTEST_REQUIRE(dj_irq_ctrl(DJ_SEL_MSI_BASE + MSI_OWN, DJ_IRQ_OP_UNBIND, 0, 0) == DJ_OK, "unbind");
    edu_msi(&e, cap, own_addr, own_data);
    edu_raise(&e);
    UTEST_REQUIRE(dj_sm_down_timeout(sm_own, IRQ_WAIT_US) == DJ_E_TIMEOUT, "an unbound MSI still arrived");
    /* Remapping faults are counted where the unit records them (QEMU 7.2
     * only prints them): the semaphores above are the proof. */
    UTEST_REQUIRE(dj_dev_faults(dev, &after, 0) == DJ_OK && after >= before, "the fault count went back");
    e.cfg[cap / 4] &= ~MSI_ENABLE;
    e.cfg[PCI_REG_COMMAND / 4] &= ~PCI_CMD_BUS_MASTER;
    dj_irq_ctrl(DJ_SEL_MSI_BASE + MSI_OTHER, DJ_IRQ_OP_UNBIND, 0, 0);
    dj_irq_ctrl(DJ_SEL_MSI_BASE + MSI_SPOOFED, DJ_IRQ_OP_UNBIND, 0, 0);
    dj_dev_ctrl(dev, DJ_DEV_OP_BLOCK, 0, 0);
    if (compat_arrived)
        UTEST_SKIP("the rest passed, but a compatibility-format MSI reached another driver's vector: this IOMMU "
                   "does not block them (QEMU 7.2 ignores GSTS.CFIS; the kernel keeps CFI off)");
    return true;
}
