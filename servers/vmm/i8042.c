/* SPDX-License-Identifier: GPL-2.0-only */
/* The i8042 keyboard controller, reset line only (i8042.h). */
#include "i8042.h"
#include "common/string.h"

#define STATUS_OUTPUT_FULL 0x01
#define STATUS_SYSTEM_FLAG 0x04  /* set after a passed self-test */
#define STATUS_LAST_WAS_COMMAND 0x08
#define STATUS_NOT_INHIBITED 0x10
#define STATUS_TIMEOUT 0x40
#define STATUS_RESET_VALUE (STATUS_SYSTEM_FLAG | STATUS_NOT_INHIBITED)

#define CMD_READ_COMMAND_BYTE 0x20
#define CMD_WRITE_COMMAND_BYTE 0x60
#define CMD_SELF_TEST 0xaa
#define CMD_WRITE_OUTPUT_PORT 0xd1
#define CMD_PULSE_FIRST 0xf0     /* 0xf0..0xff: pulse the output lines whose bits are clear */

#define SELF_TEST_PASSED 0x55
#define COMMAND_BYTE_DEFAULT 0x45 /* keyboard interrupt, system flag, translation */
#define OUTPUT_PORT_RESET_LINE 0x01 /* clear: the CPU is held in reset */

static void reset_vm(struct i8042 *k)
{
    if (k->reset)
        k->reset(k->ctx);
}

uint64_t i8042_data_read(void *dev, uint64_t offset, unsigned size)
{
    struct i8042 *k = dev;
    (void)offset;
    (void)size;
    k->status &= (uint8_t)~STATUS_OUTPUT_FULL;
    return k->output; /* an empty buffer repeats the last byte, as the chip does */
}

/* A data byte: the argument of a pending command, else a byte for the
 * keyboard, which is not there. */
void i8042_data_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8042 *k = dev;
    uint8_t v = (uint8_t)value;
    (void)offset;
    (void)size;
    k->status &= (uint8_t)~STATUS_LAST_WAS_COMMAND;
    if (k->pending == CMD_WRITE_COMMAND_BYTE)
        k->command_byte = v;
    else if (k->pending == CMD_WRITE_OUTPUT_PORT && !(v & OUTPUT_PORT_RESET_LINE))
        reset_vm(k);
    else if (!k->pending)
        k->status |= STATUS_TIMEOUT; /* no keyboard answers */
    k->pending = 0;
}

uint64_t i8042_status_read(void *dev, uint64_t offset, unsigned size)
{
    struct i8042 *k = dev;
    (void)offset;
    (void)size;
    return k->status;
}

/* Unknown commands are ignored, as most real controllers do. */
void i8042_command_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8042 *k = dev;
    uint8_t cmd = (uint8_t)value;
    (void)offset;
    (void)size;
    k->status = (uint8_t)((k->status | STATUS_LAST_WAS_COMMAND) & ~STATUS_TIMEOUT);
    k->pending = 0;
    if (cmd >= CMD_PULSE_FIRST && !(cmd & OUTPUT_PORT_RESET_LINE))
        reset_vm(k);
    else if (cmd == CMD_WRITE_COMMAND_BYTE || cmd == CMD_WRITE_OUTPUT_PORT)
        k->pending = cmd;
    else if (cmd == CMD_READ_COMMAND_BYTE || cmd == CMD_SELF_TEST) {
        k->output = cmd == CMD_SELF_TEST ? SELF_TEST_PASSED : k->command_byte;
        k->status |= STATUS_OUTPUT_FULL;
    }
}

bool i8042_attach(struct i8042 *k, struct vmm_bus *io_bus, void (*reset)(void *ctx), void *ctx)
{
    memset(k, 0, sizeof *k);
    k->status = STATUS_RESET_VALUE;
    k->command_byte = COMMAND_BYTE_DEFAULT;
    k->reset = reset;
    k->ctx = ctx;
    return vmm_bus_add(io_bus, I8042_DATA_PORT, 1, i8042_data_read, i8042_data_write, k)
           && vmm_bus_add(io_bus, I8042_COMMAND_PORT, 1, i8042_status_read, i8042_command_write, k);
}
