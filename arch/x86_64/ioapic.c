/* SPDX-License-Identifier: GPL-2.0-only */
/* IOAPICs from the MADT: mapped, counted, and every line masked until a
 * driver asks for one. */
#include "arch/x86_64/vtd.h"
#include "arch/x86_64/acpi.h"
#include "arch/x86_64/apic.h"
#include "kernel/console.h"
#include "arch/x86_64/idt.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/spinlock.h"

#define IOAPIC_REGSEL 0x00
#define IOAPIC_WINDOW 0x10 /* bytes, i.e. index 4 in 32-bit words */
#define IOAPIC_WINDOW_SIZE 0x20
#define IOAPIC_REG_ID 0x00
#define IOAPIC_REG_VERSION 0x01
#define IOAPIC_REG_REDIR 0x10 /* two registers per line */
#define IOAPIC_VERSION_MAX_REDIR(v) (((v) >> 16) & 0xff)
#define IOAPIC_REDIR_MASKED (1u << 16)
#define IOAPIC_REDIR_LEVEL (1u << 15)
#define IOAPIC_REDIR_ACTIVE_LOW (1u << 13)
#define IOAPIC_REDIR_DEST_SHIFT 24 /* high word: physical APIC id (xAPIC: 8 bits) */
#define IOAPIC_ABSENT 0xffffffffu

struct ioapic {
    volatile uint32_t *regs;
    uint32_t gsi_base;
    unsigned lines;
    uint8_t id;
};

static struct ioapic ioapics[ACPI_MAX_IOAPICS];
static unsigned ioapic_count;
static unsigned total_lines;
/* The register window is two accesses: one CPU at a time. */
static struct spinlock ioapic_lock = SPINLOCK_INIT;

static uint32_t ioapic_read(const struct ioapic *io, uint32_t reg)
{
    io->regs[IOAPIC_REGSEL / 4] = reg;
    return io->regs[IOAPIC_WINDOW / 4];
}

static void ioapic_write(const struct ioapic *io, uint32_t reg, uint32_t v)
{
    io->regs[IOAPIC_REGSEL / 4] = reg;
    io->regs[IOAPIC_WINDOW / 4] = v;
}

void ioapic_init(void)
{
    for (unsigned i = 0; i < acpi.ioapic_count; i++) {
        const struct acpi_ioapic *a = &acpi.ioapics[i];
        struct ioapic *io = &ioapics[ioapic_count];
        io->regs = ioremap(a->addr, IOAPIC_WINDOW_SIZE, CACHE_UC);
        if (!io->regs) {
            kprintf("warning: ioapic: cannot map IOAPIC %u at %#x; ignored\n", a->id, a->addr);
            continue;
        }
        uint32_t version = ioapic_read(io, IOAPIC_REG_VERSION);
        if (version == IOAPIC_ABSENT) {
            kprintf("warning: ioapic: nothing answers at %#x (IOAPIC %u); ignored\n", a->addr, a->id);
            continue;
        }
        io->gsi_base = a->gsi_base;
        io->id = a->id;
        io->lines = IOAPIC_VERSION_MAX_REDIR(version) + 1;
        /* Masked, edge, active high, fixed to the BSP; vector preset for later. */
        for (unsigned line = 0; line < io->lines; line++) {
            uint32_t gsi = io->gsi_base + line;
            uint32_t vector = VEC_IOAPIC_BASE + gsi < VEC_TIMER ? VEC_IOAPIC_BASE + gsi : VEC_IOAPIC_BASE;
            ioapic_write(io, IOAPIC_REG_REDIR + 2 * line, IOAPIC_REDIR_MASKED | vector);
            ioapic_write(io, IOAPIC_REG_REDIR + 2 * line + 1, 0);
        }
        kprintf("ioapic: id %u at %#x, version %#x, GSI %u-%u, all masked\n", a->id, a->addr, version & 0xff,
                io->gsi_base, io->gsi_base + io->lines - 1);
        total_lines += io->lines;
        ioapic_count++;
    }
    if (ioapic_count == 0)
        kprintf("ioapic: none found\n");
}

unsigned ioapic_line_count(void)
{
    return total_lines;
}

static struct ioapic *ioapic_for(uint32_t gsi, unsigned *line)
{
    for (unsigned i = 0; i < ioapic_count; i++) {
        struct ioapic *io = &ioapics[i];
        if (gsi >= io->gsi_base && gsi - io->gsi_base < io->lines) {
            *line = gsi - io->gsi_base;
            return io;
        }
    }
    return 0;
}

int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, bool level, bool active_low)
{
    unsigned line;
    struct ioapic *io = ioapic_for(gsi, &line);
    if (!io)
        return -1;
    uint32_t low = IOAPIC_REDIR_MASKED | vector | (level ? IOAPIC_REDIR_LEVEL : 0) |
                   (active_low ? IOAPIC_REDIR_ACTIVE_LOW : 0);
    uint32_t high = apic_id << IOAPIC_REDIR_DEST_SHIFT;
    if (vtd_ir_active()) { /* [vtd] through the kernel's remapping entry for the line */
        uint64_t rte = vtd_ir_ioapic(VTD_IRTE_GSI(gsi), vector, apic_id, level, active_low, io->id);
        low = (uint32_t)rte;
        high = (uint32_t)(rte >> 32);
    }
    uint64_t flags = spin_lock_irqsave(&ioapic_lock);
    ioapic_write(io, IOAPIC_REG_REDIR + 2 * line, low);
    ioapic_write(io, IOAPIC_REG_REDIR + 2 * line + 1, high);
    spin_unlock_irqrestore(&ioapic_lock, flags);
    return 0;
}

void ioapic_set_masked(uint32_t gsi, bool masked)
{
    unsigned line;
    struct ioapic *io = ioapic_for(gsi, &line);
    if (!io)
        return;
    uint64_t flags = spin_lock_irqsave(&ioapic_lock);
    uint32_t low = ioapic_read(io, IOAPIC_REG_REDIR + 2 * line);
    low = masked ? low | IOAPIC_REDIR_MASKED : low & ~IOAPIC_REDIR_MASKED;
    ioapic_write(io, IOAPIC_REG_REDIR + 2 * line, low);
    spin_unlock_irqrestore(&ioapic_lock, flags);
}

bool ioapic_has_gsi(uint32_t gsi)
{
    unsigned line;
    return ioapic_for(gsi, &line) != 0;
}
