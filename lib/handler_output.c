/* SPDX-License-Identifier: BSD-2-Clause */
/* Queued output of portal handlers: see handler_output.h. */
#include "lib/handler_output.h"
#include "stdio.h"
#include "string.h"
#include "lib/syscall.h"

struct stack_range {
    uintptr_t lo, hi;
};

static struct stack_range stacks[DJ_HANDLER_STACKS_MAX];
static unsigned nstacks, next_slot; /* full: the oldest entry makes room */

static char queue[DJ_HANDLER_OUTPUT_MAX];
static size_t queued;
static uint64_t lost;
static int queue_lock; /* taken with a try only: a handler never waits for the main EC */
static uint64_t wake_sm;
static bool have_wake_sm;

void dj_handler_stack_register(const void *stack, size_t size)
{
    uintptr_t lo = (uintptr_t)stack;
    for (unsigned i = 0; i < nstacks; i++)
        if (stacks[i].lo == lo)
            return;
    stacks[next_slot] = (struct stack_range){lo, lo + size};
    next_slot = (next_slot + 1) % DJ_HANDLER_STACKS_MAX;
    if (nstacks < DJ_HANDLER_STACKS_MAX)
        nstacks++;
}

bool dj_in_handler(void)
{
    uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
    for (unsigned i = 0; i < nstacks; i++)
        if (sp >= stacks[i].lo && sp < stacks[i].hi)
            return true;
    return false;
}

static bool try_lock(void)
{
    return !__atomic_exchange_n(&queue_lock, 1, __ATOMIC_ACQUIRE);
}

static void unlock(void)
{
    __atomic_store_n(&queue_lock, 0, __ATOMIC_RELEASE);
}

void dj_handler_output_queue(const char *s, size_t len)
{
    if (!try_lock()) {
        __atomic_fetch_add(&lost, len, __ATOMIC_RELAXED);
        return;
    }
    size_t n = len <= sizeof(queue) - queued ? len : sizeof(queue) - queued;
    memcpy(queue + queued, s, n);
    queued += n;
    unlock();
    if (n < len)
        __atomic_fetch_add(&lost, len - n, __ATOMIC_RELAXED);
    if (have_wake_sm)
        dj_sm_up(wake_sm);
}

void dj_handler_output_wake_sm(uint64_t sm_sel)
{
    wake_sm = sm_sel;
    have_wake_sm = true;
}

void dj_handler_output_flush(void (*fn)(const char *s, size_t len))
{
    static char out[DJ_HANDLER_OUTPUT_MAX];
    if (!try_lock())
        return; /* a handler is queueing: it ups the semaphore again */
    size_t n = queued;
    memcpy(out, queue, n);
    queued = 0;
    unlock();
    if (n)
        fn(out, n);
    uint64_t gone = __atomic_exchange_n(&lost, 0, __ATOMIC_RELAXED);
    if (gone) {
        char line[64];
        int len = snprintf(line, sizeof(line), "[%llu bytes of handler output lost]\n", (unsigned long long)gone);
        fn(line, (size_t)len);
    }
}
