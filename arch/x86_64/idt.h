/* Interrupt descriptor table, exception and interrupt dispatch. */
#pragma once
#include <stdint.h>

/* Interrupt vectors. 0-31 are CPU exceptions. */
#define VEC_IOAPIC_BASE 0x30 /* IOAPIC lines are routed here upward */
#define VEC_TIMER 0xf0
#define VEC_IPI_STOP 0xf1
#define VEC_IPI_WAKE 0xf2
#define VEC_SPURIOUS 0xff
#define NUM_VECTORS 256

/* Register state saved by the common entry stub, lowest address first. */
struct trap_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    uint64_t rip, cs, rflags, rsp, ss; /* pushed by the CPU */
};

typedef void (*irq_handler_fn)(struct trap_frame *f);

void idt_init(void);  /* build the table once (BSP) */
void idt_load(void);  /* load it on this CPU */
void irq_register(uint8_t vector, irq_handler_fn fn);
