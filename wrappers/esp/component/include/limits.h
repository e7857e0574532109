/* SPDX-License-Identifier: GPL-2.0-only */
/* Stand-in for <limits.h> in the freestanding Donjon build of the wrapper
 * (libsodium's export.h includes it): GCC's own limits.h has every limit
 * but, without this define, asks for the C library's header after its own,
 * and there is none here. */
#pragma once
#define _LIBC_LIMITS_H_ 1
#include_next <limits.h>
