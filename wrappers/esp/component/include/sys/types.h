/* SPDX-License-Identifier: GPL-2.0-only */
/* Stand-in for the one libc header libsodium's randombytes.h includes
 * (<sys/types.h>) when the wrapper is built freestanding for Donjon: it
 * needs nothing from it beyond <stddef.h>. */
#pragma once
#include <stddef.h>
