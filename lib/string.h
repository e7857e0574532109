/* SPDX-License-Identifier: BSD-2-Clause */
/* The user runtime's string functions (C names, so GCC's own calls to
 * memcpy/memset land here too). */
#pragma once
#include <stddef.h>

/* memset memcpy memmove memcmp strlen strnlen strcmp strncmp: the same
 * code as the kernel's (common/string.c is built into the library). */
#include "common/string.h"

char *strchr(const char *s, int c);
