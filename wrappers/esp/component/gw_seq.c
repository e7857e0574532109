/* SPDX-License-Identifier: GPL-2.0-only */
/* Where the outbound SAs' sequence marks live (docs/gateway.md, "No key
 * and IV twice"): in init, the parent, through DJ_PARENT_OP_SEQ_LOAD and
 * DJ_PARENT_OP_SEQ_RESERVE (lib/proto.h). init outlives every restart of
 * the wrapper (and of the VMs and drivers around it), so a restarted
 * wrapper resumes above the last mark init confirmed, and init confirms a
 * mark only after it holds it. init keeps marks in memory: not across a
 * reboot (store_persistent false), so a static key may start at number 1
 * only if the operator vouched that it was made for this boot
 * ("gateway keys fresh") and init has no mark for it.
 *
 * A parent without the store (it refuses the LOAD): the marks could only
 * live in this instance, so the key counts as fresh only in the first
 * instance (generation 0); a restarted wrapper's outbound SAs then refuse
 * to start (rekey) rather than risk a nonce twice. */
#include <component.h>
#include <proto.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <utcb.h>

#include "gw.h"

static uint64_t parent_pt;
static bool parent_store; /* init answered a LOAD: it keeps the marks */

static void put_id(struct dj_utcb *u, const uint8_t key_id[ESP_KEY_ID_BYTES])
{
    memcpy(&u->words[1], key_id, ESP_KEY_ID_BYTES);
}

static bool reserve_in_parent(void *ctx, const uint8_t key_id[ESP_KEY_ID_BYTES], uint64_t mark)
{
    (void)ctx;
    if (!parent_store)
        return true; /* the SA's own reserved_mark is all there is (see above) */
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_PARENT_OP_SEQ_RESERVE;
    put_id(u, key_id);
    u->words[1 + DJ_SEQ_KEY_ID_WORDS] = mark;
    uint64_t out = 0;
    enum dj_status st = dj_call(parent_pt, DJ_MTD(DJ_PARENT_SEQ_RESERVE_WORDS, 0), &out);
    if (st == DJ_OK && DJ_MTD_UNTYPED(out) >= 1)
        st = (enum dj_status)u->words[0];
    if (st != DJ_OK)
        printf("esp: the sequence store refused a mark (status %d): that SA sends nothing more\n", st);
    return st == DJ_OK;
}

const struct esp_seq_store gw_seq_store = {.reserve = reserve_in_parent, .ctx = 0};

static bool load_from_parent(const uint8_t key_id[ESP_KEY_ID_BYTES], struct esp_seq_record *record)
{
    if (!parent_pt && !dj_start_cap("parent", &parent_pt))
        return false;
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_PARENT_OP_SEQ_LOAD;
    put_id(u, key_id);
    uint64_t out = 0;
    if (dj_call(parent_pt, DJ_MTD(DJ_PARENT_SEQ_LOAD_WORDS, 0), &out) != DJ_OK ||
        DJ_MTD_UNTYPED(out) != DJ_PARENT_SEQ_LOAD_REPLY_WORDS || u->words[0] != DJ_OK)
        return false;
    record->present = u->words[1] == 1;
    record->mark = u->words[2];
    return true;
}

void gw_seq_record_load(void *ctx, const uint8_t key_id[ESP_KEY_ID_BYTES], struct esp_seq_record *record)
{
    const struct dj_start_info *si = ctx;
    record->present = false;
    record->mark = 0;
    record->store_persistent = false;
    parent_store = load_from_parent(key_id, record);
    record->key_fresh = gws.set.keys_fresh && (parent_store || si->generation == 0);
    if (record->present)
        printf("esp: an outbound key resumes above sequence number %lu (init's mark)\n", (unsigned long)record->mark);
    else if (!parent_store)
        printf("esp: no sequence store in the parent: marks last one instance\n");
}
