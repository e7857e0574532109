#include "kobj.h"
#include "frame_alloc.h"
#include "layout.h"

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
    return o;
}

void kobj_get(struct kobj *o)
{
    __atomic_fetch_add(&o->refs, 1, __ATOMIC_RELAXED);
}

void kobj_put(struct kobj *o)
{
    if (__atomic_sub_fetch(&o->refs, 1, __ATOMIC_ACQ_REL) != 0)
        return;
    struct quota *q = o->quota;
    frame_free(virt_to_phys(o));
    quota_release(q, 1);
}
