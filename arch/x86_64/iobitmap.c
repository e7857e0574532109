/* SPDX-License-Identifier: GPL-2.0-only */
/* I/O permission bitmaps: see iobitmap.h. */
#include "arch/x86_64/iobitmap.h"
#include "common/string.h"

#define IOBITMAP_PAGES 2
#define BITS_PER_BYTE 8
#define ALL_DENIED 0xff

_Static_assert(IOBITMAP_PAGES * IOBITMAP_PAGE_PORTS == IOSPACE_PORTS, "two pages describe every port");
_Static_assert(IOBITMAP_PAGES * PAGE_SIZE == TSS_IOMAP_BYTES, "the TSS holds a whole PD bitmap");

uint64_t iobitmap_loaded_gen[MAX_CPUS];
uint64_t iobitmap_content_gen[MAX_CPUS];
static uint64_t next_gen; /* io_gen values are never reused, across all PDs */

static void new_generation(struct pd *pd)
{
    __atomic_store_n(&pd->io_gen, __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED), __ATOMIC_RELEASE);
}

static bool ensure_bitmap(struct pd *pd)
{
    if (pd->io_bits[0] || pd->vm) /* a VM PD's map (vm_space.c) exists from its creation */
        return true;
    uint8_t *p[IOBITMAP_PAGES];
    for (unsigned i = 0; i < IOBITMAP_PAGES; i++) {
        p[i] = page_source_alloc(&pd->pages);
        if (!p[i]) {
            for (unsigned j = 0; j < i; j++)
                page_source_free(&pd->pages, p[j]);
            return false;
        }
        memset(p[i], ALL_DENIED, PAGE_SIZE);
    }
    for (unsigned i = 0; i < IOBITMAP_PAGES; i++)
        pd->io_bits[i] = p[i];
    return true;
}

/* Set (deny) or clear (allow) the bits of a port range: whole bytes where
 * the range covers them, single bits at the edges. A VM PD's bits are in
 * its guest's I/O permission map (contiguous, virt.h) instead. */
static void set_range(struct pd *pd, uint64_t first, uint64_t count, bool deny)
{
    uint64_t end = first + count > IOSPACE_PORTS ? IOSPACE_PORTS : first + count;
    for (uint64_t port = first; port < end;) {
        uint8_t *byte = pd->vm ? &pd->vm_iopm[port / BITS_PER_BYTE]
                               : &pd->io_bits[port / IOBITMAP_PAGE_PORTS][(port % IOBITMAP_PAGE_PORTS) / BITS_PER_BYTE];
        if (port % BITS_PER_BYTE == 0 && end - port >= BITS_PER_BYTE) {
            *byte = deny ? ALL_DENIED : 0;
            port += BITS_PER_BYTE;
            continue;
        }
        uint8_t bit = (uint8_t)(1u << (port % BITS_PER_BYTE));
        *byte = deny ? (uint8_t)(*byte | bit) : (uint8_t)(*byte & ~bit);
        port++;
    }
    new_generation(pd);
}

int iobitmap_allow(struct pd *pd, uint64_t first, uint64_t count)
{
    if (!ensure_bitmap(pd))
        return DJ_E_QUOTA;
    set_range(pd, first, count, false);
    return DJ_OK;
}

void iobitmap_deny(struct pd *pd, uint64_t first, uint64_t count)
{
    if (pd->io_bits[0] || pd->vm)
        set_range(pd, first, count, true);
}

/* Switching between a PD with ports and PDs without any (the common
 * case: drivers talking to clients) only moves the TSS's map offset; the
 * 8 KiB copy happens when a different bitmap (or a changed one) is needed. */
void iobitmap_load(struct pd *pd)
{
    struct percpu *c = this_cpu();
    struct cpu_tables *t = &c->tables;
    uint64_t gen = __atomic_load_n(&pd->io_gen, __ATOMIC_ACQUIRE); /* before the copy: see iobitmap.h */
    if (!gen || !pd->io_bits[0]) {
        t->tss.iomap_base = TSS_IOMAP_DENY;
        iobitmap_loaded_gen[c->index] = 0;
        return;
    }
    if (iobitmap_content_gen[c->index] != gen) {
        for (unsigned i = 0; i < IOBITMAP_PAGES; i++)
            memcpy(&t->iomap[i * PAGE_SIZE], pd->io_bits[i], PAGE_SIZE);
        t->iomap[TSS_IOMAP_BYTES] = ALL_DENIED;
        iobitmap_content_gen[c->index] = gen;
    }
    t->tss.iomap_base = (uint16_t)(__builtin_offsetof(struct cpu_tables, iomap) -
                                   __builtin_offsetof(struct cpu_tables, tss));
    iobitmap_loaded_gen[c->index] = gen;
}
