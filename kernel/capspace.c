/* SPDX-License-Identifier: GPL-2.0-only */
/* Capability spaces: see capspace.h. */
#include "kernel/capspace.h"
#include "kernel/kobj.h"
#include "common/string.h"

#define SLOTS_PER_LEAF (1u << CAPSPACE_SLOT_BITS)
#define LEAVES_PER_DIR (1u << CAPSPACE_DIR_BITS)

_Static_assert(sizeof(struct capspace_slot) * SLOTS_PER_LEAF == PAGE_SIZE, "a leaf is one page");
_Static_assert(sizeof(void *) * LEAVES_PER_DIR == PAGE_SIZE, "a directory is one page");
_Static_assert(CAPSPACE_DIRS * LEAVES_PER_DIR * SLOTS_PER_LEAF == CAPSPACE_MAX_SEL,
               "the three levels cover every selector");

static unsigned top_index(uint64_t sel) { return (unsigned)(sel >> (CAPSPACE_DIR_BITS + CAPSPACE_SLOT_BITS)); }
static unsigned dir_index(uint64_t sel) { return (unsigned)(sel >> CAPSPACE_SLOT_BITS) & (LEAVES_PER_DIR - 1); }
static unsigned slot_index(uint64_t sel) { return (unsigned)sel & (SLOTS_PER_LEAF - 1); }

/* What call_pt names when the cache is empty: a dead object, which the
 * fast path turns away even if a caller passes the selector call_sel. */
static const struct kobj no_portal = {.dead = true};

static void forget_call_cache(struct capspace *cs)
{
    cs->call_sel = CAPSPACE_MAX_SEL;
    cs->call_pt = (void *)&no_portal;
}

void capspace_init(struct capspace *cs, const struct page_source *pages)
{
    memset(cs->dirs, 0, sizeof(cs->dirs));
    cs->pages = pages;
    forget_call_cache(cs);
}

void capspace_destroy(struct capspace *cs)
{
    for (unsigned t = 0; t < CAPSPACE_DIRS; t++) {
        struct capspace_slot **dir = cs->dirs[t];
        if (!dir)
            continue;
        for (unsigned d = 0; d < LEAVES_PER_DIR; d++)
            if (dir[d])
                page_source_free(cs->pages, dir[d]);
        page_source_free(cs->pages, dir);
        cs->dirs[t] = NULL;
    }
    forget_call_cache(cs);
}

/* The slot for sel if its tables exist (sel must be in range). */
static struct capspace_slot *find_slot(const struct capspace *cs, uint64_t sel)
{
    struct capspace_slot **dir = cs->dirs[top_index(sel)];
    if (!dir)
        return NULL;
    struct capspace_slot *leaf = dir[dir_index(sel)];
    return leaf ? &leaf[slot_index(sel)] : NULL;
}

struct capspace_slot *capspace_lookup(const struct capspace *cs, uint64_t sel,
                                      enum dj_obj_type want_type, unsigned want_rights)
{
    if (sel >= CAPSPACE_MAX_SEL)
        return NULL;
    struct capspace_slot *slot = find_slot(cs, sel);
    if (!slot || !slot->obj)
        return NULL;
    if (want_type != DJ_OBJ_NONE && slot->type != want_type)
        return NULL;
    if ((slot->rights & want_rights) != want_rights)
        return NULL;
    return slot;
}

/* The slot for sel, allocating its directory and leaf if needed. A new
 * directory is kept even if the leaf allocation then fails: it is reused by
 * the next insert and freed by capspace_destroy, so nothing leaks. */
static struct capspace_slot *make_slot(struct capspace *cs, uint64_t sel)
{
    struct capspace_slot ***dir = &cs->dirs[top_index(sel)];
    if (!*dir && !(*dir = page_source_alloc(cs->pages)))
        return NULL;
    struct capspace_slot **leaf = &(*dir)[dir_index(sel)];
    if (!*leaf && !(*leaf = page_source_alloc(cs->pages)))
        return NULL;
    return &(*leaf)[slot_index(sel)];
}

static bool is_object_type(enum dj_obj_type type)
{
    return type > DJ_OBJ_NONE && type <= DJ_OBJ_DEVICE;
}

enum dj_status capspace_insert(struct capspace *cs, uint64_t sel, void *obj,
                               enum dj_obj_type type, unsigned rights)
{
    if (sel >= CAPSPACE_MAX_SEL || !obj || !is_object_type(type) || rights > DJ_OBJ_ALL)
        return DJ_E_BAD_PARAM;
    struct capspace_slot *slot = find_slot(cs, sel);
    if (slot && slot->obj)
        return DJ_E_BUSY;
    if (!slot && !(slot = make_slot(cs, sel)))
        return DJ_E_QUOTA;
    slot->node = NULL;
    slot->type = (uint8_t)type;
    slot->rights = (uint8_t)rights;
    slot->obj = obj;
    return DJ_OK;
}

enum dj_status capspace_remove(struct capspace *cs, uint64_t sel, struct capspace_slot *old)
{
    if (sel >= CAPSPACE_MAX_SEL)
        return DJ_E_BAD_PARAM;
    struct capspace_slot *slot = find_slot(cs, sel);
    if (!slot || !slot->obj)
        return DJ_E_BAD_CAP;
    if (old)
        *old = *slot;
    memset(slot, 0, sizeof(*slot));
    if (sel == cs->call_sel)
        forget_call_cache(cs);
    return DJ_OK;
}

uint64_t capspace_next(const struct capspace *cs, uint64_t sel)
{
    const uint64_t dir_span = (uint64_t)LEAVES_PER_DIR * SLOTS_PER_LEAF;
    while (sel < CAPSPACE_MAX_SEL) {
        struct capspace_slot **dir = cs->dirs[top_index(sel)];
        if (!dir) {
            sel = (sel & ~(dir_span - 1)) + dir_span;
            continue;
        }
        struct capspace_slot *leaf = dir[dir_index(sel)];
        if (!leaf) {
            sel = (sel & ~(uint64_t)(SLOTS_PER_LEAF - 1)) + SLOTS_PER_LEAF;
            continue;
        }
        if (leaf[slot_index(sel)].obj)
            return sel;
        sel++;
    }
    return CAPSPACE_MAX_SEL;
}

void capspace_for_each(struct capspace *cs,
                       void (*fn)(struct capspace *cs, uint64_t sel, struct capspace_slot *slot, void *ctx),
                       void *ctx)
{
    for (uint64_t sel = 0; sel < CAPSPACE_MAX_SEL; sel += SLOTS_PER_LEAF) {
        if (!find_slot(cs, sel))
            continue; /* no leaf: skip its 128 selectors */
        for (unsigned i = 0; i < SLOTS_PER_LEAF; i++) {
            struct capspace_slot *slot = find_slot(cs, sel + i);
            if (slot->obj)
                fn(cs, sel + i, slot, ctx);
        }
    }
}
