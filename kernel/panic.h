/* SPDX-License-Identifier: GPL-2.0-only */
#pragma once
#include <stdint.h>
struct trap_frame;
__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);
/* Dump registers and a backtrace for a fatal trap, then stop. */
__attribute__((noreturn)) void panic_trap(const struct trap_frame *f);
/* Print return addresses walking the frame-pointer chain from rbp. */
void backtrace_from(uint64_t rbp, uint64_t rip);
/* What happens after a panic: power off in test mode, halt otherwise. */
__attribute__((noreturn)) void system_stop(void);
