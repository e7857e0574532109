/* SPDX-License-Identifier: GPL-2.0-only */
/* The MMIO instruction decoder: SVM under QEMU reports only the guest-
 * physical address of an access that hit no RAM, not what the instruction
 * was, so the VMM reads the instruction at CS:RIP (walking the guest's
 * page tables), decodes it, performs the access on the device bus and
 * updates the guest's registers and RIP.
 *
 * Supported: what drivers use for MMIO (Linux's readX/writeX and its
 * config-space accessors): MOV (88 89 8A 8B C6 C7 A0-A3) and MOVZX/MOVSX
 * (0F B6 B7 BE BF); prefixes 66 67 F0 F2 F3, segment overrides and REX;
 * every ModRM form (16-bit, 32/64-bit with SIB, disp8/16/32,
 * RIP-relative). Anything else (ALU and TEST on memory, XCHG, string
 * instructions, ...) is VMM_DECODE_UNSUPPORTED: the VMM reports the
 * instruction's address and stops the guest (exits.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <donjon/abi.h>
#include "vmm.h"

#define VMM_INSN_MAX_LEN 15

enum vmm_decode_status {
    VMM_DECODE_OK = 0,
    VMM_DECODE_FETCH_FAULT,  /* the code bytes are not in guest RAM (unmapped page, MMIO, beyond RAM) */
    VMM_DECODE_UNSUPPORTED,  /* not an instruction this decoder emulates (or no memory operand) */
    VMM_DECODE_TOO_LONG,     /* more than 15 bytes: the CPU would raise #GP */
};

enum vmm_insn_kind {
    VMM_INSN_LOAD,      /* reg <- mem (MOV 8A 8B A0 A1) */
    VMM_INSN_STORE,     /* mem <- reg (MOV 88 89 A2 A3) */
    VMM_INSN_STORE_IMM, /* mem <- imm (MOV C6 C7) */
    VMM_INSN_MOVZX,     /* reg(dst_size) <- zero-extended mem */
    VMM_INSN_MOVSX,     /* reg(dst_size) <- sign-extended mem */
};

struct vmm_insn {
    enum vmm_insn_kind kind;
    unsigned size;        /* memory operand bytes: 1, 2, 4, 8 */
    unsigned dst_size;    /* MOVZX/MOVSX: register bytes; else = size */
    unsigned reg;         /* register operand, gpr[] index 0..15 */
    bool reg_high8;       /* reg names AH CH DH BH: bits 15:8 of gpr[reg] */
    bool has_imm;         /* the source is imm, not reg */
    uint64_t imm;         /* already sign-extended to size */
    unsigned addr_size;   /* 2, 4, 8 */
    unsigned len;         /* bytes: RIP advances by this */
};

/* The guest's code mode from CR0.PE, EFER.LMA, CS.L and CS.D, RFLAGS.VM:
 * default operand size 2, 4, or 8 for 64-bit mode. */
unsigned vmm_guest_code_bits(const struct dj_vcpu_state *s);

/* Translates the guest-linear address lin through the guest's own paging
 * into a guest-physical address: paging off, or 4- and 5-level long-mode
 * paging (what 64-bit Linux and the multiboot test kernels use; a guest
 * in 32-bit or PAE paging gets false). False too when an entry on the way
 * is not present or not in RAM. */
bool vmm_guest_translate(const struct vmm_ram *ram, const struct dj_vcpu_state *s, uint64_t lin, uint64_t *gpa);

/* Copies up to max code bytes at CS:RIP through the guest's paging;
 * stops at the first byte that is not in RAM. Returns how many it got. */
unsigned vmm_fetch_code(const struct vmm_ram *ram, const struct dj_vcpu_state *s, uint8_t *buf, unsigned max);
/* Fetches and decodes the instruction at CS:RIP. The state needs the MTD
 * groups RIP_RSP, RFLAGS, CR and SEG. */
enum vmm_decode_status vmm_decode(const struct vmm_ram *ram, const struct dj_vcpu_state *s, struct vmm_insn *out);
/* Decodes bytes already fetched (len of them) in the given code mode (16,
 * 32, 64). */
enum vmm_decode_status vmm_decode_bytes(const uint8_t *bytes, unsigned len, unsigned code_bits, struct vmm_insn *out);

/* Performs insn with its memory operand at gpa: the device access on
 * bus, a load's result into s->gpr, and RIP past the instruction. */
void vmm_insn_execute(const struct vmm_insn *insn, struct dj_vcpu_state *s, uint64_t gpa, struct vmm_bus *bus);

/* A short name for a status, for the VMM's error report. */
const char *vmm_decode_status_name(enum vmm_decode_status st);
