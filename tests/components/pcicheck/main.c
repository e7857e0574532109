/* SPDX-License-Identifier: GPL-2.0-only */
/* pcicheck: an in-system check of the PCI server and of init's device
 * grants, as a driver sees them. Its line names a device (pci=), the pci
 * portal and one MSI; it prints one "PASS name" or "FAIL name: why" line
 * per check on the kernel debug console and reports its totals with
 * DJ_SYS_DEBUG op DJ_DEBUG_OP_TEST_DONE (test mode powers the machine off).
 *
 * With arg=idle it only holds its device (so that a second claim can be
 * seen refused). With arg=crash and restart=yes, the first instance switches bus
 * mastering on, maps a BAR and then dies; init restarts it and the second
 * instance checks that the PCI server took the device back (bus mastering
 * off) before handing it out again. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/check.h"
#include "lib/component.h"
#include "lib/pci.h"
#include "lib/proto.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"

#define MAP_VA (DJ_CHILD_FREE_VA + 0x1000000)
#define PAGE 4096ull
#define REG_VENDOR 0x00
#define REG_COMMAND 0x04
#define REG_HEADER_TYPE 0x0e
#define REG_BAR0 0x10
#define REG_ROM 0x30
#define REG_INT_LINE 0x3c
#define CMD_SERR 0x100
#define SEL_SLEEP_SM DJ_CHILD_FIRST_FREE
#define SEL_MSI_SM (DJ_CHILD_FIRST_FREE + 1)

static struct dj_pci_dev dev;
static uint64_t pci_pt;
static const struct dj_start_info *si;
static struct check_tally tally;

static enum dj_status raw(uint64_t op, uint64_t a, uint64_t b, uint64_t c, unsigned words)
{
    struct dj_utcb *u = dj_utcb();
    u->words[0] = op;
    u->words[1] = a;
    u->words[2] = b;
    u->words[3] = c;
    uint64_t out = 0;
    enum dj_status st = dj_call(pci_pt, DJ_MTD(words, 0), &out);
    return st != DJ_OK ? st : DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
}

static int first_memory_bar(void)
{
    for (int i = 0; i < DJ_PCI_BARS; i++)
        if (dev.bar[i].size && !(dev.bar[i].flags & DJ_PCI_BAR_IO))
            return i;
    return -1;
}

static bool pci_info_and_cfg_read(char *why)
{
    uint32_t id = 0;
    CHECK(dj_pci_cfg_read(&dev, REG_VENDOR, 4, &id) == DJ_OK, "configuration read failed");
    CHECK(id == (dev.vendor | (uint32_t)dev.device << 16), "id %08x, INFO said %04x:%04x", id, dev.vendor,
          dev.device);
    printf("device %02x:%02x.%u %04x:%04x class %06x\n", (dev.bdf >> 8) & 0xff, (dev.bdf >> 3) & 0x1f, dev.bdf & 7,
           dev.vendor, dev.device, dev.class_rev >> 8);
    return true;
}

static bool pci_cfg_write_filtered(char *why)
{
    uint32_t bar0 = 0, after = 0, tmp;
    CHECK(dj_pci_cfg_read(&dev, REG_BAR0, 4, &bar0) == DJ_OK, "BAR0 read failed");
    CHECK(dj_pci_cfg_write(&dev, REG_BAR0, 4, 0xffffffff) == DJ_E_BAD_PARAM, "BAR0 write accepted");
    CHECK(dj_pci_cfg_write(&dev, REG_VENDOR, 2, 0x1234) == DJ_E_BAD_PARAM, "vendor id write accepted");
    CHECK(dj_pci_cfg_write(&dev, REG_HEADER_TYPE, 1, 0) == DJ_E_BAD_PARAM, "header type write accepted");
    CHECK(dj_pci_cfg_write(&dev, REG_ROM, 4, 0xfff00001) == DJ_E_BAD_PARAM, "ROM BAR write accepted");
    CHECK(dj_pci_cfg_write(&dev, REG_INT_LINE, 4, 0) == DJ_E_BAD_PARAM, "write over the interrupt pin accepted");
    CHECK(dj_pci_cfg_write(&dev, REG_INT_LINE, 1, 0x100) == DJ_E_BAD_PARAM, "value wider than the write accepted");
    CHECK(dj_pci_cfg_write(&dev, REG_COMMAND + 1, 2, 0) == DJ_E_BAD_PARAM, "unaligned write accepted");
    CHECK(dj_pci_cfg_write(&dev, REG_COMMAND, 3, 0) == DJ_E_BAD_PARAM, "width 3 accepted");
    CHECK(dj_pci_cfg_read(&dev, 4096, 4, &tmp) == DJ_E_BAD_PARAM, "read past configuration space accepted");
    CHECK(dj_pci_cfg_read(&dev, 0, 8, &tmp) == DJ_E_BAD_PARAM, "width 8 accepted");
    CHECK(dj_pci_cfg_read(&dev, REG_BAR0, 4, &after) == DJ_OK && after == bar0, "BAR0 %08x became %08x", bar0,
          after);
    return true;
}

static bool pci_command_masked(char *why)
{
    uint32_t before = 0, after = 0;
    CHECK(dj_pci_cfg_read(&dev, REG_COMMAND, 2, &before) == DJ_OK, "command read failed");
    CHECK(dj_pci_cfg_write(&dev, REG_COMMAND, 2, (before ^ CMD_SERR) | DJ_PCI_CMD_INTX_DISABLE) == DJ_OK,
          "command write refused");
    CHECK(dj_pci_cfg_read(&dev, REG_COMMAND, 2, &after) == DJ_OK, "command read failed");
    CHECK((after & CMD_SERR) == (before & CMD_SERR), "SERR# enable changed: %04x -> %04x", before, after);
    CHECK(after & DJ_PCI_CMD_INTX_DISABLE, "INTx disable did not stick: %04x", after);
    return true;
}

static bool pci_map_bar_uncached(char *why)
{
    int bar = first_memory_bar();
    CHECK(bar >= 0, "the device has no memory BAR");
    volatile void *regs = NULL;
    enum dj_status st = dj_pci_map_bar(&dev, (unsigned)bar, MAP_VA, &regs);
    CHECK(st == DJ_OK && regs, "MAP_BAR %d: status %d", bar, st);
    uint64_t phys = 0;
    unsigned cache = 9;
    CHECK(dj_mem_phys(MAP_VA, &phys, &cache) == DJ_OK, "nothing mapped at the BAR's address");
    CHECK(phys == (dev.bar[bar].base & ~(PAGE - 1)) && cache == DJ_CACHE_UC, "BAR%d at 0x%lx cache %u, expected 0x%lx UC",
          bar, (unsigned long)phys, cache, (unsigned long)dev.bar[bar].base);
    uint32_t first = *(volatile uint32_t *)regs;
    printf("BAR%d mapped: first register %08x\n", bar, first);
    return true;
}

static bool pci_bad_requests_refused(char *why)
{
    CHECK(raw(DJ_PCI_OP_MAP_BAR, DJ_PCI_BARS, MAP_VA / PAGE, 0, 3) == DJ_E_BAD_PARAM, "BAR 6 accepted");
    CHECK(raw(DJ_PCI_OP_MAP_BAR, 0, 1ull << 40, 0, 3) == DJ_E_BAD_PARAM || !dev.bar[0].size ||
              (dev.bar[0].flags & DJ_PCI_BAR_IO),
          "a destination beyond the user half accepted");
    CHECK(raw(DJ_PCI_OP_INFO, 0, 0, 0, 2) == DJ_E_BAD_PARAM, "INFO with an extra word accepted");
    CHECK(raw(99, 0, 0, 0, 1) == DJ_E_BAD_PARAM, "unknown operation accepted");
    CHECK(raw(DJ_SERVICE_OP_CLIENT, si->id, 0, 0, 4) == DJ_E_BAD_CAP, "a driver posed as init");
    for (unsigned i = 0; i < DJ_PCI_BARS; i++)
        if (!dev.bar[i].size)
            CHECK(raw(DJ_PCI_OP_MAP_BAR, i, MAP_VA / PAGE + 0x10000, 0, 3) == DJ_E_BAD_PARAM,
                  "unimplemented BAR %u accepted", i);
    return true;
}

static bool pci_reset_and_caps(char *why)
{
    struct dj_utcb *u = dj_utcb();
    CHECK(dj_pci_reset(&dev) == DJ_OK, "reset failed");
    bool flr = u->words[1] != 0;
    uint32_t command = 0;
    CHECK(dj_pci_cfg_read(&dev, REG_COMMAND, 2, &command) == DJ_OK, "command read failed");
    CHECK(!(command & DJ_PCI_CMD_BUS_MASTER), "bus mastering on after a reset: %04x", command);
    CHECK(command & DJ_PCI_CMD_MEMORY || first_memory_bar() < 0, "memory decoding off after a reset: %04x", command);
    printf("reset %s; MSI at 0x%x, MSI-X at 0x%x\n", flr ? "by FLR" : "without FLR", dj_pci_find_cap(&dev, DJ_PCI_CAP_MSI),
           dj_pci_find_cap(&dev, DJ_PCI_CAP_MSIX));
    return true;
}

static bool grants_msi_not_devmem(char *why)
{
    enum dj_obj_type type = DJ_OBJ_NONE;
    CHECK(si->nmsi == 1, "%u MSI capabilities, expected 1", si->nmsi);
    CHECK(dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_MSI_BASE, 0, 0), 0, &type) == DJ_OK && type == DJ_OBJ_IRQ,
          "no MSI capability at DJ_SEL_MSI_BASE (type %d)", type);
    CHECK(dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_MSI_BASE + 1, 0, 0), 0, &type) == DJ_OK && type == DJ_OBJ_NONE,
          "a second MSI capability is there");
    CHECK(dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_DEVMEM, 0, 0), 0, &type) == DJ_OK && type == DJ_OBJ_NONE,
          "device memory granted without devmem=yes");
    uint64_t addr = 0, data = 0;
    CHECK(dj_create_sm(SEL_MSI_SM, DJ_SEL_SELF_PD, 0) == DJ_OK, "no semaphore");
    CHECK(dj_msi_bind(DJ_SEL_MSI_BASE, SEL_MSI_SM, &addr, &data) == DJ_OK, "MSI bind failed");
    printf("MSI message: address 0x%lx data 0x%lx\n", (unsigned long)addr, (unsigned long)data);
    return true;
}

static bool restart_took_device_back(char *why)
{
    uint32_t command = 0;
    CHECK(si->generation == 1, "generation %u, expected 1", si->generation);
    CHECK(dj_pci_cfg_read(&dev, REG_COMMAND, 2, &command) == DJ_OK, "command read failed");
    CHECK(!(command & DJ_PCI_CMD_BUS_MASTER), "bus mastering still on after the restart: %04x", command);
    return true;
}

/* The first instance leaves the device busy and dies. */
static void crash_with_device_busy(void)
{
    dj_pci_command(&dev, DJ_PCI_CMD_BUS_MASTER | DJ_PCI_CMD_MEMORY, 0);
    int bar = first_memory_bar();
    volatile void *regs;
    if (bar >= 0)
        dj_pci_map_bar(&dev, (unsigned)bar, MAP_VA, &regs);
    printf("generation 0: bus mastering on, BAR mapped; now dying\n");
    *(volatile uint64_t *)0 = 0;
}

int main(void)
{
    static const struct check checks[] = {
        {"pci_info_and_cfg_read", pci_info_and_cfg_read},
        {"pci_cfg_write_filtered", pci_cfg_write_filtered},
        {"pci_command_masked", pci_command_masked},
        {"pci_map_bar_uncached", pci_map_bar_uncached},
        {"pci_bad_requests_refused", pci_bad_requests_refused},
        {"pci_reset_and_caps", pci_reset_and_caps},
        {"init_grants_msi_not_devmem", grants_msi_not_devmem},
    };
    si = dj_start();
    if (!si || !dj_start_cap("pci", &pci_pt) || dj_pci_open(pci_pt, &dev) != DJ_OK) {
        dj_debug_puts("FAIL pci_open: no pci portal or no device\n");
        dj_debug(DJ_DEBUG_OP_TEST_DONE, 1, 0);
        dj_block_forever(SEL_SLEEP_SM);
    }
    if (strcmp(si->arg, "idle") == 0) /* holds its device so another line's claim can be refused */
        dj_block_forever(SEL_SLEEP_SM);
    bool crash = strcmp(si->arg, "crash") == 0;
    if (crash && si->generation == 0)
        crash_with_device_busy();
    if (crash)
        check_run(&(struct check){"pci_restart_took_device_back", restart_took_device_back}, CHECK_TO_DEBUG,
                  &tally);
    check_run_all(checks, sizeof(checks) / sizeof(checks[0]), CHECK_TO_DEBUG, &tally);
    check_summary(&tally);
    dj_debug(DJ_DEBUG_OP_TEST_DONE, (uint64_t)tally.passed << 32 | tally.failed, 0);
    dj_block_forever(SEL_SLEEP_SM);
}
