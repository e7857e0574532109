/* Kernel objects: every PD, EC, SC, PT and SM occupies one page charged to
 * the quota of the PD it was created for, and starts with this header. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "donjon/abi.h"
#include "quota.h"

struct kobj {
    uint8_t type;      /* enum dj_obj_type */
    bool dead;         /* destroyed: calls fail with DJ_E_ABORTED */
    uint32_t refs;     /* capabilities and kernel references that pin the page */
    struct quota *quota; /* charged for this object's page */
};

/* A zeroed object page of `type`, charged to q; NULL when q is exhausted. */
void *kobj_alloc(struct quota *q, enum dj_obj_type type);
void kobj_get(struct kobj *o);
/* Drops a reference; the last one frees the page and its charge. */
void kobj_put(struct kobj *o);
