/* SPDX-License-Identifier: BSD-2-Clause */
/* Portal handlers for servers.
 *
 * A server writes
 *     static uint64_t handler(uint64_t badge, struct dj_utcb *u)
 * which reads the request from u (u->mtd says what arrived, u->words holds
 * it), writes the reply words into u and returns the reply MTD. The
 * runtime's entry stub calls it and replies with that MTD (DJ_SYS_REPLY,
 * which also waits for the next call).
 *
 * Portal-entry contract with the kernel (NOVA-style local ECs): a call
 * starts the handler EC at the portal's entry_ip with RSP equal to the
 * stack pointer given to create_ec, every time, with nothing pushed; the
 * kernel has put the message, the MTD and the portal's badge into the
 * handler EC's UTCB. The stub finds its UTCB and handler in two words
 * that dj_handler_stack stores at that stack pointer, so one stub serves
 * every server and needs no register from the kernel. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

typedef uint64_t (*dj_handler_fn)(uint64_t badge, struct dj_utcb *u);

/* The entry_ip to give DJ_SYS_CREATE_PT. */
extern char dj_portal_entry[];

/* Lays out a handler stack [stack, stack + size) for the stub and returns
 * the stack pointer to give DJ_SYS_CREATE_EC (16-byte aligned). */
uint64_t dj_handler_stack(void *stack, size_t size, struct dj_utcb *utcb_va, dj_handler_fn fn);

struct dj_server {
    uint64_t pd_sel;         /* where the EC and the portal live */
    uint64_t ec_sel, pt_sel; /* free selectors for them */
    uint64_t cpu;            /* the callers' CPU (local ECs do not migrate) */
    uint64_t utcb_va;        /* a free page-aligned address for the EC's UTCB */
    void *stack;             /* the handler's stack */
    size_t stack_size;
    uint64_t event_base;     /* the handler EC's exception portals */
    uint64_t mtd;            /* the portal's MTD (state for exception portals) */
    uint64_t badge;          /* set with DJ_SYS_PT_CTRL unless 0 */
    dj_handler_fn handler;
};

/* Creates the handler EC and its portal; DJ_OK or the failing call's status. */
enum dj_status dj_server_create(const struct dj_server *s);

/* Called by the entry stub; never returns. */
__attribute__((noreturn)) void dj_portal_dispatch(struct dj_utcb *u, dj_handler_fn fn);
