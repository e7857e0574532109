/* Physical frames: free ranges carved from their ends, plus a list of
 * freed single frames threaded through the frames themselves. */
#include "frame_alloc.h"
#include "format.h"
#include "kstring.h"
#ifndef HOST_TEST
#include "spinlock.h"
static struct spinlock lock = SPINLOCK_INIT;
#define LOCK() uint64_t irq_flags_ = spin_lock_irqsave(&lock)
#define UNLOCK() spin_unlock_irqrestore(&lock, irq_flags_)
#else
#define LOCK() do {} while (0)
#define UNLOCK() do {} while (0)
#endif

#define FIRST_USABLE FRAME_SIZE /* page 0 holds the real-mode IVT; never used */

struct range {
    uint64_t base, end; /* [base, end), frame aligned */
};

static struct range free_ranges[FRAME_ALLOC_MAX_RANGES];
static unsigned range_count;
static struct range managed[FRAME_ALLOC_MAX_RANGES]; /* everything ever free: validates frame_free */
static unsigned managed_count;
static uint64_t free_list; /* physical address of the first freed frame, 0 = empty */
static uint64_t list_frames, total_frames, highest_end;
static frame_map_fn map_frame;
static boot_warn_fn warn_fn;

static void warnf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void warnf(const char *fmt, ...)
{
    char msg[128];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (warn_fn)
        warn_fn(msg);
}

static void remove_range(unsigned i)
{
    memmove(&free_ranges[i], &free_ranges[i + 1], (range_count - i - 1) * sizeof(free_ranges[0]));
    range_count--;
}

static void insert_range(unsigned at, uint64_t base, uint64_t end)
{
    if (range_count == FRAME_ALLOC_MAX_RANGES) {
        warnf("frame_alloc: range table full, %llu KiB at %#llx unused", (unsigned long long)((end - base) >> 10),
              (unsigned long long)base);
        return;
    }
    memmove(&free_ranges[at + 1], &free_ranges[at], (range_count - at) * sizeof(free_ranges[0]));
    free_ranges[at] = (struct range){base, end};
    range_count++;
}

/* Adds [base, end) minus every reserved region, keeping the table sorted. */
static void add_free(uint64_t base, uint64_t end, const struct mem_region *reserved, unsigned nreserved)
{
    for (unsigned i = 0; i < nreserved && base < end; i++) {
        uint64_t rb = reserved[i].base & ~(FRAME_SIZE - 1);
        uint64_t re = reserved[i].base + reserved[i].len;
        re = re < reserved[i].base ? ~0ull & ~(FRAME_SIZE - 1) : (re + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);
        if (re <= base || rb >= end)
            continue;
        if (rb > base)
            add_free(base, rb, reserved + i + 1, nreserved - i - 1);
        base = re;
    }
    if (base >= end)
        return;
    unsigned at = 0;
    while (at < range_count && free_ranges[at].base < base)
        at++;
    insert_range(at, base, end);
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
        uint64_t base = (mem[i].base + FRAME_SIZE - 1) & ~(FRAME_SIZE - 1);
        uint64_t end = (mem[i].base + mem[i].len) & ~(FRAME_SIZE - 1);
        if (base < FIRST_USABLE)
            base = FIRST_USABLE;
        if (end > base)
            add_free(base, end, reserved, reserved_count);
    }
    for (unsigned i = 0; i < range_count; i++) {
        managed[managed_count++] = free_ranges[i];
        total_frames += (free_ranges[i].end - free_ranges[i].base) / FRAME_SIZE;
        if (free_ranges[i].end > highest_end)
            highest_end = free_ranges[i].end;
    }
}

static uint64_t zeroed(uint64_t pa)
{
    if (pa)
        memset(map_frame(pa), 0, FRAME_SIZE);
    return pa;
}

static uint64_t pop_free_list(uint64_t limit)
{
    if (!free_list || free_list + FRAME_SIZE > limit)
        return 0;
    uint64_t pa = free_list;
    memcpy(&free_list, map_frame(pa), sizeof(free_list));
    list_frames--;
    return pa;
}

/* High memory first, so low memory stays for those who need it. */
static uint64_t carve_high(void)
{
    if (!range_count)
        return 0;
    struct range *r = &free_ranges[range_count - 1];
    r->end -= FRAME_SIZE;
    uint64_t pa = r->end;
    if (r->end == r->base)
        remove_range(range_count - 1);
    return pa;
}

/* The highest free frame below limit, so the scarce memory under 1 MiB
 * is used only when nothing else below limit is left. */
static uint64_t carve_below(uint64_t limit)
{
    for (unsigned i = range_count; i-- > 0;) {
        struct range *r = &free_ranges[i];
        if (r->base + FRAME_SIZE > limit)
            continue;
        if (r->end <= limit) {
            r->end -= FRAME_SIZE;
            uint64_t pa = r->end;
            if (r->end == r->base)
                remove_range(i);
            return pa;
        }
        uint64_t pa = (limit & ~(FRAME_SIZE - 1)) - FRAME_SIZE, old_end = r->end;
        r->end = pa;
        insert_range(i + 1, pa + FRAME_SIZE, old_end);
        if (r->end == r->base)
            remove_range(i);
        return pa;
    }
    return 0;
}

uint64_t frame_alloc(void)
{
    LOCK();
    uint64_t pa = pop_free_list(~0ull);
    if (!pa)
        pa = carve_high();
    UNLOCK();
    return zeroed(pa);
}

uint64_t frame_alloc_below(uint64_t limit)
{
    LOCK();
    uint64_t pa = pop_free_list(limit);
    if (!pa)
        pa = carve_below(limit);
    UNLOCK();
    return zeroed(pa);
}

uint64_t frame_alloc_contig(size_t n, uint64_t align)
{
    if (n == 0 || align < FRAME_SIZE || (align & (align - 1)) || n > (~0ull / FRAME_SIZE))
        return 0;
    uint64_t size = n * FRAME_SIZE, pa = 0;
    LOCK();
    for (unsigned i = range_count; i-- > 0 && !pa;) {
        struct range *r = &free_ranges[i];
        if (r->end - r->base < size)
            continue;
        uint64_t a = (r->end - size) & ~(align - 1); /* highest aligned fit */
        if (a < r->base)
            continue;
        uint64_t tail = a + size, old_end = r->end;
        r->end = a;
        if (tail < old_end)
            insert_range(i + 1, tail, old_end);
        if (r->end == r->base)
            remove_range(i);
        pa = a;
    }
    UNLOCK();
    for (size_t k = 0; pa && k < n; k++)
        zeroed(pa + k * FRAME_SIZE);
    return pa;
}

static int is_managed(uint64_t pa)
{
    for (unsigned i = 0; i < managed_count; i++)
        if (pa >= managed[i].base && pa < managed[i].end)
            return 1;
    return 0;
}

void frame_free(uint64_t pa)
{
    if (pa & (FRAME_SIZE - 1) || !is_managed(pa)) {
        warnf("frame_alloc: refusing to free %#llx (not a managed frame)", (unsigned long long)pa);
        return;
    }
    LOCK();
    memcpy(map_frame(pa), &free_list, sizeof(free_list));
    free_list = pa;
    list_frames++;
    UNLOCK();
}

uint64_t frame_free_count(void)
{
    uint64_t n = list_frames;
    for (unsigned i = 0; i < range_count; i++)
        n += (free_ranges[i].end - free_ranges[i].base) / FRAME_SIZE;
    return n;
}

uint64_t frame_total_count(void) { return total_frames; }
uint64_t frame_highest_end(void) { return highest_end; }
