/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's internal interfaces: how the exit handlers (exits.c), the
 * platform devices (one file each) and the guest memory meet.
 *
 * One VMM instance serves one VM. Each vCPU has a handler EC on the
 * vCPU's CPU that receives its exits as portal calls (struct
 * dj_vcpu_state in the handler's UTCB). Devices never see the UTCB: the
 * exit code decodes an access into an I/O or MMIO request and dispatches
 * it to the device that registered the port or address range.
 *
 * Device code must be host-testable: it depends only on this header,
 * common/ and its own state, never on system calls (those go through the
 * vmm_* services below, which host tests replace with fakes). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VMM_MAX_VCPUS 4

/* ---- Guest memory ---------------------------------------------------------
 * Guest RAM is one contiguous region of the VMM's address space, mapped
 * at guest-physical 0 (below the PCI hole: e820 describes it). Devices
 * reach guest memory only through these checked accessors: a guest
 * address outside RAM gives NULL / false, never host memory. */
struct vmm_ram {
    uint8_t *base;      /* VMM virtual address of guest-physical 0 */
    uint64_t size;      /* bytes of RAM below the hole */
};
/* A pointer to len bytes at guest-physical gpa, or NULL when any of them
 * is not RAM. */
void *vmm_gpa_ptr(const struct vmm_ram *ram, uint64_t gpa, uint64_t len);

/* ---- Device dispatch ------------------------------------------------------
 * A device registers port ranges and MMIO ranges with callbacks. Sizes
 * are 1, 2, 4 or 8 bytes; a read returns the value (zero-extended), a
 * write gets it. Accesses nobody claims read as all ones and are ignored
 * (the PC's floating bus). */
/* All ones in the low bytes of an access of that many bytes. */
static inline uint64_t vmm_size_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}
/* Little-endian values of 1 to 8 bytes in byte images (x86 guest, x86 host). */
static inline uint64_t vmm_get_le(const void *p, unsigned bytes) { uint64_t v = 0; __builtin_memcpy(&v, p, bytes); return v; }
static inline void vmm_put_le(void *p, unsigned bytes, uint64_t v) { __builtin_memcpy(p, &v, bytes); }
typedef uint64_t (*vmm_read_fn)(void *dev, uint64_t offset, unsigned size);
typedef void (*vmm_write_fn)(void *dev, uint64_t offset, unsigned size, uint64_t value);

struct vmm_region {
    uint64_t base, len;
    vmm_read_fn read;
    vmm_write_fn write;
    void *dev;
};

#define VMM_MAX_REGIONS 48
struct vmm_bus {
    struct vmm_region r[VMM_MAX_REGIONS];
    unsigned count;
};
/* Claim [base, base + len); false when it overlaps a claimed range or the
 * bus is full. */
bool vmm_bus_add(struct vmm_bus *bus, uint64_t base, uint64_t len, vmm_read_fn rd, vmm_write_fn wr, void *dev);
/* Drops the range dev claimed at base (a PCI BAR that moves). */
void vmm_bus_remove(struct vmm_bus *bus, void *dev, uint64_t base);
struct vmm_region *vmm_bus_find(struct vmm_bus *bus, uint64_t addr, unsigned size); /* NULL: nothing there */
uint64_t vmm_bus_read(struct vmm_bus *bus, uint64_t addr, unsigned size);
void vmm_bus_write(struct vmm_bus *bus, uint64_t addr, unsigned size, uint64_t value);

/* ---- Interrupts -----------------------------------------------------------
 * Devices raise interrupts through the IOAPIC (GSI, level or edge) or as
 * MSI messages; the LAPIC model of the target vCPU queues the vector and
 * the VMM recalls that vCPU so its handler injects it. */
void vmm_irq_set(unsigned gsi, bool level_high);       /* platform.c: to the IOAPIC */
/* The EOI of a level-triggered vector: the IOAPIC may send it again. */
void vmm_irq_eoi(uint8_t vector);                        /* platform.c: to the IOAPIC */
void vmm_msi_send(uint64_t address, uint32_t data);      /* platform.c: to the LAPICs */

/* ---- Services the VMM core offers devices ----------------------------------
 * Implemented by the VMM (main.c, smp.c, exits.c); host tests of a
 * device provide fakes. All are called under the VMM lock. */
/* Something for vCPU vcpu changed (a vector was queued, its timer was
 * reprogrammed): wake it from HLT or recall it so its handler looks. */
void vmm_vcpu_kick(unsigned vcpu);
/* The LAPIC model delivered INIT / a STARTUP IPI with vector (the AP
 * starts in real mode at vector << 12) to vcpu. */
void vmm_vcpu_init(unsigned vcpu);
void vmm_vcpu_sipi(unsigned vcpu, uint8_t vector);
/* The guest's TSC now (every vCPU has the same: TSC offset 0 relative to
 * the host TSC). */
uint64_t vmm_guest_tsc(void);
/* Bytes the guest's UART sent: to the console. */
void vmm_console_write(const char *s, size_t len);
/* The guest asked to power off (ACPI S5, debug exit) or to reset (i8042,
 * ACPI reset register, triple fault with restart): the VMM stops all
 * vCPUs and reports it on the console; status is the debug-exit value or
 * 0. */
void vmm_power_off(unsigned status);
void vmm_reset(void);
