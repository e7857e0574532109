/* SPDX-License-Identifier: GPL-2.0-only */
/* The data segment selectors of user code: DS, ES, FS and GS.
 *
 * User code may load any selector the GDT allows it (null ones, the user
 * data and code selectors, with any RPL), and neither the syscall nor the
 * interrupt path touches them, so they are part of an EC's state (struct
 * ec, segs), saved and loaded whenever a CPU switches ECs. Their bases
 * carry nothing: CR4.FSGSBASE stays off and every descriptor user code
 * can load has base 0, so user FS and GS bases are always 0.
 *
 * Packed into one word, 16 bits each from bit 0: DS, ES, FS, GS. */
#pragma once
#include <stdint.h>

#define USER_SEG_DS_SHIFT 0
#define USER_SEG_ES_SHIFT 16
#define USER_SEG_FS_SHIFT 32
#define USER_SEG_GS_SHIFT 48

/* Store the selectors this CPU holds, those of the last EC that ran user
 * code here (the kernel never loads DS, ES, FS or GS after boot), into
 * *segs in the packed layout. */
static inline void user_segs_save(uint64_t *segs)
{
    uint16_t *s = (uint16_t *)segs;
    __asm__ volatile("movw %%ds, %0\n\tmovw %%es, %1\n\tmovw %%fs, %2\n\tmovw %%gs, %3"
                     : "=m"(s[USER_SEG_DS_SHIFT / 16]), "=m"(s[USER_SEG_ES_SHIFT / 16]),
                       "=m"(s[USER_SEG_FS_SHIFT / 16]), "=m"(s[USER_SEG_GS_SHIFT / 16]));
}

/* Load them for the next EC. Loading GS also loads its base: it is loaded
 * between two swapgs, where the base is the user's (0) and the kernel's
 * per-CPU base stays in MSR_KERNEL_GS_BASE; interrupts are off meanwhile. */
static inline void user_segs_load(uint64_t segs)
{
    uint64_t flags;
    __asm__ volatile("mov %1, %%ds\n\t"
                     "mov %2, %%es\n\t"
                     "mov %3, %%fs\n\t"
                     "pushfq\n\t"
                     "popq %0\n\t"
                     "cli\n\t"
                     "swapgs\n\t"
                     "mov %4, %%gs\n\t"
                     "swapgs\n\t"
                     "pushq %0\n\t"
                     "popfq"
                     : "=&r"(flags)
                     : "r"((uint16_t)(segs >> USER_SEG_DS_SHIFT)), "r"((uint16_t)(segs >> USER_SEG_ES_SHIFT)),
                       "r"((uint16_t)(segs >> USER_SEG_FS_SHIFT)), "r"((uint16_t)(segs >> USER_SEG_GS_SHIFT))
                     : "memory", "cc");
}
