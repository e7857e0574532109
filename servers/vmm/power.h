/* SPDX-License-Identifier: GPL-2.0-only */
/* How a guest powers off or resets: three small devices on the I/O bus
 * that end in vmm_power_off() or vmm_reset() (vmm.h).
 *
 * ACPI fixed hardware the FADT (acpi.c) describes, in the I/O block
 * ACPI_PM_BASE..+ACPI_PM_LEN:
 *   PM1a status  (ACPI_PM1A_EVT_PORT, 2 bytes): always 0
 *   PM1a enable  (+2, 2 bytes)
 *   PM1a control (ACPI_PM1A_CNT_PORT, 2 bytes): SCI_EN always reads 1
 *     (there is no SMM: the platform is always in ACPI mode); writing
 *     SLP_EN with SLP_TYP = ACPI_S5_SLP_TYP (the DSDT's \_S5) powers off;
 *     other sleep types are not offered (no \_S1..\_S4) and are ignored.
 *   reset register (ACPI_RESET_PORT, 1 byte): ACPI_RESET_VALUE resets.
 * No event sets a status bit (there is no power button to press), so
 * the SCI (ISA IRQ 9) is never raised.
 * Other ports in the block read as zero.
 *
 * The i8042 keyboard controller's reset line at ports 0x60 (data) and
 * 0x64 (status / command), and nothing else of it: command 0xfe (pulse
 * output line 0), any pulse command 0xf0..0xfe with bit 0 clear, or
 * clearing bit 0 of the output port (command 0xd1, then the data byte)
 * resets the VM. The status reads "buffers empty" (so a reboot path
 * waiting for the input buffer goes on), the data port all ones, other
 * commands are ignored: there is no keyboard, no self-test, no command
 * byte. Neither the DSDT (no PS/2 device) nor the FADT (8042 boot flag
 * clear) offers a controller, so Linux's i8042 driver does not probe;
 * its reboot code (reboot=kbd) still pulses the reset line.
 *
 * QEMU's isa-debug-exit at port 0xf4: a test kernel writes v and the VM
 * powers off with status (v << 1) | 1 (QEMU's convention: an odd status,
 * so 0 can never mean "the guest said so"). A write of any size (1, 2 or
 * 4 bytes, which is why it claims 0xf4..0xf7) at 0xf4 counts; reads give
 * all ones. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmm.h"

#define I8042_DATA_PORT 0x60
#define I8042_COMMAND_PORT 0x64
#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_LEN 4

struct power {
    uint16_t enable, control;         /* PM1a (status always reads 0) */
    uint8_t kbc_command;              /* the i8042's last command (0xd1 waits for its data byte) */
};

/* Claims the PM block, the i8042's ports and the debug-exit port. False
 * if any is taken. */
bool power_attach(struct power *p, struct vmm_bus *io_bus);
