/* SPDX-License-Identifier: GPL-2.0-only */
/* A PD's capability space for object capabilities (PD, EC, SC, PT, SM).
 *
 * Selectors 0..CAPSPACE_MAX_SEL-1 index slots in a radix table: a small
 * array of directory pointers in struct capspace, directory pages of leaf
 * pointers, leaf pages of slots. Directories and leaves are allocated on
 * first insert from a page_source (charged to the PD's quota) and kept until
 * capspace_destroy, so a lookup never races with a table being freed and
 * is always three dependent loads.
 *
 * The caller serializes inserts and removes on one capspace. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "arch/x86_64/layout.h"
#include "kernel/quota.h"

struct mdb_node;

#define CAPSPACE_SEL_BITS 18
#define CAPSPACE_MAX_SEL (1u << CAPSPACE_SEL_BITS) /* selectors are below this */

struct capspace_slot {
    void *obj;             /* the kernel object; NULL when the slot is empty */
    struct mdb_node *node; /* derivation tree node, or NULL */
    uint8_t type;          /* enum dj_obj_type */
    uint8_t rights;        /* object rights (DJ_PD_*, DJ_EC_*, ...) */
    uint8_t reserved[6];
    uint64_t spare;        /* pads a slot to 32 bytes: 128 fill a page exactly */
};

#define CAPSPACE_SLOT_BITS 7  /* 128 slots of 32 bytes in a leaf page */
#define CAPSPACE_DIR_BITS 9   /* 512 leaf pointers in a directory page */
#define CAPSPACE_TOP_BITS (CAPSPACE_SEL_BITS - CAPSPACE_DIR_BITS - CAPSPACE_SLOT_BITS)
#define CAPSPACE_DIRS (1u << CAPSPACE_TOP_BITS)

struct capspace {
    struct capspace_slot **dirs[CAPSPACE_DIRS];
    const struct page_source *pages;
    /* The IPC fast path's one-entry cache: the last selector a call found
     * a portal with DJ_PT_CALL at, and that portal (none: CAPSPACE_MAX_SEL
     * and a dead object). capspace_remove forgets it, so it never outlives
     * its capability. */
    uint64_t call_sel;
    void *call_pt;
};

void capspace_init(struct capspace *cs, const struct page_source *pages);
/* Free all tables. Objects and mdb nodes in the slots are the caller's:
 * visit them first with capspace_for_each. */
void capspace_destroy(struct capspace *cs);

/* The occupied slot at `sel` if it holds an object of want_type (any type
 * for DJ_OBJ_NONE) with at least want_rights; NULL otherwise, also for an
 * out-of-range selector. */
struct capspace_slot *capspace_lookup(const struct capspace *cs, uint64_t sel,
                                      enum dj_obj_type want_type, unsigned want_rights);

/* Put an object capability at `sel` (node left NULL: set it afterwards).
 * DJ_E_BAD_PARAM: sel out of range, obj NULL or type not an object type;
 * DJ_E_BUSY: occupied; DJ_E_QUOTA: a table page could not be had. */
enum dj_status capspace_insert(struct capspace *cs, uint64_t sel, void *obj,
                               enum dj_obj_type type, unsigned rights);

/* Empty the slot at `sel`; if `old` is not NULL it receives what was there.
 * DJ_E_BAD_PARAM: out of range; DJ_E_BAD_CAP: already empty. */
enum dj_status capspace_remove(struct capspace *cs, uint64_t sel, struct capspace_slot *old);

/* The first occupied selector at or above sel; CAPSPACE_MAX_SEL when there
 * is none. Absent tables are skipped whole. */
uint64_t capspace_next(const struct capspace *cs, uint64_t sel);

/* Call fn for each occupied slot, in selector order (fn may remove it). */
void capspace_for_each(struct capspace *cs,
                       void (*fn)(struct capspace *cs, uint64_t sel, struct capspace_slot *slot, void *ctx),
                       void *ctx);
