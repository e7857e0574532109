/* SPDX-License-Identifier: GPL-2.0-only */
/* ACPI table discovery: RSDP, RSDT/XSDT, MADT, FADT (+ \_S5 from the DSDT),
 * MCFG. The parser is pure logic over a caller-supplied mapper, so host tests
 * can feed it crafted tables. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "kernel/boot_info.h"
#include "arch/x86_64/percpu.h"

#define ACPI_MAX_IOAPICS 16
#define ACPI_MAX_OVERRIDES 48

struct acpi_ioapic {
    uint8_t id;
    uint32_t addr;
    uint32_t gsi_base;
};

struct acpi_override {
    uint8_t bus_irq;
    uint32_t gsi;
    uint16_t flags; /* MPS INTI flags: polarity bits 0-1, trigger bits 2-3 */
};

struct acpi_info {
    bool present;       /* an RSDP with a valid checksum was found */
    char oem_id[7];
    uint8_t revision;   /* RSDP revision */
    /* MADT */
    bool have_madt;
    uint64_t lapic_addr;
    bool has_8259;
    unsigned cpu_count;          /* usable CPUs recorded below */
    uint32_t cpu_apic_ids[MAX_CPUS];
    unsigned cpus_ignored;       /* listed but beyond MAX_CPUS */
    struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
    unsigned ioapic_count;
    struct acpi_override overrides[ACPI_MAX_OVERRIDES];
    unsigned override_count;
    /* FADT */
    bool have_fadt;
    uint32_t pm1a_cnt, pm1b_cnt; /* I/O ports, 0 when absent */
    uint32_t pm_timer_port;      /* 0 when absent */
    bool pm_timer_32bit;
    bool s5_valid;               /* \_S5 found in the DSDT */
    uint16_t slp_typa, slp_typb;
    bool reset_valid;            /* FADT reset register (I/O space only) */
    uint16_t reset_port;
    uint8_t reset_value;
    /* MCFG (first segment group) */
    uint64_t mcfg_base;
    uint8_t mcfg_bus_start, mcfg_bus_end;
    /* DMAR (VT-d; parsed by dmar.c): where the checked table is, 0 if none */
    uint64_t dmar_phys;
    uint32_t dmar_len;
};

/* Maps len bytes of physical memory for reading; NULL when impossible. */
typedef const void *(*acpi_map_fn)(uint64_t phys, size_t len);

/* rsdp: the RSDP copy from the boot loader (len 20 or 36), or NULL to scan
 * the BIOS areas through map. Never fails hard: what is missing or corrupt
 * is reported through warn and left out of info. */
void acpi_parse(const uint8_t *rsdp, size_t rsdp_len, acpi_map_fn map, struct acpi_info *info, boot_warn_fn warn);

/* The kernel's parsed copy (valid after acpi_init). */
extern struct acpi_info acpi;
void acpi_init(const struct boot_info *bi);
/* Power off via ACPI S5; falls back to emulator ports; halts if all fail. */
__attribute__((noreturn)) void acpi_poweroff(void);
/* Reset via the FADT reset register, the 8042, then a triple fault. */
__attribute__((noreturn)) void acpi_reset(void);
