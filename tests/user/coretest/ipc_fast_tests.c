/* SPDX-License-Identifier: GPL-2.0-only */
/* The IPC fast path (arch/x86_64/ipc_fast.S) against the general path:
 * register and FPU state on both sides of a call, badges, the portal
 * cache after revocation, handlers on other CPUs, and a return address
 * that is not canonical. Every case runs with untyped messages (the fast
 * path) and with a null typed item (the general path), within one PD and
 * across two. */
#include <stdbool.h>
#include "echo_server.h"
#include "lib/server.h"
#include "shared.h"
#include "stdio.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "utest.h"
#include "lib/x86.h"

#define PROBE_GPRS 15
#define FPU_XMMS 16
#define STACK_PAGES 4
#define CALLER_SECRET 0x5ec2e70000000000ull
#define HANDLER_SECRET 0xa11d1e0000000000ull
#define SECRET_SPAN 0x100 /* secrets are base + 1..11 */
#define KERNEL_HALF 0xffff800000000000ull
#define PROBE_BADGE 0x9b0b
#define PROBE_REPLY_WORD 0x7e91
#define CALLER_MXCSR 0x3f80u  /* round down, exceptions masked */
#define HANDLER_MXCSR 0x5f80u /* round up */
#define CALLER_FCW 0x027fu    /* x87: double precision */
#define HANDLER_FCW 0x0e7fu   /* x87: round toward zero */
#define CALLER_FPU_SEED 0xc0ffee0000ull
#define HANDLER_FPU_SEED 0xbeef000000ull
#define FPU_REPLY_WORDS (FPU_XMMS + 1)
#define THREAD_PRIO 64
#define VEC_GP 13
#define MAX_PROBED_CPUS 64
#define NO_CPU (~0u)
#define MAX_THREADS 8
#define PATHS 4        /* fast and general path, each way */
#define FPU_ROUNDS 4
#define BADGE_ROUNDS 4
#define BADGE_FIRST 0x111
#define BADGE_SECOND 0x222

/* rax rbx rcx rdx rsi rdi rbp r8-r15, as ipc_probe.S stores them. */
enum { R_RAX, R_RBX, R_RCX, R_RDX, R_RSI, R_RDI, R_RBP, R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15 };
struct probe_gprs {
    uint64_t r[PROBE_GPRS];
};
struct probe_fpu {
    uint64_t xmm[FPU_XMMS];
    uint32_t mxcsr;
    uint16_t fcw;
};

void probe_fpu_load(uint64_t seed, uint32_t mxcsr, uint16_t fcw);
void probe_fpu_store(struct probe_fpu *out);
uint64_t probe_call(uint64_t pt, uint64_t mtd, uint64_t secret, struct probe_gprs *after);
extern char probe_portal_entry[];

/* Shared with the probe handler (in this PD or a child sharing the data). */
struct probe_gprs probe_seen;
uint64_t probe_handler_secret = HANDLER_SECRET;
static volatile bool probe_reply_typed;

static bool is_secret(uint64_t v, uint64_t base)
{
    return v > base && v < base + SECRET_SPAN;
}

/* Kernel addresses have no business in user registers either. */
static bool is_kernel_address(uint64_t v)
{
    return v >= KERNEL_HALF;
}

/* ---- portals whose handlers run in this PD or in a child PD ---- */

struct side {
    uint64_t pd;
    unsigned cpu;
};

static bool child_side(struct side *s)
{
    static uint64_t child;
    void *unused_stack;
    if (!child)
        child = child_pd_create(&unused_stack);
    *s = (struct side){child, dj_boot_cpu};
    return child != 0;
}

static struct side local_side(void)
{
    return (struct side){DJ_SEL_SELF_PD, dj_boot_cpu};
}

/* A stack for a handler in pd: pool pages, given to pd at the same address. */
static void *stack_in(uint64_t pd)
{
    uint8_t *stack = utest_pages(STACK_PAGES);
    if (!stack || pd == DJ_SEL_SELF_PD)
        return stack;
    for (unsigned i = 0; i < STACK_PAGES; i++) {
        uint64_t page = (uint64_t)(stack + i * UTEST_PAGE) / UTEST_PAGE;
        if (dj_delegate(pd, DJ_CRD(DJ_CRD_MEM, page, 0, DJ_MEM_R | DJ_MEM_W), page) != DJ_OK)
            return 0;
    }
    return stack;
}

/* A portal into a new handler EC on side s, entering at entry (for
 * dj_portal_entry, which calls fn); 0 on failure. */
static uint64_t portal_on(const struct side *s, const char *entry, dj_handler_fn fn, uint64_t badge)
{
    uint64_t ec = utest_selector(), pt = utest_selector(), utcb = utest_va(1);
    void *stack = stack_in(s->pd);
    if (!stack)
        return 0;
    uint64_t sp = dj_handler_stack(stack, STACK_PAGES * UTEST_PAGE, (struct dj_utcb *)utcb, fn);
    if (dj_create_ec(ec, s->pd, s->cpu, utcb, sp, 0, false) != DJ_OK ||
        dj_create_pt(pt, s->pd, ec, 0, (uint64_t)entry) != DJ_OK || dj_pt_ctrl(pt, badge) != DJ_OK)
        return 0;
    return pt;
}

/* The caller's part of a message: n words, and a null typed item when
 * typed (which sends the call down the general path). */
static uint64_t message(unsigned n, bool typed)
{
    struct dj_utcb *u = dj_utcb();
    for (unsigned i = 0; i < n; i++)
        u->words[i] = i;
    if (typed) {
        u->words[DJ_UTCB_WORDS - 2] = DJ_CRD(DJ_CRD_NULL, 0, 0, 0);
        u->words[DJ_UTCB_WORDS - 1] = 0;
    }
    return DJ_MTD(n, typed ? 1 : 0);
}

/* ---- registers: nothing crosses but the message registers ---- */

/* Called by probe_portal_entry (ipc_probe.S): one word back, with a null
 * typed item when the test wants the general reply path. */
uint64_t probe_reply_prepare(struct dj_utcb *u);
uint64_t probe_reply_prepare(struct dj_utcb *u)
{
    u->words[0] = PROBE_REPLY_WORD;
    if (!probe_reply_typed)
        return DJ_MTD(1, 0);
    u->words[DJ_UTCB_WORDS - 2] = DJ_CRD(DJ_CRD_NULL, 0, 0, 0);
    u->words[DJ_UTCB_WORDS - 1] = 0;
    return DJ_MTD(1, 1);
}

static bool check_caller_regs(const struct probe_gprs *a, uint64_t want_mtd, char *why, size_t why_len)
{
    static const unsigned kept[] = {R_RBX, R_RBP, R_R12, R_R13, R_R14, R_R15};
    static const uint64_t kept_secret[] = {1, 2, 3, 4, 5, 6};
    UTEST_REQUIRE(a->r[R_RAX] == DJ_OK && a->r[R_RSI] == want_mtd, "status %llu, mtd %#llx",
                  (unsigned long long)a->r[R_RAX], (unsigned long long)a->r[R_RSI]);
    for (unsigned i = 0; i < sizeof(kept) / sizeof(kept[0]); i++)
        UTEST_REQUIRE(a->r[kept[i]] == CALLER_SECRET + kept_secret[i], "callee-saved register %u is %#llx", kept[i],
                      (unsigned long long)a->r[kept[i]]);
    for (unsigned i = 0; i < PROBE_GPRS; i++)
        UTEST_REQUIRE(!is_secret(a->r[i], HANDLER_SECRET) && !is_kernel_address(a->r[i]),
                      "the caller got %#llx in register %u", (unsigned long long)a->r[i], i);
    return true;
}

static bool check_handler_regs(uint64_t call_mtd, char *why, size_t why_len)
{
    UTEST_REQUIRE(probe_seen.r[R_RDI] == PROBE_BADGE && probe_seen.r[R_RSI] == call_mtd,
                  "the handler started with badge %#llx, mtd %#llx", (unsigned long long)probe_seen.r[R_RDI],
                  (unsigned long long)probe_seen.r[R_RSI]);
    for (unsigned i = 0; i < PROBE_GPRS; i++)
        UTEST_REQUIRE(!is_secret(probe_seen.r[i], CALLER_SECRET) && !is_kernel_address(probe_seen.r[i]),
                      "the handler got %#llx in register %u", (unsigned long long)probe_seen.r[i], i);
    return true;
}

static bool registers_stay_apart(const struct side *s, char *why, size_t why_len)
{
    uint64_t pt = portal_on(s, probe_portal_entry, 0, PROBE_BADGE);
    UTEST_REQUIRE(pt, "probe portal setup failed");
    for (unsigned path = 0; path < PATHS; path++) { /* call and reply, each fast or general */
        bool typed_call = path & 1;
        probe_reply_typed = path & 2;
        uint64_t mtd = message(2, typed_call);
        struct probe_gprs after;
        probe_call(pt, mtd, CALLER_SECRET, &after);
        if (!check_caller_regs(&after, DJ_MTD(1, probe_reply_typed ? 1 : 0), why, why_len) ||
            !check_handler_regs(mtd, why, why_len))
            return false;
        UTEST_REQUIRE(dj_utcb()->words[0] == PROBE_REPLY_WORD, "path %u: reply word %#llx", path,
                      (unsigned long long)dj_utcb()->words[0]);
    }
    return true;
}

UTEST(ipc_fast_registers_stay_apart_sas)
{
    struct side s = local_side();
    return registers_stay_apart(&s, why, why_len);
}

UTEST(ipc_fast_registers_stay_apart_xas)
{
    struct side s;
    UTEST_REQUIRE(child_side(&s), "child PD setup failed");
    return registers_stay_apart(&s, why, why_len);
}

/* ---- FPU and SSE state: each EC keeps its own ---- */

/* Replies with the vector state it found, then leaves its own loaded. */
static uint64_t fpu_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    struct probe_fpu seen;
    probe_fpu_store(&seen);
    for (unsigned i = 0; i < FPU_XMMS; i++)
        u->words[i] = seen.xmm[i];
    u->words[FPU_XMMS] = (uint64_t)seen.mxcsr << 16 | seen.fcw;
    probe_fpu_load(HANDLER_FPU_SEED, HANDLER_MXCSR, HANDLER_FCW);
    return DJ_MTD(FPU_REPLY_WORDS, 0);
}

static bool fpu_is(const struct probe_fpu *f, uint64_t seed, uint32_t mxcsr, uint16_t fcw)
{
    for (unsigned i = 0; i < FPU_XMMS; i++)
        if (f->xmm[i] != seed + i)
            return false;
    return f->mxcsr == mxcsr && f->fcw == fcw;
}

static bool fpu_stays_apart(const struct side *s, char *why, size_t why_len)
{
    uint64_t pt = portal_on(s, dj_portal_entry, fpu_handler, 0);
    UTEST_REQUIRE(pt, "portal setup failed");
    for (unsigned round = 0; round < FPU_ROUNDS; round++) {
        bool typed = round & 1;
        uint64_t mtd = message(0, typed), out = 0;
        probe_fpu_load(CALLER_FPU_SEED + round, CALLER_MXCSR, CALLER_FCW);
        enum dj_status st = dj_call(pt, mtd, &out);
        struct probe_fpu mine;
        probe_fpu_store(&mine);
        UTEST_REQUIRE(st == DJ_OK && DJ_MTD_UNTYPED(out) == FPU_REPLY_WORDS, "round %u: status %d", round, st);
        UTEST_REQUIRE(fpu_is(&mine, CALLER_FPU_SEED + round, CALLER_MXCSR, CALLER_FCW),
                      "round %u: the caller's xmm0 %#llx, mxcsr %#x, fcw %#x after the call", round,
                      (unsigned long long)mine.xmm[0], mine.mxcsr, mine.fcw);
        const uint64_t *w = dj_utcb()->words;
        struct probe_fpu seen = {.mxcsr = (uint32_t)(w[FPU_XMMS] >> 16), .fcw = (uint16_t)w[FPU_XMMS]};
        for (unsigned i = 0; i < FPU_XMMS; i++)
            seen.xmm[i] = w[i];
        UTEST_REQUIRE(!fpu_is(&seen, CALLER_FPU_SEED + round, CALLER_MXCSR, CALLER_FCW),
                      "round %u: the handler saw the caller's vector state", round);
        /* From the second call on, the handler finds what it left. */
        UTEST_REQUIRE(round == 0 || fpu_is(&seen, HANDLER_FPU_SEED, HANDLER_MXCSR, HANDLER_FCW),
                      "round %u: the handler's own xmm0 %#llx, mxcsr %#x did not survive", round,
                      (unsigned long long)seen.xmm[0], seen.mxcsr);
    }
    return true;
}

UTEST(ipc_fast_fpu_state_stays_apart_sas)
{
    struct side s = local_side();
    return fpu_stays_apart(&s, why, why_len);
}

UTEST(ipc_fast_fpu_state_stays_apart_xas)
{
    struct side s;
    UTEST_REQUIRE(child_side(&s), "child PD setup failed");
    return fpu_stays_apart(&s, why, why_len);
}

/* ---- AVX state (beyond what FXSAVE covers), where the CPU has it ---- */
#define CPUID_ECX_OSXSAVE (1u << 27)
#define CPUID_ECX_AVX (1u << 28)
#define XCR0_SSE_AVX 0x6u
#define CALLER_YMM 0xca11e4ull
#define HANDLER_YMM 0x4a4d1e4ull

void probe_ymm_high_load(uint64_t value);
uint64_t probe_ymm_high_store(void);

static bool avx_usable(void)
{
    uint32_t c = cpuid(1, 0).ecx;
    if ((c & (CPUID_ECX_OSXSAVE | CPUID_ECX_AVX)) != (CPUID_ECX_OSXSAVE | CPUID_ECX_AVX))
        return false;
    return (xgetbv(0) & XCR0_SSE_AVX) == XCR0_SSE_AVX;
}

static uint64_t avx_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->words[0] = probe_ymm_high_store();
    probe_ymm_high_load(HANDLER_YMM);
    return DJ_MTD(1, 0);
}

UTEST(ipc_fast_avx_state_stays_apart)
{
    if (!avx_usable())
        UTEST_SKIP("no AVX");
    struct side s;
    UTEST_REQUIRE(child_side(&s), "child PD setup failed");
    uint64_t pt = portal_on(&s, dj_portal_entry, avx_handler, 0);
    UTEST_REQUIRE(pt, "portal setup failed");
    for (unsigned round = 0; round < FPU_ROUNDS; round++) {
        uint64_t out = 0, mine = CALLER_YMM + round;
        probe_ymm_high_load(mine);
        enum dj_status st = dj_call(pt, message(0, round & 1), &out);
        uint64_t after = probe_ymm_high_store(), seen = dj_utcb()->words[0];
        UTEST_REQUIRE(st == DJ_OK && after == mine, "round %u: status %d, the caller's YMM0 high %#llx", round, st,
                      (unsigned long long)after);
        UTEST_REQUIRE(seen != mine && (round == 0 || seen == HANDLER_YMM),
                      "round %u: the handler found YMM0 high %#llx", round, (unsigned long long)seen);
    }
    return true;
}

/* ---- badges and the portal cache ---- */

/* The echo handler answers an empty message with its badge. */
static uint64_t badge_seen(uint64_t pt, bool typed, enum dj_status *st)
{
    uint64_t out = 0;
    *st = dj_call(pt, message(0, typed), &out);
    return dj_utcb()->words[0];
}

UTEST(ipc_fast_badge_change_seen)
{
    struct side s;
    UTEST_REQUIRE(child_side(&s), "child PD setup failed");
    uint64_t pt = portal_on(&s, dj_portal_entry, echo_handler, 1);
    UTEST_REQUIRE(pt, "portal setup failed");
    for (uint64_t badge = 1; badge <= BADGE_ROUNDS; badge++) {
        enum dj_status st;
        UTEST_REQUIRE(dj_pt_ctrl(pt, badge) == DJ_OK, "pt_ctrl failed");
        for (unsigned typed = 0; typed < 2; typed++) {
            uint64_t got = badge_seen(pt, typed, &st);
            UTEST_REQUIRE(st == DJ_OK && got == badge, "typed %u: badge %#llx, want %#llx (status %d)", typed,
                          (unsigned long long)got, (unsigned long long)badge, st);
        }
    }
    return true;
}

/* A copy of pt at a fresh selector of this PD (rights: DJ_OBJ_* bits). */
static uint64_t copy_of(uint64_t pt, unsigned rights)
{
    uint64_t sel = utest_selector();
    return dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_OBJ, pt, 0, rights), sel) == DJ_OK ? sel : 0;
}

UTEST(ipc_fast_revoked_portal_refused)
{
    struct side s;
    UTEST_REQUIRE(child_side(&s), "child PD setup failed");
    uint64_t first = portal_on(&s, dj_portal_entry, echo_handler, BADGE_FIRST);
    uint64_t second = portal_on(&s, dj_portal_entry, echo_handler, BADGE_SECOND);
    UTEST_REQUIRE(first && second, "portal setup failed");
    uint64_t sel = copy_of(first, DJ_OBJ_ALL);
    UTEST_REQUIRE(sel, "delegating the portal failed");
    enum dj_status st;
    for (unsigned i = 0; i < 2; i++) /* the second call finds it remembered */
        UTEST_REQUIRE(badge_seen(sel, false, &st) == BADGE_FIRST && st == DJ_OK, "call through the copy failed");
    UTEST_REQUIRE(dj_revoke(DJ_CRD(DJ_CRD_OBJ, sel, 0, DJ_OBJ_ALL), true) == DJ_OK, "revoke failed");
    for (unsigned typed = 0; typed < 2; typed++) {
        badge_seen(sel, typed, &st);
        UTEST_REQUIRE(st == DJ_E_BAD_CAP, "typed %u: call through a revoked portal gave %d", typed, st);
    }
    UTEST_REQUIRE(dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_OBJ, second, 0, DJ_OBJ_ALL), sel) == DJ_OK,
                  "reusing the selector failed");
    UTEST_REQUIRE(badge_seen(sel, false, &st) == BADGE_SECOND && st == DJ_OK,
                  "the reused selector reached the old portal");
    uint64_t no_call = copy_of(second, DJ_OBJ_ALL & ~DJ_PT_CALL);
    UTEST_REQUIRE(no_call, "delegating without the call right failed");
    for (unsigned typed = 0; typed < 2; typed++) {
        badge_seen(no_call, typed, &st);
        UTEST_REQUIRE(st == DJ_E_BAD_CAP, "typed %u: a portal without DJ_PT_CALL was called (%d)", typed, st);
    }
    return true;
}

/* ---- threads (for other CPUs and for the top of the address space) ---- */

struct thread_start {
    uint64_t rip, rsp, rax, rdi, rsi;
};
static struct thread_start starts[MAX_THREADS];
static unsigned nstarts;
static uint64_t never_sm;

static uint64_t thread_startup(uint64_t badge, struct dj_utcb *u)
{
    const struct thread_start *t = &starts[badge];
    u->arch.rip = t->rip;
    u->arch.rsp = t->rsp;
    u->arch.rax = t->rax;
    u->arch.rdi = t->rdi;
    u->arch.rsi = t->rsi;
    return DJ_MTD(0, 0);
}

/* An event portal of this PD at eb + vector, handled on cpu by fn. */
static bool event_portal(uint64_t eb, unsigned vector, unsigned cpu, dj_handler_fn fn, uint64_t mtd, uint64_t badge)
{
    void *stack = utest_pages(STACK_PAGES);
    uint64_t ec = utest_selector(), utcb = utest_va(1);
    if (!stack)
        return false;
    uint64_t sp = dj_handler_stack(stack, STACK_PAGES * UTEST_PAGE, (struct dj_utcb *)utcb, fn);
    return dj_create_ec(ec, DJ_SEL_SELF_PD, cpu, utcb, sp, 0, false) == DJ_OK &&
           dj_create_pt(eb + vector, DJ_SEL_SELF_PD, ec, mtd, (uint64_t)dj_portal_entry) == DJ_OK &&
           dj_pt_ctrl(eb + vector, badge) == DJ_OK;
}

static uint64_t event_base_reserve(void)
{
    uint64_t base = utest_selector();
    for (unsigned i = 1; i < DJ_EV_COUNT; i++)
        utest_selector();
    return base;
}

/* The semaphore finished threads block on for good. */
static bool never_sm_ready(void)
{
    if (!never_sm) {
        uint64_t sel = utest_selector();
        if (dj_create_sm(sel, DJ_SEL_SELF_PD, 0) == DJ_OK)
            never_sm = sel;
    }
    return never_sm != 0;
}

/* A thread of this PD on cpu starting with *t; a #GP goes to gp (if any)
 * on the same CPU. Returns false if anything could not be created. */
static bool thread_start(unsigned cpu, const struct thread_start *t, dj_handler_fn gp)
{
    if (nstarts == sizeof(starts) / sizeof(starts[0]))
        return false;
    if (!never_sm_ready())
        return false;
    uint64_t idx = nstarts++, eb = event_base_reserve(), ec = utest_selector();
    starts[idx] = *t;
    return event_portal(eb, DJ_EV_STARTUP, cpu, thread_startup, DJ_MTD_RIP_RSP | DJ_MTD_GPR, idx) &&
           (!gp || event_portal(eb, VEC_GP, cpu, gp, DJ_MTD_QUAL | DJ_MTD_RIP_RSP, idx)) &&
           dj_create_ec(ec, DJ_SEL_SELF_PD, cpu, utest_va(1), 0, eb, true) == DJ_OK &&
           dj_create_sc(utest_selector(), DJ_SEL_SELF_PD, ec, THREAD_PRIO, 0) == DJ_OK;
}

static void *stack_top(void)
{
    uint8_t *stack = utest_pages(STACK_PAGES);
    return stack ? stack + STACK_PAGES * UTEST_PAGE - 8 : 0; /* as if called */
}

static __attribute__((noreturn)) void block_forever(void)
{
    for (;;)
        dj_sm_ctrl(never_sm, DJ_SM_OP_DOWN);
}

/* ---- handlers on other CPUs ---- */

/* The first online CPU but the boot CPU (a local EC can be created there). */
static unsigned other_cpu(void)
{
    for (unsigned cpu = 0; cpu < MAX_PROBED_CPUS; cpu++)
        if (cpu != dj_boot_cpu && dj_create_ec(utest_selector(), DJ_SEL_SELF_PD, cpu, utest_va(1), 0, 0, false) == DJ_OK)
            return cpu;
    return NO_CPU;
}

UTEST(ipc_fast_handler_on_other_cpu_refused)
{
    unsigned cpu = other_cpu();
    if (cpu == NO_CPU)
        UTEST_SKIP("only 1 CPU");
    struct side s = {DJ_SEL_SELF_PD, cpu};
    uint64_t pt = portal_on(&s, dj_portal_entry, echo_handler, 0);
    UTEST_REQUIRE(pt, "portal setup failed");
    for (unsigned i = 0; i < PATHS; i++) {
        enum dj_status st;
        badge_seen(pt, i & 1, &st);
        UTEST_REQUIRE(st == DJ_E_BAD_CPU, "call %u to a handler on CPU %u from CPU %u gave %d", i, cpu, dj_boot_cpu,
                      st);
    }
    return true;
}

/* The thread on the other CPU: a call through the selector the root just
 * used for a portal served on the root's CPU (remembered by the portal
 * cache, still refused), then a call into a child PD served on its own
 * CPU (the fast path under the kernel lock) that keeps its FPU state. */
static volatile int remote_xas_status = -1, remote_cached_status = -1;
static volatile bool remote_fpu_kept;
static uint64_t remote_done_sm, remote_xas_pt, remote_cached_pt;

static void remote_caller(void)
{
    uint64_t out = 0;
    remote_cached_status = dj_call(remote_cached_pt, DJ_MTD(1, 0), &out);
    probe_fpu_load(CALLER_FPU_SEED, CALLER_MXCSR, CALLER_FCW);
    remote_xas_status = dj_call(remote_xas_pt, DJ_MTD(0, 0), &out);
    struct probe_fpu mine;
    probe_fpu_store(&mine);
    remote_fpu_kept = fpu_is(&mine, CALLER_FPU_SEED, CALLER_MXCSR, CALLER_FCW);
    dj_sm_up(remote_done_sm);
    block_forever();
}

UTEST(ipc_fast_calls_on_other_cpu)
{
    unsigned cpu = other_cpu();
    if (cpu == NO_CPU)
        UTEST_SKIP("only 1 CPU");
    struct side s;
    UTEST_REQUIRE(child_side(&s), "child PD setup failed");
    s.cpu = cpu;
    remote_xas_pt = portal_on(&s, dj_portal_entry, fpu_handler, 0);
    remote_cached_pt = ipc_local_pt();
    remote_done_sm = utest_selector();
    UTEST_REQUIRE(remote_xas_pt && remote_cached_pt && dj_create_sm(remote_done_sm, DJ_SEL_SELF_PD, 0) == DJ_OK,
                  "setup failed");
    enum dj_status st = dj_call(remote_cached_pt, message(1, false), 0);
    UTEST_REQUIRE(st == DJ_OK, "the root's own call failed (%d)", st);
    struct thread_start t = {(uint64_t)remote_caller, (uint64_t)stack_top(), 0, 0, 0};
    UTEST_REQUIRE(t.rsp && thread_start(cpu, &t, 0), "thread setup failed");
    UTEST_REQUIRE(dj_sm_ctrl(remote_done_sm, DJ_SM_OP_DOWN) == DJ_OK, "waiting for the thread failed");
    UTEST_REQUIRE(remote_xas_status == DJ_OK && remote_fpu_kept, "call on CPU %u: status %d, FPU state %s", cpu,
                  remote_xas_status, remote_fpu_kept ? "kept" : "lost");
    UTEST_REQUIRE(remote_cached_status == DJ_E_BAD_CPU,
                  "CPU %u called a portal served on CPU %u through the cache: status %d", cpu, dj_boot_cpu,
                  remote_cached_status);
    return true;
}

/* ---- a call whose return address is not canonical ---- */
#define TOP_PAGE_VA 0x7ffffffff000ull
#define SYSCALL_INSN_LEN 2
#define NONCANONICAL_RIP 0x800000000000ull
#define SYSCALL_OPCODE_0 0x0f
#define SYSCALL_OPCODE_1 0x05

static volatile uint64_t top_gp_rip;
static uint64_t top_done_sm;

static void top_rescued(void)
{
    dj_sm_up(top_done_sm);
    block_forever();
}

static uint64_t top_gp(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    top_gp_rip = u->arch.rip;
    u->arch.rip = (uint64_t)top_rescued;
    return DJ_MTD(0, 0);
}

/* A syscall instruction in the last two bytes below the canonical hole
 * (fault_tests.c may have put one there already). */
static bool top_syscall_mapped(void)
{
    uint8_t *code = utest_pages(1);
    if (!code)
        return false;
    code[UTEST_PAGE - 2] = SYSCALL_OPCODE_0;
    code[UTEST_PAGE - 1] = SYSCALL_OPCODE_1;
    enum dj_status st = dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_MEM, (uint64_t)code / UTEST_PAGE, 0, DJ_MEM_R | DJ_MEM_X),
                                    TOP_PAGE_VA / UTEST_PAGE);
    const volatile uint8_t *top = (const uint8_t *)TOP_PAGE_VA;
    return (st == DJ_OK || st == DJ_E_BUSY) && top[UTEST_PAGE - 2] == SYSCALL_OPCODE_0 &&
           top[UTEST_PAGE - 1] == SYSCALL_OPCODE_1;
}

UTEST(ipc_fast_reply_to_noncanonical_return_becomes_gp)
{
    UTEST_REQUIRE(ipc_local_pt() && top_syscall_mapped(), "setup failed");
    for (unsigned typed = 0; typed < 2; typed++) {
        top_gp_rip = 0; /* the thread's UTCB is zero: a null typed item when typed */
        struct thread_start t = {TOP_PAGE_VA + UTEST_PAGE - SYSCALL_INSN_LEN, (uint64_t)stack_top(), DJ_SYS_CALL,
                                 ipc_local_pt(), DJ_MTD(1, typed)};
        top_done_sm = utest_selector();
        UTEST_REQUIRE(t.rsp && dj_create_sm(top_done_sm, DJ_SEL_SELF_PD, 0) == DJ_OK &&
                          thread_start(dj_boot_cpu, &t, top_gp),
                      "thread setup failed");
        UTEST_REQUIRE(dj_sm_ctrl(top_done_sm, DJ_SM_OP_DOWN) == DJ_OK, "waiting failed");
        UTEST_REQUIRE(top_gp_rip == NONCANONICAL_RIP, "typed %u: the #GP reported RIP %#llx", typed,
                      (unsigned long long)top_gp_rip);
    }
    return true;
}
