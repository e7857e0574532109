/* SPDX-License-Identifier: GPL-2.0-only */
/* IOAPIC model: see ioapic.h. */
#include "ioapic.h"

#define OFFSET_REGSEL 0x00u
#define OFFSET_WINDOW 0x10u

#define REG_ID 0x00u
#define REG_VERSION 0x01u
#define REG_ARBITRATION 0x02u
#define REG_REDIR0 0x10u
#define ID_SHIFT 24
#define ID_MASK 0xfu
/* Version 0x11, highest redirection entry index in bits 23:16. */
#define IOAPIC_VERSION (0x11u | ((IOAPIC_PINS - 1) << 16))

#define RTE_VECTOR_MASK 0xffu
#define RTE_MODE_SHIFT 8
#define RTE_LOGICAL (1u << 11)
#define RTE_REMOTE_IRR (1u << 14)
#define RTE_LEVEL (1u << 15)
#define RTE_MASKED (1u << 16)
/* vector, delivery mode, destination mode, polarity, trigger, mask;
 * delivery status (bit 12) and remote IRR are read-only. */
#define RTE_WRITABLE_LOW 0x0001afffu
#define RTE_DEST_SHIFT 56
#define RTE_WRITABLE_HIGH 0xff000000u

static bool is_level(uint64_t rte)
{
    return rte & RTE_LEVEL;
}

static unsigned mode(uint64_t rte)
{
    return (rte >> RTE_MODE_SHIFT) & 7;
}

/* Send pin's message; a level-triggered fixed interrupt stays
 * in service (remote IRR) until its EOI. */
static void send(struct ioapic *io, unsigned pin)
{
    uint64_t rte = io->redir[pin];
    bool level = is_level(rte) && (mode(rte) == APIC_DM_FIXED || mode(rte) == APIC_DM_LOWEST);
    struct apic_msg m = {
        .dest = (uint32_t)(rte >> RTE_DEST_SHIFT),
        .logical = rte & RTE_LOGICAL,
        .level = level,
        .mode = (uint8_t)mode(rte),
        .vector = rte & RTE_VECTOR_MASK,
    };
    if (level)
        io->redir[pin] |= RTE_REMOTE_IRR;
    io->deliver(&m);
}

/* A level pin that is asserted, unmasked and not in service fires. */
static void service_level(struct ioapic *io, unsigned pin)
{
    uint64_t rte = io->redir[pin];
    if (is_level(rte) && io->asserted[pin] && !(rte & (RTE_MASKED | RTE_REMOTE_IRR)))
        send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned gsi, bool asserted)
{
    if (gsi >= IOAPIC_PINS)
        return;
    bool rising = asserted && !io->asserted[gsi];
    io->asserted[gsi] = asserted;
    uint64_t rte = io->redir[gsi];
    if (is_level(rte))
        service_level(io, gsi);
    else if (rising && !(rte & RTE_MASKED))
        send(io, gsi);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t rte = io->redir[pin];
        if (!(rte & RTE_REMOTE_IRR) || (rte & RTE_VECTOR_MASK) != vector)
            continue;
        io->redir[pin] &= ~(uint64_t)RTE_REMOTE_IRR;
        service_level(io, pin);
    }
}

static uint32_t read_register(const struct ioapic *io, uint32_t reg)
{
    switch (reg) {
    case REG_ID:
    case REG_ARBITRATION:
        return io->id << ID_SHIFT;
    case REG_VERSION:
        return IOAPIC_VERSION;
    }
    unsigned pin = (reg - REG_REDIR0) / 2;
    if (reg < REG_REDIR0 || pin >= IOAPIC_PINS)
        return 0;
    return (reg & 1) ? (uint32_t)(io->redir[pin] >> 32) : (uint32_t)io->redir[pin];
}

static void write_redirection(struct ioapic *io, unsigned pin, bool high, uint32_t v)
{
    uint64_t rte = io->redir[pin];
    if (high) {
        rte = (uint32_t)rte | ((uint64_t)(v & RTE_WRITABLE_HIGH) << 32);
    } else {
        rte = (rte & 0xffffffff00000000ull) | (v & RTE_WRITABLE_LOW) | (rte & RTE_REMOTE_IRR);
        if (!is_level(rte))
            rte &= ~(uint64_t)RTE_REMOTE_IRR; /* edge pins have no in-service state */
    }
    io->redir[pin] = rte;
    service_level(io, pin); /* unmasking an asserted level pin fires it */
}

static void write_register(struct ioapic *io, uint32_t reg, uint32_t v)
{
    if (reg == REG_ID) {
        io->id = (v >> ID_SHIFT) & ID_MASK;
        return;
    }
    unsigned pin = (reg - REG_REDIR0) / 2;
    if (reg >= REG_REDIR0 && pin < IOAPIC_PINS)
        write_redirection(io, pin, reg & 1, v);
    /* version, arbitration and unknown registers are read-only */
}

uint64_t ioapic_mmio_read(void *dev, uint64_t offset, unsigned size)
{
    struct ioapic *io = dev;
    uint64_t width_mask = vmm_size_mask(size < 4 ? size : 4);
    if (offset == OFFSET_REGSEL)
        return io->regsel & width_mask;
    if (offset == OFFSET_WINDOW)
        return read_register(io, io->regsel) & width_mask;
    return 0;
}

void ioapic_mmio_write(void *dev, uint64_t offset, unsigned size, uint64_t value)
{
    struct ioapic *io = dev;
    if (offset == OFFSET_REGSEL)
        io->regsel = value & 0xffu;
    else if (offset == OFFSET_WINDOW && size == 4)
        write_register(io, io->regsel, (uint32_t)value);
}

void ioapic_init(struct ioapic *io, uint8_t id, void (*deliver)(const struct apic_msg *m))
{
    *io = (struct ioapic){ .id = id & ID_MASK, .deliver = deliver };
    for (unsigned pin = 0; pin < IOAPIC_PINS; pin++)
        io->redir[pin] = RTE_MASKED;
}
