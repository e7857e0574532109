/* SPDX-License-Identifier: GPL-2.0-only */
/* netself's configuration, from the arg= field of its boot configuration
 * line: comma-separated KEY=VALUE items,
 *     ip=A.B.C.D   its IPv4 address (required)
 *     nic=NAME     the granted portal of the driver to use (default: the
 *                  first granted portal that is neither console nor parent)
 * e.g. arg=ip=10.0.1.2,nic=nic-virtio. Strict: an unknown key, a
 * repeated key or a malformed value is an error, never guessed at. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NETSELF_NAME_MAX 16 /* DJ_START_NAME_MAX: terminator included */

struct netself_args {
    uint32_t ip; /* host byte order */
    char nic[NETSELF_NAME_MAX]; /* empty: not given */
};

/* Parses the first len bytes of arg (it may stop earlier at a NUL). On an
 * error, false and a reason in why (why_len bytes). */
bool netself_parse_args(const char *arg, size_t len, struct netself_args *out, char *why, size_t why_len);

/* Parses dotted-quad IPv4 text (exactly four decimal numbers 0..255, no
 * sign, at most three digits each) of exactly len bytes. */
bool netself_parse_ipv4(const char *s, size_t len, uint32_t *ip);

/* "A.B.C.D" into buf (at least NETSELF_IPV4_TEXT_MAX bytes). */
#define NETSELF_IPV4_TEXT_MAX 16
void netself_format_ipv4(uint32_t ip, char *buf);
