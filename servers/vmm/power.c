/* SPDX-License-Identifier: GPL-2.0-only */
/* The ACPI PM block, the i8042's reset line and isa-debug-exit (power.h). */
#include "power.h"
#include "acpi.h"
#include "common/string.h"

/* ---- ACPI PM1a event and control registers, reset register ------------ */

#define STS_OFFSET (ACPI_PM1A_EVT_PORT - ACPI_PM_BASE)
#define EN_OFFSET (STS_OFFSET + 2)
#define CNT_OFFSET (ACPI_PM1A_CNT_PORT - ACPI_PM_BASE)
#define RESET_OFFSET (ACPI_RESET_PORT - ACPI_PM_BASE)

#define PM1_EN_WRITABLE 0x0721u     /* TMR GBL PWRBTN SLPBTN RTC */
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_WRITABLE 0x1c06u    /* BM_RLD, GBL_RLS, SLP_TYP */
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK 7u
#define PM1_CNT_SLP_EN (1u << 13)

/* The block as bytes: PM1 status 0 (no event ever sets a bit: there is
 * no button, timer or GPE here, so the SCI is never raised), enable,
 * control, the reset register 0. The bus keeps accesses inside it. */
static void pm_image(const struct power *p, uint8_t img[ACPI_PM_LEN], uint16_t control)
{
    memset(img, 0, ACPI_PM_LEN);
    vmm_put_le(&img[EN_OFFSET], 2, p->enable);
    vmm_put_le(&img[CNT_OFFSET], 2, control);
}

static uint64_t pm_read(void *dev, uint64_t offset, unsigned size)
{
    struct power *p = dev;
    uint8_t img[ACPI_PM_LEN];
    pm_image(p, img, p->control | PM1_CNT_SCI_EN);
    return vmm_get_le(&img[offset], size);
}

/* Enable and control take the writable bits; SLP_EN (never stored) with
 * SLP_TYP 5 powers off, the reset value in the reset register resets. */
static void pm_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct power *p = dev;
    uint8_t img[ACPI_PM_LEN];
    pm_image(p, img, p->control);
    vmm_put_le(&img[offset], size, value);
    uint16_t control = (uint16_t)vmm_get_le(&img[CNT_OFFSET], 2);
    p->enable = (uint16_t)vmm_get_le(&img[EN_OFFSET], 2) & PM1_EN_WRITABLE;
    p->control = control & PM1_CNT_WRITABLE;
    if ((control & PM1_CNT_SLP_EN) && ((control >> PM1_CNT_SLP_TYP_SHIFT) & PM1_CNT_SLP_TYP_MASK) == ACPI_S5_SLP_TYP)
        vmm_power_off(0);
    if (offset == RESET_OFFSET && (uint8_t)value == ACPI_RESET_VALUE)
        vmm_reset();
}

/* ---- i8042: the reset line only ------------------------------------------ */

#define KBC_STATUS 0x14             /* system flag, not inhibited; both buffers always empty */
#define CMD_WRITE_OUTPUT_PORT 0xd1
#define CMD_PULSE_FIRST 0xf0        /* 0xf0..0xff: pulse the output lines whose bits are clear */
#define OUTPUT_PORT_RESET_LINE 0x01 /* clear: the CPU is held in reset */

static uint64_t kbc_status_read(void *dev, uint64_t offset, unsigned size)
{
    (void)dev, (void)offset, (void)size;
    return KBC_STATUS;
}

/* A data byte: the new output port after 0xd1, else for nobody. */
static void kbc_data_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct power *p = dev;
    (void)offset, (void)size;
    if (p->kbc_command == CMD_WRITE_OUTPUT_PORT && !(value & OUTPUT_PORT_RESET_LINE))
        vmm_reset();
    p->kbc_command = 0;
}

static void kbc_command_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct power *p = dev;
    (void)offset, (void)size;
    p->kbc_command = (uint8_t)value;
    if (p->kbc_command >= CMD_PULSE_FIRST && !(value & OUTPUT_PORT_RESET_LINE))
        vmm_reset();
}

/* ---- isa-debug-exit ------------------------------------------------------- */

static void debug_exit_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    (void)dev;
    if (offset == 0)
        vmm_power_off(((uint32_t)(value & vmm_size_mask(size < 4 ? size : 4)) << 1) | 1);
}

bool power_attach(struct power *p, struct vmm_bus *io_bus)
{
    memset(p, 0, sizeof *p);
    /* A NULL read: the bus answers all ones (debug-exit and i8042 data reads). */
    return vmm_bus_add(io_bus, ACPI_PM_BASE, ACPI_PM_LEN, pm_read, pm_write, p) &&
           vmm_bus_add(io_bus, I8042_DATA_PORT, 1, NULL, kbc_data_write, p) &&
           vmm_bus_add(io_bus, I8042_COMMAND_PORT, 1, kbc_status_read, kbc_command_write, p) &&
           vmm_bus_add(io_bus, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, NULL, debug_exit_write, p);
}
