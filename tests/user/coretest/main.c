/* In-system tests of the kernel core, run as the root PD (sigma0 module of
 * the core-test ISO). Prints PASS/FAIL/SKIP lines and BENCH lines on the
 * kernel debug console, then hands its totals to the kernel, which adds
 * them to its own and powers off. */
#include <stdbool.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "server.h"
#include "stdio.h"
#include "string.h"
#include "syscall.h"
#include "utcb.h"

#define PAGE 4096ull
#define SEL_CHILD_PD 40
#define SEL_LOCAL_EC 41
#define SEL_LOCAL_PT 42
#define SEL_CHILD_EC 43
#define SEL_CHILD_PT 44
#define SEL_SCRATCH 60
#define LOCAL_UTCB_VA 0x7ffe00000000ull
#define CHILD_UTCB_VA 0x7ffe00010000ull
#define HANDLER_STACK_PAGES 4
#define BENCH_ITERATIONS 10000
#define DEBUG_OP_TEST_DONE 1
#define EVENT_BASE 100            /* the thread's exception portals: 100 + vector */
#define SEL_THREAD_EC 200
#define SEL_THREAD_SC 201
#define SEL_DONE_SM 202
#define SEL_HANDLER_EC_BASE 210   /* one handler EC per event portal */
#define THREAD_UTCB_VA 0x7ffe00020000ull
#define HANDLER_UTCB_VA 0x7ffe00100000ull
#define FAULT_AREA_VA 0x200000000ull /* nothing mapped here until the pager maps it */
#define FAULT_PAGES 64
#define VEC_UD 6
#define VEC_GP 13
#define VEC_PF 14
#define UD2_LEN 2
#define INB_IMM_LEN 2
#define THREAD_PRIO 64
#define BADGE 0xb00c

extern char __text_start[], __text_end[], __data_start[], __image_end[];

static unsigned passed, failed, skipped;
static uint64_t pool_va, pool_pages, pool_used;

static void result(const char *name, bool ok, const char *why)
{
    char line[160];
    if (ok) {
        snprintf(line, sizeof(line), "PASS %s\n", name);
        passed++;
    } else {
        snprintf(line, sizeof(line), "FAIL %s: %s\n", name, why);
        failed++;
    }
    dj_debug_puts(line);
}

static void *pool_take(uint64_t pages)
{
    if (pool_used + pages > pool_pages)
        return 0;
    void *p = (void *)(pool_va + pool_used * PAGE);
    pool_used += pages;
    return p;
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return (uint64_t)hi << 32 | lo;
}

/* Echo handler: adds one to every word; an empty message is answered
 * with the badge the handler saw. */
static uint64_t echo_handler(uint64_t badge, struct dj_utcb *u)
{
    unsigned n = DJ_MTD_UNTYPED(u->mtd);
    if (n == 0) {
        u->words[0] = badge;
        return DJ_MTD(1, 0);
    }
    for (unsigned i = 0; i < n; i++)
        u->words[i] += 1;
    return DJ_MTD(n, 0);
}

static enum dj_status make_handler(uint64_t pd_sel, uint64_t ec_sel, uint64_t pt_sel, uint64_t utcb_va,
                                   uint64_t badge)
{
    void *stack = pool_take(HANDLER_STACK_PAGES);
    if (!stack)
        return DJ_E_QUOTA;
    struct dj_server s = {
        .pd_sel = pd_sel, .ec_sel = ec_sel, .pt_sel = pt_sel, .cpu = dj_boot_cpu, .utcb_va = utcb_va,
        .stack = stack, .stack_size = HANDLER_STACK_PAGES * PAGE, .handler = echo_handler, .badge = badge,
    };
    return dj_server_create(&s);
}

static void test_bad_syscalls(void)
{
    result("sys_unknown_number", dj_syscall(99, 0, 0, 0, 0, 0, 0).status == DJ_E_BAD_SYS, "not DJ_E_BAD_SYS");
    result("sys_empty_selector", dj_pt_ctrl(SEL_SCRATCH, 1) == DJ_E_BAD_CAP, "not DJ_E_BAD_CAP");
    result("sys_wrong_object_type", dj_pt_ctrl(DJ_SEL_SELF_PD, 1) == DJ_E_BAD_CAP, "not DJ_E_BAD_CAP");
    result("sys_selector_out_of_range", dj_create_sm(1ull << 40, DJ_SEL_SELF_PD, 0) == DJ_E_BAD_PARAM,
           "not DJ_E_BAD_PARAM");
    result("sys_occupied_selector", dj_create_sm(DJ_SEL_SELF_EC, DJ_SEL_SELF_PD, 0) == DJ_E_BUSY, "not DJ_E_BUSY");
    result("debug_bad_pointer", dj_debug(DJ_DEBUG_OP_PUTS, 0xffff800000000000ull, 8) == DJ_E_BAD_ADDR,
           "kernel pointer accepted");
    result("debug_unmapped_pointer", dj_debug(DJ_DEBUG_OP_PUTS, 0x10000000ull, 8) == DJ_E_BAD_ADDR,
           "unmapped pointer accepted");
    enum dj_obj_type t = DJ_OBJ_NONE;
    result("lookup_self_pd", dj_lookup(DJ_CRD(DJ_CRD_OBJ, DJ_SEL_SELF_PD, 0, 0), 0, &t) == DJ_OK && t == DJ_OBJ_PD,
           "self PD not found");
}

static void test_semaphore(void)
{
    bool ok = dj_create_sm(SEL_SCRATCH, DJ_SEL_SELF_PD, 1) == DJ_OK &&
              dj_sm_ctrl(SEL_SCRATCH, DJ_SM_OP_TRY_DOWN) == DJ_OK &&
              dj_sm_ctrl(SEL_SCRATCH, DJ_SM_OP_TRY_DOWN) == DJ_E_TIMEOUT &&
              dj_sm_ctrl(SEL_SCRATCH, DJ_SM_OP_UP) == DJ_OK && dj_sm_ctrl(SEL_SCRATCH, DJ_SM_OP_DOWN) == DJ_OK;
    result("sm_count_up_down", ok, "semaphore counts wrong");
}

/* Every message size up to the UTCB's capacity goes there and back. */
static bool roundtrip_all_sizes(uint64_t pt, char *why, size_t why_len)
{
    struct dj_utcb *u = dj_utcb();
    for (unsigned n = 1; n <= DJ_UTCB_WORDS; n++) {
        for (unsigned i = 0; i < n; i++)
            u->words[i] = (uint64_t)n << 32 | i;
        uint64_t out = 0;
        enum dj_status st = dj_call(pt, DJ_MTD(n, 0), &out);
        if (st != DJ_OK || DJ_MTD_UNTYPED(out) != n) {
            snprintf(why, why_len, "size %u: status %d, reply mtd %#llx", n, st, (unsigned long long)out);
            return false;
        }
        for (unsigned i = 0; i < n; i++)
            if (u->words[i] != ((uint64_t)n << 32 | i) + 1) {
                snprintf(why, why_len, "size %u: word %u is %#llx", n, i, (unsigned long long)u->words[i]);
                return false;
            }
    }
    return true;
}

static void test_same_space_ipc(void)
{
    char why[120] = "setup failed";
    bool ok = make_handler(DJ_SEL_SELF_PD, SEL_LOCAL_EC, SEL_LOCAL_PT, LOCAL_UTCB_VA, BADGE) == DJ_OK &&
              roundtrip_all_sizes(SEL_LOCAL_PT, why, sizeof(why));
    result("ipc_sas_all_sizes", ok, why);
    uint64_t out = 0;
    bool badge_ok = dj_call(SEL_LOCAL_PT, DJ_MTD(0, 0), &out) == DJ_OK && DJ_MTD_UNTYPED(out) == 1 &&
                    dj_utcb()->words[0] == BADGE;
    result("ipc_badge_delivered", badge_ok, "handler saw another badge");
    result("ipc_overflow_refused", dj_call(SEL_LOCAL_PT, DJ_MTD(DJ_UTCB_WORDS + 1, 0), 0) == DJ_E_OVERFLOW,
           "oversized message accepted");
    result("ipc_reply_from_thread_refused", dj_reply(0) == DJ_E_BAD_CAP, "a global EC could reply");
}

static enum dj_status share_range(uint64_t pd, uint64_t start, uint64_t end, unsigned rights)
{
    for (uint64_t va = start; va < end; va += PAGE) {
        enum dj_status st = dj_delegate(pd, DJ_CRD(DJ_CRD_MEM, va / PAGE, 0, rights), va / PAGE);
        if (st != DJ_OK)
            return st;
    }
    return DJ_OK;
}

/* A child PD with this program's code, handled by an EC that lives there. */
static void test_cross_space_ipc(void)
{
    char why[120] = "setup failed";
    void *stack = pool_take(HANDLER_STACK_PAGES);
    bool ok = stack && dj_create_pd(SEL_CHILD_PD, DJ_SEL_SELF_PD, 256) == DJ_OK &&
              share_range(SEL_CHILD_PD, (uint64_t)__text_start, (uint64_t)__text_end, DJ_MEM_R | DJ_MEM_X) == DJ_OK &&
              share_range(SEL_CHILD_PD, (uint64_t)__text_end, (uint64_t)__data_start, DJ_MEM_R) == DJ_OK &&
              share_range(SEL_CHILD_PD, (uint64_t)__data_start, (uint64_t)__image_end, DJ_MEM_R | DJ_MEM_W) == DJ_OK &&
              share_range(SEL_CHILD_PD, (uint64_t)stack, (uint64_t)stack + HANDLER_STACK_PAGES * PAGE,
                          DJ_MEM_R | DJ_MEM_W) == DJ_OK;
    if (ok) {
        struct dj_server s = {
            .pd_sel = SEL_CHILD_PD, .ec_sel = SEL_CHILD_EC, .pt_sel = SEL_CHILD_PT, .cpu = dj_boot_cpu,
            .utcb_va = CHILD_UTCB_VA, .stack = stack, .stack_size = HANDLER_STACK_PAGES * PAGE,
            .handler = echo_handler,
        };
        ok = dj_server_create(&s) == DJ_OK;
    }
    ok = ok && roundtrip_all_sizes(SEL_CHILD_PT, why, sizeof(why));
    result("ipc_xas_all_sizes", ok, why);
}

/* ---- A thread with exception portals: startup, page faults, #UD, #GP. */
static volatile unsigned faults_handled, ud_seen, gp_seen;
static volatile bool thread_ok;
static volatile uint64_t pagefault_tsc;
static uint64_t thread_stack_top;

static uint64_t startup_handler(uint64_t badge, struct dj_utcb *u);
static uint64_t pf_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    uint64_t page = u->arch.fault_addr / PAGE;
    void *frame = pool_take(1);
    if (!frame || u->arch.vector != VEC_PF)
        return DJ_MTD(0, 0); /* the thread faults again: a visible failure */
    dj_delegate(DJ_SEL_SELF_PD, DJ_CRD(DJ_CRD_MEM, (uint64_t)frame / PAGE, 0, DJ_MEM_R | DJ_MEM_W), page);
    faults_handled++;
    return DJ_MTD(0, 0);
}

static uint64_t ud_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    ud_seen = u->arch.vector == VEC_UD;
    u->arch.rip += UD2_LEN; /* skip the instruction and resume */
    return DJ_MTD(0, 0);
}

static uint64_t gp_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    gp_seen = u->arch.vector == VEC_GP;
    u->arch.rip += INB_IMM_LEN;
    return DJ_MTD(0, 0);
}

static void thread_main(void)
{
    volatile uint64_t *area = (volatile uint64_t *)FAULT_AREA_VA;
    uint64_t t0 = rdtsc();
    for (unsigned i = 0; i < FAULT_PAGES; i++)
        area[i * PAGE / 8] = i;
    pagefault_tsc = (rdtsc() - t0) / FAULT_PAGES;
    bool ok = faults_handled == FAULT_PAGES;
    for (unsigned i = 0; i < FAULT_PAGES; i++)
        ok = ok && area[i * PAGE / 8] == i;
    __asm__ volatile("ud2");
    __asm__ volatile("inb $0x80, %%al" ::: "eax");
    thread_ok = ok;
    dj_sm_up(SEL_DONE_SM);
    for (;;)
        dj_sm_ctrl(SEL_DONE_SM + 1, DJ_SM_OP_DOWN); /* never signalled: the thread ends here */
}

static uint64_t startup_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    u->arch.rip = (uint64_t)thread_main;
    u->arch.rsp = thread_stack_top;
    return DJ_MTD(0, 0);
}

static enum dj_status event_portal(unsigned vector, dj_handler_fn fn, uint64_t mtd, unsigned index)
{
    void *stack = pool_take(HANDLER_STACK_PAGES);
    if (!stack)
        return DJ_E_QUOTA;
    struct dj_server s = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = SEL_HANDLER_EC_BASE + index, .pt_sel = EVENT_BASE + vector,
        .cpu = dj_boot_cpu, .utcb_va = HANDLER_UTCB_VA + index * PAGE, .stack = stack,
        .stack_size = HANDLER_STACK_PAGES * PAGE, .handler = fn, .mtd = mtd,
    };
    return dj_server_create(&s);
}

static void test_thread_and_faults(void)
{
    void *stack = pool_take(HANDLER_STACK_PAGES);
    thread_stack_top = (uint64_t)stack + HANDLER_STACK_PAGES * PAGE;
    bool ok = stack && event_portal(DJ_EV_STARTUP, startup_handler, DJ_MTD_RIP_RSP, 0) == DJ_OK &&
              event_portal(VEC_PF, pf_handler, DJ_MTD_QUAL, 1) == DJ_OK &&
              event_portal(VEC_UD, ud_handler, DJ_MTD_QUAL | DJ_MTD_RIP_RSP, 2) == DJ_OK &&
              event_portal(VEC_GP, gp_handler, DJ_MTD_QUAL | DJ_MTD_RIP_RSP, 3) == DJ_OK &&
              dj_create_sm(SEL_DONE_SM, DJ_SEL_SELF_PD, 0) == DJ_OK &&
              dj_create_sm(SEL_DONE_SM + 1, DJ_SEL_SELF_PD, 0) == DJ_OK &&
              dj_create_ec(SEL_THREAD_EC, DJ_SEL_SELF_PD, dj_boot_cpu, THREAD_UTCB_VA, 0, EVENT_BASE, true) == DJ_OK &&
              dj_create_sc(SEL_THREAD_SC, DJ_SEL_SELF_PD, SEL_THREAD_EC, THREAD_PRIO, 0) == DJ_OK;
    result("thread_created", ok, "creating the thread or its portals failed");
    if (!ok)
        return;
    dj_sm_ctrl(SEL_DONE_SM, DJ_SM_OP_DOWN);
    result("thread_startup_portal", true, "");
    result("pagefault_ipc_to_pager", thread_ok, "pages not mapped by the pager or contents wrong");
    result("exception_ipc_resume", ud_seen, "#UD not delivered to its portal");
    result("io_port_without_capability_faults", gp_seen, "`in` did not raise #GP");
    char line[96];
    snprintf(line, sizeof(line), "BENCH pagefault_roundtrip %llu tsc\n", (unsigned long long)pagefault_tsc);
    dj_debug_puts(line);
}

static uint64_t loop_cost(uint64_t pt, unsigned words, bool do_call)
{
    uint64_t t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_ITERATIONS; i++) {
        if (do_call)
            dj_call(pt, DJ_MTD(words, 0), 0);
        else
            __asm__ volatile("" ::: "memory");
    }
    return rdtsc() - t0;
}

static void bench_ipc(const char *name, uint64_t pt, unsigned words)
{
    uint64_t with = loop_cost(pt, words, true), without = loop_cost(pt, words, false);
    char line[96];
    snprintf(line, sizeof(line), "BENCH %s %llu tsc\n", name,
             (unsigned long long)((with - without) / BENCH_ITERATIONS));
    dj_debug_puts(line);
}

static void bench_null_syscall(void)
{
    uint64_t t0 = rdtsc();
    for (unsigned i = 0; i < BENCH_ITERATIONS; i++)
        dj_syscall(DJ_SYS_COUNT, 0, 0, 0, 0, 0, 0);
    uint64_t with = rdtsc() - t0, without = loop_cost(0, 0, false);
    char line[96];
    snprintf(line, sizeof(line), "BENCH syscall_null %llu tsc\n",
             (unsigned long long)((with - without) / BENCH_ITERATIONS));
    dj_debug_puts(line);
}

int main(void)
{
    pool_va = dj_utcb()->words[0];
    pool_pages = dj_utcb()->words[1];
    dj_debug_puts("coretest: root PD running\n");
    test_bad_syscalls();
    test_semaphore();
    test_same_space_ipc();
    test_cross_space_ipc();
    test_thread_and_faults();
    bench_null_syscall();
    bench_ipc("ipc_roundtrip_sas_1w", SEL_LOCAL_PT, 1);
    bench_ipc("ipc_roundtrip_xas_1w", SEL_CHILD_PT, 1);
    bench_ipc("ipc_roundtrip_xas_8w", SEL_CHILD_PT, 8);
    dj_debug(DEBUG_OP_TEST_DONE, (uint64_t)passed << 32 | failed, skipped);
    return 0;
}
