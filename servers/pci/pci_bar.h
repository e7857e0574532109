/* SPDX-License-Identifier: GPL-2.0-only */
/* Decoding a BAR from what it held and what it read back after all ones
 * were written to it (the sizing probe). Firmware and devices can be
 * wrong: a probe whose size bits are not contiguous, whose type bits
 * changed, a base not aligned to the size, a range past the address space
 * or a 64-bit BAR in the last slot is refused, never guessed at. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/pci.h"

enum pci_bar_kind {
    PCI_BAR_NONE,  /* not implemented (reads back 0) */
    PCI_BAR_IO,
    PCI_BAR_MEM32,
    PCI_BAR_MEM64, /* uses this slot and the next */
    PCI_BAR_BAD,   /* implemented but nonsensical: not offered to drivers */
};

#define PCI_IO_SPACE_END 0x10000ull /* x86 has 64 Ki ports */

/* Whether a BAR with this original value is the low half of a 64-bit BAR
 * (the caller then probes the next register too). */
bool pci_bar_is_64(uint32_t orig);

/* orig/probe: the register before and after writing all ones; for a 64-bit
 * BAR orig_hi/probe_hi are the next register's (has_hi false when there is
 * no next register). *out gets base, size and DJ_PCI_BAR_* flags (all 0
 * unless IO or MEM*); *why says what is wrong for PCI_BAR_BAD. */
enum pci_bar_kind pci_bar_decode(uint32_t orig, uint32_t probe, bool has_hi, uint32_t orig_hi, uint32_t probe_hi,
                                 struct dj_pci_bar *out, const char **why);
