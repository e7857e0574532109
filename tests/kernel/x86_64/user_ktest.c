/* SPDX-License-Identifier: GPL-2.0-only */
/* Ring-3 checks: syscall round trip, kernel memory and I/O ports closed to
 * user code, SMEP/SMAP, and the non-canonical sysret return refused. */
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/cpu_features.h"
#include "tests/kernel/x86_64/fault_probe.h"
#include "kernel/frame_alloc.h"
#include "tests/kernel/ktest.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/paging.h"
#include "arch/x86_64/user_mode.h"

#define SYS_TEST_ECHO 1
#define SYS_TEST_EXIT 2
#define USER_CODE_VA 0x400000ull
#define USER_STACK_VA 0x800000ull
#define USER_TOP_PAGE_VA 0x7ffffffff000ull /* last page below the canonical hole */
#define VEC_GENERAL_PROTECTION 13
#define VEC_PAGE_FAULT 14
#define SYSCALL_INSN_LEN 2
#define NOP 0x90

extern const char user_prog_echo[], user_prog_echo_end[];
extern const char user_prog_read_kernel[], user_prog_read_kernel_end[];
extern const char user_prog_port_in[], user_prog_port_in_end[];

static uint64_t test_syscall(struct trap_frame *f)
{
    if (f->rax == SYS_TEST_ECHO)
        return f->rdi + 1;
    if (f->rax == SYS_TEST_EXIT)
        user_mode_end(f->rdi);
    return (uint64_t)-1;
}

/* Maps a user code page holding prog (at page offset `at`) and a stack. */
static bool map_user(uint64_t va, const char *prog, size_t len, size_t at)
{
    uint64_t code = frame_alloc(), stack = frame_alloc();
    if (!code || !stack || at + len > PAGE_SIZE)
        return false;
    memset(phys_to_virt(code), NOP, PAGE_SIZE);
    memcpy((char *)phys_to_virt(code) + at, prog, len);
    uint64_t nx = cpu_features.nx ? PTE_NX : 0;
    return paging_map_page(va, code, PTE_PRESENT | PTE_USER) == 0 &&
           paging_map_page(USER_STACK_VA, stack, PTE_PRESENT | PTE_USER | PTE_WRITE | nx) == 0;
}

static void unmap_user(uint64_t va)
{
    paging_unmap_page(va);
    paging_unmap_page(USER_STACK_VA);
}

static uint64_t run_user(uint64_t va, const char *start, const char *end, size_t at, uint64_t entry)
{
    if (!map_user(va, start, (size_t)(end - start), at))
        return ~0ull;
    syscall_set_handler(test_syscall);
    uint64_t r = user_mode_run(entry, USER_STACK_VA + PAGE_SIZE);
    irq_enable();
    syscall_set_handler(0);
    unmap_user(va);
    return r;
}

KTEST(user_syscall_roundtrip)
{
    uint64_t r = run_user(USER_CODE_VA, user_prog_echo, user_prog_echo_end, 0, USER_CODE_VA);
    KTEST_REQUIRE(r == 0x1234, "user run ended with %#llx, expected 0x1234", (unsigned long long)r);
    return KTEST_PASS;
}

KTEST(user_kernel_memory_denied)
{
    uint64_t r = run_user(USER_CODE_VA, user_prog_read_kernel, user_prog_read_kernel_end, 0, USER_CODE_VA);
    KTEST_REQUIRE(r == (USER_END_FAULT | VEC_PAGE_FAULT), "user read of kernel memory ended with %#llx",
                  (unsigned long long)r);
    return KTEST_PASS;
}

KTEST(user_io_port_denied)
{
    uint64_t r = run_user(USER_CODE_VA, user_prog_port_in, user_prog_port_in_end, 0, USER_CODE_VA);
    KTEST_REQUIRE(r == (USER_END_FAULT | VEC_GENERAL_PROTECTION), "user `in` ended with %#llx",
                  (unsigned long long)r);
    return KTEST_PASS;
}

/* A syscall whose return address is the first non-canonical address. */
KTEST(user_sysret_noncanonical_refused)
{
    static const char syscall_insn[] = {0x0f, 0x05};
    uint64_t r = run_user(USER_TOP_PAGE_VA, syscall_insn, syscall_insn + SYSCALL_INSN_LEN,
                          PAGE_SIZE - SYSCALL_INSN_LEN, USER_TOP_PAGE_VA + PAGE_SIZE - 16);
    KTEST_REQUIRE(r == USER_END_NONCANONICAL_RETURN, "ended with %#llx", (unsigned long long)r);
    return KTEST_PASS;
}

KTEST(user_smep_smap_enforced)
{
    KTEST_SKIP_IF(!cpu_features.smep || !cpu_features.smap, "CPU lacks SMEP or SMAP");
    static const char jmp_rcx[] = {(char)0xff, (char)0xe1};
    KTEST_REQUIRE(map_user(USER_CODE_VA, jmp_rcx, sizeof(jmp_rcx), 0), "cannot map a user page");
    struct fault_report exec = probe_execute((const void *)USER_CODE_VA);
    struct fault_report write = probe_write((volatile void *)USER_STACK_VA);
    unmap_user(USER_CODE_VA);
    KTEST_REQUIRE(exec.faulted && exec.vector == VEC_PAGE_FAULT, "kernel executed a user page (SMEP)");
    KTEST_REQUIRE(write.faulted && write.vector == VEC_PAGE_FAULT, "kernel wrote a user page (SMAP)");
    return KTEST_PASS;
}
