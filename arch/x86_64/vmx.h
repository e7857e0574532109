/* SPDX-License-Identifier: GPL-2.0-only */
/* Intel VMX (VT-x) architecture: capability MSRs, VMCS field encodings,
 * control bits, exit reasons, EPT entry format and the VMX instructions.
 * Source: Intel SDM vol. 3C (chapters 24-28 and appendices A-C). */
#pragma once
#include <stdbool.h>
#include <stdint.h>

/* ---- Capability and control MSRs (SDM appendix A) ---- */
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define FEATURE_CONTROL_LOCK (1ull << 0)
#define FEATURE_CONTROL_VMXON_IN_SMX (1ull << 1)
#define FEATURE_CONTROL_VMXON_OUTSIDE_SMX (1ull << 2)

#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_VMCS_ENUM 0x48a
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490
#define MSR_IA32_VMX_VMFUNC 0x491
#define MSR_IA32_VMX_PROCBASED_CTLS3 0x492

/* IA32_VMX_BASIC fields. */
#define VMX_BASIC_REVISION_MASK 0x7fffffffull
#define VMX_BASIC_REGION_SIZE(b) (((b) >> 32) & 0x1fff)
#define VMX_BASIC_PHYS_32BIT (1ull << 48)
#define VMX_BASIC_DUAL_MONITOR (1ull << 49)
#define VMX_BASIC_MEMTYPE(b) (((b) >> 50) & 0xf)
#define VMX_BASIC_INS_OUTS_INFO (1ull << 54)
#define VMX_BASIC_TRUE_CTLS (1ull << 55)
#define VMX_BASIC_NO_HW_ERRCODE_CHECK (1ull << 56)

/* IA32_VMX_MISC fields. */
#define VMX_MISC_PREEMPT_TIMER_RATE(m) ((m) & 0x1f)
#define VMX_MISC_STORE_LMA (1ull << 5)
#define VMX_MISC_ACTIVITY_HLT (1ull << 6)
#define VMX_MISC_ACTIVITY_SHUTDOWN (1ull << 7)
#define VMX_MISC_ACTIVITY_WAIT_SIPI (1ull << 8)
#define VMX_MISC_CR3_TARGETS(m) (((m) >> 16) & 0x1ff)
#define VMX_MISC_VMWRITE_ANY (1ull << 29)

/* IA32_VMX_EPT_VPID_CAP bits. */
#define VMX_EPT_CAP_EXEC_ONLY (1ull << 0)
#define VMX_EPT_CAP_WALK_4 (1ull << 6)
#define VMX_EPT_CAP_WALK_5 (1ull << 7)
#define VMX_EPT_CAP_MEMTYPE_UC (1ull << 8)
#define VMX_EPT_CAP_MEMTYPE_WB (1ull << 14)
#define VMX_EPT_CAP_2M_PAGES (1ull << 16)
#define VMX_EPT_CAP_1G_PAGES (1ull << 17)
#define VMX_EPT_CAP_INVEPT (1ull << 20)
#define VMX_EPT_CAP_AD_FLAGS (1ull << 21)
#define VMX_EPT_CAP_INVEPT_SINGLE (1ull << 25)
#define VMX_EPT_CAP_INVEPT_ALL (1ull << 26)
#define VMX_VPID_CAP_INVVPID (1ull << 32)
#define VMX_VPID_CAP_INVVPID_ADDR (1ull << 40)
#define VMX_VPID_CAP_INVVPID_SINGLE (1ull << 41)
#define VMX_VPID_CAP_INVVPID_ALL (1ull << 42)
#define VMX_VPID_CAP_INVVPID_SINGLE_NOGLOBAL (1ull << 43)

/* ---- VMCS field encodings (SDM appendix B) ---- */
/* 16-bit control fields */
#define VMCS_VPID 0x0000
#define VMCS_POSTED_INTR_NOTIFY_VECTOR 0x0002
#define VMCS_EPTP_INDEX 0x0004
/* 16-bit guest-state fields */
#define VMCS_GUEST_ES_SELECTOR 0x0800
#define VMCS_GUEST_CS_SELECTOR 0x0802
#define VMCS_GUEST_SS_SELECTOR 0x0804
#define VMCS_GUEST_DS_SELECTOR 0x0806
#define VMCS_GUEST_FS_SELECTOR 0x0808
#define VMCS_GUEST_GS_SELECTOR 0x080a
#define VMCS_GUEST_LDTR_SELECTOR 0x080c
#define VMCS_GUEST_TR_SELECTOR 0x080e
#define VMCS_GUEST_INTR_STATUS 0x0810
#define VMCS_GUEST_PML_INDEX 0x0812
/* 16-bit host-state fields */
#define VMCS_HOST_ES_SELECTOR 0x0c00
#define VMCS_HOST_CS_SELECTOR 0x0c02
#define VMCS_HOST_SS_SELECTOR 0x0c04
#define VMCS_HOST_DS_SELECTOR 0x0c06
#define VMCS_HOST_FS_SELECTOR 0x0c08
#define VMCS_HOST_GS_SELECTOR 0x0c0a
#define VMCS_HOST_TR_SELECTOR 0x0c0c
/* 64-bit control fields */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EXIT_MSR_STORE_ADDR 0x2006
#define VMCS_EXIT_MSR_LOAD_ADDR 0x2008
#define VMCS_ENTRY_MSR_LOAD_ADDR 0x200a
#define VMCS_EXECUTIVE_VMCS_PTR 0x200c
#define VMCS_PML_ADDRESS 0x200e
#define VMCS_TSC_OFFSET 0x2010
#define VMCS_VIRTUAL_APIC_ADDR 0x2012
#define VMCS_APIC_ACCESS_ADDR 0x2014
#define VMCS_POSTED_INTR_DESC_ADDR 0x2016
#define VMCS_VMFUNC_CONTROLS 0x2018
#define VMCS_EPT_POINTER 0x201a
#define VMCS_EOI_EXIT_BITMAP0 0x201c
#define VMCS_EOI_EXIT_BITMAP1 0x201e
#define VMCS_EOI_EXIT_BITMAP2 0x2020
#define VMCS_EOI_EXIT_BITMAP3 0x2022
#define VMCS_EPTP_LIST_ADDR 0x2024
#define VMCS_VMREAD_BITMAP 0x2026
#define VMCS_VMWRITE_BITMAP 0x2028
#define VMCS_VE_INFO_ADDR 0x202a
#define VMCS_XSS_EXITING_BITMAP 0x202c
#define VMCS_ENCLS_EXITING_BITMAP 0x202e
#define VMCS_TSC_MULTIPLIER 0x2032
/* 64-bit read-only data fields */
#define VMCS_GUEST_PHYSICAL_ADDRESS 0x2400
/* 64-bit guest-state fields */
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_IA32_DEBUGCTL 0x2802
#define VMCS_GUEST_IA32_PAT 0x2804
#define VMCS_GUEST_IA32_EFER 0x2806
#define VMCS_GUEST_IA32_PERF_GLOBAL_CTRL 0x2808
#define VMCS_GUEST_PDPTE0 0x280a
#define VMCS_GUEST_PDPTE1 0x280c
#define VMCS_GUEST_PDPTE2 0x280e
#define VMCS_GUEST_PDPTE3 0x2810
#define VMCS_GUEST_IA32_BNDCFGS 0x2812
/* 64-bit host-state fields */
#define VMCS_HOST_IA32_PAT 0x2c00
#define VMCS_HOST_IA32_EFER 0x2c02
#define VMCS_HOST_IA32_PERF_GLOBAL_CTRL 0x2c04
/* 32-bit control fields */
#define VMCS_PIN_BASED_CTLS 0x4000
#define VMCS_PROC_BASED_CTLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PF_ERROR_CODE_MASK 0x4006
#define VMCS_PF_ERROR_CODE_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CTLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CTLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR_CODE 0x4018
#define VMCS_ENTRY_INSTRUCTION_LEN 0x401a
#define VMCS_TPR_THRESHOLD 0x401c
#define VMCS_SECONDARY_PROC_BASED_CTLS 0x401e
#define VMCS_PLE_GAP 0x4020
#define VMCS_PLE_WINDOW 0x4022
/* 32-bit read-only data fields */
#define VMCS_VM_INSTRUCTION_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR_CODE 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR_CODE 0x440a
#define VMCS_EXIT_INSTRUCTION_LEN 0x440c
#define VMCS_EXIT_INSTRUCTION_INFO 0x440e
/* 32-bit guest-state fields */
#define VMCS_GUEST_ES_LIMIT 0x4800
#define VMCS_GUEST_CS_LIMIT 0x4802
#define VMCS_GUEST_SS_LIMIT 0x4804
#define VMCS_GUEST_DS_LIMIT 0x4806
#define VMCS_GUEST_FS_LIMIT 0x4808
#define VMCS_GUEST_GS_LIMIT 0x480a
#define VMCS_GUEST_LDTR_LIMIT 0x480c
#define VMCS_GUEST_TR_LIMIT 0x480e
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814
#define VMCS_GUEST_CS_AR 0x4816
#define VMCS_GUEST_SS_AR 0x4818
#define VMCS_GUEST_DS_AR 0x481a
#define VMCS_GUEST_FS_AR 0x481c
#define VMCS_GUEST_GS_AR 0x481e
#define VMCS_GUEST_LDTR_AR 0x4820
#define VMCS_GUEST_TR_AR 0x4822
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY_STATE 0x4826
#define VMCS_GUEST_SMBASE 0x4828
#define VMCS_GUEST_IA32_SYSENTER_CS 0x482a
#define VMCS_PREEMPTION_TIMER_VALUE 0x482e
/* 32-bit host-state field */
#define VMCS_HOST_IA32_SYSENTER_CS 0x4c00
/* Natural-width control fields */
#define VMCS_CR0_GUEST_HOST_MASK 0x6000
#define VMCS_CR4_GUEST_HOST_MASK 0x6002
#define VMCS_CR0_READ_SHADOW 0x6004
#define VMCS_CR4_READ_SHADOW 0x6006
#define VMCS_CR3_TARGET0 0x6008
#define VMCS_CR3_TARGET1 0x600a
#define VMCS_CR3_TARGET2 0x600c
#define VMCS_CR3_TARGET3 0x600e
/* Natural-width read-only data fields */
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_IO_RCX 0x6402
#define VMCS_IO_RSI 0x6404
#define VMCS_IO_RDI 0x6406
#define VMCS_IO_RIP 0x6408
#define VMCS_GUEST_LINEAR_ADDRESS 0x640a
/* Natural-width guest-state fields */
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806
#define VMCS_GUEST_CS_BASE 0x6808
#define VMCS_GUEST_SS_BASE 0x680a
#define VMCS_GUEST_DS_BASE 0x680c
#define VMCS_GUEST_FS_BASE 0x680e
#define VMCS_GUEST_GS_BASE 0x6810
#define VMCS_GUEST_LDTR_BASE 0x6812
#define VMCS_GUEST_TR_BASE 0x6814
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG_EXCEPTIONS 0x6822
#define VMCS_GUEST_IA32_SYSENTER_ESP 0x6824
#define VMCS_GUEST_IA32_SYSENTER_EIP 0x6826
/* Natural-width host-state fields */
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_IA32_SYSENTER_ESP 0x6c10
#define VMCS_HOST_IA32_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

/* ---- VM-execution, VM-exit and VM-entry controls (SDM 24.6-24.8) ---- */
/* Pin-based */
#define VMX_PIN_EXTINT_EXITING (1u << 0)
#define VMX_PIN_NMI_EXITING (1u << 3)
#define VMX_PIN_VIRTUAL_NMIS (1u << 5)
#define VMX_PIN_PREEMPTION_TIMER (1u << 6)
#define VMX_PIN_POSTED_INTERRUPTS (1u << 7)
/* Primary processor-based */
#define VMX_PROC_INTR_WINDOW_EXITING (1u << 2)
#define VMX_PROC_TSC_OFFSETTING (1u << 3)
#define VMX_PROC_HLT_EXITING (1u << 7)
#define VMX_PROC_INVLPG_EXITING (1u << 9)
#define VMX_PROC_MWAIT_EXITING (1u << 10)
#define VMX_PROC_RDPMC_EXITING (1u << 11)
#define VMX_PROC_RDTSC_EXITING (1u << 12)
#define VMX_PROC_CR3_LOAD_EXITING (1u << 15)
#define VMX_PROC_CR3_STORE_EXITING (1u << 16)
#define VMX_PROC_TERTIARY_CTLS (1u << 17)
#define VMX_PROC_CR8_LOAD_EXITING (1u << 19)
#define VMX_PROC_CR8_STORE_EXITING (1u << 20)
#define VMX_PROC_TPR_SHADOW (1u << 21)
#define VMX_PROC_NMI_WINDOW_EXITING (1u << 22)
#define VMX_PROC_MOV_DR_EXITING (1u << 23)
#define VMX_PROC_UNCOND_IO_EXITING (1u << 24)
#define VMX_PROC_USE_IO_BITMAPS (1u << 25)
#define VMX_PROC_MONITOR_TRAP_FLAG (1u << 27)
#define VMX_PROC_USE_MSR_BITMAPS (1u << 28)
#define VMX_PROC_MONITOR_EXITING (1u << 29)
#define VMX_PROC_PAUSE_EXITING (1u << 30)
#define VMX_PROC_SECONDARY_CTLS (1u << 31)
/* Secondary processor-based */
#define VMX_PROC2_VIRT_APIC_ACCESSES (1u << 0)
#define VMX_PROC2_ENABLE_EPT (1u << 1)
#define VMX_PROC2_DESC_TABLE_EXITING (1u << 2)
#define VMX_PROC2_ENABLE_RDTSCP (1u << 3)
#define VMX_PROC2_VIRT_X2APIC_MODE (1u << 4)
#define VMX_PROC2_ENABLE_VPID (1u << 5)
#define VMX_PROC2_WBINVD_EXITING (1u << 6)
#define VMX_PROC2_UNRESTRICTED_GUEST (1u << 7)
#define VMX_PROC2_APIC_REGISTER_VIRT (1u << 8)
#define VMX_PROC2_VIRT_INTR_DELIVERY (1u << 9)
#define VMX_PROC2_PAUSE_LOOP_EXITING (1u << 10)
#define VMX_PROC2_RDRAND_EXITING (1u << 11)
#define VMX_PROC2_ENABLE_INVPCID (1u << 12)
#define VMX_PROC2_ENABLE_VMFUNC (1u << 13)
#define VMX_PROC2_VMCS_SHADOWING (1u << 14)
#define VMX_PROC2_ENCLS_EXITING (1u << 15)
#define VMX_PROC2_RDSEED_EXITING (1u << 16)
#define VMX_PROC2_ENABLE_PML (1u << 17)
#define VMX_PROC2_EPT_VIOLATION_VE (1u << 18)
#define VMX_PROC2_CONCEAL_VMX_FROM_PT (1u << 19)
#define VMX_PROC2_ENABLE_XSAVES (1u << 20)
#define VMX_PROC2_MODE_BASED_EPT_EXEC (1u << 22)
#define VMX_PROC2_TSC_SCALING (1u << 25)
/* VM-exit */
#define VMX_EXITCTL_SAVE_DEBUG_CTLS (1u << 2)
#define VMX_EXITCTL_HOST_ADDR_SPACE_SIZE (1u << 9)
#define VMX_EXITCTL_LOAD_PERF_GLOBAL_CTRL (1u << 12)
#define VMX_EXITCTL_ACK_INTR_ON_EXIT (1u << 15)
#define VMX_EXITCTL_SAVE_IA32_PAT (1u << 18)
#define VMX_EXITCTL_LOAD_IA32_PAT (1u << 19)
#define VMX_EXITCTL_SAVE_IA32_EFER (1u << 20)
#define VMX_EXITCTL_LOAD_IA32_EFER (1u << 21)
#define VMX_EXITCTL_SAVE_PREEMPTION_TIMER (1u << 22)
#define VMX_EXITCTL_CLEAR_BNDCFGS (1u << 23)
/* VM-entry */
#define VMX_ENTRYCTL_LOAD_DEBUG_CTLS (1u << 2)
#define VMX_ENTRYCTL_IA32E_MODE_GUEST (1u << 9)
#define VMX_ENTRYCTL_TO_SMM (1u << 10)
#define VMX_ENTRYCTL_DEACT_DUAL_MONITOR (1u << 11)
#define VMX_ENTRYCTL_LOAD_PERF_GLOBAL_CTRL (1u << 13)
#define VMX_ENTRYCTL_LOAD_IA32_PAT (1u << 14)
#define VMX_ENTRYCTL_LOAD_IA32_EFER (1u << 15)
#define VMX_ENTRYCTL_LOAD_BNDCFGS (1u << 16)

/* ---- Exit reasons (SDM appendix C); bit 31 marks a failed VM entry ---- */
#define VMX_EXIT_REASON_BASIC(r) ((r) & 0xffff)
#define VMX_EXIT_REASON_ENTRY_FAILURE (1u << 31)
#define VMX_EXIT_EXCEPTION_NMI 0
#define VMX_EXIT_EXTERNAL_INTERRUPT 1
#define VMX_EXIT_TRIPLE_FAULT 2
#define VMX_EXIT_INIT 3
#define VMX_EXIT_SIPI 4
#define VMX_EXIT_IO_SMI 5
#define VMX_EXIT_OTHER_SMI 6
#define VMX_EXIT_INTERRUPT_WINDOW 7
#define VMX_EXIT_NMI_WINDOW 8
#define VMX_EXIT_TASK_SWITCH 9
#define VMX_EXIT_CPUID 10
#define VMX_EXIT_GETSEC 11
#define VMX_EXIT_HLT 12
#define VMX_EXIT_INVD 13
#define VMX_EXIT_INVLPG 14
#define VMX_EXIT_RDPMC 15
#define VMX_EXIT_RDTSC 16
#define VMX_EXIT_RSM 17
#define VMX_EXIT_VMCALL 18
#define VMX_EXIT_VMCLEAR 19
#define VMX_EXIT_VMLAUNCH 20
#define VMX_EXIT_VMPTRLD 21
#define VMX_EXIT_VMPTRST 22
#define VMX_EXIT_VMREAD 23
#define VMX_EXIT_VMRESUME 24
#define VMX_EXIT_VMWRITE 25
#define VMX_EXIT_VMXOFF 26
#define VMX_EXIT_VMXON 27
#define VMX_EXIT_CR_ACCESS 28
#define VMX_EXIT_DR_ACCESS 29
#define VMX_EXIT_IO_INSTRUCTION 30
#define VMX_EXIT_RDMSR 31
#define VMX_EXIT_WRMSR 32
#define VMX_EXIT_INVALID_GUEST_STATE 33
#define VMX_EXIT_MSR_LOADING 34
#define VMX_EXIT_MWAIT 36
#define VMX_EXIT_MONITOR_TRAP_FLAG 37
#define VMX_EXIT_MONITOR 39
#define VMX_EXIT_PAUSE 40
#define VMX_EXIT_MACHINE_CHECK 41
#define VMX_EXIT_TPR_BELOW_THRESHOLD 43
#define VMX_EXIT_APIC_ACCESS 44
#define VMX_EXIT_VIRTUALIZED_EOI 45
#define VMX_EXIT_GDTR_IDTR 46
#define VMX_EXIT_LDTR_TR 47
#define VMX_EXIT_EPT_VIOLATION 48
#define VMX_EXIT_EPT_MISCONFIG 49
#define VMX_EXIT_INVEPT 50
#define VMX_EXIT_RDTSCP 51
#define VMX_EXIT_PREEMPTION_TIMER 52
#define VMX_EXIT_INVVPID 53
#define VMX_EXIT_WBINVD 54
#define VMX_EXIT_XSETBV 55
#define VMX_EXIT_APIC_WRITE 56
#define VMX_EXIT_RDRAND 57
#define VMX_EXIT_INVPCID 58
#define VMX_EXIT_VMFUNC 59
#define VMX_EXIT_ENCLS 60
#define VMX_EXIT_RDSEED 61
#define VMX_EXIT_PML_FULL 62
#define VMX_EXIT_XSAVES 63
#define VMX_EXIT_XRSTORS 64

/* Exit qualification of I/O instructions (SDM table 27-5). */
#define VMX_IO_QUAL_SIZE(q) (((q) & 7) + 1) /* bytes: 1, 2 or 4 */
#define VMX_IO_QUAL_IN (1ull << 3)          /* 0 = OUT, 1 = IN */
#define VMX_IO_QUAL_STRING (1ull << 4)
#define VMX_IO_QUAL_REP (1ull << 5)
#define VMX_IO_QUAL_IMMEDIATE (1ull << 6) /* port in the instruction, not DX */
#define VMX_IO_QUAL_PORT(q) (((q) >> 16) & 0xffff)

/* VM-instruction error numbers (SDM 30.4). */
#define VMXERR_VMCALL_IN_ROOT 1
#define VMXERR_VMCLEAR_INVALID_ADDR 2
#define VMXERR_VMCLEAR_VMXON_PTR 3
#define VMXERR_VMLAUNCH_NOT_CLEAR 4
#define VMXERR_VMRESUME_NOT_LAUNCHED 5
#define VMXERR_VMRESUME_AFTER_VMXOFF 6
#define VMXERR_ENTRY_INVALID_CONTROLS 7
#define VMXERR_ENTRY_INVALID_HOST_STATE 8
#define VMXERR_VMPTRLD_INVALID_ADDR 9
#define VMXERR_VMPTRLD_VMXON_PTR 10
#define VMXERR_VMPTRLD_BAD_REVISION 11
#define VMXERR_UNSUPPORTED_FIELD 12
#define VMXERR_VMWRITE_READ_ONLY 13
#define VMXERR_VMXON_IN_ROOT 15
#define VMXERR_ENTRY_EVENTS_BLOCKED_BY_MOV_SS 26
#define VMXERR_INVALID_INVEPT_INVVPID_OPERAND 28

/* Guest segment access rights (VMCS format: descriptor bits 40-55). */
#define VMX_AR_TYPE(t) ((t) & 0xf)
#define VMX_AR_S (1u << 4) /* code or data (not system) */
#define VMX_AR_DPL(d) (((d) & 3) << 5)
#define VMX_AR_P (1u << 7)
#define VMX_AR_AVL (1u << 12)
#define VMX_AR_L (1u << 13)
#define VMX_AR_DB (1u << 14)
#define VMX_AR_G (1u << 15)
#define VMX_AR_UNUSABLE (1u << 16)
#define X86_SEG_TYPE_DATA_RW_ACCESSED 0x3
#define X86_SEG_TYPE_CODE_RX_ACCESSED 0xb
#define X86_SEG_TYPE_LDT 0x2
#define X86_SEG_TYPE_TSS16_BUSY 0x3
#define X86_SEG_TYPE_TSS_BUSY 0xb /* 32-/64-bit busy TSS */

/* Guest activity states. */
#define VMX_ACTIVITY_ACTIVE 0
#define VMX_ACTIVITY_HLT 1
#define VMX_ACTIVITY_SHUTDOWN 2
#define VMX_ACTIVITY_WAIT_SIPI 3

/* ---- EPT (SDM 28.3) ---- */
#define EPT_READ (1ull << 0)
#define EPT_WRITE (1ull << 1)
#define EPT_EXEC (1ull << 2)
#define EPT_RWX (EPT_READ | EPT_WRITE | EPT_EXEC)
#define EPT_MEMTYPE_SHIFT 3 /* leaf entries: bits 5:3 */
#define EPT_MEMTYPE_UC 0ull
#define EPT_MEMTYPE_WC 1ull
#define EPT_MEMTYPE_WB 6ull
#define EPT_IGNORE_PAT (1ull << 6)
#define EPT_LARGE (1ull << 7)
#define EPT_ACCESSED (1ull << 8)
#define EPT_DIRTY (1ull << 9)
#define EPT_ADDR_MASK 0x000ffffffffff000ull
/* EPT pointer: memory type in bits 2:0, walk length - 1 in bits 5:3. */
#define EPTP_MEMTYPE_UC 0ull
#define EPTP_MEMTYPE_WB 6ull
#define EPTP_WALK_LENGTH_4 (3ull << 3)
#define EPTP_AD_ENABLE (1ull << 6)
/* INVEPT / INVVPID types. */
#define INVEPT_SINGLE_CONTEXT 1
#define INVEPT_ALL_CONTEXT 2
#define INVVPID_ADDRESS 0
#define INVVPID_SINGLE_CONTEXT 1
#define INVVPID_ALL_CONTEXT 2

/* EPT violation exit qualification bits. */
#define EPT_VIOL_READ (1ull << 0)
#define EPT_VIOL_WRITE (1ull << 1)
#define EPT_VIOL_FETCH (1ull << 2)
#define EPT_VIOL_PRESENT (7ull << 3) /* the page was readable, writable or executable */
#define EPT_VIOL_GLA_VALID (1ull << 7)

/* Interruption information (exit, IDT vectoring, entry): type in bits 10:8;
 * what an entry may inject back of an IDT-vectoring record. */
#define VMX_INTR_TYPE_MASK (7u << 8)
#define VMX_INTR_INFO_INJECTABLE 0x80000fffu

/* MSR bitmap: read bitmaps for MSRs 0..0x1fff and 0xc0000000..0xc0001fff,
 * then the write bitmaps in the same order. */
#define VMX_MSR_HIGH_BASE 0xc0000000u
#define VMX_MSR_INDEX_MASK 0x1fffu
#define VMX_MSR_BITMAP_HIGH 1024
#define VMX_MSR_BITMAP_WRITE 2048
/* MSRs the backend switches through the VM-entry/exit MSR areas. */
#define VMX_SWITCHED_MSRS 5
#define MSR_IA32_SYSENTER_CS 0x174
#define MSR_IA32_SYSENTER_ESP 0x175
#define MSR_IA32_SYSENTER_EIP 0x176
#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
#define XCR0_AVX512_ALL (7ull << 5) /* opmask, ZMM_Hi256, Hi16_ZMM: all or none */

/* ---- VMX instructions. Each returns true on success (CF = ZF = 0);
 * on VMfailValid read VMCS_VM_INSTRUCTION_ERROR for the reason. ---- */
static inline bool vmx_vmxon(uint64_t region_pa)
{
    bool ok;
    __asm__ volatile("vmxon %1" : "=@cca"(ok) : "m"(region_pa) : "cc", "memory");
    return ok;
}
static inline bool vmx_vmxoff(void)
{
    bool ok;
    __asm__ volatile("vmxoff" : "=@cca"(ok)::"cc", "memory");
    return ok;
}
static inline bool vmx_vmclear(uint64_t vmcs_pa)
{
    bool ok;
    __asm__ volatile("vmclear %1" : "=@cca"(ok) : "m"(vmcs_pa) : "cc", "memory");
    return ok;
}
static inline bool vmx_vmptrld(uint64_t vmcs_pa)
{
    bool ok;
    __asm__ volatile("vmptrld %1" : "=@cca"(ok) : "m"(vmcs_pa) : "cc", "memory");
    return ok;
}
static inline bool vmx_vmwrite(uint64_t field, uint64_t value)
{
    bool ok;
    __asm__ volatile("vmwrite %2, %1" : "=@cca"(ok) : "r"(field), "rm"(value) : "cc", "memory");
    return ok;
}
static inline uint64_t vmx_vmread(uint64_t field)
{
    uint64_t value = 0;
    __asm__ volatile("vmread %1, %0" : "+r"(value) : "r"(field) : "cc", "memory");
    return value;
}
static inline bool vmx_invept(uint64_t type, uint64_t eptp)
{
    struct { uint64_t eptp, reserved; } desc = {eptp, 0};
    bool ok;
    __asm__ volatile("invept %1, %2" : "=@cca"(ok) : "m"(desc), "r"(type) : "cc", "memory");
    return ok;
}
static inline bool vmx_invvpid(uint64_t type, uint16_t vpid, uint64_t gla)
{
    struct { uint64_t vpid, gla; } desc = {vpid, gla};
    bool ok;
    __asm__ volatile("invvpid %1, %2" : "=@cca"(ok) : "m"(desc), "r"(type) : "cc", "memory");
    return ok;
}

/* Adjust wanted control bits to a capability MSR: the low half holds the
 * allowed-0 settings (bits that must be 1), the high half the allowed-1
 * settings (bits that may be 1). */
static inline uint32_t vmx_adjust_controls(uint64_t cap, uint32_t want)
{
    return (want | (uint32_t)cap) & (uint32_t)(cap >> 32);
}

/* The backend's entry points beyond virt.h's vmx_* (which take the
 * guest-physical root and I/O permission map from the VM PD): the same
 * with the pages, the root and the map given, for the in-kernel test. */
struct page_source;
struct vcpu_hw;
struct vcpu_hw *vmx_vcpu_create_at(const struct page_source *pages, uint64_t gpt_root_pa, uint64_t iopm_pa,
                                   int *status);
void vmx_vcpu_destroy_at(const struct page_source *pages, struct vcpu_hw *v);
