/* SPDX-License-Identifier: GPL-2.0-only */
/* chantest: the in-system channel test of the boot test ISO
 * (docs/channels.md). One program, two components named in
 * servers/init/boot-test.conf: "chansink" accepts a channel through its
 * portal and checks a stream of messages; "chansrc" connects (pt=chansink)
 * and sends it. The last message goes back: the sink's totals, which the
 * source compares with its own. "chandie" and "chanorph" do the same with
 * a server that dies mid-stream (peer_death.c). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/channel.h"
#include "lib/startinfo.h"

#define CHANTEST_MESSAGES 1000000ull
#define CHANTEST_SLOTS 256
#define CHANTEST_SLOT_SIZE 2048
#define CHANTEST_REGION_VA (DJ_CHILD_FREE_VA + 0x1000000ull) /* past the handler's UTCB */
#define CHANTEST_SEL_SLEEP DJ_CHILD_FIRST_FREE
#define CHANTEST_SEL_DOORBELLS (DJ_CHILD_FIRST_FREE + 2) /* two selectors */
/* Each side switches between the copying calls and in-place batches
 * every this many messages (different periods: every pairing occurs). */
#define CHANTEST_SOURCE_MODE_PERIOD 1000
#define CHANTEST_SINK_MODE_PERIOD 1500
#define CHANTEST_BATCH 16

/* What the sink sends back after the last message. */
struct chantest_totals {
    uint64_t messages, bytes, sum_of_sums;
};

int chantest_source(void);
int chantest_sink(void);
/* The peer-death variant (peer_death.c): "chandie" and "chanorph". */
int chantest_dying_sink(void);
int chantest_orphan_source(void);
