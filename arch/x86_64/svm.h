/* SPDX-License-Identifier: GPL-2.0-only */
/* AMD SVM (AMD-V) architecture: MSRs, CPUID feature bits, VMCB layout,
 * intercept bits, exit codes and the SVM instructions.
 * Source: AMD64 APM vol. 2, chapter 15 and appendix B (VMCB layout). */
#pragma once
#include <stdint.h>

/* ---- MSRs ---- */
#define MSR_VM_CR 0xc0010114
#define VM_CR_DPD (1ull << 0)
#define VM_CR_R_INIT (1ull << 1)
#define VM_CR_DIS_A20M (1ull << 2)
#define VM_CR_LOCK (1ull << 3)
#define VM_CR_SVMDIS (1ull << 4)
#define MSR_VM_HSAVE_PA 0xc0010117
/* EFER.SVME is EFER_SVME in cpu.h. */

/* ---- CPUID ---- */
#define CPUID_LEAF_SVM 0x8000000a
/* EAX: SVM revision (7:0); EBX: number of ASIDs; EDX: features. */
#define CPUID_SVM_EDX_NP (1u << 0)
#define CPUID_SVM_EDX_LBRV (1u << 1)
#define CPUID_SVM_EDX_SVML (1u << 2)
#define CPUID_SVM_EDX_NRIPS (1u << 3)
#define CPUID_SVM_EDX_TSC_RATE (1u << 4)
#define CPUID_SVM_EDX_VMCB_CLEAN (1u << 5)
#define CPUID_SVM_EDX_FLUSH_BY_ASID (1u << 6)
#define CPUID_SVM_EDX_DECODE_ASSISTS (1u << 7)
#define CPUID_SVM_EDX_PAUSE_FILTER (1u << 10)
#define CPUID_SVM_EDX_PAUSE_FILTER_THRESHOLD (1u << 12)
#define CPUID_SVM_EDX_AVIC (1u << 13)
#define CPUID_SVM_EDX_VMSAVE_VIRT (1u << 15)
#define CPUID_SVM_EDX_VGIF (1u << 16)
#define CPUID_SVM_EDX_GMET (1u << 17)

/* ---- VMCB (4 KiB, 4 KiB aligned): control area offsets ---- */
#define VMCB_SIZE 4096
#define VMCB_INTERCEPT_CR 0x000 /* u32: reads bits 15:0, writes 31:16 */
#define VMCB_INTERCEPT_DR 0x004 /* u32: reads bits 15:0, writes 31:16 */
#define VMCB_INTERCEPT_EXC 0x008 /* u32: one bit per exception vector */
#define VMCB_INTERCEPT_MISC1 0x00c /* u32: SVM_INTERCEPT1_* */
#define VMCB_INTERCEPT_MISC2 0x010 /* u32: SVM_INTERCEPT2_* */
#define VMCB_INTERCEPT_MISC3 0x014 /* u32: SVM_INTERCEPT3_* */
#define VMCB_PAUSE_FILTER_THRESHOLD 0x03c /* u16 */
#define VMCB_PAUSE_FILTER_COUNT 0x03e     /* u16 */
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
#define VMCB_AVIC_APIC_BAR 0x098 /* u64 */
#define VMCB_GHCB_PA 0x0a0 /* u64 */
#define VMCB_EVENTINJ 0x0a8 /* u64 */
#define VMCB_N_CR3 0x0b0 /* u64: nested page table root */
#define VMCB_LBR_VIRT 0x0b8 /* u64: bit 0 LBR virtualization, bit 1 VMSAVE/VMLOAD virtualization */
#define VMCB_CLEAN_BITS 0x0c0 /* u32 */
#define VMCB_NEXT_RIP 0x0c8 /* u64 (with NRIPS) */
#define VMCB_INSN_BYTES_FETCHED 0x0d0 /* u8 (with decode assists) */
#define VMCB_INSN_BYTES 0x0d1 /* 15 bytes */
#define VMCB_AVIC_BACKING_PAGE 0x0e0 /* u64 */
#define VMCB_AVIC_LOGICAL_TABLE 0x0f0 /* u64 */
#define VMCB_AVIC_PHYSICAL_TABLE 0x0f8 /* u64 */
#define VMCB_VMSA_PA 0x108 /* u64 (SEV-ES) */

/* ---- VMCB state-save area offsets ---- */
#define VMCB_STATE 0x400
/* Segments: 16 bytes each, {u16 selector, u16 attrib, u32 limit, u64 base}. */
#define VMCB_ES 0x400
#define VMCB_CS 0x410
#define VMCB_SS 0x420
#define VMCB_DS 0x430
#define VMCB_FS 0x440
#define VMCB_GS 0x450
#define VMCB_GDTR 0x460
#define VMCB_LDTR 0x470
#define VMCB_IDTR 0x480
#define VMCB_TR 0x490
#define VMCB_SEG_SELECTOR 0x0 /* offsets within a segment */
#define VMCB_SEG_ATTRIB 0x2
#define VMCB_SEG_LIMIT 0x4
#define VMCB_SEG_BASE 0x8
#define VMCB_CPL 0x4cb /* u8 */
#define VMCB_EFER 0x4d0
#define VMCB_CR4 0x548
#define VMCB_CR3 0x550
#define VMCB_CR0 0x558
#define VMCB_DR7 0x560
#define VMCB_DR6 0x568
#define VMCB_RFLAGS 0x570
#define VMCB_RIP 0x578
#define VMCB_RSP 0x5d8
#define VMCB_S_CET 0x5e0
#define VMCB_SSP 0x5e8
#define VMCB_ISST_ADDR 0x5f0
#define VMCB_RAX 0x5f8
#define VMCB_STAR 0x600
#define VMCB_LSTAR 0x608
#define VMCB_CSTAR 0x610
#define VMCB_SFMASK 0x618
#define VMCB_KERNEL_GS_BASE 0x620
#define VMCB_SYSENTER_CS 0x628
#define VMCB_SYSENTER_ESP 0x630
#define VMCB_SYSENTER_EIP 0x638
#define VMCB_CR2 0x640
#define VMCB_G_PAT 0x668
#define VMCB_DBGCTL 0x670
#define VMCB_BR_FROM 0x678
#define VMCB_BR_TO 0x680
#define VMCB_LASTEXCP_FROM 0x688
#define VMCB_LASTEXCP_TO 0x690

/* Segment attributes (VMCB format): descriptor bits 47:40 in 7:0, 55:52 in 11:8. */
#define SVM_ATTR_TYPE(t) ((t) & 0xf)
#define SVM_ATTR_S (1u << 4)
#define SVM_ATTR_DPL(d) (((d) & 3) << 5)
#define SVM_ATTR_P (1u << 7)
#define SVM_ATTR_AVL (1u << 8)
#define SVM_ATTR_L (1u << 9)
#define SVM_ATTR_DB (1u << 10)
#define SVM_ATTR_G (1u << 11)

/* ---- Intercept vector 1 (VMCB_INTERCEPT_MISC1) ---- */
#define SVM_INTERCEPT1_INTR (1u << 0)
#define SVM_INTERCEPT1_NMI (1u << 1)
#define SVM_INTERCEPT1_SMI (1u << 2)
#define SVM_INTERCEPT1_INIT (1u << 3)
#define SVM_INTERCEPT1_VINTR (1u << 4)
#define SVM_INTERCEPT1_CR0_SEL_WRITE (1u << 5)
#define SVM_INTERCEPT1_IDTR_READ (1u << 6)
#define SVM_INTERCEPT1_GDTR_READ (1u << 7)
#define SVM_INTERCEPT1_LDTR_READ (1u << 8)
#define SVM_INTERCEPT1_TR_READ (1u << 9)
#define SVM_INTERCEPT1_IDTR_WRITE (1u << 10)
#define SVM_INTERCEPT1_GDTR_WRITE (1u << 11)
#define SVM_INTERCEPT1_LDTR_WRITE (1u << 12)
#define SVM_INTERCEPT1_TR_WRITE (1u << 13)
#define SVM_INTERCEPT1_RDTSC (1u << 14)
#define SVM_INTERCEPT1_RDPMC (1u << 15)
#define SVM_INTERCEPT1_PUSHF (1u << 16)
#define SVM_INTERCEPT1_POPF (1u << 17)
#define SVM_INTERCEPT1_CPUID (1u << 18)
#define SVM_INTERCEPT1_RSM (1u << 19)
#define SVM_INTERCEPT1_IRET (1u << 20)
#define SVM_INTERCEPT1_INTN (1u << 21)
#define SVM_INTERCEPT1_INVD (1u << 22)
#define SVM_INTERCEPT1_PAUSE (1u << 23)
#define SVM_INTERCEPT1_HLT (1u << 24)
#define SVM_INTERCEPT1_INVLPG (1u << 25)
#define SVM_INTERCEPT1_INVLPGA (1u << 26)
#define SVM_INTERCEPT1_IOIO_PROT (1u << 27)
#define SVM_INTERCEPT1_MSR_PROT (1u << 28)
#define SVM_INTERCEPT1_TASK_SWITCH (1u << 29)
#define SVM_INTERCEPT1_FERR_FREEZE (1u << 30)
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
#define SVM_INTERCEPT2_ICEBP (1u << 8)
#define SVM_INTERCEPT2_WBINVD (1u << 9)
#define SVM_INTERCEPT2_MONITOR (1u << 10)
#define SVM_INTERCEPT2_MWAIT (1u << 11)
#define SVM_INTERCEPT2_MWAIT_ARMED (1u << 12)
#define SVM_INTERCEPT2_XSETBV (1u << 13)
#define SVM_INTERCEPT2_RDPRU (1u << 14)
#define SVM_INTERCEPT2_EFER_WRITE_TRAP (1u << 15)
/* ---- Intercept vector 3 (VMCB_INTERCEPT_MISC3) ---- */
#define SVM_INTERCEPT3_INVLPGB (1u << 0)
#define SVM_INTERCEPT3_INVLPGB_ILLEGAL (1u << 1)
#define SVM_INTERCEPT3_INVPCID (1u << 2)
#define SVM_INTERCEPT3_MCOMMIT (1u << 3)
#define SVM_INTERCEPT3_TLBSYNC (1u << 4)

/* TLB_CONTROL values. */
#define SVM_TLB_CONTROL_NONE 0
#define SVM_TLB_CONTROL_FLUSH_ALL 1
#define SVM_TLB_CONTROL_FLUSH_ASID 3         /* needs FlushByAsid */
#define SVM_TLB_CONTROL_FLUSH_ASID_LOCAL 7   /* needs FlushByAsid */
/* NP_CONTROL bits. */
#define SVM_NP_ENABLE (1ull << 0)
#define SVM_NP_SEV (1ull << 1)
#define SVM_NP_SEV_ES (1ull << 2)
/* VINTR bits. */
#define SVM_VINTR_TPR_MASK 0xffull
#define SVM_VINTR_IRQ (1ull << 8)
#define SVM_VINTR_GIF (1ull << 9)
#define SVM_VINTR_PRIO_SHIFT 16
#define SVM_VINTR_IGN_TPR (1ull << 20)
#define SVM_VINTR_MASKING (1ull << 24)
#define SVM_VINTR_VGIF_ENABLE (1ull << 25)
#define SVM_VINTR_AVIC_ENABLE (1ull << 31)
#define SVM_VINTR_VECTOR_SHIFT 32
/* EVENTINJ / EXITINTINFO format. */
#define SVM_EVTINJ_VECTOR(v) ((v) & 0xffull)
#define SVM_EVTINJ_TYPE_INTR (0ull << 8)
#define SVM_EVTINJ_TYPE_NMI (2ull << 8)
#define SVM_EVTINJ_TYPE_EXCEPTION (3ull << 8)
#define SVM_EVTINJ_TYPE_SOFT_INT (4ull << 8)
#define SVM_EVTINJ_ERROR_VALID (1ull << 11)
#define SVM_EVTINJ_VALID (1ull << 31)
#define SVM_EVTINJ_ERROR_CODE_SHIFT 32

/* I/O permission map: 12 KiB (one bit per port, plus spill-over);
 * MSR permission map: 8 KiB. */
#define SVM_IOPM_SIZE (12 * 1024)
#define SVM_IOPM_PAGES 3
#define SVM_MSRPM_SIZE (8 * 1024)
#define SVM_MSRPM_PAGES 2

/* IOIO intercept: EXITINFO1 (EXITINFO2 holds the next RIP). */
#define SVM_IOIO_TYPE_IN (1ull << 0) /* 0 = OUT */
#define SVM_IOIO_STR (1ull << 2)
#define SVM_IOIO_REP (1ull << 3)
#define SVM_IOIO_SZ8 (1ull << 4)
#define SVM_IOIO_SZ16 (1ull << 5)
#define SVM_IOIO_SZ32 (1ull << 6)
#define SVM_IOIO_SZ_MASK (7ull << 4)
#define SVM_IOIO_A16 (1ull << 7)
#define SVM_IOIO_A32 (1ull << 8)
#define SVM_IOIO_A64 (1ull << 9)
#define SVM_IOIO_SEG(i) (((i) >> 10) & 7)
#define SVM_IOIO_PORT(i) (((i) >> 16) & 0xffff)

/* Nested page fault: EXITINFO1 is a #PF-style error code, EXITINFO2 the GPA. */
#define SVM_NPF_PRESENT (1ull << 0)
#define SVM_NPF_WRITE (1ull << 1)
#define SVM_NPF_USER (1ull << 2)
#define SVM_NPF_FETCH (1ull << 4)
#define SVM_NPF_FINAL_GPA (1ull << 32)
#define SVM_NPF_GUEST_PAGE_TABLE (1ull << 33)

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
#define SVM_EXIT_IDTR_READ 0x66
#define SVM_EXIT_GDTR_READ 0x67
#define SVM_EXIT_LDTR_READ 0x68
#define SVM_EXIT_TR_READ 0x69
#define SVM_EXIT_IDTR_WRITE 0x6a
#define SVM_EXIT_GDTR_WRITE 0x6b
#define SVM_EXIT_LDTR_WRITE 0x6c
#define SVM_EXIT_TR_WRITE 0x6d
#define SVM_EXIT_RDTSC 0x6e
#define SVM_EXIT_RDPMC 0x6f
#define SVM_EXIT_PUSHF 0x70
#define SVM_EXIT_POPF 0x71
#define SVM_EXIT_CPUID 0x72
#define SVM_EXIT_RSM 0x73
#define SVM_EXIT_IRET 0x74
#define SVM_EXIT_SWINT 0x75
#define SVM_EXIT_INVD 0x76
#define SVM_EXIT_PAUSE 0x77
#define SVM_EXIT_HLT 0x78
#define SVM_EXIT_INVLPG 0x79
#define SVM_EXIT_INVLPGA 0x7a
#define SVM_EXIT_IOIO 0x7b
#define SVM_EXIT_MSR 0x7c
#define SVM_EXIT_TASK_SWITCH 0x7d
#define SVM_EXIT_FERR_FREEZE 0x7e
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMRUN 0x80
#define SVM_EXIT_VMMCALL 0x81
#define SVM_EXIT_VMLOAD 0x82
#define SVM_EXIT_VMSAVE 0x83
#define SVM_EXIT_STGI 0x84
#define SVM_EXIT_CLGI 0x85
#define SVM_EXIT_SKINIT 0x86
#define SVM_EXIT_RDTSCP 0x87
#define SVM_EXIT_ICEBP 0x88
#define SVM_EXIT_WBINVD 0x89
#define SVM_EXIT_MONITOR 0x8a
#define SVM_EXIT_MWAIT 0x8b
#define SVM_EXIT_MWAIT_CONDITIONAL 0x8c
#define SVM_EXIT_XSETBV 0x8d
#define SVM_EXIT_RDPRU 0x8e
#define SVM_EXIT_EFER_WRITE_TRAP 0x8f
#define SVM_EXIT_CR_WRITE_TRAP(n) (0x90 + (n))
#define SVM_EXIT_INVLPGB 0xa0
#define SVM_EXIT_INVLPGB_ILLEGAL 0xa1
#define SVM_EXIT_INVPCID 0xa2
#define SVM_EXIT_MCOMMIT 0xa3
#define SVM_EXIT_TLBSYNC 0xa4
#define SVM_EXIT_NPF 0x400
#define SVM_EXIT_AVIC_INCOMPLETE_IPI 0x401
#define SVM_EXIT_AVIC_NOACCEL 0x402
#define SVM_EXIT_VMGEXIT 0x403
#define SVM_EXIT_INVALID (~0ull) /* VMRUN found invalid guest state */

/* VMCB field access by offset. */
static inline uint64_t vmcb_read64(const void *vmcb, unsigned off) { return *(const volatile uint64_t *)((const char *)vmcb + off); }
static inline uint32_t vmcb_read32(const void *vmcb, unsigned off) { return *(const volatile uint32_t *)((const char *)vmcb + off); }
static inline void vmcb_write64(void *vmcb, unsigned off, uint64_t v) { *(volatile uint64_t *)((char *)vmcb + off) = v; }
static inline void vmcb_write32(void *vmcb, unsigned off, uint32_t v) { *(volatile uint32_t *)((char *)vmcb + off) = v; }
static inline void vmcb_write16(void *vmcb, unsigned off, uint16_t v) { *(volatile uint16_t *)((char *)vmcb + off) = v; }
static inline void vmcb_write8(void *vmcb, unsigned off, uint8_t v) { *(volatile uint8_t *)((char *)vmcb + off) = v; }
static inline void vmcb_set_segment(void *vmcb, unsigned seg, uint16_t sel, uint16_t attrib, uint32_t limit,
                                    uint64_t base)
{
    vmcb_write16(vmcb, seg + VMCB_SEG_SELECTOR, sel);
    vmcb_write16(vmcb, seg + VMCB_SEG_ATTRIB, attrib);
    vmcb_write32(vmcb, seg + VMCB_SEG_LIMIT, limit);
    vmcb_write64(vmcb, seg + VMCB_SEG_BASE, base);
}

/* ---- SVM instructions (operands by physical address in RAX) ---- */
static inline void svm_clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void svm_stgi(void) { __asm__ volatile("stgi" ::: "memory"); }
static inline void svm_vmload(uint64_t vmcb_pa) { __asm__ volatile("vmload %%rax" ::"a"(vmcb_pa) : "memory"); }
static inline void svm_vmsave(uint64_t vmcb_pa) { __asm__ volatile("vmsave %%rax" ::"a"(vmcb_pa) : "memory"); }
static inline void svm_invlpga(uint64_t va, uint32_t asid)
{
    __asm__ volatile("invlpga %%rax, %%ecx" ::"a"(va), "c"(asid) : "memory");
}
