/* SPDX-License-Identifier: GPL-2.0-only */
/* The MMIO instruction decoder and emulator (decode.h). */
#include "decode.h"
#include "common/string.h"

#define CR0_PE (1ull << 0)
#define CR0_PG (1ull << 31)
#define CR4_LA57 (1ull << 12)
#define EFER_LMA (1ull << 10)
#define RFLAGS_VM (1ull << 17)
#define SEG_AR_L (1u << 9)
#define SEG_AR_DB (1u << 10)

#define PTE_P (1ull << 0)
#define PTE_PS (1ull << 7)
#define PTE_ADDR 0x000ffffffffff000ull
#define PAGE_SIZE 4096ull

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

static bool read_entry(const struct vmm_ram *ram, uint64_t gpa, uint64_t *entry)
{
    const uint8_t *p = vmm_gpa_ptr(ram, gpa, 8);
    if (p)
        memcpy(entry, p, 8); /* x86 is little-endian, as is the guest */
    return p != NULL;
}

/* 4- or 5-level long-mode paging: 9 index bits a level, large pages at
 * the levels that allow them. */
static bool walk_8byte(const struct vmm_ram *ram, uint64_t table, unsigned levels, uint64_t lin, uint64_t *gpa)
{
    for (unsigned level = levels; level >= 1; level--) {
        unsigned shift = 12 + 9 * (level - 1);
        uint64_t e;
        if (!read_entry(ram, (table & PTE_ADDR) + ((lin >> shift) & 511) * 8, &e) || !(e & PTE_P))
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

bool vmm_guest_translate(const struct vmm_ram *ram, const struct dj_vcpu_state *s, uint64_t lin, uint64_t *gpa)
{
    if (s->efer & EFER_LMA)
        return walk_8byte(ram, s->cr3, (s->cr4 & CR4_LA57) ? 5 : 4, lin, gpa);
    *gpa = lin & 0xffffffffu; /* paging off; legacy 32-bit and PAE paging are not walked */
    return !(s->cr0 & CR0_PG);
}

/* ---- Instruction fetch -------------------------------------------------- */

unsigned vmm_fetch_code(const struct vmm_ram *ram, const struct dj_vcpu_state *s, uint8_t *buf, unsigned max)
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
    bool opsize, addrsize;
    uint8_t rex;
};

/* Segment overrides, LOCK and REP change nothing an MMIO MOV does (the
 * exit gives the guest-physical address). */
static void read_prefixes(struct cursor *c, unsigned code_bits, struct prefixes *p)
{
    memset(p, 0, sizeof *p);
    for (;;) {
        uint8_t b = next_byte(c);
        if (c->short_input)
            return;
        switch (b) {
        case 0x66: p->opsize = true; break;
        case 0x67: p->addrsize = true; break;
        case 0xf0: case 0xf2: case 0xf3: case 0x26: case 0x2e: case 0x36: case 0x3e: case 0x64: case 0x65: break;
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
    /* MOV with a ModRM byte: 88-8B (register), C6 C7 /0 (immediate). */
    if ((op < 0x88 || op > 0x8b) && op != 0xc6 && op != 0xc7)
        return false;
    insn->size = (op & 1) ? opsize : 1;
    insn->dst_size = insn->size;
    insn->has_imm = op >= 0xc6;
    insn->kind = insn->has_imm ? VMM_INSN_STORE_IMM : (op & 2) ? VMM_INSN_LOAD : VMM_INSN_STORE;
    uint8_t modrm = next_byte(c);
    unsigned reg_field = (modrm >> 3) & 7;
    if (insn->has_imm && reg_field != 0) /* C6/C7 /0 is MOV; the rest are other instructions */
        return false;
    if (!insn->has_imm)
        set_reg_operand(insn, reg_field, p, insn->size);
    if (!skip_modrm_memory(c, modrm, insn->addr_size))
        return false;
    if (insn->has_imm) {
        unsigned imm_bytes = insn->size >= 4 ? 4 : insn->size; /* imm64 only for MOV r64, not r/m64 */
        insn->imm = sign_extend(next_imm(c, imm_bytes), imm_bytes) & vmm_size_mask(insn->size);
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

enum vmm_decode_status vmm_decode(const struct vmm_ram *ram, const struct dj_vcpu_state *s, struct vmm_insn *out)
{
    uint8_t buf[VMM_INSN_MAX_LEN];
    unsigned got = vmm_fetch_code(ram, s, buf, sizeof buf);
    enum vmm_decode_status st = vmm_decode_bytes(buf, got, vmm_guest_code_bits(s), out);
    /* Fewer than 15 bytes is fine as long as the instruction fits in them. */
    return st == VMM_DECODE_TOO_LONG && got < sizeof buf ? VMM_DECODE_FETCH_FAULT : st;
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
    return s->gpr[reg] & vmm_size_mask(size);
}

/* Register writes as the CPU does them: 32-bit results clear bits 63:32,
 * 8- and 16-bit ones keep the rest. */
static void set_reg(struct dj_vcpu_state *s, unsigned reg, bool high8, unsigned size, uint64_t v)
{
    if (high8)
        s->gpr[reg] = (s->gpr[reg] & ~0xff00ull) | ((v & 0xff) << 8);
    else if (size >= 4)
        s->gpr[reg] = v & vmm_size_mask(size);
    else
        s->gpr[reg] = (s->gpr[reg] & ~vmm_size_mask(size)) | (v & vmm_size_mask(size));
}

void vmm_insn_execute(const struct vmm_insn *insn, struct dj_vcpu_state *s, uint64_t gpa, struct vmm_bus *bus)
{
    uint64_t v;
    switch (insn->kind) {
    case VMM_INSN_LOAD:
        set_reg(s, insn->reg, insn->reg_high8, insn->size, vmm_bus_read(bus, gpa, insn->size) & vmm_size_mask(insn->size));
        break;
    case VMM_INSN_STORE: case VMM_INSN_STORE_IMM:
        v = insn->has_imm ? insn->imm : get_reg(s, insn->reg, insn->reg_high8, insn->size);
        vmm_bus_write(bus, gpa, insn->size, v);
        break;
    case VMM_INSN_MOVZX: case VMM_INSN_MOVSX:
        v = vmm_bus_read(bus, gpa, insn->size) & vmm_size_mask(insn->size);
        if (insn->kind == VMM_INSN_MOVSX)
            v = sign_extend(v, insn->size);
        set_reg(s, insn->reg, false, insn->dst_size, v & vmm_size_mask(insn->dst_size));
        break;
    }
    unsigned bits = vmm_guest_code_bits(s);
    uint64_t rip = s->rip + insn->len;
    s->rip = bits == 64 ? rip : rip & vmm_size_mask(bits / 8);
}
