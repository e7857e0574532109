/* SPDX-License-Identifier: GPL-2.0-only */
/* QEMU's isa-debug-exit device at port 0xf4: a test kernel writes v and
 * the VM ends with status (v << 1) | 1 (QEMU's convention: an odd status,
 * so 0 can never mean "the guest said so"). A write of any size (1, 2 or
 * 4 bytes, which is why it claims 0xf4..0xf7) at 0xf4 counts; reads give
 * all ones. What "ends" means is the VMM's
 * choice: the callback gets the status. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "vmm.h"

#define DEBUG_EXIT_PORT 0xf4
#define DEBUG_EXIT_LEN 4

struct debug_exit {
    void (*exit)(void *ctx, uint32_t status);
    void *ctx;
};

bool debug_exit_attach(struct debug_exit *d, struct vmm_bus *io_bus, void (*exit)(void *ctx, uint32_t status), void *ctx);

uint64_t debug_exit_read(void *d, uint64_t offset, unsigned size);
void debug_exit_write(void *d, uint64_t offset, unsigned size, uint64_t value);
