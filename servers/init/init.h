/* SPDX-License-Identifier: GPL-2.0-only */
/* init: shared state of its files (main.c: configuration and the start
 * sequence; component.c: building one component; handlers.c: the portals
 * init serves for its components; relay.c: their events on other CPUs;
 * restart.c: tearing a dead component
 * down and building it again; wait.c: bounded waits and init's own
 * threads; announce.c: client announcements that no service can stall). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
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
    uint64_t cpu_pts, ncpu_pts;   /* its event portals on other CPUs: init's selectors cpu_pts.. */
    uint8_t msi[BC_MSI_MAX];      /* init's MSI capabilities it holds (DJ_SEL_MSI_BASE + msi[i]) */
    unsigned nmsi;
    bool msi_assigned;            /* taken from the pool (once: a restart keeps them) */
    unsigned generation, restarts;
    unsigned forged;              /* calls to its event portals that were no event (this instance) */
    volatile bool serving, dead, restart_pending;
    bool held;                    /* not built: a service it is granted is being
                                     restarted; built when it serves (restart.c) */
};

extern struct comp comps[BC_MAX_COMPONENTS];

/* seqstore.c: a DJ_PARENT_OP_SEQ_* call of c (handler EC). */
uint64_t seqstore_call(const struct comp *c, struct dj_utcb *u);
extern unsigned ncomps;

/* Handler ECs init runs its components' portals on. */
extern uint64_t init_event_ec, init_parent_ec;

/* Selectors in init's own space, never reused; init_sels: n in a row. */
uint64_t init_sel(void);
uint64_t init_sels(unsigned n);
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
/* Blocks until the component serves or dies, at most SERVICE_WAIT_MS;
 * a component late by then is reported by name and stopped (restarted
 * if its line says so). True if it serves. With restarts, restart
 * requests are served meanwhile (wait.c). */
#define SERVICE_WAIT_MS 5000
bool wait_for_service(struct comp *c, bool restarts);
/* The badge of c's event portal for vector: the handler checks that an
 * event came through the portal of its vector. */
#define EVENT_BADGE(id, vector) ((id) | (uint64_t)(vector) << 8)
#define EVENT_BADGE_ID(b) ((b) & 0xff)
#define EVENT_BADGE_VECTOR(b) (((b) >> 8) & 0xff)
/* What the kernel puts in the UTCB's mtd for an event: the portal's MTD.
 * A plain call's MTD never has bits above 19 (docs/abi.md). */
#define EXCEPTION_MTD (DJ_MTD_QUAL | DJ_MTD_RIP_RSP)
#define STARTUP_MTD DJ_MTD_RIP_RSP
/* A non-canonical RIP in a fault reply makes the kernel kill the thread. */
#define INIT_KILL_RIP 0x8000000000000000ull

/* wait.c: init's own threads (global ECs in init's PD, started through a
 * startup portal of the event handler EC with badge INIT_THREAD_BADGE |
 * index) and the main EC's bounded waits. */
#define INIT_THREADS_MAX (BC_MAX_COMPONENTS + 1) /* announcers, the relays' forwarder */
#define INIT_THREAD_STACK_BYTES 4096
#define INIT_THREAD_BADGE (1ull << 63)
#define INIT_THREAD_STARTUP_MTD (DJ_MTD_RIP_RSP | DJ_MTD_GPR)
bool wait_init(const struct dj_bootinfo *bi);
bool init_thread_create(void (*fn)(uint64_t), uint64_t arg, void *stack, size_t stack_size, unsigned prio,
                        uint64_t *utcb_va);
uint64_t init_thread_startup(unsigned index, struct dj_utcb *u);
/* Wakes the main EC so it checks again what it waits for. */
void init_wake(void);
/* Blocks the main EC until done(ctx) or ms milliseconds passed (a timed
 * down, wait.c); true if done. With restarts (only honoured outside any
 * other wait), pending restarts run meanwhile. */
bool init_wait(bool (*done)(const void *ctx), const void *ctx, unsigned ms, bool restarts);
/* Blocks the main EC until the next init_wake. */
void init_sleep(void);

/* handlers.c: an event of a component (badge EVENT_BADGE) in u, as
 * init_event_ec handles it; the reply's MTD. */
uint64_t init_component_event(uint64_t badge, struct dj_utcb *u);

/* relay.c: events of components' ECs on the other online CPUs. One relay
 * EC per such CPU (relay_ec: the i-th, i < relay_count(), and its CPU)
 * forwards them to init_event_ec, which calls relay_forwarded for a call
 * through init's forward portal (badge INIT_FORWARD_BADGE). */
#define INIT_FORWARD_BADGE (1ull << 62)
bool relays_create(const struct dj_bootinfo *bi);
unsigned relay_count(void);
uint64_t relay_ec(unsigned i, unsigned *cpu);
uint64_t relay_forwarded(struct dj_utcb *u);

/* announce.c: one announcer thread per service. */
bool announcers_create(void);

/* component.c: builds and starts c (reports every failure itself). */
bool component_start(struct comp *c);
/* Tells service s about its client c (DJ_SERVICE_OP_CLIENT): with the
 * PCI device selectors of c's pci= when with_device, without any when c
 * is being torn down. DJ_E_TIMEOUT when s did not answer in time
 * (announce.c: reported there; the announcement stays queued). */
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
/* Stops c as if it had died (torn down, restarted if its line says so). */
void component_stop(struct comp *c);
/* Builds c (component_start), unless a service it is granted is down
 * and being restarted: then c is held (reported) and built once that
 * service serves again, after the restart. False when not built now
 * (c->held tells which: held, or failed and reported). */
bool component_start_or_hold(struct comp *c);
/* Runs the pending restarts; false if there were none. */
bool restart_run_pending(void);
/* init's main EC after the start sequence: serves restart requests. */
__attribute__((noreturn)) void restart_loop(void);
