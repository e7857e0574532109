/* Protection domain: an address space, a capability space and a kernel
 * memory quota. */
#pragma once
#include "capspace.h"
#include "kobj.h"
#include "quota.h"

struct pd {
    struct kobj obj;
    uint64_t *root; /* page-table root (kernel half shared) */
    uint64_t cr3;
    struct quota quota;       /* what objects created for this PD may use */
    struct page_source pages; /* page tables and capability tables, charged to quota */
    struct capspace caps;
};

/* A new PD whose quota of quota_pages is taken from `from`; NULL when
 * `from` cannot cover it (the PD object itself is charged to `from`). */
struct pd *pd_create(struct quota *from, uint64_t quota_pages);
/* Map one user page with DJ_MEM_* rights; 0, or a DJ_E_* status. */
int pd_map(struct pd *pd, uint64_t va, uint64_t pa, unsigned rights);
/* Physical address and rights of the page at va, or false when unmapped. */
bool pd_lookup(struct pd *pd, uint64_t va, uint64_t *pa, unsigned *rights);
void pd_unmap(struct pd *pd, uint64_t va);
/* Make pd's address space current on this CPU. */
void pd_activate(struct pd *pd);
