/* SPDX-License-Identifier: GPL-2.0-only */
/* A minimal i8042 keyboard controller at ports 0x60 (data) and 0x64
 * (status / command), with no keyboard or mouse behind it. It is there
 * for the reset line: command 0xfe (pulse output line 0), any pulse
 * command 0xf0..0xfe with bit 0 clear, or clearing bit 0 of the output
 * port (command 0xd1) resets the VM through a callback. It answers the
 * controller self-test (0xaa -> 0x55) and the command byte (0x20 / 0x60)
 * and ignores other commands; bytes for the keyboard time out (status
 * bit 6), so a driver that probes finds nothing to talk to. Neither
 * the DSDT (no PS/2 device) nor the FADT (8042 boot flag clear) offers
 * it, so Linux's i8042 driver does not probe at all; its reboot code
 * (reboot=kbd) still pulses the reset line. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmm.h"

#define I8042_DATA_PORT 0x60
#define I8042_COMMAND_PORT 0x64

struct i8042 {
    uint8_t status;
    uint8_t output;         /* the output buffer (valid when status bit 0) */
    uint8_t command_byte;   /* the controller's configuration byte */
    uint8_t pending;        /* a command waiting for its data byte (0x60, 0xd1) */
    void (*reset)(void *ctx);
    void *ctx;
};

/* Claims ports 0x60 and 0x64; reset (may be NULL) pulses the CPU reset
 * line. False if the ports are taken. */
bool i8042_attach(struct i8042 *kbc, struct vmm_bus *io_bus, void (*reset)(void *ctx), void *ctx);

/* The bus callbacks (dev: the struct i8042; each port is its own region). */
uint64_t i8042_data_read(void *kbc, uint64_t offset, unsigned size);
void i8042_data_write(void *kbc, uint64_t offset, unsigned size, uint64_t value);
uint64_t i8042_status_read(void *kbc, uint64_t offset, unsigned size);
void i8042_command_write(void *kbc, uint64_t offset, unsigned size, uint64_t value);
