/* SPDX-License-Identifier: GPL-2.0-only */
/* Interrupt descriptor table, exception and interrupt dispatch. */
#pragma once

/* Interrupt vectors. 0-31 are CPU exceptions. */
#define VEC_IOAPIC_BASE 0x30 /* IOAPIC lines are routed here upward */
#define VEC_TIMER 0xf0
#define VEC_IPI_STOP 0xf1
#define VEC_IPI_WAKE 0xf2
#define VEC_SPURIOUS 0xff
#define NUM_VECTORS 256
/* Not a hardware vector: marks a frame saved by the syscall instruction,
 * which may return with sysret (RCX and R11 are already clobbered). */
#define VEC_SYSCALL 0x100

#ifndef __ASSEMBLY__
#include <stdint.h>

/* Register state saved by the common entry stub, lowest address first. */
/* The layout is shared with entry.S (FRAME_RAX there). */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

_Static_assert(__builtin_offsetof(struct trap_frame, rax) == 14 * 8, "entry.S FRAME_RAX");

typedef void (*irq_handler_fn)(struct trap_frame *f);

void idt_init(void);  /* build the table once (BSP) */
void idt_load(void);  /* load it on this CPU */
void irq_register(uint8_t vector, irq_handler_fn fn);
/* Run the handler for f->vector (exceptions without one panic). */
void trap_dispatch(struct trap_frame *f);
#endif
