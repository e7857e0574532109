// host-test-sources: servers/vmm/decode.c tests/host/vmm_bus_fake.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The MMIO decoder against objdump over a real kernel: every instruction
 * of the guest kernel's text (Debian's vmlinuz, decompressed) goes
 * through vmm_decode_bytes. Each MOV-family instruction (MOV, MOVZX,
 * MOVSX) with a memory operand must decode with objdump's length, operand size, register and
 * immediate; no other instruction may decode at all. The first
 * MAX_INSTRUCTIONS keep it well inside the host tests' time limit
 * (VMM_DECODE_KERNEL_ALL=1: all ~6.6 million of Debian 12's). SKIP without a
 * kernel (VMM_DECODE_KERNEL or /boot/vmlinuz-*), python3 (to unpack its
 * xz payload) or objdump. */
#define _GNU_SOURCE
#include <ctype.h>
#include <glob.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "servers/vmm/decode.h"

void *vmm_gpa_ptr(const struct vmm_ram *r, uint64_t gpa, uint64_t len)
{
    (void)r;
    (void)gpa;
    (void)len;
    return NULL;
}

#define MAX_INSTRUCTIONS 2500000ul

static char tmpdir[] = "/tmp/vmm_decode_kernel_XXXXXX";
static char vmlinux[300];

static const char *find_kernel(void)
{
    const char *env = getenv("VMM_DECODE_KERNEL");
    if (env)
        return env;
    static char path[256];
    glob_t g;
    if (glob("/boot/vmlinuz-*", 0, NULL, &g) != 0)
        return NULL;
    snprintf(path, sizeof path, "%s", g.gl_pathv[g.gl_pathc - 1]);
    globfree(&g);
    return path;
}

/* Unpacks the bzImage's xz payload into tmpdir/vmlinux; false if not possible. */
static bool unpack(const char *kernel)
{
    if (!mkdtemp(tmpdir))
        return false;
    snprintf(vmlinux, sizeof vmlinux, "%s/vmlinux", tmpdir);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "python3 -c 'import lzma,sys; d=open(sys.argv[1],\"rb\").read(); i=d.find(b\"\\xfd7zXZ\\x00\"); "
             "assert i>=0; open(sys.argv[2],\"wb\").write(lzma.LZMADecompressor().decompress(d[i:]))' '%s' '%s' "
             "2>/dev/null && command -v objdump >/dev/null",
             kernel, vmlinux);
    return system(cmd) == 0;
}

/* ---- one objdump line -------------------------------------------------- */

struct line {
    uint8_t bytes[16];
    unsigned n;
    char mnemonic[32];
    char op[4][128];
    unsigned nops;
};

static bool is_prefix_word(const char *t)
{
    static const char *const words[] = { "rep", "repz", "repnz", "lock", "data16", "cs", "ds", "es", "ss", "fs", "gs",
                                         "notrack", "bnd", "addr32", NULL };
    for (unsigned i = 0; words[i]; i++)
        if (!strcmp(t, words[i]))
            return true;
    return !strncmp(t, "rex", 3);
}

/* "addr:\tXX XX ..\tmnemonic ops": false for anything else. */
static bool parse(char *text, struct line *l)
{
    char *tab1 = strchr(text, '\t'), *tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
    if (!tab2)
        return false;
    memset(l, 0, sizeof *l);
    for (char *p = tab1 + 1; p < tab2 && l->n < 16;) {
        while (*p == ' ')
            p++;
        if (p >= tab2 || !isxdigit((unsigned char)*p))
            break;
        l->bytes[l->n++] = (uint8_t)strtoul(p, &p, 16);
    }
    char *save, *tok = strtok_r(tab2 + 1, " \n", &save);
    while (tok && is_prefix_word(tok))
        tok = strtok_r(NULL, " \n", &save);
    if (!l->n || !tok || !strcmp(tok, "(bad)"))
        return false;
    snprintf(l->mnemonic, sizeof l->mnemonic, "%s", tok);
    char *ops = strtok_r(NULL, "\n", &save);
    if (!ops)
        return true;
    while (*ops == ' ')
        ops++;
    /* Operands split at commas outside parentheses; stop at comments. */
    int depth = 0;
    unsigned len = 0;
    for (char *o = ops;; o++) {
        char c = *o;
        if (c == '(' || c == ')')
            depth += c == '(' ? 1 : -1;
        if ((c == ',' && depth == 0) || c == 0 || c == '#' || c == '<') {
            while (len && l->op[l->nops][len - 1] == ' ')
                len--;
            l->op[l->nops][len] = 0;
            if (len && l->nops < 3)
                l->nops++;
            len = 0;
            if (c != ',')
                break;
            continue;
        }
        if (len < 127)
            l->op[l->nops][len++] = c;
    }
    return true;
}

/* ---- what objdump says ------------------------------------------------- */

/* The MOV family the decoder supports (decode.h): ALU, TEST, XCHG and
 * string instructions on memory must be rejected like everything else. */
static bool plain_alu_or_mov(const char *m)
{
    static const char *const names[] = { "mov", "movabs", NULL };
    for (unsigned i = 0; names[i]; i++)
        if (!strcmp(m, names[i]))
            return true;
    return false;
}

static bool suffixed(const char *m)
{
    size_t n = strlen(m);
    if (n < 2 || !strchr("bwlq", m[n - 1]))
        return false;
    char base[32];
    snprintf(base, sizeof base, "%.*s", (int)(n - 1), m);
    return plain_alu_or_mov(base) && strcmp(base, "movabs") != 0;
}

static bool extension(const char *m)
{
    static const char *const names[] = { "movzbl", "movzbw", "movzwl", "movzbq", "movzwq", "movsbl", "movsbw", "movswl",
                                         "movsbq", "movswq", NULL };
    for (unsigned i = 0; names[i]; i++)
        if (!strcmp(m, names[i]))
            return true;
    return false;
}

static bool string_op(const struct line *l)
{
    (void)l;
    return false; /* STOS and MOVS are not supported */
}

static bool is_register(const char *o)
{
    return o[0] == '%' && !strchr(o, ':') && !strchr(o, '(');
}

static bool odd_register(const char *o)
{
    static const char *const prefixes[] = { "%cr", "%db", "%dr", "%xmm", "%ymm", "%zmm", "%st", "%mm", "%k", NULL };
    static const char *const segs[] = { "%es", "%cs", "%ss", "%ds", "%fs", "%gs", NULL };
    for (unsigned i = 0; prefixes[i]; i++)
        if (!strncmp(o, prefixes[i], strlen(prefixes[i])))
            return true;
    for (unsigned i = 0; segs[i]; i++)
        if (!strcmp(o, segs[i]))
            return true;
    return false;
}

/* The register's gpr[] index, its size and whether it is AH..BH; false if unknown. */
static bool register_of(const char *o, unsigned *index, unsigned *size, bool *high8)
{
    static const char *const n64[] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi" };
    static const char *const n32[] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };
    static const char *const n16[] = { "ax", "cx", "dx", "bx", "sp", "bp", "si", "di" };
    static const char *const n8[] = { "al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil" };
    static const char *const h8[] = { "ah", "ch", "dh", "bh" };
    const char *r = o + 1;
    *high8 = false;
    if (r[0] == 'r' && isdigit((unsigned char)r[1])) {
        char *end;
        *index = (unsigned)strtoul(r + 1, &end, 10);
        *size = *end == 'b' ? 1 : *end == 'w' ? 2 : *end == 'd' ? 4 : 8;
        return true;
    }
    for (unsigned k = 0; k < 8; k++) {
        unsigned s = !strcmp(r, n64[k]) ? 8 : !strcmp(r, n32[k]) ? 4 : !strcmp(r, n16[k]) ? 2 : !strcmp(r, n8[k]) ? 1 : 0;
        if (s) {
            *index = k;
            *size = s;
            return true;
        }
    }
    for (unsigned k = 0; k < 4; k++)
        if (!strcmp(r, h8[k])) {
            *index = k;
            *size = 1;
            *high8 = true;
            return true;
        }
    return false;
}

struct tally {
    unsigned long total, family, mismatches, extra;
    unsigned reported;
};

static void report(struct tally *t, const char *what, const struct line *l)
{
    t->mismatches++;
    if (t->reported++ < 20) {
        fprintf(stderr, "# %s: %s", what, l->mnemonic);
        for (unsigned i = 0; i < l->nops; i++)
            fprintf(stderr, "%s%s", i ? "," : " ", l->op[i]);
        fprintf(stderr, " [");
        for (unsigned i = 0; i < l->n; i++)
            fprintf(stderr, " %02x", l->bytes[i]);
        fprintf(stderr, " ]\n");
    }
}

static void check_one(const struct line *l, struct tally *t)
{
    struct vmm_insn insn;
    enum vmm_decode_status st = vmm_decode_bytes(l->bytes, l->n, 64, &insn);
    bool memory = false, odd = false;
    int reg_op = -1;
    for (unsigned k = 0; k < l->nops; k++) {
        if (l->op[k][0] == '$')
            continue;
        if (is_register(l->op[k])) {
            reg_op = (int)k;
            odd |= odd_register(l->op[k]);
        } else {
            memory = true;
        }
    }
    const char *m = l->mnemonic;
    bool str = string_op(l);
    bool family = str || ((plain_alu_or_mov(m) || suffixed(m) || extension(m)) && memory && !odd);
    t->total++;
    if (!family) {
        if (st == VMM_DECODE_OK) {
            t->extra++;
            report(t, "decoded, but not a MOV-family memory instruction", l);
        }
        return;
    }
    t->family++;
    if (st != VMM_DECODE_OK) {
        report(t, vmm_decode_status_name(st), l);
        return;
    }
    if (insn.len != l->n)
        report(t, "length", l);
    unsigned want_size = 0, idx = 0, rsize = 0;
    bool high8 = false;
    size_t ml = strlen(m);
    if (extension(m))
        want_size = m[4] == 'b' ? 1 : 2;
    else if (suffixed(m) || (str && strchr("bwlq", m[ml - 1])))
        want_size = m[ml - 1] == 'b' ? 1 : m[ml - 1] == 'w' ? 2 : m[ml - 1] == 'l' ? 4 : 8;
    if (reg_op >= 0 && !str && register_of(l->op[reg_op], &idx, &rsize, &high8)) {
        if (!extension(m) && !want_size)
            want_size = rsize;
        if (insn.has_imm || insn.reg != idx || insn.reg_high8 != high8 || (extension(m) && insn.dst_size != rsize))
            report(t, "register operand", l);
    }
    if (want_size && insn.size != want_size)
        report(t, "operand size", l);
    for (unsigned k = 0; k < l->nops; k++)
        if (l->op[k][0] == '$') {
            uint64_t v = strtoull(l->op[k] + 1, NULL, 0);
            uint64_t mask = insn.size >= 8 ? ~0ull : (1ull << (8 * insn.size)) - 1;
            if (!insn.has_imm || (insn.imm & mask) != (v & mask))
                report(t, "immediate", l);
        }
}

static void every_kernel_instruction_agrees_with_objdump(void **state)
{
    (void)state;
    const char *kernel = find_kernel();
    if (!kernel || access(kernel, R_OK) != 0 || !unpack(kernel))
        skip();
    char cmd[512];
    snprintf(cmd, sizeof cmd, "objdump -d --insn-width=16 '%s' 2>/dev/null", vmlinux);
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    struct tally t = { 0 };
    char text[1024];
    struct line l;
    unsigned long limit = getenv("VMM_DECODE_KERNEL_ALL") ? ~0ul : MAX_INSTRUCTIONS;
    while (t.total < limit && fgets(text, sizeof text, f))
        if (parse(text, &l))
            check_one(&l, &t);
    bool complete = t.total < limit;
    int status = pclose(f); /* objdump dies of SIGPIPE when we stop early */
    if (complete)
        assert_int_equal(status, 0);
    fprintf(stderr, "# %lu instructions, %lu MOV-family with memory, %lu mismatches (%lu decoded wrongly)\n", t.total,
            t.family, t.mismatches, t.extra);
    assert_true(t.total > 1000000);
    assert_true(t.family > 100000);
    assert_int_equal(t.mismatches, 0);
}

static int teardown(void **state)
{
    (void)state;
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf %s", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(every_kernel_instruction_agrees_with_objdump, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
