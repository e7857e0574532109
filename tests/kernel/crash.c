/* SPDX-License-Identifier: GPL-2.0-only */
/* The panic path's test trigger (test kernel only). */
#include "tests/kernel/crash.h"
#include "common/cmdline.h"
#include "kernel/console.h"
#include "kernel/kernel.h"
#include "common/string.h"

/* donjon.crash=KIND: fault on purpose, to show the panic path works. */
void crash_if_asked(void)
{
    char kind[8];
    if (!cmdline_value(boot_info.cmdline, "donjon.crash", kind, sizeof(kind)))
        return;
    kprintf("crash: faulting on purpose (donjon.crash=%s)\n", kind);
    if (strcmp(kind, "ud") == 0)
        __asm__ volatile("ud2");
    else if (strcmp(kind, "pf") == 0)
        *(volatile uint64_t *)(uintptr_t)0xdead000ull = 1;
    else if (strcmp(kind, "gp") == 0)
        *(volatile uint64_t *)(uintptr_t)0x8000000000000000ull = 1;
    else if (strcmp(kind, "de") == 0)
        __asm__ volatile("xorl %%ecx, %%ecx; divl %%ecx" ::: "eax", "ecx", "edx");
    kprintf("crash: unknown kind '%s' (use ud, pf, gp or de)\n", kind);
}
