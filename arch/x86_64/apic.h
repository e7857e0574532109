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

void ioapic_init(void); /* every redirection entry masked */
unsigned ioapic_line_count(void);
bool ioapic_has_gsi(uint32_t gsi);
/* Program gsi's entry (left masked): vector, destination APIC, trigger and
 * polarity; -1 when no IOAPIC has that GSI. */
int ioapic_route(uint32_t gsi, uint8_t vector, uint32_t apic_id, bool level, bool active_low);
void ioapic_set_masked(uint32_t gsi, bool masked);
