/* SPDX-License-Identifier: GPL-2.0-only */
/* AMD SVM (AMD-V) architecture: MSRs, CPUID feature bits, VMCB layout,
 * intercept bits, exit codes and the SVM instructions.
 * Source: AMD64 APM vol. 2, chapter 15 and appendix B (VMCB layout). */
#pragma once
#include <stdint.h>

/* ---- MSRs ---- */
#define MSR_VM_CR 0xc0010114
#define VM_CR_SVMDIS (1ull << 4)
#define MSR_VM_HSAVE_PA 0xc0010117
/* EFER.SVME is EFER_SVME in cpu.h. */

/* ---- CPUID ---- */
#define CPUID_LEAF_SVM 0x8000000a
/* EAX: SVM revision (7:0); EBX: number of ASIDs; EDX: features. */
#define CPUID_SVM_EDX_NP (1u << 0)
#define CPUID_SVM_EDX_NRIPS (1u << 3)
#define CPUID_SVM_EDX_DECODE_ASSISTS (1u << 7)

/* ---- VMCB (4 KiB, 4 KiB aligned): control area offsets ---- */
#define VMCB_INTERCEPT_CR 0x000 /* u32: reads bits 15:0, writes 31:16 */
#define VMCB_INTERCEPT_DR 0x004 /* u32: reads bits 15:0, writes 31:16 */
#define VMCB_INTERCEPT_EXC 0x008 /* u32: one bit per exception vector */
#define VMCB_INTERCEPT_MISC1 0x00c /* u32: SVM_INTERCEPT1_* */
#define VMCB_INTERCEPT_MISC2 0x010 /* u32: SVM_INTERCEPT2_* */
#define VMCB_IOPM_BASE_PA 0x040 /* u64 */
#define VMCB_MSRPM_BASE_PA 0x048 /* u64 */
#define VMCB_TSC_OFFSET 0x050 /* u64 */
#define VMCB_GUEST_ASID 0x058 /* u32 */
#define VMCB_TLB_CONTROL 0x05c /* u8 */
#define VMCB_VINTR 0x060 /* u64: V_TPR, V_IRQ, V_INTR_PRIO, V_INTR_MASKING, ... */
#define VMCB_INTERRUPT_SHADOW 0x068 /* u64 */
#define VMCB_EXITCODE 0x070 /* u64 */
#define VMCB_EXITINFO1 0x078 /* u64 */
#define VMCB_EXITINFO2 0x080 /* u64 */
#define VMCB_EXITINTINFO 0x088 /* u64 */
#define VMCB_NP_CONTROL 0x090 /* u64: SVM_NP_* */
#define VMCB_EVENTINJ 0x0a8 /* u64 */
#define VMCB_N_CR3 0x0b0 /* u64: nested page table root */
#define VMCB_CLEAN_BITS 0x0c0 /* u32 */
#define VMCB_NEXT_RIP 0x0c8 /* u64 (with NRIPS) */

/* ---- VMCB state-save area offsets ---- */
/* Segments: 16 bytes each, {u16 selector, u16 attrib, u32 limit, u64 base}. */
#define VMCB_ES 0x400
#define VMCB_CS 0x410
#define VMCB_GS 0x450
#define VMCB_GDTR 0x460
#define VMCB_LDTR 0x470
#define VMCB_IDTR 0x480
#define VMCB_TR 0x490
#define VMCB_SEG_ATTRIB 0x2
#define VMCB_SEG_BASE 0x8
#define VMCB_EFER 0x4d0
#define VMCB_CR4 0x548
#define VMCB_CR3 0x550
#define VMCB_CR0 0x558
#define VMCB_DR7 0x560
#define VMCB_DR6 0x568
#define VMCB_RFLAGS 0x570
#define VMCB_RIP 0x578
#define VMCB_RSP 0x5d8
#define VMCB_RAX 0x5f8
#define VMCB_STAR 0x600
#define VMCB_LSTAR 0x608
#define VMCB_CSTAR 0x610
#define VMCB_KERNEL_GS_BASE 0x620
#define VMCB_SYSENTER_CS 0x628
#define VMCB_SYSENTER_ESP 0x630
#define VMCB_SYSENTER_EIP 0x638
#define VMCB_CR2 0x640
#define VMCB_G_PAT 0x668

/* Segment attributes (VMCB format): descriptor bits 47:40 in 7:0, 55:52 in 11:8. */
#define SVM_ATTR_S (1u << 4)
#define SVM_ATTR_P (1u << 7)
#define SVM_ATTR_L (1u << 9)
#define SVM_ATTR_DB (1u << 10)

/* ---- Intercept vector 1 (VMCB_INTERCEPT_MISC1) ---- */
#define SVM_INTERCEPT1_INTR (1u << 0)
#define SVM_INTERCEPT1_NMI (1u << 1)
#define SVM_INTERCEPT1_INIT (1u << 3)
#define SVM_INTERCEPT1_VINTR (1u << 4)
#define SVM_INTERCEPT1_RDPMC (1u << 15)
#define SVM_INTERCEPT1_CPUID (1u << 18)
#define SVM_INTERCEPT1_INVD (1u << 22)
#define SVM_INTERCEPT1_HLT (1u << 24)
#define SVM_INTERCEPT1_INVLPGA (1u << 26)
#define SVM_INTERCEPT1_IOIO_PROT (1u << 27)
#define SVM_INTERCEPT1_MSR_PROT (1u << 28)
#define SVM_INTERCEPT1_TASK_SWITCH (1u << 29)
#define SVM_INTERCEPT1_SHUTDOWN (1u << 31)
/* ---- Intercept vector 2 (VMCB_INTERCEPT_MISC2) ---- */
#define SVM_INTERCEPT2_VMRUN (1u << 0) /* must be set, or VMRUN fails */
#define SVM_INTERCEPT2_VMMCALL (1u << 1)
#define SVM_INTERCEPT2_VMLOAD (1u << 2)
#define SVM_INTERCEPT2_VMSAVE (1u << 3)
#define SVM_INTERCEPT2_STGI (1u << 4)
#define SVM_INTERCEPT2_CLGI (1u << 5)
#define SVM_INTERCEPT2_SKINIT (1u << 6)
#define SVM_INTERCEPT2_RDTSCP (1u << 7)
#define SVM_INTERCEPT2_WBINVD (1u << 9)
#define SVM_INTERCEPT2_MONITOR (1u << 10)
#define SVM_INTERCEPT2_MWAIT (1u << 11)
#define SVM_INTERCEPT2_MWAIT_ARMED (1u << 12)
#define SVM_INTERCEPT2_XSETBV (1u << 13)
#define SVM_INTERCEPT2_RDPRU (1u << 14)
/* ---- Intercept vector 3 (VMCB_INTERCEPT_MISC3) ---- */

/* TLB_CONTROL values. */
#define SVM_TLB_CONTROL_NONE 0
#define SVM_TLB_CONTROL_FLUSH_ALL 1
/* NP_CONTROL bits. */
#define SVM_NP_ENABLE (1ull << 0)
/* VINTR bits. */
#define SVM_VINTR_TPR_MASK 0xffull
#define SVM_VINTR_IRQ (1ull << 8)
#define SVM_VINTR_PRIO_SHIFT 16
#define SVM_VINTR_IGN_TPR (1ull << 20)
#define SVM_VINTR_MASKING (1ull << 24)
/* EVENTINJ / EXITINTINFO format. */
#define SVM_EVTINJ_ERROR_CODE_SHIFT 32

/* I/O permission map: 12 KiB (one bit per port, plus spill-over);
 * MSR permission map: 8 KiB. */
#define SVM_MSRPM_SIZE (8 * 1024)
#define SVM_MSRPM_PAGES 2

/* IOIO intercept: EXITINFO1 (EXITINFO2 holds the next RIP). */
#define SVM_IOIO_TYPE_IN (1ull << 0) /* 0 = OUT */
#define SVM_IOIO_STR (1ull << 2)
#define SVM_IOIO_REP (1ull << 3)
#define SVM_IOIO_SZ16 (1ull << 5)
#define SVM_IOIO_SZ32 (1ull << 6)
#define SVM_IOIO_A32 (1ull << 8)
#define SVM_IOIO_A64 (1ull << 9)
#define SVM_IOIO_SEG(i) (((i) >> 10) & 7)
#define SVM_IOIO_PORT(i) (((i) >> 16) & 0xffff)

/* Nested page fault: EXITINFO1 is a #PF-style error code, EXITINFO2 the GPA. */
#define SVM_NPF_PRESENT (1ull << 0)
#define SVM_NPF_WRITE (1ull << 1)
#define SVM_NPF_FETCH (1ull << 4)

/* ---- Exit codes (APM vol. 2 appendix C) ---- */
#define SVM_EXIT_CR_READ(n) (0x00 + (n))
#define SVM_EXIT_CR_WRITE(n) (0x10 + (n))
#define SVM_EXIT_DR_READ(n) (0x20 + (n))
#define SVM_EXIT_DR_WRITE(n) (0x30 + (n))
#define SVM_EXIT_EXCP(v) (0x40 + (v))
#define SVM_EXIT_INTR 0x60
#define SVM_EXIT_NMI 0x61
#define SVM_EXIT_SMI 0x62
#define SVM_EXIT_INIT 0x63
#define SVM_EXIT_VINTR 0x64
#define SVM_EXIT_CR0_SEL_WRITE 0x65
#define SVM_EXIT_RDPMC 0x6f
#define SVM_EXIT_CPUID 0x72
#define SVM_EXIT_INVD 0x76
#define SVM_EXIT_PAUSE 0x77
#define SVM_EXIT_HLT 0x78
#define SVM_EXIT_INVLPGA 0x7a
#define SVM_EXIT_IOIO 0x7b
#define SVM_EXIT_MSR 0x7c
#define SVM_EXIT_TASK_SWITCH 0x7d
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMRUN 0x80
#define SVM_EXIT_VMMCALL 0x81
#define SVM_EXIT_VMLOAD 0x82
#define SVM_EXIT_SKINIT 0x86
#define SVM_EXIT_WBINVD 0x89
#define SVM_EXIT_MONITOR 0x8a
#define SVM_EXIT_MWAIT 0x8b
#define SVM_EXIT_MWAIT_CONDITIONAL 0x8c
#define SVM_EXIT_XSETBV 0x8d
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_INVALID (~0ull) /* VMRUN found invalid guest state */

/* VMCB field access by offset. */
static inline uint64_t vmcb_read64(const void *vmcb, unsigned off) { return *(const volatile uint64_t *)((const char *)vmcb + off); }
static inline void vmcb_write64(void *vmcb, unsigned off, uint64_t v) { *(volatile uint64_t *)((char *)vmcb + off) = v; }
static inline void vmcb_write32(void *vmcb, unsigned off, uint32_t v) { *(volatile uint32_t *)((char *)vmcb + off) = v; }
static inline void vmcb_write8(void *vmcb, unsigned off, uint8_t v) { *(volatile uint8_t *)((char *)vmcb + off) = v; }

/* ---- SVM instructions (operands by physical address in RAX) ---- */
