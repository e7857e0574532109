/* SPDX-License-Identifier: GPL-2.0-only */
#include "kernel/kobj.h"
#include "kernel/ec.h"
#include "kernel/frame_alloc.h"
#include "arch/x86_64/layout.h"
#include "kernel/pt.h"
#include "kernel/sched.h"
#include "kernel/sm.h"

void *kobj_alloc(struct quota *q, enum dj_obj_type type)
{
    if (!quota_charge(q, 1))
        return 0;
    uint64_t pa = frame_alloc();
    if (!pa) {
        quota_release(q, 1);
        return 0;
    }
    struct kobj *o = phys_to_virt(pa);
    o->type = (uint8_t)type;
    o->refs = 1;
    o->quota = q;
    quota_link(q, &o->charged);
    return o;
}

void kobj_get(struct kobj *o)
{
    __atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
}

/* The references and links an object holds itself, by type. */
static void release(struct kobj *o)
{
    switch (o->type) {
    case DJ_OBJ_PD: pd_release((struct pd *)o); break;
    case DJ_OBJ_EC: ec_release((struct ec *)o); break;
    case DJ_OBJ_SC: sc_release((struct sc *)o); break;
    case DJ_OBJ_PT: pt_release((struct pt *)o); break;
    case DJ_OBJ_SM: sm_release((struct sm *)o); break;
    default: break;
    }
}

void kobj_put(struct kobj *o)
{
    if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    struct quota *q = o->quota;
    if (!q)
        return; /* a static object (interrupt lines, debug, device memory): never freed */
    release(o);
    quota_unlink(&o->charged);
    frame_free(virt_to_phys(o));
    quota_release(q, 1);
}
