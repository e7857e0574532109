/* SPDX-License-Identifier: GPL-2.0-only */
/* The listing form of the configuration: statements as `ip xfrm state`
 * and `ip xfrm policy` print them, so a peer's SAs can be copied as Linux
 * shows them (docs/gateway.md, "Configuration in the words of ip xfrm").
 * A listed statement starts with "src" and goes on over the lines that
 * start with a blank. */
#ifndef WRAPPERS_ESP_XFRM_LISTING_H
#define WRAPPERS_ESP_XFRM_LISTING_H

#include <stdbool.h>
#include <stddef.h>

#include "xfrm_text.h"

struct xfrm_error;

/* Whether the line text[0..n) starts a listed statement (its first word
 * is "src"). */
bool xfrm_listing_starts(const char *text, size_t n);
/* Whether the line text[0..n) goes on with the statement before it. */
bool xfrm_listing_continues(const char *text, size_t n);
/* Whether a listed statement is a policy (a word only policies have,
 * "dir" say, comes before any "esp") rather than a state. False with err filled for the listing of
 * `ip -s xfrm state`, whose numbers carry annotations. */
bool xfrm_listing_kind(struct xfrm_line *line, bool *policy, struct xfrm_error *err);
/* The anti-replay context that follows a listed state's "anti-replay":
 * "context: seq N, oseq N, bitmap N" or "esn context: seq-hi N, seq N,
 * oseq-hi N, oseq N replay_window N, bitmap-length K" and K bitmap words.
 * Every sequence number must be 0: an SA that has carried packets would,
 * taken over here, repeat IVs under its key or take replays. */
bool xfrm_listing_replay_context(struct xfrm_line *line, struct xfrm_error *err);

#endif
