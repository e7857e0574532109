/* Counting semaphore; interrupts will signal semaphores too. */
#pragma once
#include "ec.h"

struct sm {
    struct kobj obj;
    uint64_t count;
    struct ec *waiters; /* FIFO of blocked ECs */
    struct ec *last_waiter;
};

struct sm *sm_create(struct quota *q, uint64_t count);
/* Wake the first waiter or count up. */
void sm_up(struct sm *sm);
/* Count down, or block ec (returns false: the caller must dispatch). */
bool sm_down(struct sm *sm, struct ec *ec);
