/* SPDX-License-Identifier: GPL-2.0-only */
/* init: starts the system's components from the boot configuration, the
 * boot module named "config" (docs/boot-config.md). sigma0 started init
 * with its memory portal ("mem"), the boot information and modules
 * (read-only), a demand-paged heap and its own PD capability; init passes
 * on to each component exactly what its configuration line grants
 * (component.c) and serves its components' events and service requests
 * (handlers.c). Every configuration error is reported as
 *     init: config line N: <what is wrong>
 * and the line skipped; a component whose line is fine but that cannot be
 * built is reported as "init: NAME not started: ..." and skipped too.
 * After the start sequence the main EC rebuilds components that die and
 * say restart=yes (restart.c). No component can stall it: every wait is
 * bounded (wait.c) and announcements go through announcer threads
 * (announce.c). */
#include "lib/component.h"
#include "lib/proto.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "init.h"

#define PAGE 4096ull
#define PAGE_SHIFT 12
#define CONFIG_MODULE "config"
/* Pages from sigma0 land here, one range after another. */
#define STAGING_VA 0x200000000ull
#define STAGING_END 0x10000000000ull /* the heap window follows */
#define FIRST_SEL 256

struct comp comps[BC_MAX_COMPONENTS];
unsigned ncomps;

static struct bc_config config; /* large: not on the stack */
static uint64_t next_sel = FIRST_SEL, staging_next = STAGING_VA, mem_pt;

uint64_t init_sel(void)
{
    return next_sel++;
}

uint64_t init_sels(unsigned n)
{
    uint64_t first = next_sel;
    next_sel += n;
    return first;
}

uint64_t comp_sel(struct comp *c)
{
    uint64_t sel = init_sel();
    if (c->nsels < COMP_MAX_SELS)
        c->sels[c->nsels++] = sel;
    else
        printf("init: %s: more than %u capabilities to track: selector %lu stays after a teardown\n",
               c->cfg->name, COMP_MAX_SELS, (unsigned long)sel);
    return sel;
}

uint64_t init_staging_mark(void)
{
    return staging_next;
}

static bool mem_request(uint64_t va, uint64_t n, unsigned rights)
{
    struct dj_utcb *u = dj_utcb();
    u->recv_window = dj_mem_window(va >> PAGE_SHIFT, n);
    u->words[0] = DJ_MEM_OP_ALLOC;
    u->words[1] = n;
    u->words[2] = va;
    u->words[3] = rights;
    uint64_t out = 0;
    enum dj_status st = dj_call(mem_pt, DJ_MTD(DJ_MEM_REQ_WORDS, 0), &out);
    u->recv_window = 0; /* nothing else may map memory here */
    if (st == DJ_OK && DJ_MTD_UNTYPED(out) >= DJ_MEM_REPLY_WORDS && u->words[0] == DJ_OK && u->words[1] == n)
        return true;
    printf("init: sigma0 refused %lu pages (call status %d, reply status %ld)\n", (unsigned long)n, st,
           DJ_MTD_UNTYPED(out) >= 1 ? (long)u->words[0] : -1L);
    return false;
}

static void *pages(uint64_t n, unsigned rights)
{
    if (n == 0 || n > (STAGING_END - staging_next) / PAGE)
        return NULL;
    void *start = (void *)(uintptr_t)staging_next;
    for (uint64_t done = 0; done < n;) {
        uint64_t chunk = n - done < DJ_MEM_REQ_MAX_PAGES ? n - done : DJ_MEM_REQ_MAX_PAGES;
        if (!mem_request(staging_next, chunk, rights))
            return NULL; /* what was delivered stays mapped, unused */
        staging_next += chunk * PAGE;
        done += chunk;
    }
    return start;
}

void *init_pages(uint64_t n)
{
    return pages(n, DJ_MEM_R | DJ_MEM_W);
}

void *init_code_pages(uint64_t n)
{
    return pages(n, DJ_MEM_ALL);
}

static bool module_exists(void *ctx, const char *name)
{
    return dj_boot_module(ctx, name) != NULL;
}

static void config_error(void *ctx, unsigned line, const char *what)
{
    (void)ctx;
    printf("init: config line %u: %s\n", line, what);
}

static bool read_config(const struct dj_bootinfo *bi)
{
    const struct dj_boot_module *m = dj_boot_module(bi, CONFIG_MODULE);
    if (!m) {
        printf("init: no boot module named '%s': nothing to start\n", CONFIG_MODULE);
        return false;
    }
    struct bc_env env = {config_error, module_exists, (void *)bi};
    bc_parse((const char *)(uintptr_t)m->va, m->size, &config, &env);
    printf("init: %u components configured, %u lines skipped\n", config.count, config.errors);
    return true;
}

/* Components start in line order; a service must run before the
 * components granted a portal to it start, so init waits for it, at most
 * SERVICE_WAIT_MS, and restarts components that die meanwhile. A service
 * that is late or dead for good is reported; its clients are not
 * started, every other line is. The clients of a service that died and
 * is being restarted are held and start once it serves again. */
static void start_all(void)
{
    for (unsigned i = 0; i < ncomps; i++) {
        struct comp *c = &comps[i];
        if (!component_start_or_hold(c)) {
            c->dead = !c->held;
            continue;
        }
        printf("init: started %s\n", c->cfg->name);
        if (c->cfg->serves)
            wait_for_service(c, true);
    }
    restart_run_pending();
}

static bool setup(const struct dj_start_info **si)
{
    *si = dj_start();
    if (!*si || !(*si)->bootinfo_va || !dj_start_cap("mem", &mem_pt)) {
        puts("init: no start information from sigma0");
        return false;
    }
    dj_heap_init((void *)(uintptr_t)(*si)->heap_va, (*si)->heap_pages * PAGE);
    const struct dj_bootinfo *bi = (const struct dj_bootinfo *)(uintptr_t)(*si)->bootinfo_va;
    if (!handlers_create() || !wait_init(bi) || !relays_create(bi)) {
        puts("init: cannot create its handler ECs and threads");
        return false;
    }
    return true;
}

static bool prepare(void)
{
    ncomps = config.count;
    for (unsigned i = 0; i < ncomps; i++)
        comps[i] = (struct comp){.cfg = &config.c[i], .id = i + 1};
    if (!announcers_create()) {
        puts("init: cannot create its announcer threads");
        return false;
    }
    return true;
}

int main(void)
{
    const struct dj_start_info *si;
    if (!setup(&si))
        return 1;
    const struct dj_bootinfo *bi = (const struct dj_bootinfo *)(uintptr_t)si->bootinfo_va;
    if (bi->magic != DJ_BOOTINFO_MAGIC || !read_config(bi) || !prepare())
        return 1;
    start_all();
    restart_loop();
}
