/* SPDX-License-Identifier: GPL-2.0-only */
/* Local APIC (x2APIC when the CPU has it, xAPIC otherwise) and IOAPICs. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

void lapic_init_bsp(void);  /* after acpi_init and paging_init */
void lapic_init_ap(void);
uint32_t lapic_id(void);
bool lapic_is_x2apic(void);
void lapic_eoi(void);
void lapic_send_ipi(uint32_t apic_id, uint8_t vector);
void lapic_send_init(uint32_t apic_id);
void lapic_send_startup(uint32_t apic_id, uint8_t page);
/* NMI to every other CPU (used by panic to stop them). */
void lapic_send_nmi_all_but_self(void);

/* The physical window the local APICs decode and devices write MSIs to:
 * the kernel's, never device memory a PD may map. */
#define APIC_INTERRUPT_WINDOW_BASE 0xfee00000ull
#define APIC_INTERRUPT_WINDOW_SIZE 0x100000ull
/* The highest APIC ID an MSI can name without interrupt remapping. */
#define MSI_MAX_DEST_ID 0xff
#define MSI_DEST_ID_SHIFT 12
/* The MSI address for destination apic_id (physical destination mode,
 * fixed delivery: bits 2-3 clear). */
static inline uint64_t msi_address(uint32_t apic_id)
{
    return APIC_INTERRUPT_WINDOW_BASE | (uint64_t)apic_id << MSI_DEST_ID_SHIFT;
}

void ioapic_init(void); /* every redirection entry masked */
unsigned ioapic_line_count(void);
bool ioapic_has_gsi(uint32_t gsi);
/* Program gsi's entry (left masked): vector, destination APIC, trigger and
 * polarity; -1 when no IOAPIC has that GSI. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, bool level, bool active_low);
void ioapic_set_masked(uint32_t gsi, bool masked);
