/* SPDX-License-Identifier: GPL-2.0-only */
/* kvstore: the example server of docs/writing-a-server.md. A table of
 * (client, key, value) entries on the heap init gave it, served through
 * one portal per client; the portal badge (the client's component id) is
 * the client's namespace, and each client has a quota of entries
 * (KV_CLIENT_MAX_ENTRIES) so that no client can fill the table for the
 * others. Protocol: kv.h. */
#include <stdbool.h>
#include <stdint.h>
#include "lib/component.h"
#include "lib/console_client.h"
#include "lib/proto.h"
#include <stdio.h>
#include <stdlib.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "kv.h"

#define PAGE 4096ull
#define TABLE_ENTRIES (KV_CLIENTS_MAX * KV_CLIENT_MAX_ENTRIES)
#define HANDLER_STACK_BYTES 8192
#define HANDLER_UTCB_VA DJ_CHILD_FREE_VA
#define SEL_SLEEP_SM DJ_CHILD_FIRST_FREE

struct entry {
    uint64_t owner; /* the badge of the client that stored it; 0: free */
    uint64_t key, value;
};

static struct entry *table;
static uint64_t handler_stack[HANDLER_STACK_BYTES / 8] __attribute__((aligned(16)));

static struct entry *lookup(uint64_t owner, uint64_t key)
{
    for (unsigned i = 0; i < TABLE_ENTRIES; i++)
        if (table[i].owner == owner && table[i].key == key)
            return &table[i];
    return NULL;
}

static uint64_t reply(struct dj_utcb *u, enum dj_status st, unsigned words)
{
    u->words[0] = st;
    return DJ_MTD(words, 0);
}

static unsigned entries_of(uint64_t owner)
{
    unsigned n = 0;
    for (unsigned i = 0; i < TABLE_ENTRIES; i++)
        n += table[i].owner == owner;
    return n;
}

static uint64_t put(uint64_t owner, struct dj_utcb *u)
{
    struct entry *e = lookup(owner, u->words[1]);
    if (!e && entries_of(owner) >= KV_CLIENT_MAX_ENTRIES)
        return reply(u, DJ_E_QUOTA, 1); /* its own quota: others keep theirs */
    if (!e)
        e = lookup(0, 0); /* a free entry (owner 0 is never a client) */
    if (!e)
        return reply(u, DJ_E_QUOTA, 1);
    *e = (struct entry){owner, u->words[1], u->words[2]};
    return reply(u, DJ_OK, 1);
}

static uint64_t get(uint64_t owner, struct dj_utcb *u)
{
    const struct entry *e = lookup(owner, u->words[1]);
    u->words[1] = e != NULL;
    u->words[2] = e ? e->value : 0;
    return reply(u, DJ_OK, KV_GET_REPLY_WORDS);
}

static uint64_t del(uint64_t owner, struct dj_utcb *u)
{
    struct entry *e = lookup(owner, u->words[1]);
    if (e)
        *e = (struct entry){0, 0, 0};
    u->words[1] = e != NULL;
    return reply(u, DJ_OK, KV_DEL_REPLY_WORDS);
}

/* Runs for every call, in a handler EC of this PD, on the caller's time.
 * The message is the caller's: check its shape before using a word. */
static uint64_t kv_handler(uint64_t badge, struct dj_utcb *u)
{
    uint64_t mtd = u->mtd, op = DJ_MTD_UNTYPED(mtd) ? u->words[0] : 0;
    if (DJ_MTD_TYPED(mtd) != 0)
        return reply(u, DJ_E_BAD_PARAM, 1);
    if (badge == DJ_BADGE_PARENT) { /* init announces a client: nothing to set up (a restarted
                                      * client finds its entries again) */
        return reply(u, dj_is_client_announcement(u) ? DJ_OK : DJ_E_BAD_PARAM, 1);
    }
    if (badge > KV_CLIENTS_MAX)
        return reply(u, DJ_E_BAD_CAP, 1); /* no portal init made carries it */
    if (op == KV_OP_PUT && mtd == DJ_MTD(KV_PUT_WORDS, 0))
        return put(badge, u);
    if (op == KV_OP_GET && mtd == DJ_MTD(KV_GET_WORDS, 0))
        return get(badge, u);
    if (op == KV_OP_DEL && mtd == DJ_MTD(KV_DEL_WORDS, 0))
        return del(badge, u);
    return reply(u, DJ_E_BAD_PARAM, 1);
}

int main(void)
{
    const struct dj_start_info *si = dj_start_with_console();
    if (!si)
        return 1;
    dj_heap_init((void *)(uintptr_t)si->heap_va, si->heap_pages * PAGE);
    table = dj_calloc(TABLE_ENTRIES, sizeof(*table));
    if (!table) {
        puts("kvstore: no heap for the table");
        return 1;
    }
    enum dj_status st = dj_serve(kv_handler, handler_stack, sizeof(handler_stack), HANDLER_UTCB_VA);
    if (st != DJ_OK) {
        printf("kvstore: cannot offer its service (status %d)\n", st);
        return 1;
    }
    printf("serving %u entries, %u per client\n", TABLE_ENTRIES, KV_CLIENT_MAX_ENTRIES);
    dj_block_forever(SEL_SLEEP_SM);
}
