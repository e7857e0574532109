/* SPDX-License-Identifier: GPL-2.0-only */
/* VM exit round trips: a guest loop of one exiting instruction (CPUID,
 * OUT, a MOV to an unbacked guest-physical page: an NPT/EPT violation),
 * each exit handled by a minimal VMM handler that answers and resumes
 * the guest. The handler reads the TSC at the first exit and at
 * the guest's final HLT: under the -icount setup of docs/benchmarks.md
 * the difference over the loop count is the round trip in instructions
 * (guest instruction, exit, portal call, handler, reply, entry). */
#include <stdbool.h>
#include "lib/server.h"
#include "lib/syscall.h"
#include "lib/utcb.h"
#include "stdio.h"
#include "utest.h"
#include "vm_harness.h"

#define BENCH_EXITS 2000
#define HANDLER_STACK_PAGES 4

extern const uint8_t bench_cpuid_guest[], bench_cpuid_guest_end[], bench_io_guest[], bench_io_guest_end[],
    bench_mmio_guest[], bench_mmio_guest_end[];
__asm__(".pushsection .rodata\n"
        ".code16\n"
        "bench_cpuid_guest:\n"
        "    mov $2000, %esi\n"
        "1:  xor %eax, %eax\n"
        "    cpuid\n"
        "    dec %esi\n"
        "    jnz 1b\n"
        "    hlt\n"
        "bench_cpuid_guest_end:\n"
        "bench_io_guest:\n"
        "    mov $2000, %esi\n"
        "1:  out %al, $0x80\n"
        "    dec %esi\n"
        "    jnz 1b\n"
        "    hlt\n"
        "bench_io_guest_end:\n"
        "bench_mmio_guest:\n" /* DS:DI = ffff:0010 = GPA_UNBACKED */
        "    mov $0xffff, %ax\n"
        "    mov %ax, %ds\n"
        "    mov $0x10, %di\n"
        "    mov $2000, %esi\n"
        "1:  mov %al, (%di)\n" /* 88 05: two bytes */
        "    dec %esi\n"
        "    jnz 1b\n"
        "    hlt\n"
        "bench_mmio_guest_end:\n"
        ".code64\n"
        ".popsection\n");
_Static_assert(BENCH_EXITS == 2000, "the guests loop 2000 times");

static struct vm bench_vm;
static volatile uint64_t first_tsc, last_tsc;
static volatile unsigned exits, wrong_mmio;
#define MMIO_STORE_LEN 2

/* The VMM side of one round trip, as small as a real one: CPUID gets
 * its answer, OUT is done, the MMIO store is dropped (a device the VMM
 * knows the instruction of: no decoding), all resume at the next
 * instruction. */
static uint64_t bench_handler(uint64_t badge, struct dj_utcb *u)
{
    (void)badge;
    struct dj_vcpu_state *s = (struct dj_vcpu_state *)u->words;
    if (exits++ == 0)
        first_tsc = utest_rdtsc();
    switch (s->exit_reason) {
    case DJ_VMEXIT_CPUID:
        s->gpr[0] = s->gpr[1] = s->gpr[2] = s->gpr[3] = 0;
        s->rip += 2;
        return DJ_MTD_GPR | DJ_MTD_RIP_RSP;
    case DJ_VMEXIT_IO:
        s->rip = s->qual[1];
        return DJ_MTD_RIP_RSP;
    case DJ_VMEXIT_MEM:
        wrong_mmio += s->qual[0] != GPA_UNBACKED || !(s->qual[1] & DJ_VMMEM_WRITE);
        s->rip += MMIO_STORE_LEN;
        return DJ_MTD_RIP_RSP;
    default:
        last_tsc = utest_rdtsc();
        return vm_finish(&bench_vm);
    }
}

static uint64_t bench_portal(unsigned cpu)
{
    static uint64_t pt;
    if (pt)
        return pt;
    void *stack = utest_pages(HANDLER_STACK_PAGES);
    struct dj_server srv = {
        .pd_sel = DJ_SEL_SELF_PD, .ec_sel = utest_selector(), .pt_sel = utest_selector(), .cpu = cpu,
        .utcb_va = utest_va(1), .stack = stack, .stack_size = HANDLER_STACK_PAGES * UTEST_PAGE,
        .handler = bench_handler, .mtd = DJ_MTD_GPR | DJ_MTD_RIP_RSP | DJ_MTD_QUAL,
    };
    if (stack && dj_server_create(&srv) == DJ_OK)
        pt = srv.pt_sel;
    return pt;
}

static bool bench_guest(const char *name, const uint8_t *code, size_t len, char *why, size_t why_len)
{
    uint64_t pt = bench_portal(dj_boot_cpu);
    UTEST_REQUIRE(pt, "no bench handler");
    exits = wrong_mmio = 0;
    if (!vm_start(&bench_vm, dj_boot_cpu, VM_REAL, 0, code, len, 0, pt, why, why_len))
        return false;
    UTEST_REQUIRE(vm_wait(&bench_vm), "the guest did not finish (%u exits)", exits);
    UTEST_REQUIRE(exits == BENCH_EXITS + 1, "%u exits, not %u", exits, BENCH_EXITS + 1);
    UTEST_REQUIRE(!wrong_mmio, "%u memory exits not for a write to GPA_UNBACKED", wrong_mmio);
    utest_bench(name, (last_tsc - first_tsc) / BENCH_EXITS);
    UTEST_REQUIRE(vm_destroy(&bench_vm), "quota not back");
    return true;
}

UTEST(bench_vmexit)
{
    if (!vm_supported())
        UTEST_SKIP("no hardware virtualization");
    return bench_guest("vmexit_cpuid", bench_cpuid_guest, (size_t)(bench_cpuid_guest_end - bench_cpuid_guest), why,
                       why_len) &&
           bench_guest("vmexit_io", bench_io_guest, (size_t)(bench_io_guest_end - bench_io_guest), why, why_len) &&
           bench_guest("vmexit_mmio", bench_mmio_guest, (size_t)(bench_mmio_guest_end - bench_mmio_guest), why,
                       why_len);
}
