/* SPDX-License-Identifier: GPL-2.0-only */
/* ASSERT(cond): a kernel invariant, a state that cannot happen. The test
 * kernel (DONJON_TEST_KERNEL) panics with the file and line when cond is
 * false, so the self-tests and the user-level tests catch a broken
 * invariant where it breaks. The production kernel evaluates nothing: cond
 * must have no side effects, and the code after an ASSERT still handles the
 * impossible case the way it did before (usually by returning an error), so
 * a production kernel with a bug degrades instead of stopping.
 * Never assert on anything user input can reach: that keeps its error. */
#pragma once
#include "kernel/panic.h"

#ifdef DONJON_TEST_KERNEL
#define ASSERT(cond)                                                               \
    do {                                                                           \
        if (__builtin_expect(!(cond), 0))                                          \
            panic("assertion failed at %s:%d: %s", __FILE__, __LINE__, #cond);     \
    } while (0)
/* A branch that cannot be taken; why says why it cannot. */
#define ASSERT_UNREACHABLE(why) panic("cannot happen at %s:%d: %s", __FILE__, __LINE__, why)
#else
/* sizeof keeps cond type-checked (and its variables used) without
 * evaluating it. */
#define ASSERT(cond) ((void)sizeof(!(cond)))
#define ASSERT_UNREACHABLE(why) ((void)sizeof(why))
#endif
