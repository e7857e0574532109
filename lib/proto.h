/* SPDX-License-Identifier: BSD-2-Clause */
/* IPC protocols of the system servers. Every request starts with an
 * operation word; every reply starts with a status word (enum dj_status).
 * Servers check every field of every request: a wrong size, an unknown
 * operation or an out-of-range value gets DJ_E_BAD_PARAM and changes
 * nothing. docs/writing-a-server.md walks through the conventions. */
#pragma once
#include <donjon/abi.h>

/* ---- The memory portal (sigma0, granted to init as "mem") ---------------
 * Request: words [0] DJ_MEM_OP_ALLOC, [1] pages (1..DJ_MEM_REQ_MAX_PAGES),
 * [2] destination address (page aligned, user half), [3] rights (DJ_MEM_R
 * and any of DJ_MEM_W, DJ_MEM_X: rights only shrink along a delegation,
 * so a loader that passes code on must ask for X here). Before the call
 * the requester opens its receive window over the destination
 * (dj_mem_window()); the reply carries the pages (zero-filled) as typed
 * memory items that land there.
 * Reply: words [0] status, [1] pages delivered (all or none), and the
 * items. DJ_E_QUOTA when the pool is used up. */
#define DJ_MEM_OP_ALLOC 1
#define DJ_MEM_REQ_WORDS 4
#define DJ_MEM_REQ_MAX_PAGES 1024
#define DJ_MEM_REPLY_WORDS 2

/* The receive window covering n pages at page number page: the smallest
 * power of two at or above n. */
static inline uint64_t dj_mem_window(uint64_t page, uint64_t n)
{
    unsigned order = 0;
    while ((1ull << order) < n)
        order++;
    return DJ_CRD(DJ_CRD_MEM, page, order, DJ_MEM_R | DJ_MEM_W);
}

/* ---- The parent portal (init, granted to every component as "parent") --
 * DJ_PARENT_OP_SERVE: the component offers a service. words [1] a free
 * page-aligned address for the handler EC's UTCB, [2] the handler's stack
 * pointer (lib/server.h dj_handler_stack), [3] its entry (dj_portal_entry).
 * init creates the handler EC in the component's PD and, for every client
 * the configuration grants it to, a portal with that client's badge (its
 * component id). One service per component. Reply: words [0] status.
 * The badge of the call names the component (init set it). */
#define DJ_PARENT_OP_SERVE 1
#define DJ_PARENT_SERVE_WORDS 4

/* DJ_PARENT_OP_SEQ_LOAD, DJ_PARENT_OP_SEQ_RESERVE: the ESP wrapper's
 * sequence-number marks (docs/gateway.md, "No key and IV twice"), kept by
 * init per component and key id for as long as init runs (every restart
 * of the component, not a reboot). Words [1..2] the 16-byte key id;
 * RESERVE [3] the new mark. LOAD replies [0] status, [1] 1 if a mark is
 * stored, [2] the mark. RESERVE replies [0] DJ_OK once the mark is
 * recorded, DJ_E_BAD_PARAM for a mark below the stored one (marks never go
 * down), DJ_E_QUOTA when the component already has marks for
 * DJ_SEQ_KEYS_PER_COMPONENT other keys. */
#define DJ_PARENT_OP_SEQ_LOAD 2
#define DJ_PARENT_OP_SEQ_RESERVE 3
#define DJ_SEQ_KEY_ID_WORDS 2
#define DJ_PARENT_SEQ_LOAD_WORDS (1 + DJ_SEQ_KEY_ID_WORDS)
#define DJ_PARENT_SEQ_LOAD_REPLY_WORDS 3
#define DJ_PARENT_SEQ_RESERVE_WORDS (2 + DJ_SEQ_KEY_ID_WORDS)
#define DJ_SEQ_KEYS_PER_COMPONENT 16

/* ---- Every service: client announcements from init ----------------------
 * init keeps a portal of its own to every service, with badge
 * DJ_BADGE_PARENT (component ids, the clients' badges, start at 1).
 * Before a client starts, init announces it: words [0]
 * DJ_SERVICE_OP_CLIENT, [1] the client's badge, [2..3] its name
 * (DJ_START_NAME_MAX bytes, NUL-terminated), [4..7] the PCI devices its
 * line names (pci=, alternatives in the order written, each a
 * DJ_PCI_SEL_* value of lib/pci.h), 0 after the last and all 0 when none;
 * exactly DJ_SERVICE_CLIENT_WORDS words. When init restarts a client
 * (restart=yes) it first announces it without a device (words [4..7] 0)
 * while tearing the old instance down, then again with the same badge
 * and its devices before the new instance starts: the service decides
 * what it keeps for the old one (the console drops its unfinished line,
 * the PCI server takes the device back). A service that does not care
 * checks the shape and replies DJ_OK; it must refuse the operation on any
 * other badge. Reply: words [0] status. */
#define DJ_BADGE_PARENT 0
#define DJ_SERVICE_OP_CLIENT 0x100
#define DJ_SERVICE_CLIENT_PCI 4      /* the first word of the PCI device selectors */
#define DJ_SERVICE_CLIENT_PCI_ALTS 4 /* selectors: the alternatives of one pci= */
#define DJ_SERVICE_CLIENT_WORDS (DJ_SERVICE_CLIENT_PCI + DJ_SERVICE_CLIENT_PCI_ALTS)

/* ---- The console portal (servers/console) -------------------------------
 * DJ_CONSOLE_OP_WRITE: words [1] byte count n (0..DJ_CONSOLE_WRITE_MAX),
 * bytes from words [2] on, 8 per word, little-endian; the message has
 * exactly 2 + ceil(n / 8) words. Output is collected per client into lines
 * printed as "[name] text" (the name init announced for the badge).
 * Reply: words [0] status. */
#define DJ_CONSOLE_OP_WRITE 1
#define DJ_CONSOLE_HEADER_WORDS 2
#define DJ_CONSOLE_WRITE_MAX 256
/* DJ_CONSOLE_OP_WRITE_RAW: as WRITE, but the bytes go out as they are, at
 * once, without the "[name] " prefix, line buffering or sanitizing: a
 * guest's serial console (docs/vmm.md), whose terminal output (prompts
 * without a newline, escape sequences) must reach the terminal whole.
 * DJ_CONSOLE_OP_READ: words [1] at most this many bytes (1..
 * DJ_CONSOLE_READ_MAX); reply words [0] status, [1] n, bytes from words
 * [2] on: what arrived on the serial line since the last read (nothing
 * waits; n is 0 when nothing came). Input goes to whoever reads first. */
#define DJ_CONSOLE_OP_WRITE_RAW 2
#define DJ_CONSOLE_OP_READ 3
#define DJ_CONSOLE_READ_MAX 64
