/* SPDX-License-Identifier: GPL-2.0-only */
/* Restarting a component that died (restart=yes on its line).
 *
 * The event handler (handlers.c) only marks the component and wakes
 * init's main EC: tearing down and building take many system calls and
 * allocate pages, which only the main EC does. For each request the main
 * EC
 *   1. tears the instance down: kills its thread, announces it to its
 *      services without a device (the PCI server quiesces the device
 *      before the instance's memory can go away), revokes every
 *      capability init made for it (PD, EC, SC, event and parent portals,
 *      its service EC and portal, the copies of debug, device memory,
 *      interrupt and MSI capabilities), the portals it holds to its
 *      services and the portals other components hold to it, and all the
 *      memory init gave it (and with it whatever it delegated onward);
 *   2. builds it again from its line with the same id (badge), which
 *      announces it again to its services (a service drops what it kept
 *      for the old instance: the PCI server quiesces the device and takes
 *      back the BARs);
 *   3. when it is a service, waits until it serves again (at most
 *      SERVICE_WAIT_MS), then gives each running client a portal to it at
 *      the selector the old one had and announces the client to it;
 *      running clients reconnect by themselves (docs/channels.md, "A peer
 *      dies"). Clients that could not be built while it was down (held:
 *      the service died between serving and the client's start, or both
 *      died) are built now.
 * A client is never restarted because its service was: it keeps its
 * state and gets the new portal; only a client that is not running is
 * built.
 * Announcements never hold the main EC longer than announce.c allows, so
 * a service that does not answer them delays a restart, never stops it;
 * the teardown then goes on without the service's answer (a PCI server
 * that does not answer may not have stopped the device's DMA before the
 * memory goes back: a stuck PCI server is trusted code gone wrong, and
 * waiting for it would stop every restart). Restarts run from the main
 * EC's loop and, during the start sequence, while it waits for a service
 * to offer its service (wait.c).
 * A component is restarted at most RESTART_MAX times. Revoking the old
 * PD's capability destroys it and the kernel gives its quota back, except
 * for pages whose physical address it looked up (possible DMA targets:
 * docs/abi.md), so a driver's restart still costs init its DMA buffers;
 * the limit bounds that too. */
#include <stdio.h>
#include "lib/syscall.h"
#include "init.h"

#define RESTART_MAX 8
#define PAGE_SHIFT 12
#define REVOKE_MAX_ORDER 16 /* 2^16 pages per memory revoke: the kernel's limit */

void restart_request(struct comp *c)
{
    if (!c->cfg->restart || c->restart_pending)
        return;
    c->restart_pending = true;
    init_wake();
}

static void revoke_cap(uint64_t sel)
{
    if (sel)
        dj_revoke(DJ_CRD(DJ_CRD_OBJ, sel, 0, DJ_OBJ_ALL), true);
}

/* What derives from init's pages [first, end): the component's mappings
 * and whatever it delegated from them. init keeps its own. */
static void revoke_memory(uint64_t first, uint64_t end)
{
    uint64_t page = first >> PAGE_SHIFT, last = end >> PAGE_SHIFT;
    while (page < last) {
        unsigned order = REVOKE_MAX_ORDER;
        while ((1ull << order) > last - page)
            order--;
        dj_revoke(DJ_CRD(DJ_CRD_MEM, page, order, DJ_MEM_ALL), false);
        page += 1ull << order;
    }
}

static bool ports_shared(const struct comp *c, uint64_t first, uint64_t last)
{
    for (unsigned k = 0; k < ncomps; k++)
        for (unsigned r = 0; &comps[k] != c && r < comps[k].cfg->nio; r++)
            if (first <= comps[k].cfg->io[r].last && last >= comps[k].cfg->io[r].first)
                return true;
    return false;
}

/* Its io= ports, in naturally aligned pieces (as they were given), except
 * pieces another component's line names too: revoking those would take
 * them from that component as well. */
static void revoke_ports(const struct comp *c)
{
    for (unsigned i = 0; i < c->cfg->nio; i++) {
        uint64_t port = c->cfg->io[i].first, last = c->cfg->io[i].last;
        while (port <= last) {
            unsigned order = io_piece_order(port, last);
            uint64_t end = port + (1ull << order) - 1;
            if (ports_shared(c, port, end))
                printf("init: %s: ports 0x%lx-0x%lx stay (another component's line names them too)\n",
                       c->cfg->name, (unsigned long)port, (unsigned long)end);
            else
                dj_revoke(DJ_CRD(DJ_CRD_IO, port, order, DJ_IO_ACCESS), false);
            port = end + 1;
        }
    }
}

/* The portals clients hold to service s go with it. */
static void revoke_client_portals(const struct comp *s)
{
    unsigned idx = (unsigned)(s - comps);
    for (unsigned k = 0; k < ncomps; k++)
        for (unsigned j = 0; j < comps[k].cfg->nportals; j++)
            if (comps[k].cfg->portals[j] == idx) {
                revoke_cap(comps[k].grants[j]);
                comps[k].grants[j] = 0;
            }
}

/* Its services learn first that it has no device any more: the PCI
 * server stops the device's DMA before the memory it may be writing to
 * goes back to the kernel. */
static void announce_gone(const struct comp *c)
{
    for (unsigned j = 0; j < c->cfg->nportals; j++) {
        const struct comp *s = &comps[c->cfg->portals[j]];
        if (s->serving && !s->dead && c->grants[j])
            component_announce(s, c, false);
    }
}

static void teardown(struct comp *c)
{
    if (c->ec)
        dj_ec_kill(c->ec); /* a thread that did not fault may still run */
    announce_gone(c);
    revoke_client_portals(c);
    for (unsigned j = 0; j < c->cfg->nportals; j++) {
        revoke_cap(c->grants[j]);
        c->grants[j] = 0;
    }
    for (unsigned i = 0; i < c->nsels; i++)
        revoke_cap(c->sels[i]);
    for (uint64_t i = 0; i < c->ncpu_pts; i++)
        revoke_cap(c->cpu_pts + i);
    c->ncpu_pts = 0;
    revoke_memory(c->mem_first, c->mem_end);
    revoke_ports(c);
    c->nsels = 0;
    c->pd = c->ec = c->svc_ec = c->svc_entry = c->svc_pt = 0;
    c->si = NULL;
    c->serving = false;
}

void component_stop(struct comp *c)
{
    c->dead = true;
    teardown(c);
    restart_request(c);
}

/* Service s serves again: its running clients get their portals back. */
static void reconnect_clients(const struct comp *s)
{
    unsigned idx = (unsigned)(s - comps);
    for (unsigned k = 0; k < ncomps; k++) {
        struct comp *client = &comps[k];
        for (unsigned j = 0; j < client->cfg->nportals; j++) {
            if (client->cfg->portals[j] != idx || client->dead || !client->pd)
                continue;
            enum dj_status st = component_grant_service(client, j, s);
            if (st == DJ_OK)
                st = component_announce(s, client, true);
            if (st != DJ_OK)
                printf("init: %s: no portal to the restarted %s (status %d)\n", client->cfg->name, s->cfg->name,
                       st);
        }
    }
}

/* Whether each service of c serves; else whether one that does not
 * will (its restart is pending, or it is held itself), in which case
 * *down names it, or is gone for good. */
enum services_state { SERVICES_UP, SERVICES_COMING, SERVICES_GONE };

static enum services_state services_of(const struct comp *c, const struct comp **down)
{
    enum services_state state = SERVICES_UP;
    for (unsigned j = 0; j < c->cfg->nportals; j++) {
        const struct comp *s = &comps[c->cfg->portals[j]];
        if (s->serving && !s->dead)
            continue;
        if (!s->restart_pending && !s->held)
            return SERVICES_GONE;
        state = SERVICES_COMING;
        *down = s;
    }
    return state;
}

bool component_start_or_hold(struct comp *c)
{
    const struct comp *down = NULL;
    c->held = false;
    if (services_of(c, &down) == SERVICES_COMING) {
        c->held = true;
        printf("init: %s held back: its service %s is being restarted; it starts when %s serves again\n",
               c->cfg->name, down->cfg->name, down->cfg->name);
        return false;
    }
    return component_start(c); /* a service gone for good is reported there */
}

static void start_held(void);

static void restart(struct comp *c)
{
    if (c->restarts == RESTART_MAX) {
        printf("init: %s died again after %u restarts: not restarted any more\n", c->cfg->name, RESTART_MAX);
        teardown(c);
        return;
    }
    c->restarts++;
    teardown(c);
    c->generation++;
    c->forged = 0;
    c->dead = false;
    if (!component_start_or_hold(c)) {
        /* Failed: reported by component_start; building again would fail
         * again. Held: built when its service serves (start_held). */
        c->dead = !c->held;
        return;
    }
    printf("init: %s restarted (generation %u)\n", c->cfg->name, c->generation);
    if (!c->cfg->serves)
        return;
    if (wait_for_service(c, false))
        reconnect_clients(c);
}

/* Builds the held components whose services all serve again, and gives
 * up those whose service is gone for good; a held service that now
 * serves may release held clients of its own, hence the repeat. */
static void start_held(void)
{
    bool again = true;
    while (again) {
        again = false;
        for (unsigned k = 0; k < ncomps; k++) {
            struct comp *c = &comps[k];
            const struct comp *down = NULL;
            if (!c->held)
                continue;
            enum services_state state = services_of(c, &down);
            if (state == SERVICES_COMING)
                continue;
            again = true;
            if (!component_start_or_hold(c)) {
                c->dead = !c->held;
                continue;
            }
            printf("init: started %s (generation %u): its services serve again\n", c->cfg->name, c->generation);
            if (c->cfg->serves && wait_for_service(c, false))
                reconnect_clients(c);
        }
    }
}

bool restart_run_pending(void)
{
    bool any = false;
    for (unsigned i = 0; i < ncomps; i++) {
        struct comp *c = &comps[i];
        if (!c->restart_pending)
            continue;
        c->restart_pending = false;
        restart(c);
        start_held();
        any = true;
    }
    return any;
}

void restart_loop(void)
{
    for (;;) {
        restart_run_pending();
        init_sleep();
    }
}
