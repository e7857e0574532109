/* SPDX-License-Identifier: BSD-2-Clause */
/* Server-loop helper: see server.h. */
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/handler_output.h"

/* The two words dj_portal_entry reads at its stack pointer. */
struct handler_frame {
    struct dj_utcb *utcb;
    dj_handler_fn fn;
};

#define STACK_ALIGN 16

uint64_t dj_handler_stack(void *stack, size_t size, struct dj_utcb *utcb_va, dj_handler_fn fn)
{
    dj_handler_stack_register(stack, size);
    uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)(STACK_ALIGN - 1);
    struct handler_frame *f = (struct handler_frame *)top - 1;
    f->utcb = utcb_va;
    f->fn = fn;
    return (uint64_t)(uintptr_t)f;
}

enum dj_status dj_server_create(const struct dj_server *s)
{
    uint64_t sp = dj_handler_stack(s->stack, s->stack_size, (struct dj_utcb *)(uintptr_t)s->utcb_va, s->handler);
    enum dj_status st = dj_create_ec(s->ec_sel, s->pd_sel, s->cpu, s->utcb_va, sp, s->event_base, false);
    if (st == DJ_OK)
        st = dj_create_pt(s->pt_sel, s->pd_sel, s->ec_sel, s->mtd, (uint64_t)(uintptr_t)dj_portal_entry);
    if (st == DJ_OK && s->badge)
        st = dj_pt_ctrl(s->pt_sel, s->badge);
    return st;
}

void dj_portal_dispatch(struct dj_utcb *u, dj_handler_fn fn)
{
    uint64_t mtd = fn(u->badge, u);
    dj_reply(mtd);
    /* The kernel refused the reply: raise #UD so the EC's exception
     * portal (or the kernel) sees the failure instead of a silent hang. */
    __builtin_trap();
}
