// host-test-sources: servers/vmm/decode.c tests/host/vmm_bus_fake.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The VMM's MMIO decoder: encodings in every code mode, the guest page
 * walks (paging off, 4- and 5-level, large pages; 32-bit and PAE refused), code
 * that crosses pages, hostile bytes (truncated, too long, unsupported,
 * unmapped, random), and the emulation of the MOV family. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/vmm/decode.h"

#define RAM_SIZE (8u << 20)
#define CR0_PE 1ull
#define CR0_PG (1ull << 31)
#define CR4_PSE (1ull << 4)
#define CR4_PAE (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define AR_CODE64 0x29b /* present code, L */
#define AR_CODE32 0x49b /* present code, D */
#define AR_CODE16 0x09b
#define P 1ull
#define RW 2ull
#define PS 0x80ull

static struct vmm_ram ram;

/* The VMM's accessor (servers/vmm), replaced here by the same contract. */
void *vmm_gpa_ptr(const struct vmm_ram *r, uint64_t gpa, uint64_t len)
{
    if (gpa >= r->size || len > r->size - gpa)
        return NULL;
    return r->base + gpa;
}

static int setup(void **state)
{
    (void)state;
    ram.base = calloc(1, RAM_SIZE);
    ram.size = RAM_SIZE;
    return ram.base ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    free(ram.base);
    return 0;
}

static void w64(uint64_t at, uint64_t v) { memcpy(ram.base + at, &v, 8); }
static void w32(uint64_t at, uint32_t v) { memcpy(ram.base + at, &v, 4); }

static struct dj_vcpu_state long_mode(void)
{
    struct dj_vcpu_state s = { 0 };
    s.cr0 = CR0_PE | CR0_PG;
    s.cr4 = CR4_PAE;
    s.efer = EFER_LME | EFER_LMA;
    s.cs.ar = AR_CODE64;
    return s;
}

/* ---- decoding from bytes ------------------------------------------------ */

struct case_ {
    const char *name;
    unsigned bits;
    uint8_t b[15];
    unsigned len;
    enum vmm_insn_kind kind;
    unsigned size, dst_size, reg;
    bool high8, has_imm;
    uint64_t imm;
};

static const struct case_ cases[] = {
    { "mov [rax],ecx", 64, { 0x89, 0x08 }, 2, VMM_INSN_STORE, 4, 4, 1, false, false, 0 },
    { "mov [rax],rcx", 64, { 0x48, 0x89, 0x08 }, 3, VMM_INSN_STORE, 8, 8, 1, false, false, 0 },
    { "mov [rax],r9w", 64, { 0x66, 0x44, 0x89, 0x08 }, 4, VMM_INSN_STORE, 2, 2, 9, false, false, 0 },
    { "mov [rdi],bh", 64, { 0x88, 0x3f }, 2, VMM_INSN_STORE, 1, 1, 3, true, false, 0 },
    { "mov [rdi],dil", 64, { 0x40, 0x88, 0x3f }, 3, VMM_INSN_STORE, 1, 1, 7, false, false, 0 },
    { "mov eax,[rip+0x1000]", 64, { 0x8b, 0x05, 0x00, 0x10, 0, 0 }, 6, VMM_INSN_LOAD, 4, 4, 0, false, false, 0 },
    { "mov r15,[rbx+r12*8+0x12345678]", 64, { 0x4e, 0x8b, 0xbc, 0xe3, 0x78, 0x56, 0x34, 0x12 }, 8, VMM_INSN_LOAD, 8, 8, 15, false, false, 0 },
    { "mov edx,[rsp+8]", 64, { 0x8b, 0x54, 0x24, 0x08 }, 4, VMM_INSN_LOAD, 4, 4, 2, false, false, 0 },
    { "mov eax,[sib no base disp32]", 64, { 0x8b, 0x04, 0x25, 0, 0, 0xe0, 0xfe }, 7, VMM_INSN_LOAD, 4, 4, 0, false, false, 0 },
    { "mov eax,[rbp+0]", 64, { 0x8b, 0x45, 0x00 }, 3, VMM_INSN_LOAD, 4, 4, 0, false, false, 0 },
    { "mov cl,fs:[rax]", 64, { 0x64, 0x8a, 0x08 }, 3, VMM_INSN_LOAD, 1, 1, 1, false, false, 0 },
    { "mov byte [rax],0x80", 64, { 0xc6, 0x00, 0x80 }, 3, VMM_INSN_STORE_IMM, 1, 1, 0, false, true, 0x80 },
    { "mov word [rax],0x1234", 64, { 0x66, 0xc7, 0x00, 0x34, 0x12 }, 5, VMM_INSN_STORE_IMM, 2, 2, 0, false, true, 0x1234 },
    { "mov qword [rax],-1", 64, { 0x48, 0xc7, 0x00, 0xff, 0xff, 0xff, 0xff }, 7, VMM_INSN_STORE_IMM, 8, 8, 0, false, true, ~0ull },
    { "mov dword [rax+0x10],7", 64, { 0xc7, 0x40, 0x10, 7, 0, 0, 0 }, 7, VMM_INSN_STORE_IMM, 4, 4, 0, false, true, 7 },
    { "movabs eax,[moffs64]", 64, { 0xa1, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, VMM_INSN_LOAD, 4, 4, 0, false, false, 0 },
    { "movabs [moffs64],al", 64, { 0xa2, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, VMM_INSN_STORE, 1, 1, 0, false, false, 0 },
    { "mov [moffs32],eax (67)", 64, { 0x67, 0xa3, 1, 2, 3, 4 }, 6, VMM_INSN_STORE, 4, 4, 0, false, false, 0 },
    { "movzx eax,byte [rdx]", 64, { 0x0f, 0xb6, 0x02 }, 3, VMM_INSN_MOVZX, 1, 4, 0, false, false, 0 },
    { "movzx r8d,word [rdx]", 64, { 0x44, 0x0f, 0xb7, 0x02 }, 4, VMM_INSN_MOVZX, 2, 4, 8, false, false, 0 },
    { "movsx rax,word [rdx]", 64, { 0x48, 0x0f, 0xbf, 0x02 }, 4, VMM_INSN_MOVSX, 2, 8, 0, false, false, 0 },
    { "movsx esi,byte [rdx]", 64, { 0x0f, 0xbe, 0x32 }, 3, VMM_INSN_MOVSX, 1, 4, 6, false, false, 0 },
    /* 32-bit code */
    { "32: mov [eax],ecx", 32, { 0x89, 0x08 }, 2, VMM_INSN_STORE, 4, 4, 1, false, false, 0 },
    { "32: mov [disp32],eax", 32, { 0x89, 0x05, 0, 0, 0xe0, 0xfe }, 6, VMM_INSN_STORE, 4, 4, 0, false, false, 0 },
    { "32: mov ax,[eax]", 32, { 0x66, 0x8b, 0x00 }, 3, VMM_INSN_LOAD, 2, 2, 0, false, false, 0 },
    { "32: mov [bx+si],al (67)", 32, { 0x67, 0x88, 0x00 }, 3, VMM_INSN_STORE, 1, 1, 0, false, false, 0 },
    { "32: mov eax,[moffs32]", 32, { 0xa1, 0, 0, 0xe0, 0xfe }, 5, VMM_INSN_LOAD, 4, 4, 0, false, false, 0 },
    { "32: dword imm", 32, { 0xc7, 0x05, 0, 0, 0xe0, 0xfe, 1, 2, 3, 4 }, 10, VMM_INSN_STORE_IMM, 4, 4, 0, false, true, 0x04030201 },
    /* 16-bit code and addressing */
    { "16: mov [bx],ax", 16, { 0x89, 0x07 }, 2, VMM_INSN_STORE, 2, 2, 0, false, false, 0 },
    { "16: mov [disp16],ax", 16, { 0x89, 0x06, 0x34, 0x12 }, 4, VMM_INSN_STORE, 2, 2, 0, false, false, 0 },
    { "16: mov [bp+di+disp8],cl", 16, { 0x88, 0x4b, 0x10 }, 3, VMM_INSN_STORE, 1, 1, 1, false, false, 0 },
    { "16: mov ax,[bx+si+disp16]", 16, { 0x8b, 0x80, 0x00, 0x10 }, 4, VMM_INSN_LOAD, 2, 2, 0, false, false, 0 },
    { "16: mov eax,[moffs16]", 16, { 0x66, 0xa1, 0x00, 0x10 }, 4, VMM_INSN_LOAD, 4, 4, 0, false, false, 0 },
    { "16: 32-bit addressing", 16, { 0x67, 0x8b, 0x04, 0x24 }, 4, VMM_INSN_LOAD, 2, 2, 0, false, false, 0 },
    { "16: mov word [bx],imm16", 16, { 0xc7, 0x07, 0x34, 0x12 }, 4, VMM_INSN_STORE_IMM, 2, 2, 0, false, true, 0x1234 },
};

static void decodes_every_listed_encoding(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const struct case_ *c = &cases[i];
        struct vmm_insn insn;
        enum vmm_decode_status st = vmm_decode_bytes(c->b, sizeof c->b, c->bits, &insn);
        if (st != VMM_DECODE_OK)
            fail_msg("%s: status %s", c->name, vmm_decode_status_name(st));
        if (insn.len != c->len || insn.kind != c->kind || insn.size != c->size || insn.dst_size != c->dst_size
            || insn.has_imm != c->has_imm || (c->has_imm && insn.imm != c->imm)
            || (!c->has_imm && (insn.reg != c->reg || insn.reg_high8 != c->high8)))
            fail_msg("%s: len %u kind %d size %u dst %u reg %u high8 %d imm %d/%#llx", c->name, insn.len, insn.kind,
                     insn.size, insn.dst_size, insn.reg, insn.reg_high8, insn.has_imm, (unsigned long long)insn.imm);
        /* Exactly len bytes is enough; one fewer is a fetch fault. */
        assert_int_equal(vmm_decode_bytes(c->b, c->len, c->bits, &insn), VMM_DECODE_OK);
        for (unsigned n = 0; n < c->len; n++)
            if (vmm_decode_bytes(c->b, n, c->bits, &insn) != VMM_DECODE_FETCH_FAULT)
                fail_msg("%s truncated to %u bytes was not a fetch fault", c->name, n);
    }
}

static void rejects_what_it_cannot_emulate(void **state)
{
    (void)state;
    static const struct { const char *name; unsigned bits; uint8_t b[8]; } bad[] = {
        { "mov eax,ecx (register operand)", 64, { 0x89, 0xc8 } },
        { "add eax,imm (no memory)", 64, { 0x05, 1, 2, 3 } },
        { "push (no MMIO form)", 64, { 0x50 } },
        { "inc eax in 32-bit", 32, { 0x40, 0x89, 0x08 } },
        { "not dword [rax]", 64, { 0xf7, 0x10 } },
        { "mov /1 of C7", 64, { 0xc7, 0x08, 0, 0 } },
        { "0F 0B ud2", 64, { 0x0f, 0x0b } },
        { "movzx with register", 64, { 0x0f, 0xb6, 0xc0 } },
        { "test register form", 64, { 0x85, 0xc0 } },
        /* Memory forms Linux's MMIO accessors never use: unsupported by design. */
        { "or [rax],ecx", 64, { 0x09, 0x08 } },
        { "and ecx,[rax]", 64, { 0x23, 0x08 } },
        { "and dword [rax],~4", 64, { 0x83, 0x20, 0xfb } },
        { "or dword [rax],0x10000", 64, { 0x81, 0x08, 0, 0, 1, 0 } },
        { "lock or qword [rax],-2", 64, { 0xf0, 0x48, 0x83, 0x08, 0xfe } },
        { "cmp byte [rax],5", 64, { 0x80, 0x38, 5 } },
        { "test [rax],edx", 64, { 0x85, 0x10 } },
        { "test byte [rax],0x40", 64, { 0xf6, 0x00, 0x40 } },
        { "test dword [rax],0x80000000", 64, { 0xf7, 0x00, 0, 0, 0, 0x80 } },
        { "xchg [rax],ebx", 64, { 0x87, 0x18 } },
        { "rep stosd", 64, { 0xf3, 0xab } },
        { "stosq", 64, { 0x48, 0xab } },
        { "rep movsb", 64, { 0xf3, 0xa4 } },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct vmm_insn insn;
        if (vmm_decode_bytes(bad[i].b, sizeof bad[i].b, bad[i].bits, &insn) != VMM_DECODE_UNSUPPORTED)
            fail_msg("%s: not rejected", bad[i].name);
    }
}

static void rex_before_a_legacy_prefix_is_dropped(void **state)
{
    (void)state;
    /* 48 66 89 08: the REX does not precede the opcode, so it is ignored: 16-bit store. */
    uint8_t b[] = { 0x48, 0x66, 0x89, 0x08 };
    struct vmm_insn insn;
    assert_int_equal(vmm_decode_bytes(b, sizeof b, 64, &insn), VMM_DECODE_OK);
    assert_int_equal(insn.size, 2);
    assert_int_equal(insn.len, 4);
}

static void more_than_15_bytes_is_too_long(void **state)
{
    (void)state;
    uint8_t b[15];
    memset(b, 0x66, sizeof b);
    struct vmm_insn insn;
    assert_int_equal(vmm_decode_bytes(b, sizeof b, 64, &insn), VMM_DECODE_TOO_LONG);
    /* 12 prefixes + a 4-byte instruction: 16 bytes. */
    uint8_t c[15];
    memset(c, 0x3e, 12);
    c[12] = 0xc7;
    c[13] = 0x00;
    c[14] = 0x01;
    assert_int_equal(vmm_decode_bytes(c, sizeof c, 64, &insn), VMM_DECODE_TOO_LONG);
    /* 11 prefixes + 89 08: 13 bytes, fine. */
    memset(c, 0x3e, 11);
    c[11] = 0x89;
    c[12] = 0x08;
    assert_int_equal(vmm_decode_bytes(c, 13, 64, &insn), VMM_DECODE_OK);
    assert_int_equal(insn.len, 13);
}

static void random_bytes_never_overrun(void **state)
{
    (void)state;
    srand(1234);
    for (int i = 0; i < 200000; i++) {
        uint8_t b[15];
        unsigned len = (unsigned)rand() % 16;
        for (unsigned k = 0; k < len; k++)
            b[k] = (uint8_t)rand();
        /* The decoder gets exactly len bytes of a heap copy so ASan sees any overrun. */
        uint8_t *heap = malloc(len ? len : 1);
        memcpy(heap, b, len);
        struct vmm_insn insn;
        enum vmm_decode_status st = vmm_decode_bytes(heap, len, (unsigned[]){ 16, 32, 64 }[i % 3], &insn);
        if (st == VMM_DECODE_OK) {
            assert_true(insn.len >= 1 && insn.len <= len && insn.len <= 15);
            assert_true(insn.size == 1 || insn.size == 2 || insn.size == 4 || insn.size == 8);
            assert_true(insn.reg < 16);
        }
        free(heap);
    }
}

/* ---- page walks and fetch ----------------------------------------------- */

#define PML4 0x10000
#define PDPT 0x11000
#define PD 0x12000
#define PT 0x13000
#define PML5 0x14000

/* Long mode: linear 0x400000 + page i -> code pages chosen by the test. */
static void map_4k(uint64_t lin, uint64_t phys)
{
    w64(PML4 + ((lin >> 39) & 511) * 8, PDPT | P | RW);
    w64(PDPT + ((lin >> 30) & 511) * 8, PD | P | RW);
    w64(PD + ((lin >> 21) & 511) * 8, PT | P | RW);
    w64(PT + ((lin >> 12) & 511) * 8, phys | P | RW);
}

static void fetches_through_4_level_paging(void **state)
{
    (void)state;
    struct dj_vcpu_state s = long_mode();
    s.cr3 = PML4;
    s.rip = 0x400ff0;
    map_4k(0x400000, 0x200000);
    uint8_t code[] = { 0x48, 0x89, 0x08 };
    memcpy(ram.base + 0x200ff0, code, sizeof code);
    struct vmm_insn insn;
    assert_int_equal(vmm_decode(&ram, &s, &insn), VMM_DECODE_OK);
    assert_int_equal(insn.kind, VMM_INSN_STORE);
    assert_int_equal(insn.size, 8);
    assert_int_equal(insn.len, 3);
    /* The next page is unmapped, but the instruction ends before it. */
    s.rip = 0x400ffd;
    memcpy(ram.base + 0x200ffd, code, sizeof code);
    assert_int_equal(vmm_decode(&ram, &s, &insn), VMM_DECODE_OK);
    /* Crossing into the unmapped page: a fetch fault. */
    s.rip = 0x400ffe;
    ram.base[0x200ffe] = 0x48;
    ram.base[0x200fff] = 0x89;
    assert_int_equal(vmm_decode(&ram, &s, &insn), VMM_DECODE_FETCH_FAULT);
    /* Map the next page somewhere not contiguous: the fetch follows it. */
    map_4k(0x401000, 0x300000);
    ram.base[0x300000] = 0x08;
    assert_int_equal(vmm_decode(&ram, &s, &insn), VMM_DECODE_OK);
    assert_int_equal(insn.len, 3);
    assert_int_equal(insn.size, 8);
    /* A page table entry that points outside RAM is a fault, not a read of host memory. */
    w64(PT + 1 * 8, (uint64_t)RAM_SIZE * 4 | P);
    assert_int_equal(vmm_decode(&ram, &s, &insn), VMM_DECODE_FETCH_FAULT);
    w64(PD + 2 * 8, 0xfee00000ull | P); /* table in "MMIO" */
    s.rip = 0x400000;
    assert_int_equal(vmm_decode(&ram, &s, &insn), VMM_DECODE_FETCH_FAULT);
}

static void large_pages_and_5_level(void **state)
{
    (void)state;
    struct dj_vcpu_state s = long_mode();
    uint64_t gpa;
    s.cr3 = PML4;
    /* 1 GiB page at linear 0x40000000 -> 0 */
    w64(PML4, PDPT | P);
    w64(PDPT + 8, 0 | P | PS);
    assert_true(vmm_guest_translate(&ram, &s, 0x40123456, &gpa));
    assert_int_equal(gpa, 0x123456);
    /* 2 MiB page at linear 0 -> 0x600000 */
    w64(PDPT, PD | P);
    w64(PD, 0x600000 | P | PS);
    assert_true(vmm_guest_translate(&ram, &s, 0x1abcde, &gpa));
    assert_int_equal(gpa, 0x7abcde);
    /* not present */
    assert_false(vmm_guest_translate(&ram, &s, 0x80000000, &gpa));
    /* The same with a PML5 on top; index 1 at bits 56:48. */
    s.cr4 |= CR4_LA57;
    s.cr3 = PML5;
    w64(PML5 + 8, PML4 | P);
    assert_true(vmm_guest_translate(&ram, &s, (1ull << 48) | 0x1abcde, &gpa));
    assert_int_equal(gpa, 0x7abcde);
    assert_false(vmm_guest_translate(&ram, &s, 0x1abcde, &gpa));
}

static void legacy_paging_modes(void **state)
{
    (void)state;
    struct dj_vcpu_state s = { 0 };
    uint64_t gpa;
    s.cr0 = CR0_PE;
    s.cs.ar = AR_CODE32;
    /* Paging off: linear is physical (32 bits). */
    assert_true(vmm_guest_translate(&ram, &s, 0x123456, &gpa));
    assert_int_equal(gpa, 0x123456);
    /* 32-bit and PAE paging are not walked: no translation. */
    s.cr0 |= CR0_PG;
    s.cr3 = PD;
    w32(PD + 1 * 4, PT | P);
    w32(PT + 2 * 4, 0x345000 | P);
    assert_false(vmm_guest_translate(&ram, &s, 0x402abc, &gpa));
    s.cr4 = CR4_PAE;
    assert_false(vmm_guest_translate(&ram, &s, 0x402abc, &gpa));
}

static void real_mode_and_compat_fetch(void **state)
{
    (void)state;
    struct dj_vcpu_state s = { 0 };
    struct vmm_insn insn;
    /* Real mode: CS base 0x10000, IP 0x20: 16-bit operand size. */
    s.cs.base = 0x10000;
    s.cs.ar = AR_CODE32; /* ignored: CR0.PE is clear */
    s.rip = 0x20;
    uint8_t code[] = { 0x89, 0x07 };
    memcpy(ram.base + 0x10020, code, sizeof code);
    assert_int_equal(vmm_guest_code_bits(&s), 16);
    assert_int_equal(vmm_decode(&ram, &s, &insn), VMM_DECODE_OK);
    assert_int_equal(insn.size, 2);
    /* Compatibility mode: LMA with a 32-bit CS. */
    s = long_mode();
    s.cs.ar = AR_CODE32;
    assert_int_equal(vmm_guest_code_bits(&s), 32);
    s.cs.ar = AR_CODE64;
    assert_int_equal(vmm_guest_code_bits(&s), 64);
    s.cr0 = 0;
    s.efer = 0;
    assert_int_equal(vmm_guest_code_bits(&s), 16);
    s.cr0 = CR0_PE;
    s.cs.ar = AR_CODE16;
    assert_int_equal(vmm_guest_code_bits(&s), 16);
    s.rflags = 1ull << 17; /* virtual-8086 */
    s.cs.ar = AR_CODE32;
    assert_int_equal(vmm_guest_code_bits(&s), 16);
    /* Code outside RAM entirely. */
    s = (struct dj_vcpu_state){ 0 };
    s.rip = 0xfff0;
    s.cs.base = 0xffff0000;
    assert_int_equal(vmm_decode(&ram, &s, &insn), VMM_DECODE_FETCH_FAULT);
}

/* ---- emulation ---------------------------------------------------------- */

struct fake_dev {
    uint64_t value, last_write, gpa;
    unsigned reads, writes, size;
};

static uint64_t dev_read(void *ctx, uint64_t gpa, unsigned size)
{
    struct fake_dev *d = ctx;
    d->reads++;
    d->gpa = gpa;
    d->size = size;
    return d->value;
}

static void dev_write(void *ctx, uint64_t gpa, unsigned size, uint64_t value)
{
    struct fake_dev *d = ctx;
    d->writes++;
    d->gpa = gpa;
    d->size = size;
    d->last_write = value;
    d->value = value;
}

static void run(const uint8_t *b, unsigned len, struct dj_vcpu_state *s, struct fake_dev *d)
{
    struct vmm_insn insn;
    struct vmm_bus bus = { 0 };
    assert_true(vmm_bus_add(&bus, 0, ~0ull, dev_read, dev_write, d)); /* offsets are addresses */
    assert_int_equal(vmm_decode_bytes(b, len, vmm_guest_code_bits(s), &insn), VMM_DECODE_OK);
    vmm_insn_execute(&insn, s, 0xfebf0000, &bus);
}

static void loads_and_stores_update_registers_like_the_cpu(void **state)
{
    (void)state;
    struct dj_vcpu_state s = long_mode();
    struct fake_dev d = { .value = 0x8899aabbccddeeffull };
    s.gpr[1] = 0x1111111111111111ull;
    s.rip = 0x1000;
    run((uint8_t[]){ 0x8b, 0x08 }, 2, &s, &d); /* mov ecx,[rax]: clears 63:32 */
    assert_int_equal(s.gpr[1], 0xccddeeffull);
    assert_int_equal(s.rip, 0x1002);
    assert_int_equal(d.size, 4);
    assert_int_equal(d.gpa, 0xfebf0000);
    s.gpr[1] = 0x1111111111111111ull;
    run((uint8_t[]){ 0x66, 0x8b, 0x08 }, 3, &s, &d); /* mov cx,[rax]: keeps the rest */
    assert_int_equal(s.gpr[1], 0x111111111111eeffull);
    run((uint8_t[]){ 0x8a, 0x28 }, 2, &s, &d); /* mov ch,[rax] */
    assert_int_equal(s.gpr[1], 0x111111111111ffffull);
    d.value = 0x80;
    run((uint8_t[]){ 0x48, 0x0f, 0xbe, 0x08 }, 4, &s, &d); /* movsx rcx,byte [rax] */
    assert_int_equal(s.gpr[1], 0xffffffffffffff80ull);
    run((uint8_t[]){ 0x0f, 0xb6, 0x08 }, 3, &s, &d); /* movzx ecx,byte [rax] */
    assert_int_equal(s.gpr[1], 0x80);
    d.value = 0x8000;
    run((uint8_t[]){ 0x0f, 0xbf, 0x08 }, 3, &s, &d); /* movsx ecx,word [rax] */
    assert_int_equal(s.gpr[1], 0xffff8000ull);
    s.gpr[11] = 0xdeadbeefcafef00dull;
    run((uint8_t[]){ 0x4c, 0x89, 0x18 }, 3, &s, &d); /* mov [rax],r11 */
    assert_int_equal(d.last_write, 0xdeadbeefcafef00dull);
    assert_int_equal(d.size, 8);
    s.gpr[3] = 0xa5b6;
    run((uint8_t[]){ 0x88, 0x38 }, 2, &s, &d); /* mov [rax],bh */
    assert_int_equal(d.last_write, 0xa5);
    assert_int_equal(d.size, 1);
    run((uint8_t[]){ 0x48, 0xc7, 0x00, 0x80, 0, 0, 0x80 }, 7, &s, &d); /* mov qword [rax],imm32 sign-extended */
    assert_int_equal(d.last_write, 0xffffffff80000080ull);
    assert_int_equal(d.reads, 1 + 1 + 1 + 1 + 1 + 1);
}

static void rip_wraps_in_16_bit_code(void **state)
{
    (void)state;
    struct dj_vcpu_state s = { 0 };
    struct fake_dev d = { 0 };
    s.rip = 0xfffe;
    run((uint8_t[]){ 0x89, 0x06, 0x34, 0x12 }, 4, &s, &d);
    assert_int_equal(s.rip, 2);
}


int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decodes_every_listed_encoding),
        cmocka_unit_test(rejects_what_it_cannot_emulate),
        cmocka_unit_test(rex_before_a_legacy_prefix_is_dropped),
        cmocka_unit_test(more_than_15_bytes_is_too_long),
        cmocka_unit_test(random_bytes_never_overrun),
        cmocka_unit_test_setup_teardown(fetches_through_4_level_paging, setup, teardown),
        cmocka_unit_test_setup_teardown(large_pages_and_5_level, setup, teardown),
        cmocka_unit_test_setup_teardown(legacy_paging_modes, setup, teardown),
        cmocka_unit_test_setup_teardown(real_mode_and_compat_fetch, setup, teardown),
        cmocka_unit_test(loads_and_stores_update_registers_like_the_cpu),
        cmocka_unit_test(rip_wraps_in_16_bit_code),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
