/* SPDX-License-Identifier: GPL-2.0-only */
/* The platform (docs/vmm.md, "Platform"): which devices a VM has, where
 * they sit, and the glue between the exit handlers and the device models
 * (LAPIC per vCPU, IOAPIC, UART, RTC, i8042, PCI host with virtio-net,
 * ACPI tables, debug exit). */
#include <string.h>
#include "core.h"
#include "decode.h"

static uint64_t mmio_read(void *ctx, uint64_t gpa, unsigned size)
{
    (void)ctx;
    return vmm_bus_read(&vm.mmio, gpa, size);
}

static void mmio_write(void *ctx, uint64_t gpa, unsigned size, uint64_t value)
{
    (void)ctx;
    vmm_bus_write(&vm.mmio, gpa, size, value);
}

static bool claimed(uint64_t gpa)
{
    for (unsigned i = 0; i < vm.mmio.count; i++)
        if (gpa >= vm.mmio.r[i].base && gpa - vm.mmio.r[i].base < vm.mmio.r[i].len)
            return true;
    return false;
}

bool mmio_emulate(struct vcpu *v, struct dj_vcpu_state *s, uint64_t gpa, const char **why)
{
    struct vmm_insn insn;
    enum vmm_decode_status st = vmm_decode(&vm.ram, s, &insn);
    if (st != VMM_DECODE_OK) {
        *why = vmm_decode_status_name(st);
        return false;
    }
    if (!claimed(gpa))
        exits_note_unbacked(v->id, gpa, s->rip);
    static const struct vmm_mem_access access = {mmio_read, mmio_write, NULL};
    vmm_insn_execute(&insn, s, gpa, &access);
    return true;
}
