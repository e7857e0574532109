/* SPDX-License-Identifier: GPL-2.0-only */
/* The ACPI fixed hardware the FADT (acpi.c) describes, in the I/O block
 * ACPI_PM_BASE..+ACPI_PM_LEN:
 *   PM1a status  (ACPI_PM1A_EVT_PORT, 2 bytes, write one to clear)
 *   PM1a enable  (+2, 2 bytes)
 *   PM1a control (ACPI_PM1A_CNT_PORT, 2 bytes): SCI_EN always reads 1
 *     (there is no SMM: the platform is always in ACPI mode); writing
 *     SLP_EN with SLP_TYP = ACPI_S5_SLP_TYP (the DSDT's \_S5) powers off;
 *     other sleep types are not offered (no \_S1..\_S4) and are ignored.
 *   reset register (ACPI_RESET_PORT, 1 byte): ACPI_RESET_VALUE resets.
 * The VMM can press the power button (pm_power_button): PWRBTN_STS, and
 * an SCI (ISA IRQ 9, level) while the guest enabled that event, so a
 * guest with acpid or systemd shuts down cleanly. Other ports in the
 * block read as zero. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmm.h"

struct pm {
    uint16_t status, enable, control;
    void (*power_off)(void *ctx);
    void (*reset)(void *ctx);
    void (*sci)(void *ctx, bool level_high); /* may be NULL: no power button */
    void *ctx;
};

/* Claims the PM block. False if taken. */
bool pm_attach(struct pm *pm, struct vmm_bus *io_bus, void (*power_off)(void *ctx), void (*reset)(void *ctx),
               void (*sci)(void *ctx, bool level_high), void *ctx);
/* The power button was pressed (the VMM was asked to stop the guest). */
void pm_power_button(struct pm *pm);

uint64_t pm_read(void *pm, uint64_t offset, unsigned size);
void pm_write(void *pm, uint64_t offset, unsigned size, uint64_t value);
