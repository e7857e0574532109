/* SPDX-License-Identifier: GPL-2.0-only */
/* ACPI PM1a event and control registers and the reset register (pm.h). */
#include "pm.h"
#include "acpi.h"
#include "common/string.h"

#define STS_OFFSET (ACPI_PM1A_EVT_PORT - ACPI_PM_BASE)
#define EN_OFFSET (STS_OFFSET + 2)
#define CNT_OFFSET (ACPI_PM1A_CNT_PORT - ACPI_PM_BASE)
#define RESET_OFFSET (ACPI_RESET_PORT - ACPI_PM_BASE)

#define PM1_PWRBTN (1u << 8)        /* in status and enable */
#define PM1_STS_WRITABLE 0x8731u    /* TMR BM GBL PWRBTN SLPBTN RTC WAK: the defined status bits */
#define PM1_EN_WRITABLE 0x0721u     /* TMR GBL PWRBTN SLPBTN RTC */
#define PM1_CNT_SCI_EN (1u << 0)
#define PM1_CNT_WRITABLE 0x1c06u    /* BM_RLD, GBL_RLS, SLP_TYP */
#define PM1_CNT_SLP_TYP_SHIFT 10
#define PM1_CNT_SLP_TYP_MASK 7u
#define PM1_CNT_SLP_EN (1u << 13)

static void update_sci(struct pm *pm)
{
    if (pm->sci)
        pm->sci(pm->ctx, (pm->status & pm->enable) != 0);
}

/* One register byte as read; offset within the block. */
static uint8_t read_byte(const struct pm *pm, unsigned offset)
{
    uint16_t reg;
    if (offset - STS_OFFSET < 2)
        reg = pm->status;
    else if (offset - EN_OFFSET < 2)
        reg = pm->enable;
    else if (offset - CNT_OFFSET < 2)
        reg = (uint16_t)(pm->control | PM1_CNT_SCI_EN);
    else
        return 0;
    return (uint8_t)(reg >> (8 * (offset & 1)));
}

uint64_t pm_read(void *dev, uint64_t offset, unsigned size)
{
    const struct pm *pm = dev;
    uint64_t v = 0;
    for (unsigned k = 0; k < size && k < 8; k++)
        v |= (uint64_t)(offset + k < ACPI_PM_LEN ? read_byte(pm, (unsigned)offset + k) : 0) << (8 * k);
    return v;
}

/* The bytes of a 16-bit register this access writes, merged with the rest. */
static bool written_half(uint64_t offset, unsigned size, uint64_t value, unsigned reg, uint16_t *bits, uint16_t *mask)
{
    *bits = 0;
    *mask = 0;
    for (unsigned k = 0; k < 2; k++) {
        uint64_t at = reg + k;
        if (at >= offset && at < offset + size) {
            *bits |= (uint16_t)(((value >> (8 * (at - offset))) & 0xff) << (8 * k));
            *mask |= (uint16_t)(0xffu << (8 * k));
        }
    }
    return *mask != 0;
}

static void write_control(struct pm *pm, uint16_t v)
{
    pm->control = v & PM1_CNT_WRITABLE;
    unsigned slp_typ = (v >> PM1_CNT_SLP_TYP_SHIFT) & PM1_CNT_SLP_TYP_MASK;
    if ((v & PM1_CNT_SLP_EN) && slp_typ == ACPI_S5_SLP_TYP && pm->power_off)
        pm->power_off(pm->ctx);
}

void pm_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct pm *pm = dev;
    uint16_t bits, mask;
    if (size > 8)
        return;
    if (written_half(offset, size, value, STS_OFFSET, &bits, &mask))
        pm->status &= (uint16_t)~(bits & mask & PM1_STS_WRITABLE);
    if (written_half(offset, size, value, EN_OFFSET, &bits, &mask))
        pm->enable = (uint16_t)((pm->enable & ~mask) | (bits & mask & PM1_EN_WRITABLE));
    update_sci(pm);
    if (written_half(offset, size, value, CNT_OFFSET, &bits, &mask))
        write_control(pm, (uint16_t)((pm->control & ~mask) | (bits & mask)));
    if (offset == RESET_OFFSET && (uint8_t)value == ACPI_RESET_VALUE && pm->reset)
        pm->reset(pm->ctx);
}

void pm_power_button(struct pm *pm)
{
    pm->status |= PM1_PWRBTN;
    update_sci(pm);
}

bool pm_attach(struct pm *pm, struct vmm_bus *io_bus, void (*power_off)(void *ctx), void (*reset)(void *ctx),
               void (*sci)(void *ctx, bool level_high), void *ctx)
{
    memset(pm, 0, sizeof *pm);
    pm->power_off = power_off;
    pm->reset = reset;
    pm->sci = sci;
    pm->ctx = ctx;
    return vmm_bus_add(io_bus, ACPI_PM_BASE, ACPI_PM_LEN, pm_read, pm_write, pm);
}
