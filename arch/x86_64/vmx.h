/* SPDX-License-Identifier: GPL-2.0-only */
/* Intel VMX (VT-x): the MSRs, VMCS fields, control bits, exit reasons,
 * EPT format and instructions the VT-x backend (vmx.c) uses.
 * Source: Intel SDM vol. 3C, chapters 24-28 and appendices A-C. */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* ---- MSRs (appendix A) ---- */
enum {
    FEATURE_CONTROL_LOCK = 1 << 0, FEATURE_CONTROL_VMXON_OUTSIDE_SMX = 1 << 2,
    MSR_VMX_BASIC = 0x480, MSR_VMX_PINBASED_CTLS = 0x481, MSR_VMX_PROCBASED_CTLS = 0x482, MSR_VMX_EXIT_CTLS = 0x483,
    MSR_VMX_ENTRY_CTLS = 0x484, MSR_VMX_CR0_FIXED0 = 0x486, /* then CR0_FIXED1, CR4_FIXED0, CR4_FIXED1 */
    MSR_VMX_PROCBASED_CTLS2 = 0x48b, MSR_VMX_EPT_VPID_CAP = 0x48c,
    MSR_VMX_TRUE_CTLS_OFFSET = 0xc, /* TRUE_PINBASED .. TRUE_ENTRY: 0x48d..0x490 */
    MSR_IA32_SYSENTER_CS = 0x174, MSR_IA32_SYSENTER_ESP = 0x175, MSR_IA32_SYSENTER_EIP = 0x176,
    MSR_STAR = 0xc0000081, MSR_LSTAR = 0xc0000082, MSR_CSTAR = 0xc0000083, MSR_SFMASK = 0xc0000084,
};
/* VMX_BASIC: revision (bits 30:0), VMCS size (44:32), memory type (53:50). */
#define VMX_BASIC_REVISION(b) ((uint32_t)(b) & 0x7fffffffu)
#define VMX_BASIC_REGION_SIZE(b) (((b) >> 32) & 0x1fff)
#define VMX_BASIC_MEMTYPE(b) (((b) >> 50) & 0xf)
#define VMX_BASIC_PHYS_32BIT (1ull << 48)
#define VMX_BASIC_INS_OUTS_INFO (1ull << 54)
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define VMX_EPT_CAP_WALK_4 (1ull << 6)
#define VMX_EPT_CAP_MEMTYPE_WB (1ull << 14)
#define VMX_EPT_CAP_INVEPT (1ull << 20)
#define VMX_EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define VMX_EPT_CAP_INVEPT_ALL (1ull << 26)
#define VMX_VPID_CAP_INVVPID (1ull << 32)
#define VMX_VPID_CAP_INVVPID_ALL (1ull << 42)

/* ---- VMCS field encodings (appendix B), grouped as the SDM lists them ---- */
enum {
    VMCS_VPID = 0x0000,
    VMCS_GUEST_SEL = 0x0800, /* + 2 * segment: ES CS SS DS FS GS LDTR TR */
    VMCS_HOST_SEL = 0x0c00,  /* + 2 * segment: ES CS SS DS FS GS TR */
    VMCS_IO_BITMAP_A = 0x2000, VMCS_IO_BITMAP_B = 0x2002, VMCS_MSR_BITMAP = 0x2004, VMCS_EXIT_MSR_STORE_ADDR = 0x2006,
    VMCS_EXIT_MSR_LOAD_ADDR = 0x2008, VMCS_ENTRY_MSR_LOAD_ADDR = 0x200a, VMCS_TSC_OFFSET = 0x2010,
    VMCS_EPT_POINTER = 0x201a, VMCS_GUEST_PHYSICAL_ADDRESS = 0x2400,
    VMCS_LINK_POINTER = 0x2800, VMCS_GUEST_DEBUGCTL = 0x2802, VMCS_GUEST_PAT = 0x2804, VMCS_GUEST_EFER = 0x2806,
    VMCS_HOST_PAT = 0x2c00, VMCS_HOST_EFER = 0x2c02,
    VMCS_PIN_CTLS = 0x4000, VMCS_PROC_CTLS = 0x4002, VMCS_EXCEPTION_BITMAP = 0x4004, VMCS_EXIT_CTLS = 0x400c,
    VMCS_EXIT_MSR_STORE_COUNT = 0x400e, VMCS_EXIT_MSR_LOAD_COUNT = 0x4010, VMCS_ENTRY_CTLS = 0x4012,
    VMCS_ENTRY_MSR_LOAD_COUNT = 0x4014, VMCS_ENTRY_INTR_INFO = 0x4016, VMCS_ENTRY_ERROR_CODE = 0x4018,
    VMCS_ENTRY_INSTRUCTION_LEN = 0x401a, VMCS_PROC2_CTLS = 0x401e,
    VMCS_INSTRUCTION_ERROR = 0x4400, VMCS_EXIT_REASON = 0x4402, VMCS_EXIT_INTR_INFO = 0x4404,
    VMCS_EXIT_INTR_ERROR_CODE = 0x4406, VMCS_IDT_VECTORING_INFO = 0x4408, VMCS_IDT_VECTORING_ERROR_CODE = 0x440a,
    VMCS_EXIT_INSTRUCTION_LEN = 0x440c, VMCS_EXIT_INSTRUCTION_INFO = 0x440e,
    VMCS_GUEST_LIMIT = 0x4800, /* + 2 * segment */
    VMCS_PF_ERROR_MASK = 0x4006, VMCS_PF_ERROR_MATCH = 0x4008, VMCS_CR3_TARGET_COUNT = 0x400a,
    VMCS_GUEST_GDTR_LIMIT = 0x4810, VMCS_GUEST_IDTR_LIMIT = 0x4812,
    VMCS_GUEST_AR = 0x4814, /* + 2 * segment */
    VMCS_GUEST_INTERRUPTIBILITY = 0x4824, VMCS_GUEST_ACTIVITY = 0x4826, VMCS_GUEST_SYSENTER_CS = 0x482a,
    VMCS_CR0_MASK = 0x6000, VMCS_CR4_MASK = 0x6002, VMCS_CR0_SHADOW = 0x6004, VMCS_CR4_SHADOW = 0x6006,
    VMCS_EXIT_QUALIFICATION = 0x6400,
    VMCS_GUEST_CR0 = 0x6800, VMCS_GUEST_CR3 = 0x6802, VMCS_GUEST_CR4 = 0x6804,
    VMCS_GUEST_BASE = 0x6806, /* + 2 * segment */
    VMCS_GUEST_GDTR_BASE = 0x6816, VMCS_GUEST_IDTR_BASE = 0x6818, VMCS_GUEST_DR7 = 0x681a, VMCS_GUEST_RSP = 0x681c,
    VMCS_GUEST_RIP = 0x681e, VMCS_GUEST_RFLAGS = 0x6820, VMCS_GUEST_PENDING_DBG = 0x6822, VMCS_GUEST_SYSENTER_ESP = 0x6824,
    VMCS_GUEST_SYSENTER_EIP = 0x6826,
    VMCS_HOST_CR0 = 0x6c00, VMCS_HOST_CR3 = 0x6c02, VMCS_HOST_CR4 = 0x6c04, VMCS_HOST_FS_BASE = 0x6c06,
    VMCS_HOST_GS_BASE = 0x6c08, VMCS_HOST_TR_BASE = 0x6c0a, VMCS_HOST_GDTR_BASE = 0x6c0c,
    VMCS_HOST_IDTR_BASE = 0x6c0e, VMCS_HOST_RIP = 0x6c16,
};
#define VMCS_HOST_RSP 0x6c14 /* a macro: the entry code's assembly uses it */
#define VMCS_SEG_TR 7

/* ---- Controls (24.6-24.8) ---- */
enum {
    VMX_PIN_EXTINT_EXITING = 1 << 0, VMX_PIN_NMI_EXITING = 1 << 3,
    VMX_PROC_INTR_WINDOW_EXITING = 1 << 2, VMX_PROC_TSC_OFFSETTING = 1 << 3, VMX_PROC_HLT_EXITING = 1 << 7,
    VMX_PROC_MWAIT_EXITING = 1 << 10, VMX_PROC_RDPMC_EXITING = 1 << 11, VMX_PROC_CR3_LOAD_EXITING = 1 << 15,
    VMX_PROC_CR8_LOAD_EXITING = 1 << 19, VMX_PROC_CR8_STORE_EXITING = 1 << 20, VMX_PROC_MOV_DR_EXITING = 1 << 23,
    VMX_PROC_USE_IO_BITMAPS = 1 << 25, VMX_PROC_USE_MSR_BITMAPS = 1 << 28, VMX_PROC_MONITOR_EXITING = 1 << 29,
    VMX_PROC_SECONDARY_CTLS = (int)(1u << 31),
    VMX_PROC2_ENABLE_EPT = 1 << 1, VMX_PROC2_ENABLE_VPID = 1 << 5, VMX_PROC2_WBINVD_EXITING = 1 << 6,
    VMX_PROC2_UNRESTRICTED_GUEST = 1 << 7, VMX_PROC2_ENABLE_INVPCID = 1 << 12,
    VMX_EXITCTL_HOST_64BIT = 1 << 9, VMX_EXITCTL_SAVE_PAT = 1 << 18, VMX_EXITCTL_LOAD_PAT = 1 << 19,
    VMX_EXITCTL_SAVE_EFER = 1 << 20, VMX_EXITCTL_LOAD_EFER = 1 << 21,
    VMX_ENTRYCTL_IA32E_GUEST = 1 << 9, VMX_ENTRYCTL_LOAD_PAT = 1 << 14, VMX_ENTRYCTL_LOAD_EFER = 1 << 15,
};

/* ---- Exit reasons (appendix C); bit 31: the VM entry failed ---- */
#define VMX_EXIT_ENTRY_FAILURE (1u << 31)
enum {
    VMX_EXIT_EXCEPTION_NMI = 0, VMX_EXIT_EXTINT = 1, VMX_EXIT_TRIPLE_FAULT = 2, VMX_EXIT_INIT = 3,
    VMX_EXIT_INTR_WINDOW = 7, VMX_EXIT_TASK_SWITCH = 9, VMX_EXIT_CPUID = 10, VMX_EXIT_HLT = 12, VMX_EXIT_INVD = 13,
    VMX_EXIT_RDPMC = 15, VMX_EXIT_VMCALL = 18, VMX_EXIT_VMCLEAR = 19, VMX_EXIT_VMXON = 27, VMX_EXIT_CR = 28,
    VMX_EXIT_DR = 29, VMX_EXIT_IO = 30, VMX_EXIT_RDMSR = 31, VMX_EXIT_WRMSR = 32, VMX_EXIT_BAD_GUEST_STATE = 33,
    VMX_EXIT_MWAIT = 36, VMX_EXIT_MONITOR = 39, VMX_EXIT_PAUSE = 40, VMX_EXIT_EPT_VIOLATION = 48,
    VMX_EXIT_INVEPT = 50, VMX_EXIT_INVVPID = 53, VMX_EXIT_WBINVD = 54, VMX_EXIT_XSETBV = 55, VMX_EXIT_VMFUNC = 59,
    VMX_EXIT_REASONS = 65,
};
/* VM-instruction errors (30.4). */
enum { VMXERR_ENTRY_INVALID_CONTROLS = 7, VMXERR_VMPTRLD_INVALID_ADDR = 9, VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS = 26 };

/* I/O exit qualification (table 27-5) and instruction information. */
#define VMX_IO_SIZE(q) (((q) & 7) + 1)
#define VMX_IO_PORT(q) (((q) >> 16) & 0xffff)
enum { VMX_IO_IN = 1 << 3, VMX_IO_STRING = 1 << 4, VMX_IO_REP = 1 << 5 };
#define VMX_INSN_ADDR_SIZE(i) (((i) >> 7) & 3) /* 0: 16-bit, 1: 32-bit, 2: 64-bit */
#define VMX_INSN_SEG(i) (((i) >> 15) & 7)

/* Interruption information: type in bits 10:8; what may be injected back. */
#define VMX_INTR_INJECTABLE 0x80000fffu
enum {
    VMX_INTR_TYPE_MASK = 7 << 8, VMX_INTR_TYPE_RESERVED = 1 << 8, VMX_INTR_TYPE_SW_EXC = 6 << 8,
    VMX_INTR_TYPE_OTHER = 7 << 8, VMX_AR_UNUSABLE = 1 << 16, /* segment access rights beyond the descriptor's bits 40-47 */
};

/* MSR bitmap: reads of 0..0x1fff, reads of 0xc0000000..0xc0001fff, then
 * the writes in the same order. */
enum { VMX_MSR_INDEX_MASK = 0x1fff, VMX_MSR_BITMAP_HIGH = 1024, VMX_MSR_BITMAP_WRITE = 2048 };
#define VMX_MSR_HIGH_BASE 0xc0000000u

/* ---- EPT (28.3) ---- */
enum {
    EPT_READ = 1 << 0, EPT_WRITE = 1 << 1, EPT_EXEC = 1 << 2, EPT_IGNORE_PAT = 1 << 6,
    EPT_MEMTYPE_SHIFT = 3, EPT_MEMTYPE_UC = 0, EPT_MEMTYPE_WC = 1, EPT_MEMTYPE_WB = 6, EPTP_WALK_LENGTH_4 = 3 << 3,
    EPT_VIOL_ACCESS = 7,         /* read, write, fetch: DJ_VMMEM_* order */
    EPT_VIOL_PRESENT = 7 << 3,   /* the page was readable, writable or executable */
    INVEPT_SINGLE_CONTEXT = 1, INVEPT_ALL_CONTEXT = 2, INVVPID_ALL_CONTEXT = 2,
};

/* ---- Instructions: true on success (CF = ZF = 0) ---- */
#define VMX_INSN_PA(insn)                                                                  \
    static inline bool vmx_##insn(uint64_t pa)                                             \
    {                                                                                      \
        bool ok;                                                                           \
        __asm__ volatile(#insn " %1" : "=@cca"(ok) : "m"(pa) : "cc", "memory");           \
        return ok;                                                                         \
    }
VMX_INSN_PA(vmxon)
VMX_INSN_PA(vmclear)
VMX_INSN_PA(vmptrld)

static inline void vmwrite(uint64_t field, uint64_t value)
{
    __asm__ volatile("vmwrite %1, %0" ::"r"(field), "rm"(value) : "cc", "memory");
}
static inline uint64_t vmread(uint64_t field)
{
    uint64_t value;
    __asm__ volatile("vmread %1, %0" : "=r"(value) : "r"(field) : "cc", "memory");
    return value;
}
/* INVEPT (descriptor: EPTP) and INVVPID (descriptor: VPID, address). */
static inline void vmx_invalidate(bool ept, uint64_t type, uint64_t desc0)
{
    struct { uint64_t d0, d1; } desc = {desc0, 0};
    if (ept)
        __asm__ volatile("invept %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
    else
        __asm__ volatile("invvpid %0, %1" ::"m"(desc), "r"(type) : "cc", "memory");
}

/* Wanted control bits adjusted to a capability MSR: its low half holds
 * the bits that must be 1, its high half those that may be 1. */
static inline uint32_t vmx_adjust_controls(uint64_t cap, uint32_t want)
{
    return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}
