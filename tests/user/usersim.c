/* SPDX-License-Identifier: GPL-2.0-only */
/* usersim: runs a Donjon user program (a static ELF built by user.mk) as a
 * Linux process under ptrace and emulates the few Donjon system calls a
 * small program needs, so the runtime (crt0, syscall stubs, printf, the
 * portal entry stub) is tested on the host before the kernel can run it.
 *
 * Emulated: DEBUG op 0 (printed on stdout), CREATE_EC (maps the UTCB),
 * CREATE_PT, PT_CTRL, CALL and REPLY (one caller at a time, message words
 * copied between UTCBs). Anything else returns DJ_E_BAD_SYS. The program
 * ends when it reaches dj_idle (main returned): usersim exits with main's
 * return value, 99 on a crash or timeout, 77 where ptrace is not allowed.
 *
 * Usage: usersim PROGRAM.elf [TIMEOUT_SECONDS] */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>
#include "donjon/abi.h"

#define ROOT_UTCB_VA 0x20000000ull /* where usersim puts the initial EC's UTCB */
#define MAX_SEL 1024
#define SYS_MMAP 9
#define INSN_SYSCALL 0x050f /* 0f 05, little-endian */
#define INSN_INT3 0xcc
#define EXIT_BROKEN 99
#define EXIT_NO_PTRACE 77 /* the runner reports SKIP */
#define MAX_INJECT_STEPS 3

struct ec {
    int used;
    uint64_t utcb, sp;
};
struct pt {
    int used;
    uint64_t ec, entry, badge;
};

static pid_t child;
static int mem_fd;
static struct ec ecs[MAX_SEL];
static struct pt pts[MAX_SEL];
static struct user_regs_struct caller; /* saved during a call */
static uint64_t caller_utcb, handler_utcb;
static int in_call;

static void die(const char *what)
{
    fprintf(stderr, "usersim: %s: %s\n", what, strerror(errno));
    exit(EXIT_BROKEN);
}

/* Finds a symbol's address in the ELF's symbol table. */
static uint64_t symbol(const char *path, const char *name)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        die(path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    unsigned char *img = malloc(n);
    rewind(f);
    if (!img || fread(img, 1, n, f) != (size_t)n)
        die("read ELF");
    fclose(f);
    Elf64_Ehdr *eh = (Elf64_Ehdr *)img;
    Elf64_Shdr *sh = (Elf64_Shdr *)(img + eh->e_shoff);
    uint64_t addr = 0;
    for (int i = 0; i < eh->e_shnum && !addr; i++) {
        if (sh[i].sh_type != SHT_SYMTAB)
            continue;
        Elf64_Sym *sym = (Elf64_Sym *)(img + sh[i].sh_offset);
        const char *str = (const char *)img + sh[sh[i].sh_link].sh_offset;
        for (size_t k = 0; k < sh[i].sh_size / sizeof(*sym); k++)
            if (strcmp(str + sym[k].st_name, name) == 0)
                addr = sym[k].st_value;
    }
    free(img);
    if (!addr) {
        fprintf(stderr, "usersim: %s has no symbol %s\n", path, name);
        exit(EXIT_BROKEN);
    }
    return addr;
}

static void mem_read(uint64_t va, void *buf, size_t n)
{
    if (pread(mem_fd, buf, n, (off_t)va) != (ssize_t)n)
        die("read child memory");
}

static void mem_write(uint64_t va, const void *buf, size_t n)
{
    if (pwrite(mem_fd, buf, n, (off_t)va) != (ssize_t)n)
        die("write child memory");
}

static void get_regs(struct user_regs_struct *r)
{
    if (ptrace(PTRACE_GETREGS, child, 0, r) < 0)
        die("PTRACE_GETREGS");
}

static void set_regs(const struct user_regs_struct *r)
{
    if (ptrace(PTRACE_SETREGS, child, 0, r) < 0)
        die("PTRACE_SETREGS");
}

/* Makes the child map one RW page at va by running a real mmap syscall
 * at its current RIP, then puts everything back. */
static int inject_map_page(uint64_t va)
{
    struct user_regs_struct saved, r;
    get_regs(&saved);
    long word = ptrace(PTRACE_PEEKTEXT, child, saved.rip, 0);
    ptrace(PTRACE_POKETEXT, child, saved.rip, (word & ~0xffffL) | INSN_SYSCALL);
    r = saved;
    r.rax = SYS_MMAP;
    r.rdi = va;
    r.rsi = 4096;
    r.rdx = PROT_READ | PROT_WRITE;
    r.r10 = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE;
    r.r8 = (uint64_t)-1;
    r.r9 = 0;
    set_regs(&r);
    /* From a system-call stop, the first step only reports the end of the
     * emulated call; step until the injected instruction has run. */
    for (int steps = 0; steps < MAX_INJECT_STEPS; steps++) {
        int st;
        if (ptrace(PTRACE_SINGLESTEP, child, 0, 0) < 0 || waitpid(child, &st, 0) < 0)
            die("single-step mmap");
        get_regs(&r);
        if (r.rip == saved.rip + 2)
            break;
    }
    ptrace(PTRACE_POKETEXT, child, saved.rip, word);
    set_regs(&saved);
    return r.rip == saved.rip + 2 && r.rax == va ? 0 : -1;
}

static void copy_words(uint64_t from_utcb, uint64_t to_utcb, uint64_t mtd)
{
    static uint64_t words[DJ_UTCB_WORDS];
    uint64_t n = DJ_MTD_UNTYPED(mtd);
    if (n > DJ_UTCB_WORDS)
        n = DJ_UTCB_WORDS;
    mem_read(from_utcb + offsetof(struct dj_utcb, words), words, n * 8);
    mem_write(to_utcb + offsetof(struct dj_utcb, words), words, n * 8);
    mem_write(to_utcb + offsetof(struct dj_utcb, mtd), &mtd, 8);
}

static uint64_t sys_debug(const struct user_regs_struct *r)
{
    char buf[DJ_DEBUG_PUTS_MAX];
    if (r->rdi != DJ_DEBUG_OP_PUTS || r->rdx > DJ_DEBUG_PUTS_MAX)
        return DJ_E_BAD_PARAM;
    mem_read(r->rsi, buf, r->rdx);
    fwrite(buf, 1, r->rdx, stdout);
    fflush(stdout);
    return DJ_OK;
}

static uint64_t sys_create_ec(const struct user_regs_struct *r)
{
    if (r->rdi >= MAX_SEL || ecs[r->rdi].used)
        return DJ_E_BUSY;
    if (r->r10 % 4096 || inject_map_page(r->r10) != 0)
        return DJ_E_BAD_ADDR;
    ecs[r->rdi] = (struct ec){1, r->r10, r->r8};
    return DJ_OK;
}

static uint64_t sys_create_pt(const struct user_regs_struct *r)
{
    if (r->rdi >= MAX_SEL || pts[r->rdi].used)
        return DJ_E_BUSY;
    if (r->rdx >= MAX_SEL || !ecs[r->rdx].used)
        return DJ_E_BAD_CAP;
    pts[r->rdi] = (struct pt){1, r->rdx, r->r8, 0};
    return DJ_OK;
}

static uint64_t sys_pt_ctrl(const struct user_regs_struct *r)
{
    if (r->rdi >= MAX_SEL || !pts[r->rdi].used)
        return DJ_E_BAD_CAP;
    pts[r->rdi].badge = r->rsi;
    return DJ_OK;
}

/* Starts the handler EC at the portal's entry with a fresh stack. Returns
 * 1 when the registers now belong to the handler. */
static int sys_call(struct user_regs_struct *r)
{
    uint64_t sel = r->rdi;
    if (in_call || sel >= MAX_SEL || !pts[sel].used) {
        r->rax = in_call ? DJ_E_BUSY : DJ_E_BAD_CAP;
        return 0;
    }
    struct pt *p = &pts[sel];
    struct ec *e = &ecs[p->ec];
    caller = *r;
    caller_utcb = ROOT_UTCB_VA;
    handler_utcb = e->utcb;
    in_call = 1;
    copy_words(caller_utcb, handler_utcb, r->rsi);
    mem_write(handler_utcb + offsetof(struct dj_utcb, badge), &p->badge, 8);
    struct user_regs_struct h = *r;
    h.rax = h.rbx = h.rcx = h.rdx = h.rsi = h.rdi = h.rbp = 0;
    h.r8 = h.r9 = h.r10 = h.r11 = h.r12 = h.r13 = h.r14 = h.r15 = 0;
    h.rip = p->entry;
    h.rsp = e->sp;
    *r = h;
    return 1;
}

static void sys_reply(struct user_regs_struct *r)
{
    if (!in_call) {
        r->rax = DJ_E_BAD_CAP;
        return;
    }
    uint64_t mtd = r->rdi;
    copy_words(handler_utcb, caller_utcb, mtd);
    in_call = 0;
    *r = caller;
    r->rax = DJ_OK;
    r->rsi = mtd;
}

static void emulate(struct user_regs_struct *r)
{
    uint64_t op = r->orig_rax & DJ_SYS_NUMBER_MASK;
    switch (op) {
    case DJ_SYS_DEBUG: r->rax = sys_debug(r); break;
    case DJ_SYS_CREATE_EC: r->rax = sys_create_ec(r); break;
    case DJ_SYS_CREATE_PT: r->rax = sys_create_pt(r); break;
    case DJ_SYS_PT_CTRL: r->rax = sys_pt_ctrl(r); break;
    case DJ_SYS_CALL: sys_call(r); break;
    case DJ_SYS_REPLY: sys_reply(r); break;
    default: r->rax = DJ_E_BAD_SYS; break;
    }
}

static void start(const char *path)
{
    child = fork();
    if (child < 0)
        die("fork");
    if (child == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0)
            _exit(EXIT_NO_PTRACE);
        execl(path, path, (char *)NULL);
        _exit(127);
    }
    int st;
    if (waitpid(child, &st, 0) < 0)
        die("waitpid");
    if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_NO_PTRACE) {
        fprintf(stderr, "usersim: ptrace is not permitted here\n");
        exit(EXIT_NO_PTRACE);
    }
    if (!WIFSTOPPED(st))
        die("exec");
    ptrace(PTRACE_SETOPTIONS, child, 0, PTRACE_O_EXITKILL | PTRACE_O_TRACESYSGOOD);
    char mem[64];
    snprintf(mem, sizeof(mem), "/proc/%d/mem", child);
    mem_fd = open(mem, O_RDWR);
    if (mem_fd < 0)
        die(mem);
}

/* Runs until dj_idle's breakpoint; returns main's return value. */
static int run(uint64_t idle, uint64_t exit_status)
{
    for (;;) {
        int st;
        if (ptrace(PTRACE_SYSEMU, child, 0, 0) < 0 || waitpid(child, &st, 0) < 0)
            die("PTRACE_SYSEMU");
        if (!WIFSTOPPED(st)) {
            fprintf(stderr, "usersim: program ended (status %#x)\n", st);
            return EXIT_BROKEN;
        }
        struct user_regs_struct r;
        get_regs(&r);
        if (WSTOPSIG(st) == (SIGTRAP | 0x80)) {
            emulate(&r);
            set_regs(&r);
        } else if (WSTOPSIG(st) == SIGTRAP && r.rip == idle + 1) {
            int32_t v;
            mem_read(exit_status, &v, sizeof(v));
            return v;
        } else {
            fprintf(stderr, "usersim: signal %d at rip %#llx\n", WSTOPSIG(st), r.rip);
            return EXIT_BROKEN;
        }
    }
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s PROGRAM.elf [TIMEOUT_SECONDS]\n", argv[0]);
        return 2;
    }
    uint64_t idle = symbol(argv[1], "dj_idle"), exit_status = symbol(argv[1], "dj_exit_status");
    alarm(argc == 3 ? atoi(argv[2]) : 10); /* SIGALRM ends usersim; EXITKILL the child */
    start(argv[1]);
    long word = ptrace(PTRACE_PEEKTEXT, child, idle, 0);
    ptrace(PTRACE_POKETEXT, child, idle, (word & ~0xffL) | INSN_INT3);
    if (inject_map_page(ROOT_UTCB_VA) != 0)
        die("map the root UTCB");
    /* The kernel's entry contract: RDI = UTCB, RSI = CPU. */
    struct user_regs_struct r;
    get_regs(&r);
    r.rdi = ROOT_UTCB_VA;
    r.rsi = 0;
    set_regs(&r);
    int v = run(idle, exit_status);
    fprintf(stderr, "usersim: %s: main returned %d\n", argv[1], v);
    return v;
}
