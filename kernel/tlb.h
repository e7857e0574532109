/* SPDX-License-Identifier: GPL-2.0-only */
/* TLB shootdown across CPUs.
 *
 * After the mapping database removes or downgrades user mappings, another
 * CPU may still hold the old translations in its TLB (and the old I/O
 * bitmap in its TSS). tlb_shootdown makes every online CPU flush its
 * non-global TLB entries (a CR3 reload: user pages are never global and
 * PCIDs are not used) and resync the I/O bitmap of the PD it runs, and
 * returns when all have acknowledged, or after TLB_ACK_TIMEOUT_US (then it
 * complains on the console: a CPU that long with interrupts off is a bug).
 *
 * Call it without holding any lock: while it waits it answers other
 * CPUs' requests itself, so two CPUs shooting at each other both finish.
 * Revocation frees a frame (an allocated page whose original it removed)
 * only after the shootdown, and the revoking call returns only after it,
 * so no frame can be handed on while a stale TLB entry for it survives. */
#pragma once
#include <stdint.h>

/* [helper H] The shootdown IPI (arch/x86_64/idt.h lists the others). */
#define VEC_TLB_SHOOTDOWN 0xf3
#define TLB_ACK_TIMEOUT_US 100000

/* Register the IPI handler (idempotent; tlb_shootdown calls it too). */
void tlb_init(void);
/* Flush user TLB entries and resync I/O bitmaps on every online CPU. */
void tlb_shootdown(void);
