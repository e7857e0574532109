/* SPDX-License-Identifier: GPL-2.0-only */
/* QEMU's isa-debug-exit (debug_exit.h). */
#include "debug_exit.h"

uint64_t debug_exit_read(void *d, uint64_t offset, unsigned size)
{
    (void)d;
    (void)offset;
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

void debug_exit_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct debug_exit *d = dev;
    if (offset != 0)
        return;
    uint32_t v = (uint32_t)(value & (size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1));
    if (d->exit)
        d->exit(d->ctx, (v << 1) | 1);
}

bool debug_exit_attach(struct debug_exit *d, struct vmm_bus *io_bus, void (*exit)(void *ctx, uint32_t status), void *ctx)
{
    d->exit = exit;
    d->ctx = ctx;
    return vmm_bus_add(io_bus, DEBUG_EXIT_PORT, DEBUG_EXIT_LEN, debug_exit_read, debug_exit_write, d);
}
