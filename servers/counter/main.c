/* SPDX-License-Identifier: GPL-2.0-only */
/* counter: the second example of docs/writing-a-server.md. Each client
 * (told apart by its portal badge) gets a page with its own counter,
 * which it may read but not write; it changes it through the server.
 * Protocol: counter.h. */
#include "lib/donjon.h"
#include "counter.h"

static struct counter_page *pages[DJ_COMPONENT_ID_MAX + 1]; /* by badge */

/* init announces each client before it starts (and again when it
 * restarts): give it a page, or a fresh count on the page it had. */
static enum dj_status new_client(uint64_t badge, const struct dj_utcb *u)
{
    (void)u;
    if (badge == DJ_BADGE_PARENT || badge > DJ_COMPONENT_ID_MAX)
        return DJ_E_BAD_PARAM;
    if (!pages[badge]) {
        uint64_t va = dj_alloc_va(1);
        if (!va || dj_mem_alloc(va, 0, DJ_MEM_R | DJ_MEM_W) != DJ_OK)
            return DJ_E_QUOTA;
        pages[badge] = (struct counter_page *)va;
    }
    *pages[badge] = (struct counter_page){0, 0};
    return DJ_OK;
}

static uint64_t map(uint64_t badge, struct dj_utcb *u)
{
    uint64_t dst = u->words[1];
    if (dst % DJ_PAGE_SIZE)
        return dj_reply_status(u, DJ_E_BAD_ADDR);
    printf("client %llu maps its counter page (printed from the handler)\n", (unsigned long long)badge);
    return dj_reply_mem(u, DJ_OK, COUNTER_MAP_REPLY_WORDS, pages[badge], 0, DJ_MEM_R, dst);
}

static uint64_t add(uint64_t badge, struct dj_utcb *u)
{
    struct counter_page *p = pages[badge];
    p->value += u->words[1];
    p->changes++;
    u->words[1] = p->value;
    return dj_reply_words(u, DJ_OK, COUNTER_ADD_REPLY_WORDS);
}

static uint64_t counter_handler(uint64_t badge, struct dj_utcb *u)
{
    uint64_t mtd = u->mtd, op = DJ_MTD_UNTYPED(mtd) ? u->words[0] : 0;
    if (badge > DJ_COMPONENT_ID_MAX || !pages[badge])
        return dj_reply_status(u, DJ_E_BAD_CAP); /* never announced */
    if (op == COUNTER_OP_MAP && mtd == DJ_MTD(COUNTER_MAP_WORDS, 0))
        return map(badge, u);
    if (op == COUNTER_OP_ADD && mtd == DJ_MTD(COUNTER_ADD_WORDS, 0))
        return add(badge, u);
    return dj_reply_status(u, DJ_E_BAD_PARAM);
}

static const struct dj_service service = {.handle = counter_handler, .client = new_client};

int main(void)
{
    dj_start_with_console();
    printf("serving a counter page per client\n");
    dj_serve_forever(&service);
}
