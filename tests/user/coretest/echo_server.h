/* SPDX-License-Identifier: GPL-2.0-only */
/* A handler that echoes messages (each word plus one; an empty message is
 * answered with the badge), used by several test files. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <donjon/abi.h>

#define ECHO_STACK_PAGES 4

uint64_t echo_handler(uint64_t badge, struct dj_utcb *u);
/* An echo handler EC in PD pd_sel with its portal at pt_sel (allocated
 * selectors and UTCB address); the stack comes from the pool. */
enum dj_status echo_server_create(uint64_t pd_sel, uint64_t pt_sel, uint64_t badge, void *stack);
/* Calls pt with every message size from 1 to the UTCB's capacity. */
bool echo_all_sizes(uint64_t pt, char *why, size_t why_len);
