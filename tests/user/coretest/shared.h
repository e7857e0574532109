/* SPDX-License-Identifier: GPL-2.0-only */
/* Fixtures shared between test files. */
#pragma once
#include <stdint.h>
uint64_t ipc_local_pt(void);  /* echo portal served in this PD */
uint64_t ipc_child_pt(void);  /* echo portal served in a child PD */
/* A child PD sharing this program's image; *stack gets a stack mapped there too. */
uint64_t child_pd_create(void **stack);
/* The same with a maximum priority of max_prio (DJ_SYS_FLAG_MAX_PRIO). */
uint64_t child_pd_create_prio(void **stack, unsigned max_prio);
