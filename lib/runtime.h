/* SPDX-License-Identifier: BSD-2-Clause */
/* Program lifetime in the user runtime. */
#pragma once

/* Spins forever (crt0 ends here when main returns): the ABI has no exit
 * system call yet. */
__attribute__((noreturn)) void dj_idle(void);

/* Prints "panic: <message>" on the program's output and idles. */
__attribute__((noreturn, format(printf, 1, 2))) void dj_panic(const char *fmt, ...);
