/* SPDX-License-Identifier: GPL-2.0-only */
/* roguenic: the rogue-DMA test of VT-d (docs/iommu.md, rogue-dma.mk). One
 * binary, two roles chosen by arg=:
 *
 *   victim  a bystander PD: owns a page filled with a known pattern (no
 *           DMA right), tells the rogue where it is, checks on request
 *           that it never changed, proves it keeps running during the
 *           rogue's fault storm, collects the rogue's results and ends the
 *           run (DJ_DEBUG_OP_TEST_DONE).
 *   rogue   a hostile NIC driver: gets one virtio-net function from the
 *           PCI server like a real driver, assigns it to its own DMA space
 *           and programs the device to read and write memory it does not
 *           hold; faults on purpose once so that init restarts it, and as
 *           generation 1 aims at its old instance's pages, then storms.
 *
 * Every check prints "PASS name" / "FAIL name: why" on the kernel debug
 * console; tests/run-all (job qemu-rogue-dma) also checks the kernel's lines. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "lib/utcb.h"

/* The victim's portal (words[0] the operation). */
enum victim_op {
    VICTIM_OP_TARGET = 1,   /* -> words[1] the page's virtual, words[2] its physical address */
    VICTIM_OP_CHECK,        /* words[1] a test number (victim_check_names): the page unchanged? */
    VICTIM_OP_STASH,        /* words[1..2]: kept for the next generation of the rogue */
    VICTIM_OP_UNSTASH,      /* -> words[1..2] what was stashed (0, 0 if nothing) */
    VICTIM_OP_PROGRESS,     /* start proving progress; -> words[1] 1 once done, words[2] rounds,
                             * words[3] TSC cycles of a quiet round (ROGUE_ROUND_TICKS timer ticks) */
    VICTIM_OP_RESULTS,      /* words[1] passed, words[2] failed, words[3] skipped; words[4] 1: the last report */
};
#define VICTIM_WORDS_MAX 5

/* What the victim checks after each attack on its page. */
enum victim_check {
    VICTIM_CHECK_AFTER_READS,
    VICTIM_CHECK_AFTER_WRITES,
    VICTIM_CHECK_AFTER_RESTART,
    VICTIM_CHECK_AFTER_STORM,
    VICTIM_CHECK_COUNT,
};

/* Selectors and addresses both roles use. */
#define ROGUE_SEL_SLEEP_SM DJ_CHILD_FIRST_FREE
#define ROGUE_SEL_DEVICE (DJ_CHILD_FIRST_FREE + 1)
#define ROGUE_SEL_FAULT_SM (DJ_CHILD_FIRST_FREE + 2)
#define ROGUE_SEL_WORK_SM (DJ_CHILD_FIRST_FREE + 3)
#define ROGUE_PAGE 4096ull
/* The victim's rounds: a 10 ms timed down, which lasts two timer ticks of
 * 10 ms when it starts right at a tick (kernel/timeout.c: whole ticks
 * covering the time, plus one), as back-to-back rounds do. */
#define ROGUE_ROUND_US 10000
#define ROGUE_ROUND_TICKS 2

/* Test lines and the totals the victim reports at the end. */
struct tally {
    unsigned passed, failed, skipped;
};
void report(struct tally *t, bool ok, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void report_skip(struct tally *t, const char *name, const char *why);
/* A free-form line on the kernel console, prefixed by the role's name. */
void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
extern const char *role_name;

__attribute__((noreturn)) void victim_main(void);
__attribute__((noreturn)) void rogue_main(const struct dj_start_info *si);
