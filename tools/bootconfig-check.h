/* SPDX-License-Identifier: GPL-2.0-only */
/* The build-time check of a boot configuration (tools/bootconfig-check.c). */
#pragma once
#include <stdio.h>

/* Checks the configuration at path against the ISO's programs; errors go
 * to err. 0 clean, 1 errors, 2 unreadable. */
int bootconfig_check(const char *path, char **programs, int nprograms, FILE *err);
