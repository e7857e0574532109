/* SPDX-License-Identifier: GPL-2.0-only */
/* The i8042 keyboard controller, reset line only (i8042.h). */
#include "servers/vmm/i8042.h"
#include "common/string.h"

#define STATUS_OUTPUT_FULL 0x01
#define STATUS_SYSTEM_FLAG 0x04  /* set after a passed self-test */
#define STATUS_LAST_WAS_COMMAND 0x08
#define STATUS_NOT_INHIBITED 0x10
#define STATUS_AUX_DATA 0x20
#define STATUS_TIMEOUT 0x40
#define STATUS_RESET_VALUE (STATUS_SYSTEM_FLAG | STATUS_NOT_INHIBITED)

#define CMD_READ_COMMAND_BYTE 0x20
#define CMD_WRITE_COMMAND_BYTE 0x60
#define CMD_DISABLE_AUX 0xa7
#define CMD_ENABLE_AUX 0xa8
#define CMD_TEST_AUX 0xa9
#define CMD_SELF_TEST 0xaa
#define CMD_TEST_KEYBOARD 0xab
#define CMD_DISABLE_KEYBOARD 0xad
#define CMD_ENABLE_KEYBOARD 0xae
#define CMD_READ_OUTPUT_PORT 0xd0
#define CMD_WRITE_OUTPUT_PORT 0xd1
#define CMD_WRITE_KEYBOARD_OUTPUT 0xd2
#define CMD_WRITE_AUX_OUTPUT 0xd3
#define CMD_WRITE_AUX 0xd4
#define CMD_PULSE_FIRST 0xf0     /* 0xf0..0xff: pulse the output lines whose bits are clear */

#define SELF_TEST_PASSED 0x55
#define PORT_TEST_PASSED 0x00
#define COMMAND_BYTE_DEFAULT 0x45 /* keyboard interrupt, system flag, translation */
#define CB_KEYBOARD_DISABLED 0x10
#define CB_AUX_DISABLED 0x20
#define OUTPUT_PORT_RESET_LINE 0x01 /* clear: the CPU is held in reset */
#define OUTPUT_PORT_A20 0x02
#define OUTPUT_PORT_DEFAULT (OUTPUT_PORT_RESET_LINE | OUTPUT_PORT_A20)

static void put_output(struct i8042 *k, uint8_t v)
{
    k->output = v;
    k->status = (uint8_t)((k->status | STATUS_OUTPUT_FULL) & ~STATUS_AUX_DATA);
}

static void reset_vm(struct i8042 *k)
{
    if (k->reset)
        k->reset(k->ctx);
}

static uint64_t i8042_data_read(void *dev, uint64_t offset, unsigned size)
{
    struct i8042 *k = dev;
    (void)offset;
    (void)size;
    k->status &= (uint8_t)~STATUS_OUTPUT_FULL;
    return k->output; /* an empty buffer repeats the last byte, as the chip does */
}

/* A data byte: the argument of a pending command, else a byte for the
 * keyboard, which is not there. */
static void i8042_data_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8042 *k = dev;
    uint8_t v = (uint8_t)value;
    (void)offset;
    (void)size;
    k->status &= (uint8_t)~STATUS_LAST_WAS_COMMAND;
    uint8_t cmd = k->pending;
    k->pending = 0;
    switch (cmd) {
    case CMD_WRITE_COMMAND_BYTE:
        k->command_byte = v;
        k->status = (uint8_t)((k->status & ~STATUS_SYSTEM_FLAG) | (v & STATUS_SYSTEM_FLAG));
        break;
    case CMD_WRITE_OUTPUT_PORT:
        k->output_port = v;
        if (!(v & OUTPUT_PORT_RESET_LINE))
            reset_vm(k);
        break;
    case CMD_WRITE_KEYBOARD_OUTPUT:
        put_output(k, v); /* echoed as if the keyboard had sent it */
        break;
    case CMD_WRITE_AUX_OUTPUT:
        put_output(k, v);
        k->status |= STATUS_AUX_DATA;
        break;
    default: /* to the keyboard (or, after 0xd4, the mouse): no device answers */
        k->status |= STATUS_TIMEOUT;
        break;
    }
}

static uint64_t i8042_status_read(void *dev, uint64_t offset, unsigned size)
{
    struct i8042 *k = dev;
    (void)offset;
    (void)size;
    return k->status;
}

static void i8042_command_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct i8042 *k = dev;
    uint8_t cmd = (uint8_t)value;
    (void)offset;
    (void)size;
    k->status = (uint8_t)((k->status | STATUS_LAST_WAS_COMMAND) & ~STATUS_TIMEOUT);
    k->pending = 0;
    if (cmd >= CMD_PULSE_FIRST) {
        if (!(cmd & OUTPUT_PORT_RESET_LINE))
            reset_vm(k);
        return;
    }
    switch (cmd) {
    case CMD_READ_COMMAND_BYTE: put_output(k, k->command_byte); break;
    case CMD_SELF_TEST:
        k->status |= STATUS_SYSTEM_FLAG;
        put_output(k, SELF_TEST_PASSED);
        break;
    case CMD_TEST_KEYBOARD: case CMD_TEST_AUX: put_output(k, PORT_TEST_PASSED); break;
    case CMD_DISABLE_KEYBOARD: k->command_byte |= CB_KEYBOARD_DISABLED; break;
    case CMD_ENABLE_KEYBOARD: k->command_byte &= (uint8_t)~CB_KEYBOARD_DISABLED; break;
    case CMD_DISABLE_AUX: k->command_byte |= CB_AUX_DISABLED; break;
    case CMD_ENABLE_AUX: k->command_byte &= (uint8_t)~CB_AUX_DISABLED; break;
    case CMD_READ_OUTPUT_PORT: put_output(k, k->output_port); break;
    case CMD_WRITE_COMMAND_BYTE: case CMD_WRITE_OUTPUT_PORT: case CMD_WRITE_KEYBOARD_OUTPUT:
    case CMD_WRITE_AUX_OUTPUT: case CMD_WRITE_AUX:
        k->pending = cmd;
        break;
    default:
        break; /* unknown commands are ignored, like most real controllers do */
    }
}

bool i8042_attach(struct i8042 *k, struct vmm_bus *io_bus, void (*reset)(void *ctx), void *ctx)
{
    memset(k, 0, sizeof *k);
    k->status = STATUS_RESET_VALUE;
    k->command_byte = COMMAND_BYTE_DEFAULT;
    k->output_port = OUTPUT_PORT_DEFAULT;
    k->reset = reset;
    k->ctx = ctx;
    return vmm_bus_add(io_bus, I8042_DATA_PORT, 1, i8042_data_read, i8042_data_write, k)
           && vmm_bus_add(io_bus, I8042_COMMAND_PORT, 1, i8042_status_read, i8042_command_write, k);
}
