/* SPDX-License-Identifier: GPL-2.0-only */
/* The MMIO instruction decoder and emulator (decode.h). */
#include "decode.h"
#include "common/string.h"

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define RFLAGS_CF (1ull << 0)
#define RFLAGS_PF (1ull << 2)
#define RFLAGS_AF (1ull << 4)
#define RFLAGS_ZF (1ull << 6)
#define RFLAGS_SF (1ull << 7)
#define RFLAGS_DF (1ull << 10)
#define RFLAGS_OF (1ull << 11)
#define RFLAGS_VM (1ull << 17)
#define RFLAGS_ARITH (RFLAGS_CF | RFLAGS_PF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | RFLAGS_OF)
#define SEG_AR_L (1u << 9)
#define SEG_AR_DB (1u << 10)

#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull
#define PAGE_SIZE 4096ull
#define CR3_PAE_PDPT 0xffffffe0ull
#define PSE36_LOW_SHIFT 13 /* PDE bits 20:13 hold physical bits 39:32 of a 4 MiB page */

#define REX_W 8
#define REX_R 4

unsigned vmm_guest_code_bits(const struct dj_vcpu_state *s)
{
    if (!(s->cr0 & CR0_PE) || (s->rflags & RFLAGS_VM))
        return 16;
    if ((s->efer & EFER_LMA) && (s->cs.ar & SEG_AR_L))
        return 64;
    return (s->cs.ar & SEG_AR_DB) ? 32 : 16;
}

/* ---- Guest page walk ---------------------------------------------------- */

static bool read_entry(const struct vmm_ram *ram, uint64_t gpa, unsigned bytes, uint64_t *entry)
{
    const uint8_t *p = vmm_gpa_ptr(ram, gpa, bytes);
    if (!p)
        return false;
    uint64_t v = 0;
    memcpy(&v, p, bytes); /* x86 is little-endian, as is the guest */
    *entry = v;
    return true;
}

/* 4- or 5-level long-mode paging and the two lower levels of PAE: 8-byte
 * entries, 9 index bits a level, large pages at the levels that allow them. */
static bool walk_8byte(const struct vmm_ram *ram, uint64_t table, unsigned levels, uint64_t lin, uint64_t *gpa)
{
    for (unsigned level = levels; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t e;
        if (!read_entry(ram, (table & PTE_ADDR) + ((lin >> shift) & 511) * 8, 8, &e) || !(e & PTE_P))
            return false;
        if (level == 1 || ((e & PTE_PS) && level <= 3)) {
            uint64_t page_mask = (1ull << shift) - 1;
            *gpa = (e & PTE_ADDR & ~page_mask) | (lin & page_mask);
            return true;
        }
        table = e;
    }
    return false;
}

static bool walk_32bit(const struct vmm_ram *ram, const struct dj_vcpu_state *s, uint64_t lin, uint64_t *gpa)
{
    uint64_t pde, pte;
    if (!read_entry(ram, (s->cr3 & 0xfffff000u) + ((lin >> 22) & 1023) * 4, 4, &pde) || !(pde & PTE_P))
        return false;
    if ((pde & PTE_PS) && (s->cr4 & CR4_PSE)) {
        uint64_t high = ((pde >> PSE36_LOW_SHIFT) & 0xff) << 32;
        *gpa = high | (pde & 0xffc00000u) | (lin & 0x3fffff);
        return true;
    }
    if (!read_entry(ram, (pde & 0xfffff000u) + ((lin >> 12) & 1023) * 4, 4, &pte) || !(pte & PTE_P))
        return false;
    *gpa = (pte & 0xfffff000u) | (lin & 0xfff);
    return true;
}

bool vmm_guest_translate(const struct vmm_ram *ram, const struct dj_vcpu_state *s, uint64_t lin, uint64_t *gpa)
{
    if (s->efer & EFER_LMA)
        return walk_8byte(ram, s->cr3, (s->cr4 & CR4_LA57) ? 5 : 4, lin, gpa);
    lin &= 0xffffffffu;
    if (!(s->cr0 & CR0_PG)) {
        *gpa = lin;
        return true;
    }
    if (!(s->cr4 & CR4_PAE))
        return walk_32bit(ram, s, lin, gpa);
    uint64_t pdpte;
    if (!read_entry(ram, (s->cr3 & CR3_PAE_PDPT) + ((lin >> 30) & 3) * 8, 8, &pdpte) || !(pdpte & PTE_P))
        return false;
    return walk_8byte(ram, pdpte, 2, lin, gpa);
}

/* ---- Instruction fetch -------------------------------------------------- */

/* Copies up to max code bytes at CS:RIP, page by page; stops at the first
 * byte that is not in RAM. Returns how many it got. */
static unsigned fetch_code(const struct vmm_ram *ram, const struct dj_vcpu_state *s, uint8_t *buf, unsigned max)
{
    unsigned bits = vmm_guest_code_bits(s);
    uint64_t lin = bits == 64 ? s->rip : s->cs.base + (bits == 16 ? (s->rip & 0xffff) : (s->rip & 0xffffffffu));
    unsigned got = 0;
    while (got < max) {
        uint64_t gpa;
        if (!vmm_guest_translate(ram, s, lin + got, &gpa))
            break;
        unsigned chunk = PAGE_SIZE - (gpa & (PAGE_SIZE - 1));
        if (chunk > max - got)
            chunk = max - got;
        const uint8_t *p = vmm_gpa_ptr(ram, gpa, chunk);
        if (!p)
            break;
        memcpy(buf + got, p, chunk);
        got += chunk;
    }
    return got;
}

/* ---- Decoding ----------------------------------------------------------- */

struct cursor {
    const uint8_t *b;
    unsigned len, pos;
    bool short_input; /* ran past the bytes we have */
};

static uint8_t next_byte(struct cursor *c)
{
    if (c->pos >= c->len) {
        c->short_input = true;
        c->pos++;
        return 0;
    }
    return c->b[c->pos++];
}

static uint64_t next_imm(struct cursor *c, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)next_byte(c) << (8 * i);
    return v;
}

static uint64_t sign_extend(uint64_t v, unsigned from_bytes)
{
    if (from_bytes >= 8)
        return v;
    unsigned shift = 64 - 8 * from_bytes;
    return (uint64_t)((int64_t)(v << shift) >> shift);
}

static uint64_t size_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

/* Skips the ModRM memory operand's SIB and displacement. False for a
 * register operand (mod 3): then nothing touched memory. */
static bool skip_modrm_memory(struct cursor *c, uint8_t modrm, unsigned addr_size)
{
    unsigned mod = modrm >> 6, rm = modrm & 7;
    if (mod == 3)
        return false;
    if (addr_size == 2) {
        if (mod == 1)
            c->pos += 1;
        else if (mod == 2 || (mod == 0 && rm == 6))
            c->pos += 2;
        return true;
    }
    if (rm == 4) {
        uint8_t sib = next_byte(c);
        if (mod == 0 && (sib & 7) == 5)
            c->pos += 4;
    } else if (mod == 0 && rm == 5) {
        c->pos += 4; /* disp32, RIP-relative in 64-bit mode */
    }
    if (mod == 1)
        c->pos += 1;
    else if (mod == 2)
        c->pos += 4;
    return true;
}

struct prefixes {
    bool opsize, addrsize, rep;
    uint8_t rex;
    unsigned seg;
};

enum { SEG_ES, SEG_CS, SEG_SS, SEG_DS, SEG_FS, SEG_GS }; /* as in vmm_insn.seg */

static void read_prefixes(struct cursor *c, unsigned code_bits, struct prefixes *p)
{
    memset(p, 0, sizeof *p);
    p->seg = SEG_DS;
    for (;;) {
        uint8_t b = next_byte(c);
        if (c->short_input)
            return;
        switch (b) {
        case 0x66: p->opsize = true; break;
        case 0x67: p->addrsize = true; break;
        case 0xf2: case 0xf3: p->rep = true; break;
        case 0x26: case 0x2e: case 0x36: case 0x3e: p->seg = (b >> 3) & 3; break; /* ES CS SS DS */
        case 0x64: case 0x65: p->seg = SEG_FS + (b & 1); break;
        case 0xf0: break; /* LOCK */
        default:
            if (code_bits == 64 && (b & 0xf0) == 0x40) {
                p->rex = b;
                continue;
            }
            c->pos--; /* the opcode */
            return;
        }
        p->rex = 0; /* a REX counts only right before the opcode */
    }
}

/* The register operand from ModRM.reg (REX.R extends it). Without any REX
 * byte, 8-bit registers 4..7 are AH CH DH BH. */
static void set_reg_operand(struct vmm_insn *insn, unsigned reg_field, const struct prefixes *p, unsigned reg_size)
{
    unsigned reg = reg_field | ((p->rex & REX_R) ? 8 : 0);
    if (reg_size == 1 && !p->rex && reg >= 4 && reg < 8) {
        insn->reg = reg - 4;
        insn->reg_high8 = true;
    } else {
        insn->reg = reg;
    }
}

/* Decodes the opcode (after prefixes) into insn; false if unsupported. */
static bool decode_opcode(struct cursor *c, const struct prefixes *p, unsigned opsize, struct vmm_insn *insn)
{
    uint8_t op = next_byte(c);
    if (op == 0x0f) { /* two-byte opcodes: only MOVZX and MOVSX */
        op = next_byte(c);
        if (op != 0xb6 && op != 0xb7 && op != 0xbe && op != 0xbf)
            return false;
        insn->kind = (op & 0x08) ? VMM_INSN_MOVSX : VMM_INSN_MOVZX;
        insn->size = (op & 1) ? 2 : 1;
        insn->dst_size = opsize;
        uint8_t modrm = next_byte(c);
        set_reg_operand(insn, (modrm >> 3) & 7, p, opsize);
        return skip_modrm_memory(c, modrm, insn->addr_size);
    }

    if (op >= 0xa0 && op <= 0xa3) { /* MOV with a moffs: the address is in the instruction */
        insn->kind = (op & 2) ? VMM_INSN_STORE : VMM_INSN_LOAD;
        insn->size = (op & 1) ? opsize : 1;
        insn->reg = 0;
        c->pos += insn->addr_size;
        return true;
    }
    if (op == 0xaa || op == 0xab || op == 0xa4 || op == 0xa5) {
        insn->kind = op >= 0xaa ? VMM_INSN_STOS : VMM_INSN_MOVS;
        insn->size = (op & 1) ? opsize : 1;
        insn->reg = 0;
        insn->rep = p->rep;
        insn->seg = p->seg;
        return true;
    }

    /* Everything else has a ModRM byte. */
    bool byte_op;
    uint8_t modrm;
    if (op < 0x40 && (op & 7) < 4) { /* ALU r/m, r and r, r/m */
        byte_op = !(op & 1);
        insn->alu = (enum vmm_alu_op)(op >> 3);
        insn->kind = (op & 2) ? VMM_INSN_ALU_REG : VMM_INSN_ALU_MEM;
    } else if (op == 0x80 || op == 0x81 || op == 0x83) {
        byte_op = op == 0x80;
        insn->kind = VMM_INSN_ALU_MEM;
        insn->has_imm = true;
    } else if (op >= 0x84 && op <= 0x87) {
        byte_op = !(op & 1);
        insn->kind = op <= 0x85 ? VMM_INSN_TEST : VMM_INSN_XCHG;
    } else if (op >= 0x88 && op <= 0x8b) {
        byte_op = !(op & 1);
        insn->kind = (op & 2) ? VMM_INSN_LOAD : VMM_INSN_STORE;
    } else if (op == 0xc6 || op == 0xc7 || op == 0xf6 || op == 0xf7) {
        byte_op = !(op & 1);
        insn->kind = op >= 0xf6 ? VMM_INSN_TEST : VMM_INSN_STORE_IMM;
        insn->has_imm = true;
    } else {
        return false;
    }
    insn->size = byte_op ? 1 : opsize;
    insn->dst_size = insn->size;
    modrm = next_byte(c);
    unsigned reg_field = (modrm >> 3) & 7;
    if (insn->has_imm) {
        if (op >= 0x80 && op <= 0x83)
            insn->alu = (enum vmm_alu_op)reg_field;
        else if (reg_field != 0) /* C6/C7 /0 is MOV; F6/F7 /0 TEST; the rest are other instructions */
            return false;
    } else {
        set_reg_operand(insn, reg_field, p, insn->size);
    }
    if (!skip_modrm_memory(c, modrm, insn->addr_size))
        return false;
    if (insn->has_imm) {
        unsigned imm_bytes = op == 0x83 ? 1 : insn->size >= 4 ? 4 : insn->size; /* imm64 only for MOV r64 */
        insn->imm = sign_extend(next_imm(c, imm_bytes), imm_bytes) & size_mask(insn->size);
    }
    return true;
}

enum vmm_decode_status vmm_decode_bytes(const uint8_t *bytes, unsigned len, unsigned code_bits, struct vmm_insn *out)
{
    memset(out, 0, sizeof *out);
    struct cursor c = { .b = bytes, .len = len };
    struct prefixes p;
    read_prefixes(&c, code_bits, &p);

    unsigned opsize, addr_size;
    if (code_bits == 64) {
        opsize = (p.rex & REX_W) ? 8 : p.opsize ? 2 : 4;
        addr_size = p.addrsize ? 4 : 8;
    } else {
        bool d32 = code_bits == 32;
        opsize = (d32 != p.opsize) ? 4 : 2;
        addr_size = (d32 != p.addrsize) ? 4 : 2;
    }
    out->addr_size = addr_size;
    bool ok = !c.short_input && decode_opcode(&c, &p, opsize, out);
    if (c.pos > VMM_INSN_MAX_LEN)
        return VMM_DECODE_TOO_LONG;
    if (c.short_input || c.pos > len)
        return VMM_DECODE_FETCH_FAULT;
    if (!ok)
        return VMM_DECODE_UNSUPPORTED;
    if (out->dst_size == 0)
        out->dst_size = out->size;
    out->len = c.pos;
    return VMM_DECODE_OK;
}

static const struct dj_vm_seg *segment(const struct dj_vcpu_state *s, unsigned seg)
{
    const struct dj_vm_seg *in_prefix_order[] = { &s->es, &s->cs, &s->ss, &s->ds, &s->fs, &s->gs };
    return in_prefix_order[seg];
}

/* One string operand: seg:reg through the guest's paging; its element
 * must not cross a page (we copy element by element within one page). */
static enum vmm_decode_status resolve_operand(const struct vmm_ram *ram, const struct dj_vcpu_state *s,
                                              const struct vmm_insn *insn, unsigned seg, unsigned reg,
                                              struct vmm_string_operand *op)
{
    bool long_mode = vmm_guest_code_bits(s) == 64;
    uint64_t offset = s->gpr[reg] & size_mask(insn->addr_size);
    /* In 64-bit mode only FS and GS have a base. */
    uint64_t base = (long_mode && seg != SEG_FS && seg != SEG_GS) ? 0 : segment(s, seg)->base;
    uint64_t lin = base + offset;
    if (!long_mode)
        lin &= 0xffffffffu;
    if ((lin & (PAGE_SIZE - 1)) + insn->size > PAGE_SIZE)
        return VMM_DECODE_UNSUPPORTED;
    if (!vmm_guest_translate(ram, s, lin, &op->gpa))
        return VMM_DECODE_FETCH_FAULT;
    op->page = vmm_gpa_ptr(ram, op->gpa & ~(PAGE_SIZE - 1), PAGE_SIZE);
    return VMM_DECODE_OK;
}

enum vmm_decode_status vmm_decode(const struct vmm_ram *ram, const struct dj_vcpu_state *s, struct vmm_insn *out)
{
    uint8_t buf[VMM_INSN_MAX_LEN];
    unsigned got = fetch_code(ram, s, buf, sizeof buf);
    enum vmm_decode_status st = vmm_decode_bytes(buf, got, vmm_guest_code_bits(s), out);
    /* Fewer than 15 bytes is fine as long as the instruction fits in them. */
    if (st == VMM_DECODE_TOO_LONG && got < sizeof buf)
        return VMM_DECODE_FETCH_FAULT;
    if (st != VMM_DECODE_OK || out->kind != VMM_INSN_MOVS)
        return st;
    st = resolve_operand(ram, s, out, out->seg, 6 /* rSI */, &out->src);
    if (st == VMM_DECODE_OK)
        st = resolve_operand(ram, s, out, SEG_ES, 7 /* rDI */, &out->dst);
    out->resolved = st == VMM_DECODE_OK;
    return st;
}

const char *vmm_decode_status_name(enum vmm_decode_status st)
{
    static const char *const names[] = {
        [VMM_DECODE_OK] = "ok", [VMM_DECODE_FETCH_FAULT] = "code not in guest RAM",
        [VMM_DECODE_UNSUPPORTED] = "unsupported instruction", [VMM_DECODE_TOO_LONG] = "instruction longer than 15 bytes",
    };
    return (unsigned)st < sizeof names / sizeof names[0] ? names[st] : "?";
}

/* ---- Emulation ---------------------------------------------------------- */

static uint64_t get_reg(const struct dj_vcpu_state *s, unsigned reg, bool high8, unsigned size)
{
    if (high8)
        return (s->gpr[reg] >> 8) & 0xff;
    return s->gpr[reg] & size_mask(size);
}

/* Register writes as the CPU does them: 32-bit results clear bits 63:32,
 * 8- and 16-bit ones keep the rest. */
static void set_reg(struct dj_vcpu_state *s, unsigned reg, bool high8, unsigned size, uint64_t v)
{
    if (high8)
        s->gpr[reg] = (s->gpr[reg] & ~0xff00ull) | ((v & 0xff) << 8);
    else if (size >= 4)
        s->gpr[reg] = v & size_mask(size);
    else
        s->gpr[reg] = (s->gpr[reg] & ~size_mask(size)) | (v & size_mask(size));
}

/* The ALU result and RFLAGS' arithmetic bits as the CPU sets them (AF is
 * undefined for the logic operations: the CPU we model clears it). */
static uint64_t alu(enum vmm_alu_op op, uint64_t a, uint64_t b, unsigned size, uint64_t *rflags)
{
    uint64_t mask = size_mask(size), sign = 1ull << (8 * size - 1);
    uint64_t carry_in = (*rflags & RFLAGS_CF) ? 1 : 0;
    uint64_t r, flags = 0;
    a &= mask;
    b &= mask;
    switch (op) {
    case VMM_ALU_ADD: case VMM_ALU_ADC: {
        uint64_t c = op == VMM_ALU_ADC ? carry_in : 0;
        r = (a + b + c) & mask;
        if (r < a || (c && r == a))
            flags |= RFLAGS_CF;
        if (~(a ^ b) & (a ^ r) & sign)
            flags |= RFLAGS_OF;
        break;
    }
    case VMM_ALU_SUB: case VMM_ALU_SBB: case VMM_ALU_CMP: {
        uint64_t c = op == VMM_ALU_SBB ? carry_in : 0;
        r = (a - b - c) & mask;
        if (a < b || (c && a == b))
            flags |= RFLAGS_CF;
        if ((a ^ b) & (a ^ r) & sign)
            flags |= RFLAGS_OF;
        break;
    }
    case VMM_ALU_OR: r = a | b; break;
    case VMM_ALU_XOR: r = a ^ b; break;
    case VMM_ALU_AND: default: r = a & b; break;
    }
    if (op != VMM_ALU_OR && op != VMM_ALU_XOR && op != VMM_ALU_AND && ((a ^ b ^ r) & 0x10))
        flags |= RFLAGS_AF;
    if (r == 0)
        flags |= RFLAGS_ZF;
    if (r & sign)
        flags |= RFLAGS_SF;
    if (!__builtin_parity((unsigned)(r & 0xff))) /* PF: even parity of the low byte */
        flags |= RFLAGS_PF;
    *rflags = (*rflags & ~RFLAGS_ARITH) | flags;
    return r;
}

static uint64_t source_operand(const struct vmm_insn *insn, const struct dj_vcpu_state *s)
{
    return insn->has_imm ? insn->imm : get_reg(s, insn->reg, insn->reg_high8, insn->size);
}

/* ---- String instructions ------------------------------------------------
 * rSI, rDI and rCX count in the address size. A REP form does as many
 * elements as stay inside the current page of each operand (the pages
 * the exit and the decoder resolved); the guest repeats the rest. */

/* Elements from gpa on, in the direction of step, that lie wholly in gpa's page. */
static uint64_t elements_in_page(uint64_t gpa, unsigned size, bool down)
{
    uint64_t in_page = gpa & (PAGE_SIZE - 1);
    if (in_page + size > PAGE_SIZE)
        return 1; /* one element across the boundary: one device access */
    return down ? in_page / size + 1 : (PAGE_SIZE - size - in_page) / size + 1;
}

static uint64_t operand_read(const struct vmm_string_operand *op, uint64_t gpa, unsigned size,
                             const struct vmm_mem_access *mem)
{
    if (!op->page)
        return mem->read(mem->ctx, gpa, size);
    uint64_t v = 0;
    memcpy(&v, op->page + (gpa & (PAGE_SIZE - 1)), size);
    return v;
}

static void operand_write(const struct vmm_string_operand *op, uint64_t gpa, unsigned size, uint64_t v,
                          const struct vmm_mem_access *mem)
{
    if (!op->page)
        mem->write(mem->ctx, gpa, size, v);
    else
        memcpy(op->page + (gpa & (PAGE_SIZE - 1)), &v, size);
}

static void advance_index(struct dj_vcpu_state *s, unsigned reg, const struct vmm_insn *insn, uint64_t n, bool down)
{
    uint64_t amask = size_mask(insn->addr_size), delta = n * insn->size;
    uint64_t v = down ? s->gpr[reg] - delta : s->gpr[reg] + delta;
    set_reg(s, reg, false, insn->addr_size, v & amask);
}

/* True when the instruction is complete (RIP moves on). */
static bool string_step(const struct vmm_insn *insn, struct dj_vcpu_state *s, uint64_t gpa,
                        const struct vmm_mem_access *mem)
{
    uint64_t amask = size_mask(insn->addr_size), count = s->gpr[1] & amask;
    bool down = s->rflags & RFLAGS_DF;
    if (insn->rep && count == 0)
        return true; /* nothing to do (no access would have happened) */
    const struct vmm_string_operand device = { .gpa = gpa, .page = NULL };
    const struct vmm_string_operand *dst = insn->kind == VMM_INSN_MOVS ? &insn->dst : &device;
    uint64_t n = 1;
    if (insn->rep) {
        n = elements_in_page(dst->gpa, insn->size, down);
        if (insn->kind == VMM_INSN_MOVS) {
            uint64_t src_n = elements_in_page(insn->src.gpa, insn->size, down);
            n = src_n < n ? src_n : n;
        }
        n = count < n ? count : n;
    }
    uint64_t step = down ? -(uint64_t)insn->size : insn->size;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t v = insn->kind == VMM_INSN_MOVS ? operand_read(&insn->src, insn->src.gpa + i * step, insn->size, mem)
                                                 : s->gpr[0] & size_mask(insn->size);
        operand_write(dst, dst->gpa + i * step, insn->size, v, mem);
    }
    advance_index(s, 7, insn, n, down);
    if (insn->kind == VMM_INSN_MOVS)
        advance_index(s, 6, insn, n, down);
    if (!insn->rep)
        return true;
    set_reg(s, 1, false, insn->addr_size, (count - n) & amask);
    return count == n;
}

bool vmm_insn_execute(const struct vmm_insn *insn, struct dj_vcpu_state *s, uint64_t gpa, const struct vmm_mem_access *mem)
{
    bool done = true;
    if (insn->kind == VMM_INSN_MOVS && !insn->resolved)
        return false;
    uint64_t v;
    switch (insn->kind) {
    case VMM_INSN_LOAD:
        set_reg(s, insn->reg, insn->reg_high8, insn->size, mem->read(mem->ctx, gpa, insn->size) & size_mask(insn->size));
        break;
    case VMM_INSN_STORE: case VMM_INSN_STORE_IMM:
        mem->write(mem->ctx, gpa, insn->size, source_operand(insn, s));
        break;
    case VMM_INSN_MOVZX: case VMM_INSN_MOVSX:
        v = mem->read(mem->ctx, gpa, insn->size) & size_mask(insn->size);
        if (insn->kind == VMM_INSN_MOVSX)
            v = sign_extend(v, insn->size);
        set_reg(s, insn->reg, false, insn->dst_size, v & size_mask(insn->dst_size));
        break;
    case VMM_INSN_ALU_MEM:
        v = alu(insn->alu, mem->read(mem->ctx, gpa, insn->size), source_operand(insn, s), insn->size, &s->rflags);
        if (insn->alu != VMM_ALU_CMP)
            mem->write(mem->ctx, gpa, insn->size, v);
        break;
    case VMM_INSN_ALU_REG:
        v = alu(insn->alu, get_reg(s, insn->reg, insn->reg_high8, insn->size), mem->read(mem->ctx, gpa, insn->size),
                insn->size, &s->rflags);
        if (insn->alu != VMM_ALU_CMP)
            set_reg(s, insn->reg, insn->reg_high8, insn->size, v);
        break;
    case VMM_INSN_TEST:
        alu(VMM_ALU_AND, mem->read(mem->ctx, gpa, insn->size), source_operand(insn, s), insn->size, &s->rflags);
        break;
    case VMM_INSN_XCHG:
        v = mem->read(mem->ctx, gpa, insn->size) & size_mask(insn->size);
        mem->write(mem->ctx, gpa, insn->size, get_reg(s, insn->reg, insn->reg_high8, insn->size));
        set_reg(s, insn->reg, insn->reg_high8, insn->size, v);
        break;
    case VMM_INSN_STOS: case VMM_INSN_MOVS:
        done = string_step(insn, s, gpa, mem);
        break;
    }
    if (done) {
        unsigned bits = vmm_guest_code_bits(s);
        uint64_t rip = s->rip + insn->len;
        s->rip = bits == 64 ? rip : rip & size_mask(bits / 8);
    }
    return true;
}
