#include "sm.h"
#include "sched.h"

struct sm *sm_create(struct quota *q, uint64_t count)
{
    struct sm *sm = kobj_alloc(q, DJ_OBJ_SM);
    if (sm)
        sm->count = count;
    return sm;
}

void sm_up(struct sm *sm)
{
    struct ec *w = sm->waiters;
    if (!w) {
        sm->count++;
        return;
    }
    sm->waiters = w->next_waiter;
    if (!sm->waiters)
        sm->last_waiter = 0;
    w->next_waiter = 0;
    w->frame.rax = DJ_OK;
    sched_wake(w);
}

bool sm_down(struct sm *sm, struct ec *ec)
{
    if (sm->count) {
        sm->count--;
        return true;
    }
    ec->state = EC_WAIT_SM;
    ec->blocked_sc = sched_current_sc();
    ec->next_waiter = 0;
    if (sm->last_waiter)
        sm->last_waiter->next_waiter = ec;
    else
        sm->waiters = ec;
    sm->last_waiter = ec;
    if (ec->blocked_sc)
        sched_remove(ec->blocked_sc);
    return false;
}
