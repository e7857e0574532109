/* SPDX-License-Identifier: GPL-2.0-only */
/* The structure offsets and constants the assembly (ipc_fast.S, entry.S)
 * reads, which it cannot compute itself. */
#include <stddef.h>
#include <donjon/abi.h>
#include "arch/x86_64/gdt.h"
#include "arch/x86_64/percpu.h"
#include "kernel/capspace.h"
#include "kernel/ec.h"
#include "kernel/pd.h"
#include "kernel/pt.h"
#include "arch/x86_64/user_segments.h"

/* The assembly reads structures by offsets it cannot compute itself: each
 * becomes an absolute symbol here, resolved when the kernel is linked, so
 * a change of any structure reaches the fast path without anyone keeping
 * a second copy of the layout. */
#define LAYOUT(name, value) __asm__ volatile(".globl " #name "\n\t.set " #name ", %c0" ::"i"(value))
#define FRAME_END (offsetof(struct ec, frame) + sizeof(struct trap_frame))
/* A field of the EC's frame, relative to the end of that frame (where a
 * system call's RSP points) and to the EC. */
#define FRAME_FIELD(name, field)                                                                       \
    LAYOUT(FE_##name, (long)offsetof(struct trap_frame, field) - (long)sizeof(struct trap_frame));     \
    LAYOUT(F_##name, offsetof(struct trap_frame, field));                                              \
    LAYOUT(EC_F_##name, offsetof(struct ec, frame) + offsetof(struct trap_frame, field))

__attribute__((used)) static void asm_offsets(void)
{
    FRAME_FIELD(R15, r15); FRAME_FIELD(R14, r14); FRAME_FIELD(R13, r13); FRAME_FIELD(R12, r12);
    FRAME_FIELD(R10, r10); FRAME_FIELD(R9, r9); FRAME_FIELD(R8, r8); FRAME_FIELD(RBP, rbp);
    FRAME_FIELD(RDI, rdi); FRAME_FIELD(RSI, rsi); FRAME_FIELD(RDX, rdx); FRAME_FIELD(RBX, rbx);
    FRAME_FIELD(RAX, rax); FRAME_FIELD(VECTOR, vector); FRAME_FIELD(RIP, rip);
    FRAME_FIELD(RFLAGS, rflags); FRAME_FIELD(RSP, rsp);

    LAYOUT(EC_FRAME, offsetof(struct ec, frame));
    LAYOUT(EC_SEGS, offsetof(struct ec, segs));
    LAYOUT(EC_SEGS_DS, offsetof(struct ec, segs) + USER_SEG_DS_SHIFT / 8);
    LAYOUT(EC_SEGS_ES, offsetof(struct ec, segs) + USER_SEG_ES_SHIFT / 8);
    LAYOUT(EC_SEGS_FS, offsetof(struct ec, segs) + USER_SEG_FS_SHIFT / 8);
    LAYOUT(EC_SEGS_GS, offsetof(struct ec, segs) + USER_SEG_GS_SHIFT / 8);
    LAYOUT(EC_FRAME_END, FRAME_END);
    LAYOUT(EC_DEAD, offsetof(struct ec, obj.dead));
    LAYOUT(EC_PD, offsetof(struct ec, pd));
    LAYOUT(EC_UTCB_WORDS, offsetof(struct ec, utcb_words));
    LAYOUT(UTCB_MTD_FROM_WORDS, (long)offsetof(struct dj_utcb, mtd) - (long)offsetof(struct dj_utcb, words));
    LAYOUT(UTCB_BADGE_FROM_WORDS, (long)offsetof(struct dj_utcb, badge) - (long)offsetof(struct dj_utcb, words));
    LAYOUT(EC_CPU, offsetof(struct ec, cpu));
    LAYOUT(EC_GLOBAL, offsetof(struct ec, global));
    LAYOUT(EC_STATE, offsetof(struct ec, state));
    LAYOUT(EC_CALLER, offsetof(struct ec, caller));
    LAYOUT(EC_CALLEE, offsetof(struct ec, callee));
    LAYOUT(EC_IN_FAULT, offsetof(struct ec, in_fault));
    LAYOUT(EC_RECALL_PENDING, offsetof(struct ec, recall_pending));
    LAYOUT(EC_HANDLER_RSP, offsetof(struct ec, handler_rsp));
    /* One 32-bit test covers in_fault, recall_pending and killed. */
    _Static_assert(offsetof(struct ec, recall_pending) - offsetof(struct ec, in_fault) < 4 &&
                       offsetof(struct ec, killed) - offsetof(struct ec, in_fault) < 4 &&
                       offsetof(struct ec, in_fault) + 4 <= offsetof(struct ec, handler_rsp),
                   "in_fault, recall_pending and killed share a 32-bit word");
    _Static_assert(offsetof(struct ec, recall_pending) - offsetof(struct ec, in_fault) < 3 &&
                       offsetof(struct ec, killed) - offsetof(struct ec, in_fault) < 3,
                   "the mask fits a signed 32-bit immediate");
    LAYOUT(EC_FAULT_RECALL_KILLED, 0xff | 0xff << 8 * (offsetof(struct ec, recall_pending) - offsetof(struct ec, in_fault)) |
                                       0xff << 8 * (offsetof(struct ec, killed) - offsetof(struct ec, in_fault)));
    LAYOUT(EC_WAITERS, offsetof(struct ec, waiters));
    LAYOUT(EC_FPU, offsetof(struct ec, fpu));
    _Static_assert(sizeof(enum ec_state) == 4, "the fast path compares EC states as 32-bit words");
    LAYOUT(EC_STATE_READY, EC_READY);
    LAYOUT(EC_STATE_WAIT_CALL, EC_WAIT_CALL);
    LAYOUT(EC_STATE_WAIT_REPLY, EC_WAIT_REPLY);

    _Static_assert(offsetof(struct pt, obj) == 0, "an empty call cache names a bare dead kobj (capspace.c)");
    LAYOUT(PT_DEAD, offsetof(struct pt, obj.dead));
    LAYOUT(PT_EC, offsetof(struct pt, ec));
    LAYOUT(PT_BADGE, offsetof(struct pt, badge));
    LAYOUT(PT_IP, offsetof(struct pt, ip));

    LAYOUT(PD_CR3, offsetof(struct pd, cr3));
    LAYOUT(PD_IO_GEN, offsetof(struct pd, io_gen));
    LAYOUT(PD_CAP_DIRS, offsetof(struct pd, caps.dirs));
    LAYOUT(PD_CALL_SEL, offsetof(struct pd, caps.call_sel));
    LAYOUT(PD_CALL_PT, offsetof(struct pd, caps.call_pt));

    _Static_assert(sizeof(struct capspace_slot) == 1 << 5, "a slot index becomes a byte offset by a shift of 5");
    LAYOUT(CAP_SLOT_SHIFT, 5);
    LAYOUT(CAP_MAX_SEL, CAPSPACE_MAX_SEL);
    LAYOUT(CAP_TOP_SHIFT, CAPSPACE_DIR_BITS + CAPSPACE_SLOT_BITS);
    LAYOUT(CAP_DIR_SHIFT, CAPSPACE_SLOT_BITS);
    LAYOUT(CAP_DIR_MASK, (1u << CAPSPACE_DIR_BITS) - 1);
    LAYOUT(CAP_SLOT_MASK, (1u << CAPSPACE_SLOT_BITS) - 1);
    LAYOUT(SLOT_OBJ, offsetof(struct capspace_slot, obj));
    LAYOUT(SLOT_TYPE, offsetof(struct capspace_slot, type));
    LAYOUT(SLOT_RIGHTS, offsetof(struct capspace_slot, rights));
    LAYOUT(OBJ_PT, DJ_OBJ_PT);
    LAYOUT(PT_RIGHT_CALL, DJ_PT_CALL);

    LAYOUT(UTCB_MTD, offsetof(struct dj_utcb, mtd));
    LAYOUT(UTCB_BADGE, offsetof(struct dj_utcb, badge));
    LAYOUT(UTCB_WORDS, offsetof(struct dj_utcb, words));
    LAYOUT(UTCB_WORD_COUNT, DJ_UTCB_WORDS);

    LAYOUT(PERCPU_TSS_IOMAP_BASE, offsetof(struct percpu, tables.tss.iomap_base));
    LAYOUT(IOMAP_IN_TSS, offsetof(struct cpu_tables, iomap) - offsetof(struct cpu_tables, tss));
    LAYOUT(IOMAP_DENY_ALL, TSS_IOMAP_DENY);
    _Static_assert(DJ_OK == 0, "the fast path stores status 0");
}
