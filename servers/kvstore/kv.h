/* SPDX-License-Identifier: GPL-2.0-only */
/* The key-value store's protocol (docs/writing-a-server.md builds it step
 * by step). One request per call, untyped words only:
 *   KV_OP_PUT  [1] key, [2] value   -> [0] status (DJ_E_QUOTA when the
 *              caller already holds KV_CLIENT_MAX_ENTRIES other keys)
 *   KV_OP_GET  [1] key              -> [0] status, [1] found (0/1), [2] value
 *   KV_OP_DEL  [1] key              -> [0] status, [1] found (0/1)
 * A request with another word count, a typed item or an unknown operation
 * gets DJ_E_BAD_PARAM. Keys are private to each client: the server files
 * them under the caller's portal badge, which init set and the client
 * cannot change. Each client holds at most KV_CLIENT_MAX_ENTRIES keys, and
 * the table has room for that many for every client there can be (ids
 * 1..KV_CLIENTS_MAX: init starts at most 16 components), so no client
 * can take another's room. */
#pragma once

#define KV_OP_PUT 1
#define KV_OP_GET 2
#define KV_OP_DEL 3
#define KV_PUT_WORDS 3
#define KV_GET_WORDS 2
#define KV_DEL_WORDS 2
#define KV_GET_REPLY_WORDS 3
#define KV_DEL_REPLY_WORDS 2
#define KV_CLIENT_MAX_ENTRIES 128
#define KV_CLIENTS_MAX 16 /* servers/init/bootconfig.h BC_MAX_COMPONENTS */
