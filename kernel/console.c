/* SPDX-License-Identifier: GPL-2.0-only */
#include "kernel/console.h"
#include "common/format.h"
#include "arch/x86_64/spinlock.h"

#define CONSOLE_MAX_SINKS 4
#define CONSOLE_LINE_MAX 512

static console_sink_fn sinks[CONSOLE_MAX_SINKS];
static unsigned sink_count;
static struct spinlock console_lock = SPINLOCK_INIT;

void console_add_sink(console_sink_fn fn)
{
    if (sink_count < CONSOLE_MAX_SINKS)
        sinks[sink_count++] = fn;
}

static void write_all(const char *s, size_t n)
{
    for (unsigned i = 0; i < sink_count; i++)
        sinks[i](s, n);
}

/* One call, one piece of text written whole under the console lock, so
 * lines from different CPUs never mix. What the kernel cannot order is a
 * second writer on the same UART: the user-level console therefore sends
 * its finished lines through DJ_SYS_DEBUG (servers/console), and the
 * runtime's debug writes end pieces at a newline (lib/syscall.c), so user
 * lines arrive here whole too. */
void kvprintf(const char *fmt, va_list ap)
{
    char line[CONSOLE_LINE_MAX];
    int n = kvsnprintf(line, sizeof(line), fmt, ap);
    if (n < 0)
        return;
    if ((size_t)n >= sizeof(line)) {
        /* Keep the line protocol: a truncated message still ends its line. */
        n = sizeof(line) - 1;
        line[n - 1] = '\n';
    }
    uint64_t flags = spin_lock_irqsave(&console_lock);
    write_all(line, (size_t)n);
    spin_unlock_irqrestore(&console_lock, flags);
}

void kprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    kvprintf(fmt, ap);
    va_end(ap);
}

void console_panic_write(const char *s, size_t n)
{
    write_all(s, n);
}
