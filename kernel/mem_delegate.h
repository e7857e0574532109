/* SPDX-License-Identifier: GPL-2.0-only */
/* Delegating memory (a DJ_CRD_MEM typed item): see mem_delegate.c. */
#pragma once
#include <stdint.h>
#include "kernel/pd.h"

/* Nodes one memory item may meet in the source range, and again in the
 * destination range: the bound on the work of one item. */
#define MEM_ITEM_MAX_NODES 1024

/* Delegate the source pages crd names from src to dst at to_page. The
 * caller holds the mdb lock and has checked the receive window. */
int delegate_memory(struct pd *src, struct pd *dst, uint64_t crd, uint64_t to_page);
