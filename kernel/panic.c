/* SPDX-License-Identifier: GPL-2.0-only */
/* Fatal errors: print everything useful on the console, stop all CPUs,
 * then halt (or power off in test mode so the harness sees the end). */
#include <stdarg.h>
#include <stdbool.h>
#include "kernel/panic.h"
#include "arch/x86_64/acpi.h"
#include "kernel/console.h"
#include "arch/x86_64/cpu.h"
#include "common/format.h"
#include "arch/x86_64/idt.h"
#include "kernel/kernel.h"
#include "common/string.h"
#include "arch/x86_64/layout.h"
#include "arch/x86_64/percpu.h"
#include "arch/x86_64/smp.h"

#define BACKTRACE_MAX_DEPTH 16
#define PANIC_LINE_MAX 160

static volatile int panic_depth;

static void panic_print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void panic_print(const char *fmt, ...)
{
    char line[PANIC_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = kvsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line))
        n = sizeof(line) - 1;
    console_panic_write(line, (size_t)n);
}

static unsigned current_cpu_index(void)
{
    /* The GS base is 0 before per-CPU data is installed. */
    return rdmsr(MSR_GS_BASE) ? this_cpu()->index : 0;
}

/* Frame pointers we follow must be aligned kernel addresses. */
static bool plausible_frame(uint64_t rbp)
{
    return rbp >= DIRECT_MAP_BASE && (rbp & 7) == 0 && rbp < ~0ull - 16;
}

void backtrace_from(uint64_t rbp, uint64_t rip)
{
    panic_print("backtrace:\n");
    panic_print("  %#018llx\n", (unsigned long long)rip);
    for (int depth = 0; depth < BACKTRACE_MAX_DEPTH && plausible_frame(rbp); depth++) {
        const uint64_t *frame = (const uint64_t *)rbp;
        uint64_t ret = frame[1];
        if (ret < KERNEL_VMA)
            break;
        panic_print("  %#018llx\n", (unsigned long long)ret);
        if (frame[0] <= rbp)
            break; /* stacks grow down: a frame link must point upward */
        rbp = frame[0];
    }
}

void system_stop(void)
{
    smp_stop_others();
    if (kernel_test_mode) {
        panic_print("0 passed, 1 failed, 0 skipped\n");
        acpi_poweroff();
    }
    panic_print("System halted.\n");
    cpu_halt_forever();
}

/* A fault while panicking must not recurse forever. */
static void enter_panic(void)
{
    irq_disable();
    if (__atomic_fetch_add(&panic_depth, 1, __ATOMIC_SEQ_CST) > 0) {
        static const char msg[] = "PANIC: nested panic, halting\n";
        console_panic_write(msg, sizeof(msg) - 1);
        cpu_halt_forever();
    }
}

void panic(const char *fmt, ...)
{
    enter_panic();
    char msg[PANIC_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    kvsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    panic_print("PANIC cpu%u: %s\n", current_cpu_index(), msg);
    backtrace_from((uint64_t)__builtin_frame_address(0), (uint64_t)__builtin_return_address(0));
    system_stop();
}

static const char *const exception_names[32] = {
    "#DE divide error", "#DB debug", "NMI", "#BP breakpoint", "#OF overflow", "#BR bound range",
    "#UD invalid opcode", "#NM device not available", "#DF double fault", "coprocessor overrun",
    "#TS invalid TSS", "#NP segment not present", "#SS stack fault", "#GP general protection",
    "#PF page fault", "reserved 15", "#MF x87 error", "#AC alignment check", "#MC machine check",
    "#XM SIMD error", "#VE virtualization", "#CP control protection", "reserved 22", "reserved 23",
    "reserved 24", "reserved 25", "reserved 26", "reserved 27", "#HV hypervisor injection",
    "#VC VMM communication", "#SX security", "reserved 31",
};

#define X(v) ((unsigned long long)(v))

void panic_trap(const struct trap_frame *f)
{
    enter_panic();
    const char *name = f->vector < 32 ? exception_names[f->vector] : "interrupt";
    panic_print("PANIC cpu%u: %s (vector %llu) error %#llx\n", current_cpu_index(), name, X(f->vector),
                X(f->error_code));
    panic_print("RIP=%016llx CS=%04llx RFLAGS=%016llx\n", X(f->rip), X(f->cs), X(f->rflags));
    panic_print("RSP=%016llx SS=%04llx\n", X(f->rsp), X(f->ss));
    panic_print("RAX=%016llx RBX=%016llx RCX=%016llx RDX=%016llx\n", X(f->rax), X(f->rbx), X(f->rcx), X(f->rdx));
    panic_print("RSI=%016llx RDI=%016llx RBP=%016llx R8 =%016llx\n", X(f->rsi), X(f->rdi), X(f->rbp), X(f->r8));
    panic_print("R9 =%016llx R10=%016llx R11=%016llx R12=%016llx\n", X(f->r9), X(f->r10), X(f->r11), X(f->r12));
    panic_print("R13=%016llx R14=%016llx R15=%016llx\n", X(f->r13), X(f->r14), X(f->r15));
    panic_print("CR0=%016llx CR2=%016llx CR3=%016llx CR4=%016llx\n", X(read_cr0()), X(read_cr2()), X(read_cr3()),
                X(read_cr4()));
    backtrace_from(f->rbp, f->rip);
    system_stop();
}
