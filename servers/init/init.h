/* SPDX-License-Identifier: GPL-2.0-only */
/* init: shared state of its files (main.c: configuration and the start
 * sequence; component.c: building one component; handlers.c: the portals
 * init serves for its components; restart.c: tearing a dead component
 * down and building it again). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/startinfo.h"
#include "bootconfig.h"

#define COMP_MAX_SELS 32 /* init's selectors made for one instance of a component */

/* What init knows about a component it starts. */
struct comp {
    const struct bc_component *cfg;
    uint64_t id;                  /* badge on every portal init gives it (index + 1) */
    uint64_t pd, ec;              /* selectors in init's capability space */
    uint64_t entry;               /* ELF entry point, for its startup event */
    struct dj_start_info *si;     /* its start page, as init sees it */
    uint64_t svc_ec, svc_entry;   /* its service handler EC and entry, once it serves */
    uint64_t svc_pt;              /* init's own portal to the service (DJ_BADGE_PARENT) */
    /* Everything a teardown takes back (restart.c): */
    uint64_t sels[COMP_MAX_SELS]; /* init's selectors of this instance's capabilities */
    unsigned nsels;
    uint64_t grants[BC_MAX_PORTALS]; /* init's portals it holds to its pt= services, 0 none */
    uint64_t mem_first, mem_end;  /* init's staging range its memory comes from */
    uint8_t msi[BC_MSI_MAX];      /* init's MSI capabilities it holds (DJ_SEL_MSI_BASE + msi[i]) */
    unsigned nmsi;
    bool msi_assigned;            /* taken from the pool (once: a restart keeps them) */
    unsigned generation, restarts;
    volatile bool serving, dead, restart_pending;
};

extern struct comp comps[BC_MAX_COMPONENTS];
extern unsigned ncomps;

/* Handler ECs init runs its components' portals on. */
extern uint64_t init_event_ec, init_parent_ec;

/* Selectors in init's own space, never reused. */
uint64_t init_sel(void);
/* A fresh selector recorded as part of c (revoked when c is torn down).
 * COMP_MAX_SELS covers everything component.c and handlers.c make; past
 * it the selector is reported and not recorded (a teardown misses it). */
uint64_t comp_sel(struct comp *c);
/* The next address init_pages will hand out: component_start's pages lie
 * between two marks. */
uint64_t init_staging_mark(void);
/* n fresh zeroed pages from sigma0, mapped read/write here; NULL if sigma0
 * refused (init reports why). init_code_pages also carries the execute
 * right, for images (init itself never runs them). */
void *init_pages(uint64_t n);
void *init_code_pages(uint64_t n);

/* handlers.c */
bool handlers_create(void);
/* Blocks until the component serves or dies; true if it serves. */
bool wait_for_service(struct comp *c);

/* component.c: builds and starts c (reports every failure itself). */
bool component_start(struct comp *c);
/* Tells service s about its client c (DJ_SERVICE_OP_CLIENT): with the
 * PCI device selectors of c's pci= when with_device, without any when c
 * is being torn down. */
enum dj_status component_announce(const struct comp *s, const struct comp *c, bool with_device);
/* A portal to service s for client c at its pt= position j. */
enum dj_status component_grant_service(struct comp *c, unsigned j, const struct comp *s);

/* restart.c: c died; if its line says restart=yes, init's main EC builds
 * it again (restart_loop). Called from the event handler. */
/* io= ranges go out in naturally aligned power-of-two pieces: the order
 * of the piece at first within [first, last]. Giving and taking back
 * use the same pieces. */
#define IO_MAX_ORDER 16
unsigned io_piece_order(uint64_t first, uint64_t last);

void restart_request(struct comp *c);
bool restart_init(void);
/* init's main EC after the start sequence: serves restart requests. */
__attribute__((noreturn)) void restart_loop(void);
