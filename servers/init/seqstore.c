/* SPDX-License-Identifier: GPL-2.0-only */
/* The sequence-number store for the ESP wrapper (docs/gateway.md, "No key
 * and IV twice"): marks per component and key id, in init's memory, so
 * they outlive every restart of the component (and of anything else init
 * restarts), not a reboot. The parent portal's DJ_PARENT_OP_SEQ_LOAD and
 * DJ_PARENT_OP_SEQ_RESERVE (lib/proto.h) read and raise them; a mark
 * never goes down. The key id is a hash that reveals nothing of the key;
 * init never prints it. */
#include <string.h>

#include "init.h"
#include "lib/proto.h"

struct seq_mark {
    uint64_t id[DJ_SEQ_KEY_ID_WORDS];
    uint64_t mark;
    bool used;
};

static struct seq_mark marks[BC_MAX_COMPONENTS][DJ_SEQ_KEYS_PER_COMPONENT];

static struct seq_mark *find(unsigned comp, const uint64_t *id, bool make)
{
    struct seq_mark *free_slot = NULL;
    for (unsigned i = 0; i < DJ_SEQ_KEYS_PER_COMPONENT; i++) {
        struct seq_mark *m = &marks[comp][i];
        if (m->used && memcmp(m->id, id, sizeof(m->id)) == 0)
            return m;
        if (!m->used && !free_slot)
            free_slot = m;
    }
    if (!make || !free_slot)
        return NULL;
    memcpy(free_slot->id, id, sizeof(free_slot->id));
    free_slot->mark = 0;
    free_slot->used = true;
    return free_slot;
}

uint64_t seqstore_call(const struct comp *c, struct dj_utcb *u)
{
    unsigned comp = (unsigned)(c - comps);
    const uint64_t *id = &u->words[1];
    if (u->words[0] == DJ_PARENT_OP_SEQ_LOAD && u->mtd == DJ_MTD(DJ_PARENT_SEQ_LOAD_WORDS, 0)) {
        const struct seq_mark *m = find(comp, id, false);
        u->words[0] = DJ_OK;
        u->words[1] = m ? 1 : 0;
        u->words[2] = m ? m->mark : 0;
        return DJ_MTD(DJ_PARENT_SEQ_LOAD_REPLY_WORDS, 0);
    }
    if (u->words[0] == DJ_PARENT_OP_SEQ_RESERVE && u->mtd == DJ_MTD(DJ_PARENT_SEQ_RESERVE_WORDS, 0)) {
        uint64_t mark = u->words[1 + DJ_SEQ_KEY_ID_WORDS];
        struct seq_mark *m = find(comp, id, true);
        enum dj_status st = DJ_OK;
        if (!m)
            st = DJ_E_QUOTA; /* more keys than a component may keep marks for */
        else if (mark < m->mark)
            st = DJ_E_BAD_PARAM; /* marks never go down */
        else
            m->mark = mark;
        u->words[0] = st;
        return DJ_MTD(1, 0);
    }
    u->words[0] = DJ_E_BAD_PARAM;
    return DJ_MTD(1, 0);
}
