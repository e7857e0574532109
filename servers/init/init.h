/* init: shared state of its files (main.c: configuration and the start
 * sequence; component.c: building one component; handlers.c: the portals
 * init serves for its components). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <startinfo.h>
#include "bootconfig.h"

/* What init knows about a component it starts. */
struct comp {
    const struct bc_component *cfg;
    uint64_t id;                  /* badge on every portal init gives it (index + 1) */
    uint64_t pd;                  /* selectors in init's capability space */
    uint64_t entry;               /* ELF entry point, for its startup event */
    struct dj_start_info *si;     /* its start page, as init sees it */
    uint64_t svc_ec, svc_entry;   /* its service handler EC and entry, once it serves */
    uint64_t svc_pt;              /* init's own portal to the service (DJ_BADGE_PARENT) */
    volatile bool serving, dead;
};

extern struct comp comps[BC_MAX_COMPONENTS];
extern unsigned ncomps;

/* Handler ECs init runs its components' portals on. */
extern uint64_t init_event_ec, init_parent_ec;

/* Selectors in init's own space, never reused. */
uint64_t init_sel(void);
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
