/* SPDX-License-Identifier: GPL-2.0-only */
/* Kernel objects: every PD, EC, SC, PT and SM occupies one page charged to
 * the quota of the PD it was created for, and starts with this header.
 *
 * An object is on its quota's list of charged objects from creation to
 * its last reference, so that destroying a PD finds every object its quota
 * paid for (pd_reclaim.c). Every capability to an object derives from the
 * one its create call installed (the original, a mapping-database root):
 * when the original is removed, no capability to the object is left. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "kernel/quota.h"

struct mdb_node;

struct kobj {
    uint8_t type;      /* enum dj_obj_type */
    bool dead;         /* destroyed: calls fail with DJ_E_ABORTED */
    uint32_t refs;     /* capabilities and kernel references that pin the page */
    struct quota *quota; /* charged for this object's page; NULL for static objects */
    struct quota_item charged; /* on quota's list of objects */
    struct mdb_node *original; /* the capability its create call installed; NULL once removed */
};

/* A zeroed object page of `type`, charged to q; NULL when q is exhausted. */
void *kobj_alloc(struct quota *q, enum dj_obj_type type);
void kobj_get(struct kobj *o);
/* Drops a reference; the last one lets the object drop the references it
 * holds itself, then frees the page and its charge. */
void kobj_put(struct kobj *o);
/* The object whose `charged` link this is. */
static inline struct kobj *kobj_of_item(struct quota_item *it)
{
    return (struct kobj *)((char *)it - __builtin_offsetof(struct kobj, charged));
}
