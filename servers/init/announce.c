/* SPDX-License-Identifier: GPL-2.0-only */
/* Client announcements (lib/proto.h, DJ_SERVICE_OP_CLIENT) without
 * trusting the service to answer.
 *
 * An announcement is a call into the service's handler EC; a service that
 * never replies would keep the caller for good. So init's main EC never
 * makes it: each service has an announcer, a thread of init (wait.c) that
 * makes the calls, one at a time, at the service's own priority. The main
 * EC posts an announcement and waits for the answer at most
 * ANNOUNCE_WAIT_MS. When that runs out, the service is reported as
 * stalled; from then on (until the stuck call returns, which a teardown of
 * the service forces) announcements to it are only posted, not waited
 * for: each client has one slot holding the latest announcement, so what
 * piles up is bounded, and the announcer delivers the latest state of
 * every client once the service answers again. */
#include "lib/proto.h"
#include <stdio.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "init.h"

#define ANNOUNCE_WAIT_MS 2000

enum ann_mode { ANN_GONE, ANN_DEVICE };

struct announcer {
    bool running;
    uint64_t sm, utcb_va;
    /* Per client: the latest announcement posted (main EC), and the last
     * one taken and answered (announcer). Sequence numbers only grow. */
    volatile uint8_t mode[BC_MAX_COMPONENTS];
    volatile unsigned posted[BC_MAX_COMPONENTS], taken[BC_MAX_COMPONENTS], answered[BC_MAX_COMPONENTS];
    volatile enum dj_status status[BC_MAX_COMPONENTS];
    volatile unsigned calls_started, calls_done;
    volatile unsigned current; /* the client of the call under way */
    unsigned stuck_call;       /* main EC: the call that did not return in time */
    unsigned reported_call;    /* main EC: the stuck call it reported queueing behind */
};

static struct announcer announcers[BC_MAX_COMPONENTS];
static uint64_t announcer_stacks[BC_MAX_COMPONENTS][INIT_THREAD_STACK_BYTES / 8] __attribute__((aligned(16)));

static enum dj_status deliver(const struct comp *s, const struct comp *c, bool with_device, struct dj_utcb *u)
{
    uint64_t pt = s->svc_pt;
    if (!pt || !s->serving)
        return DJ_E_ABORTED;
    u->words[0] = DJ_SERVICE_OP_CLIENT;
    u->words[1] = c->id;
    u->words[2] = u->words[3] = 0;
    memcpy(&u->words[2], c->cfg->name, strlen(c->cfg->name));
    for (unsigned i = 0; i < DJ_SERVICE_CLIENT_PCI_ALTS; i++)
        u->words[DJ_SERVICE_CLIENT_PCI + i] = with_device ? c->cfg->pci[i] : 0;
    uint64_t out = 0;
    enum dj_status st = dj_call(pt, DJ_MTD(DJ_SERVICE_CLIENT_WORDS, 0), &out);
    if (st == DJ_OK)
        st = DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
    return st;
}

/* Takes the next client whose latest announcement is not yet delivered. */
static bool take(struct announcer *a, unsigned *client, unsigned *seq, bool *with_device)
{
    for (unsigned k = 0; k < ncomps; k++) {
        unsigned posted = __atomic_load_n(&a->posted[k], __ATOMIC_ACQUIRE);
        if (posted == a->taken[k])
            continue;
        *with_device = a->mode[k] == ANN_DEVICE;
        a->taken[k] = posted;
        *client = k;
        *seq = posted;
        return true;
    }
    return false;
}

static __attribute__((noreturn)) void announcer_main(uint64_t index)
{
    struct announcer *a = &announcers[index];
    struct dj_utcb *u = (struct dj_utcb *)(uintptr_t)a->utcb_va;
    for (;;) {
        dj_sm_down(a->sm);
        unsigned k, seq;
        bool with_device;
        while (take(a, &k, &seq, &with_device)) {
            a->current = k;
            a->calls_started++;
            enum dj_status st = deliver(&comps[index], &comps[k], with_device, u);
            a->status[k] = st;
            __atomic_store_n(&a->answered[k], seq, __ATOMIC_RELEASE);
            a->calls_done++;
            init_wake();
        }
    }
}

bool announcers_create(void)
{
    for (unsigned i = 0; i < ncomps; i++) {
        struct announcer *a = &announcers[i];
        if (!comps[i].cfg->serves)
            continue;
        a->sm = init_sel();
        if (dj_create_sm(a->sm, DJ_SEL_SELF_PD, 0) != DJ_OK ||
            !init_thread_create(announcer_main, i, announcer_stacks[i], sizeof(announcer_stacks[i]),
                                comps[i].cfg->prio, &a->utcb_va))
            return false;
        a->running = true;
    }
    return true;
}

static bool stalled(const struct announcer *a)
{
    return (int)(a->stuck_call - a->calls_done) > 0;
}

struct answer_wait {
    const struct announcer *a;
    unsigned client, seq;
};

static bool answered(const void *ctx)
{
    const struct answer_wait *w = ctx;
    return (int)(__atomic_load_n(&w->a->answered[w->client], __ATOMIC_ACQUIRE) - w->seq) >= 0;
}

enum dj_status component_announce(const struct comp *s, const struct comp *c, bool with_device)
{
    struct announcer *a = &announcers[s - comps];
    if (!a->running)
        return DJ_E_BAD_CAP;
    unsigned k = (unsigned)(c - comps), seq = a->posted[k] + 1;
    a->mode[k] = with_device ? ANN_DEVICE : ANN_GONE;
    __atomic_store_n(&a->posted[k], seq, __ATOMIC_RELEASE);
    dj_sm_up(a->sm);
    if (stalled(a)) {
        if (a->reported_call != a->stuck_call) {
            a->reported_call = a->stuck_call;
            printf("init: %s is still in the announcement of %s: later announcements to it are queued, "
                   "the latest per client\n",
                   s->cfg->name, comps[a->current].cfg->name);
        }
        return DJ_E_TIMEOUT;
    }
    struct answer_wait w = {a, k, seq};
    if (init_wait(answered, &w, ANNOUNCE_WAIT_MS, false))
        return a->status[k];
    a->stuck_call = a->calls_started;
    a->reported_call = a->stuck_call;
    printf("init: %s did not answer the announcement of %s within %u ms: later announcements to it are queued, "
           "the latest per client\n",
           s->cfg->name, comps[a->current].cfg->name, ANNOUNCE_WAIT_MS);
    return DJ_E_TIMEOUT;
}
