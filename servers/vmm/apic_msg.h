/* SPDX-License-Identifier: GPL-2.0-only */
/* An interrupt message on the (virtual) APIC bus: what an IOAPIC
 * redirection entry, an MSI write or a LAPIC's ICR sends. The IOAPIC
 * and the MSI decoder build one; lapic_deliver() routes it. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* Delivery modes (ICR, redirection entry and MSI data bits 10:8). */
#define APIC_DM_FIXED 0u
#define APIC_DM_LOWEST 1u
#define APIC_DM_SMI 2u
#define APIC_DM_NMI 4u
#define APIC_DM_INIT 5u
#define APIC_DM_SIPI 6u
#define APIC_DM_EXTINT 7u

/* The first vector a fixed interrupt may use: 0-15 are exceptions. */
#define APIC_FIRST_VALID_VECTOR 16u

/* Physical destination meaning "every LAPIC": 8-bit (xAPIC format,
 * IOAPIC and MSI) and 32-bit (x2APIC ICR). */
#define APIC_BROADCAST_XAPIC 0xffu
#define APIC_BROADCAST_X2APIC 0xffffffffu

struct apic_msg {
    uint32_t dest;     /* APIC ID (physical) or logical destination */
    bool logical;      /* dest is a logical destination */
    bool dest_x2apic;  /* dest is 32-bit x2APIC format (ICR of an x2APIC) */
    bool level;        /* level-triggered: EOI goes back to the IOAPIC */
    uint8_t mode;      /* APIC_DM_* */
    uint8_t vector;
};
