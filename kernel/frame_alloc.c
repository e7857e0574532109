/* SPDX-License-Identifier: GPL-2.0-only */
/* Physical frame allocator.
 *
 * Metadata is O(ranges): a sorted table of free ranges [base, end) from
 * which frames are carved, plus a list of freed single frames threaded
 * through the frames themselves (each holds the next frame's address and a
 * tag word that marks it as being on the list). A table of the ranges
 * managed at init validates frame_free.
 *
 * Policy: frame_alloc takes the free list first, then the top of the
 * highest range (high memory first, low memory stays for those who need
 * it); frame_alloc_below takes the highest frame under the limit, so the
 * scarce memory below 1 MiB is used only when nothing else fits. A freed
 * frame adjacent to a free range rejoins the range, so contiguous memory
 * comes back. Every frame handed out is zeroed.
 *
 * frame_alloc_init never touches the memory it manages (it may run before
 * all of RAM is mapped); frames are touched through the map callback only
 * when they are handed out or freed. */
#include <stdarg.h>
#include "kernel/frame_alloc.h"
#include "common/format.h"
#include "common/string.h"
#ifndef HOST_TEST
#include "arch/x86_64/spinlock.h"
static struct spinlock lock = SPINLOCK_INIT;
#define LOCK() uint64_t irq_flags_ = spin_lock_irqsave(&lock)
#define UNLOCK() spin_unlock_irqrestore(&lock, irq_flags_)
#else
#define LOCK() do {} while (0)
#define UNLOCK() do {} while (0)
#endif

#define FIRST_USABLE FRAME_SIZE /* page 0 (real-mode IVT, null pointer) is never used */
#define FREE_TAG 0x6672656566726d21ull /* "freefrm!", xor the frame's address */
#define BELOW_SCAN_MAX 64 /* free-list entries frame_alloc_below looks at */

struct range {
    uint64_t base, end; /* [base, end), frame aligned */
};

/* The head of a frame on the free list. */
struct free_frame {
    uint64_t next; /* physical address of the next frame, 0 = end */
    uint64_t tag;  /* FREE_TAG ^ own address while on the list */
};

static struct range free_ranges[FRAME_ALLOC_MAX_RANGES]; /* sorted, disjoint, not adjacent */
static unsigned range_count;
static struct range managed[FRAME_ALLOC_MAX_RANGES]; /* everything managed: validates frame_free */
static unsigned managed_count;
static uint64_t free_list, list_frames, total_frames, highest_end;
static frame_map_fn map_frame;
static boot_warn_fn warn_fn;

#define warnf(...) format_to_sink(warn_fn, __VA_ARGS__)

static uint64_t page_up(uint64_t a)
{
    return a > UINT64_MAX - (FRAME_SIZE - 1) ? UINT64_MAX & ~(FRAME_SIZE - 1) : (a + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);
}

static uint64_t page_down(uint64_t a) { return a & ~(FRAME_SIZE - 1); }

static uint64_t end_of(const struct mem_region *r)
{
    return r->len > UINT64_MAX - r->base ? UINT64_MAX : r->base + r->len;
}

static void remove_at(struct range *a, unsigned *n, unsigned i)
{
    memmove(&a[i], &a[i + 1], (*n - i - 1) * sizeof(a[0]));
    (*n)--;
}

static bool insert_at(struct range *a, unsigned *n, unsigned i, uint64_t base, uint64_t end)
{
    if (*n == FRAME_ALLOC_MAX_RANGES)
        return false;
    memmove(&a[i + 1], &a[i], (*n - i) * sizeof(a[0]));
    a[i] = (struct range){base, end};
    (*n)++;
    return true;
}

/* Union [base, end) into a sorted table of disjoint, non-adjacent ranges. */
static bool range_add(struct range *a, unsigned *n, uint64_t base, uint64_t end)
{
    unsigned i = 0;
    while (i < *n && a[i].end < base)
        i++;
    if (i == *n || a[i].base > end)
        return insert_at(a, n, i, base, end);
    if (base < a[i].base)
        a[i].base = base;
    if (end > a[i].end)
        a[i].end = end;
    while (i + 1 < *n && a[i + 1].base <= a[i].end) {
        if (a[i + 1].end > a[i].end)
            a[i].end = a[i + 1].end;
        remove_at(a, n, i + 1);
    }
    return true;
}

/* Manage [base, end) minus every reserved region. */
static void add_usable(uint64_t base, uint64_t end, const struct mem_region *reserved, unsigned nreserved)
{
    while (base < end) {
        /* The reserved region overlapping [base, end) that starts lowest. */
        uint64_t rb = UINT64_MAX, re = 0;
        for (unsigned i = 0; i < nreserved; i++) {
            if (reserved[i].len == 0)
                continue;
            uint64_t b = page_down(reserved[i].base), e = page_up(end_of(&reserved[i]));
            if (e <= base || b >= end)
                continue;
            if (b < rb || (b == rb && e > re)) {
                rb = b;
                re = e;
            }
        }
        uint64_t piece_end = rb < end ? (rb > base ? rb : base) : end;
        if (piece_end > base && !range_add(managed, &managed_count, base, piece_end))
            warnf("frame_alloc: range table full; %llu KiB at %#llx left unused",
                  (unsigned long long)((piece_end - base) >> 10), (unsigned long long)base);
        if (rb >= end)
            return;
        base = re;
    }
}

void frame_alloc_init(const struct mem_region *mem, unsigned mem_count, const struct mem_region *reserved,
                      unsigned reserved_count, frame_map_fn map, boot_warn_fn warn)
{
    map_frame = map;
    warn_fn = warn;
    range_count = managed_count = 0;
    free_list = list_frames = total_frames = highest_end = 0;
    for (unsigned i = 0; i < mem_count; i++) {
        if (mem[i].type != MEM_USABLE)
            continue;
        uint64_t base = page_up(mem[i].base), end = page_down(end_of(&mem[i]));
        if (base < FIRST_USABLE)
            base = FIRST_USABLE;
        if (end > base)
            add_usable(base, end, reserved, reserved_count);
    }
    for (unsigned i = 0; i < managed_count; i++) {
        free_ranges[i] = managed[i];
        total_frames += (managed[i].end - managed[i].base) / FRAME_SIZE;
    }
    range_count = managed_count;
    highest_end = managed_count ? managed[managed_count - 1].end : 0;
}

static struct free_frame *head_of(uint64_t pa) { return map_frame(pa); }

#define ZERO_UNROLL 8 /* stores per loop step */

/* Plain eight-byte stores, several per loop step: under emulation (QEMU
 * TCG) they are several times faster than a string instruction, which
 * makes a large boot-time pool cheap to hand out. */
static void zero(uint64_t pa, size_t n)
{
    for (size_t k = 0; k < n; k++) {
        volatile uint64_t *w = map_frame(pa + k * FRAME_SIZE);
        for (size_t i = 0; i < FRAME_SIZE / sizeof(*w); i += ZERO_UNROLL)
            w[i] = w[i + 1] = w[i + 2] = w[i + 3] = w[i + 4] = w[i + 5] = w[i + 6] = w[i + 7] = 0;
    }
}

/* Take [pa, pa + size) out of free range i (it must lie inside). Fails
 * only when the range would split and the table is full. */
static bool take_from_range(unsigned i, uint64_t pa, uint64_t size)
{
    struct range *r = &free_ranges[i];
    uint64_t end = pa + size;
    if (pa == r->base && end == r->end) {
        remove_at(free_ranges, &range_count, i);
    } else if (pa == r->base) {
        r->base = end;
    } else if (end == r->end) {
        r->end = pa;
    } else {
        if (!insert_at(free_ranges, &range_count, i + 1, end, r->end))
            return false;
        free_ranges[i].end = pa;
    }
    return true;
}

uint64_t frame_alloc(void)
{
    uint64_t pa = 0;
    LOCK();
    if (free_list) {
        pa = free_list;
        free_list = head_of(pa)->next;
        list_frames--;
    } else if (range_count) {
        struct range *r = &free_ranges[range_count - 1];
        pa = r->end - FRAME_SIZE;
        take_from_range(range_count - 1, pa, FRAME_SIZE); /* never splits */
    }
    UNLOCK();
    if (pa)
        zero(pa, 1);
    return pa;
}

uint64_t frame_alloc_below(uint64_t limit)
{
    uint64_t pa = 0;
    LOCK();
    /* A freed frame that fits, among the first few on the list. */
    uint64_t prev = 0, cur = free_list;
    for (unsigned k = 0; cur && k < BELOW_SCAN_MAX; k++) {
        uint64_t next = head_of(cur)->next;
        if (cur + FRAME_SIZE <= limit) {
            if (prev)
                head_of(prev)->next = next;
            else
                free_list = next;
            list_frames--;
            pa = cur;
            break;
        }
        prev = cur;
        cur = next;
    }
    /* Otherwise the highest free frame below the limit. */
    for (unsigned i = range_count; !pa && i-- > 0;) {
        struct range *r = &free_ranges[i];
        if (r->base + FRAME_SIZE > limit)
            continue;
        uint64_t top = r->end <= limit ? r->end : page_down(limit), low = r->base;
        if (take_from_range(i, top - FRAME_SIZE, FRAME_SIZE))
            pa = top - FRAME_SIZE;
        else if (take_from_range(i, low, FRAME_SIZE)) /* table full: take the bottom, no split */
            pa = low;
    }
    UNLOCK();
    if (pa)
        zero(pa, 1);
    return pa;
}

uint64_t frame_alloc_contig(size_t n, uint64_t align)
{
    if (align < FRAME_SIZE)
        align = FRAME_SIZE;
    if (align & (align - 1)) {
        warnf("frame_alloc: contiguous allocation with alignment %#llx (not a power of two)",
              (unsigned long long)align);
        return 0;
    }
    if (n == 0 || n > UINT64_MAX / FRAME_SIZE)
        return 0;
    uint64_t size = n * FRAME_SIZE, pa = 0;
    LOCK();
    for (unsigned i = range_count; !pa && i-- > 0;) {
        struct range *r = &free_ranges[i];
        if (r->end - r->base < size)
            continue;
        uint64_t high = page_down(r->end - size) & ~(align - 1); /* highest aligned fit */
        if (high < r->base)
            continue;
        if (take_from_range(i, high, size)) {
            pa = high;
            break;
        }
        /* Table full and the highest fit would split the range: try the lowest fit. */
        uint64_t low = (r->base + align - 1) & ~(align - 1);
        if (low >= r->base && low <= r->end - size && take_from_range(i, low, size))
            pa = low;
    }
    UNLOCK();
    if (pa)
        zero(pa, n);
    return pa;
}

static bool in_table(const struct range *a, unsigned n, uint64_t pa)
{
    for (unsigned i = 0; i < n; i++)
        if (pa >= a[i].base && pa < a[i].end)
            return true;
    return false;
}

void frame_free(uint64_t pa)
{
    if (pa & (FRAME_SIZE - 1)) {
        warnf("frame_alloc: refusing to free unaligned address %#llx", (unsigned long long)pa);
        return;
    }
    if (!in_table(managed, managed_count, pa)) {
        warnf("frame_alloc: refusing to free %#llx (not a managed frame)", (unsigned long long)pa);
        return;
    }
    LOCK();
    struct free_frame *h = head_of(pa);
    if (in_table(free_ranges, range_count, pa) || h->tag == (FREE_TAG ^ pa)) {
        UNLOCK();
        warnf("frame_alloc: double free of %#llx ignored", (unsigned long long)pa);
        return;
    }
    /* Next to a free range: the range grows (and may join its neighbour). */
    bool merged = false;
    for (unsigned i = 0; i < range_count && !merged; i++)
        if (free_ranges[i].end == pa || free_ranges[i].base == pa + FRAME_SIZE)
            merged = range_add(free_ranges, &range_count, pa, pa + FRAME_SIZE);
    if (!merged) {
        h->next = free_list;
        h->tag = FREE_TAG ^ pa;
        free_list = pa;
        list_frames++;
    }
    UNLOCK();
}

/* Is [pa, end) inside one managed range? */
static bool managed_run(uint64_t pa, uint64_t end)
{
    for (unsigned i = 0; i < managed_count; i++)
        if (pa >= managed[i].base && end <= managed[i].end)
            return true;
    return false;
}

/* Does [pa, end) meet a free range or hold a frame on the free list? */
static bool any_free(uint64_t pa, uint64_t end)
{
    for (unsigned i = 0; i < range_count; i++)
        if (free_ranges[i].base < end && pa < free_ranges[i].end)
            return true;
    for (uint64_t f = pa; list_frames && f < end; f += FRAME_SIZE)
        if (head_of(f)->tag == (FREE_TAG ^ f))
            return true;
    return false;
}

void frame_free_contig(uint64_t pa, size_t n)
{
    if (n == 1) {
        frame_free(pa);
        return;
    }
    uint64_t end = pa + n * FRAME_SIZE;
    if ((pa & (FRAME_SIZE - 1)) || n == 0 || n > (UINT64_MAX - pa) / FRAME_SIZE || !managed_run(pa, end)) {
        warnf("frame_alloc: refusing to free %zu frames at %#llx (not managed frames)", n, (unsigned long long)pa);
        return;
    }
    LOCK();
    if (any_free(pa, end)) {
        UNLOCK();
        warnf("frame_alloc: double free of frames in %#llx..%#llx ignored", (unsigned long long)pa,
              (unsigned long long)end);
        return;
    }
    bool joined = range_add(free_ranges, &range_count, pa, end);
    UNLOCK();
    for (uint64_t f = pa; !joined && f < end; f += FRAME_SIZE)
        frame_free(f); /* the range table is full: one frame at a time */
}

uint64_t frame_free_count(void)
{
    LOCK();
    uint64_t n = list_frames;
    for (unsigned i = 0; i < range_count; i++)
        n += (free_ranges[i].end - free_ranges[i].base) / FRAME_SIZE;
    UNLOCK();
    return n;
}

uint64_t frame_total_count(void) { return total_frames; }
uint64_t frame_highest_end(void) { return highest_end; }
