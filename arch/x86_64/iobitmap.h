/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-PD I/O permission bitmaps and the per-CPU copy the CPU checks.
 *
 * A PD that was granted ports has an 8 KiB bitmap (two pages charged to
 * its quota; bit set = port denied). The TSS of each CPU holds a copy of
 * the bitmap of the PD running there (arch/x86_64/gdt.h); a PD without
 * ports runs with the TSS's I/O map offset beyond its limit, so every
 * in/out faults (#GP) with no copying at all.
 *
 * Which bitmap a CPU holds is tracked by generation: every change to a
 * PD's bitmap gives it a new, globally unique io_gen, and a CPU recopies
 * when the running PD's io_gen differs from the one it loaded. Changes are
 * made under the mdb lock; activation reads without it (it reads io_gen
 * before copying, so a concurrent change only makes it copy again later,
 * and the changer's shootdown IPI makes every CPU resync at once). */
#pragma once
#include <stdint.h>
#include "kernel/pd.h"
#include "arch/x86_64/percpu.h"

#define IOBITMAP_PAGE_PORTS (4096u * 8) /* ports described by one bitmap page */

/* io_gen of the bitmap loaded on each CPU; 0 = all ports denied. */
extern uint64_t iobitmap_loaded_gen[MAX_CPUS];
/* io_gen of the bitmap each CPU's TSS holds, in force or not (the IPC
 * fast path switches to it without copying, as iobitmap_load does). */
extern uint64_t iobitmap_content_gen[MAX_CPUS];

/* Allow [first, first + count) to pd; DJ_E_QUOTA if its bitmap cannot be
 * allocated (then nothing changed). */
int iobitmap_allow(struct pd *pd, uint64_t first, uint64_t count);
/* Deny [first, first + count) to pd. */
void iobitmap_deny(struct pd *pd, uint64_t first, uint64_t count);
/* Copy pd's bitmap (or the deny-all state) into this CPU's TSS. */
void iobitmap_load(struct pd *pd);

/* On every switch to pd: cheap when nothing changed. */
static inline void iobitmap_activate(struct pd *pd)
{
    if (__atomic_load_n(&pd->io_gen, __ATOMIC_ACQUIRE) != iobitmap_loaded_gen[this_cpu()->index])
        iobitmap_load(pd);
}
