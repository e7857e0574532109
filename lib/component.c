/* SPDX-License-Identifier: BSD-2-Clause */
/* Start-up helpers for components: see component.h. */
#include "lib/component.h"
#include "lib/console_client.h"
#include "lib/proto.h"
#include "lib/runtime.h"
#include "lib/handler_output.h"
#include "string.h"
#include "lib/syscall.h"
#include "lib/utcb.h"

const struct dj_start_info *dj_start(void)
{
    /* Only parents that map this page start components, so reading it is
     * safe; the magic catches a parent that left it empty. */
    const struct dj_start_info *si = (const struct dj_start_info *)(uintptr_t)DJ_START_INFO_VA;
    return si->magic == DJ_START_MAGIC ? si : NULL;
}

bool dj_start_cap(const char *name, uint64_t *sel)
{
    const struct dj_start_info *si = dj_start();
    if (!si)
        return false;
    for (uint32_t i = 0; i < si->ncaps && i < DJ_CHILD_MAX_GRANTS; i++) {
        if (strncmp(si->caps[i].name, name, DJ_START_NAME_MAX) == 0) {
            *sel = si->caps[i].sel;
            return true;
        }
    }
    return false;
}

enum dj_status dj_serve(dj_handler_fn fn, void *stack, size_t stack_size, uint64_t utcb_va)
{
    uint64_t parent;
    if (!dj_start_cap("parent", &parent))
        return DJ_E_BAD_CAP;
    struct dj_utcb *u = dj_utcb();
    u->words[0] = DJ_PARENT_OP_SERVE;
    u->words[1] = utcb_va;
    u->words[2] = dj_handler_stack(stack, stack_size, (struct dj_utcb *)(uintptr_t)utcb_va, fn);
    u->words[3] = (uint64_t)(uintptr_t)dj_portal_entry;
    uint64_t out = 0;
    enum dj_status st = dj_call(parent, DJ_MTD(DJ_PARENT_SERVE_WORDS, 0), &out);
    if (st != DJ_OK)
        return st;
    return DJ_MTD_UNTYPED(out) >= 1 ? (enum dj_status)u->words[0] : DJ_E_BAD_PARAM;
}

void dj_block_forever(uint64_t sm_sel)
{
    if (dj_create_sm(sm_sel, DJ_SEL_SELF_PD, 0) == DJ_OK) {
        dj_handler_output_wake_sm(sm_sel);
        for (;;) {
            dj_console_flush_handlers();
            dj_sm_down(sm_sel);
        }
    }
    dj_idle();
}

const struct dj_start_info *dj_start_with_console(void)
{
    const struct dj_start_info *si = dj_start();
    uint64_t console;
    if (si && dj_start_cap("console", &console))
        dj_console_attach(console);
    return si;
}

const struct dj_boot_module *dj_boot_module(const struct dj_bootinfo *bi, const char *name)
{
    size_t len = strlen(name);
    for (uint32_t i = 0; i < bi->module_count && i < DJ_BOOTINFO_MAX_MODULES; i++) {
        const char *cmd = bi->modules[i].cmdline;
        /* The name is the command line's first word. */
        if (strncmp(cmd, name, len) == 0 && (cmd[len] == '\0' || cmd[len] == ' '))
            return &bi->modules[i];
    }
    return NULL;
}

bool dj_is_client_announcement(const struct dj_utcb *u)
{
    return u->mtd == DJ_MTD(DJ_SERVICE_CLIENT_WORDS, 0) && u->words[0] == DJ_SERVICE_OP_CLIENT;
}

enum dj_status dj_child_exception_portals(uint64_t base, unsigned cpu)
{
    uint64_t from = dj_child_event_base(cpu);
    for (unsigned v = 0; v < DJ_EV_COUNT; v++) {
        if (v == DJ_EV_STARTUP || v == DJ_EV_RECALL)
            continue;
        /* An empty selector (a vector the parent does not serve) gives nothing. */
        enum dj_status st = dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_OBJ, from + v, 0, DJ_PT_CALL), base + v);
        if (st != DJ_OK)
            return st;
    }
    return DJ_OK;
}
