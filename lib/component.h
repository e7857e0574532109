/* SPDX-License-Identifier: BSD-2-Clause */
/* Start-up helpers for components started by a parent (init, or sigma0
 * for init): their start information, their granted capabilities, offering
 * a service through the parent, and waiting forever without spinning.
 * lib/startinfo.h describes what a component finds; lib/proto.h the
 * parent protocol. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/server.h"
#include "lib/startinfo.h"

/* The start information page, or NULL if its magic is wrong. Only for
 * components started by a parent (a root PD has nothing mapped there). */
const struct dj_start_info *dj_start(void);

/* dj_start, and when the parent granted a "console" portal, printf goes
 * there (dj_console_attach). NULL when there is no start page. */
const struct dj_start_info *dj_start_with_console(void);

/* Whether u holds a client announcement as init sends it (lib/proto.h):
 * DJ_SERVICE_OP_CLIENT in exactly DJ_SERVICE_CLIENT_WORDS words, no items.
 * A service checks this on calls with badge DJ_BADGE_PARENT. */
bool dj_is_client_announcement(const struct dj_utcb *u);

/* The boot module whose GRUB command line starts with the word name, or
 * NULL (sigma0 and init read the boot information page). */
const struct dj_boot_module *dj_boot_module(const struct dj_bootinfo *bi, const char *name);

/* The selector of the capability the parent granted under name; false if
 * there is none. */
bool dj_start_cap(const char *name, uint64_t *sel);

/* Offers a service: asks the parent (through the "parent" portal) to
 * create a handler EC in this PD that runs fn on stack with its UTCB at
 * utcb_va (a free page in [DJ_CHILD_FREE_VA, DJ_CHILD_FREE_END)), and to
 * give the clients it names portals to it. Returns the parent's status. */
enum dj_status dj_serve(dj_handler_fn fn, void *stack, size_t stack_size, uint64_t utcb_va);

/* Blocks the calling EC for good on a fresh semaphore at sm_sel (a free
 * selector); spins (dj_idle) only if the semaphore cannot be created.
 * Woken by output its handlers printed, it sends that to the console
 * (lib/handler_output.h) and sleeps again.
 * A finished main EC ends here so it does not take CPU time from
 * lower-priority components. */
__attribute__((noreturn)) void dj_block_forever(uint64_t sm_sel);

/* Gives a thread with its own event base (its own startup portal at
 * base + DJ_EV_STARTUP) the parent's exception portals of cpu: copies of
 * dj_child_event_base(cpu) + vector for every vector but DJ_EV_STARTUP and
 * DJ_EV_RECALL, so its faults reach the parent (reported; a restart=yes
 * component is restarted) instead of killing it silently. */
enum dj_status dj_child_exception_portals(uint64_t base, unsigned cpu);
