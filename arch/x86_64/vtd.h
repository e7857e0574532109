/* SPDX-License-Identifier: GPL-2.0-only */
/* Intel VT-d DMA remapping units (see docs/iommu.md).
 *
 * vtd_init reads the DMAR table, maps every remapping unit and, unless the
 * command line says iommu=off, turns translation on with every device
 * blocked: a device reaches memory only once it is assigned to a DMA space
 * (kernel/dma_space.c). Second-level tables are built by the caller with
 * the helpers here; the device address is the index into them. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "kernel/boot_info.h"

#define VTD_RID_COUNT 65536u /* requester ids (bus << 8 | devfn) of one segment */

/* Allocator for second-level table pages (zeroed), charged by the caller. */
struct vtd_table_source {
    void *(*alloc)(void *ctx);
    void (*free)(void *ctx, void *page);
    void *ctx;
};

void vtd_init(const struct boot_info *bi);
/* Translation is on: devices reach only what is assigned to them. */
bool vtd_active(void);
/* Device address bits every DMA space covers (39 or 48); 0 when off. */
unsigned vtd_dma_bits(void);
/* Largest domain id + 1 the units support (ids 1.. are usable). */
unsigned vtd_domain_limit(void);

/* Second-level tables rooted at a 4-level table `root`: map [iova, iova +
 * bytes) to pa (4 KiB pages, or 2 MiB where both are aligned and the
 * units support it), readable, writable if `write`. DJ_E_QUOTA when a
 * table page is missing (what was written stays; unmap it). */
int vtd_sl_map(uint64_t *root, uint64_t iova, uint64_t pa, uint64_t bytes, bool write,
               const struct vtd_table_source *src);
/* Clear the entries of [iova, iova + bytes) (tables stay). */
void vtd_sl_unmap(uint64_t *root, uint64_t iova, uint64_t bytes);
/* Free every table below and including root. */
void vtd_sl_free(uint64_t *root, const struct vtd_table_source *src);

/* Point requester id rid (segment 0) at the tables `root` with domain id
 * did, or block it again (root NULL). Flushes the unit's context cache
 * and the domain's IOTLB. DJ_E_QUOTA when no context table page is free. */
int vtd_context_set(uint16_t rid, uint16_t did, uint64_t *root);

/* The units' fault events (MSI to the boot CPU): recorded faults are
 * drained in interrupt context and handed to dma_fault_record. */
#define VEC_VTD_FAULT 0xf8
/* Called per drained fault record (interrupt context, no kernel lock). */
void dma_fault_record(uint16_t rid, uint64_t addr, bool write, unsigned reason);
/* A storm: at most VTD_FAULT_EVENTS_PER_TICK fault events are taken per
 * timer tick; the next one masks the units' fault events (FECTL.IM) until
 * vtd_fault_tick, so a device that faults without end costs the boot CPU
 * a bounded share of its time. Faults meanwhile stay in the recording
 * registers or overflow them (lost, counted). dma_fault_storm hears of
 * each masking and each overflow (interrupt context). */
#define VTD_FAULT_EVENTS_PER_TICK 8
void dma_fault_storm(bool masked, bool overflowed);
/* The timer tick (every CPU): on the CPU that takes the fault events,
 * a new budget, and fault events unmasked if a storm masked them (a fault
 * recorded meanwhile raises its event then). */
void vtd_fault_tick(void);

/* ---- Interrupt remapping ----
 * With it on, every MSI and IOAPIC line goes through an entry of the
 * kernel's remapping table (index VTD_IRTE_MSI(n) or VTD_IRTE_GSI(gsi)),
 * compatibility-format interrupts are blocked, and an entry given a
 * source id (sid >= 0) accepts only requests from that function. */
#define VTD_IRTE_MSI(n) (n)
#define VTD_IRTE_GSI(gsi) (64 + (gsi))
#define VTD_IRTE_COUNT 256
bool vtd_ir_active(void);
/* Program entry index (fixed delivery, physical destination apic_id) and
 * return the remappable-format MSI address and data. */
void vtd_ir_msi(unsigned index, uint8_t vector, uint32_t apic_id, int sid, uint64_t *addr, uint64_t *data);
/* Program entry index for an IOAPIC line; returns the remappable-format
 * redirection entry (low dword | high dword << 32), masked. */
uint64_t vtd_ir_ioapic(unsigned index, uint8_t vector, uint32_t apic_id, bool level, bool active_low,
                       uint8_t ioapic_id);
/* The entry no longer delivers anything. */
void vtd_ir_clear(unsigned index);

/* Record that second-level entries were cleared; vtd_flush_pending (the
 * TLB shootdown calls it) invalidates every unit's IOTLB before anyone
 * frees or reuses the frames. */
void vtd_mark_unmapped(void);
void vtd_flush_pending(void);
