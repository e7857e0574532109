// host-test-sources: servers/init/bootconfig.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* init's boot-configuration parser: good configurations, every kind of
 * bad line (reported with its number and skipped, the rest kept), and
 * hostile input (long lines, NUL bytes, overflow, random bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "servers/init/bootconfig.h"
#include "lib/pci.h"

#define MAX_REPORTS 64

struct reports {
    unsigned n;
    unsigned line[MAX_REPORTS];
    char what[MAX_REPORTS][BC_WHAT_MAX];
};

static void on_error(void *ctx, unsigned line, const char *what)
{
    struct reports *r = ctx;
    assert_true(strlen(what) > 0); /* every report says what is wrong */
    assert_true(strlen(what) < BC_WHAT_MAX);
    if (r->n < MAX_REPORTS) {
        r->line[r->n] = line;
        snprintf(r->what[r->n], BC_WHAT_MAX, "%s", what);
    }
    r->n++;
}

/* Modules the fake boot loader "has". */
static bool module_exists(void *ctx, const char *name)
{
    (void)ctx;
    static const char *const have[] = {"console", "kvstore", "kvclient", "echo", "vmm", "vmlinuz", "initrd", "cmd"};
    for (size_t i = 0; i < sizeof(have) / sizeof(have[0]); i++)
        if (strcmp(name, have[i]) == 0)
            return true;
    return false;
}

static struct bc_config cfg;
static struct reports rep;

static void parse_n(const char *text, size_t len)
{
    memset(&rep, 0, sizeof(rep));
    struct bc_env env = {on_error, module_exists, &rep};
    bc_parse(text, len, &cfg, &env);
    assert_int_equal(cfg.errors, rep.n);
}

static void parse(const char *text)
{
    parse_n(text, strlen(text));
}

/* The single report is for line `line` and mentions `needle`. */
static void expect_one_error(unsigned line, const char *needle)
{
    assert_int_equal(rep.n, 1);
    assert_int_equal(rep.line[0], line);
    if (!strstr(rep.what[0], needle))
        fail_msg("report '%s' does not mention '%s'", rep.what[0], needle);
}

static void test_full_config(void **state)
{
    (void)state;
    parse("# the example system\n"
          "console bin=console quota=64 prio=90 io=0x3f8-0x3ff debug=yes\n"
          "\n"
          "kvstore bin=kvstore quota=64 prio=70 heap=16 pt=console\n"
          "kvclient\tbin=kvclient  quota=0x40 prio=50 pt=kvstore,console irq=4,0x0b debug=no\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.count, 3);
    const struct bc_component *con = &cfg.c[0], *kv = &cfg.c[1], *cl = &cfg.c[2];
    assert_string_equal(con->name, "console");
    assert_string_equal(con->bin, "console");
    assert_int_equal(con->line, 2);
    assert_int_equal(con->quota, 64);
    assert_int_equal(con->prio, 90);
    assert_true(con->debug);
    assert_int_equal(con->nio, 1);
    assert_int_equal(con->io[0].first, 0x3f8);
    assert_int_equal(con->io[0].last, 0x3ff);
    assert_true(con->serves);
    assert_int_equal(kv->heap, 16);
    assert_int_equal(kv->line, 4);
    assert_int_equal(kv->nportals, 1);
    assert_int_equal(kv->portals[0], 0);
    assert_true(kv->serves);
    assert_int_equal(cl->quota, 64);
    assert_int_equal(cl->nportals, 2);
    assert_int_equal(cl->portals[0], 1);
    assert_int_equal(cl->portals[1], 0);
    assert_int_equal(cl->nirqs, 2);
    assert_int_equal(cl->irqs[1], 11);
    assert_false(cl->debug);
    assert_false(cl->serves);
    assert_int_equal(bc_find(&cfg, "kvclient"), 2);
    assert_int_equal(bc_find(&cfg, "nobody"), -1);
}

static void test_last_line_without_newline(void **state)
{
    (void)state;
    parse("echo bin=echo quota=16 prio=1");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.count, 1);
    assert_int_equal(cfg.c[0].prio, 1);
    parse("");
    assert_int_equal(cfg.count, 0);
    assert_int_equal(rep.n, 0);
}

static void test_maxprio(void **state)
{
    (void)state;
    parse("echo bin=echo quota=16 prio=40\n"
          "spin bin=echo quota=16 maxprio=60 prio=50\n"
          "top bin=echo quota=16 prio=127 maxprio=127\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.count, 3);
    assert_int_equal(cfg.c[0].maxprio, 40); /* default: its own thread's priority */
    assert_int_equal(cfg.c[1].maxprio, 60);
    assert_int_equal(cfg.c[2].maxprio, 127);
    parse("echo bin=echo quota=16 prio=40 maxprio=39\n");
    expect_one_error(1, "maxprio=39 is below prio=40");
    parse("echo bin=echo quota=16 prio=40 maxprio=128\n");
    expect_one_error(1, "maxprio");
    parse("echo bin=echo quota=16 prio=40 maxprio=50 maxprio=60\n");
    expect_one_error(1, "given twice");
    assert_int_equal(cfg.count, 0);
}

/* VM lines (docs/vmm.md): kernel= makes one; the other VM keys need it. */
static void test_vm_lines(void **state)
{
    (void)state;
    parse("linux bin=vmm quota=2048 prio=40 kernel=vmlinuz initrd=initrd cmdline=cmd mem=512 vcpus=2\n"
          "mini bin=vmm quota=64 prio=40 kernel=vmlinuz\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.count, 2);
    assert_true(cfg.c[0].vm.is_vm);
    assert_string_equal(cfg.c[0].vm.kernel, "vmlinuz");
    assert_string_equal(cfg.c[0].vm.initrd, "initrd");
    assert_string_equal(cfg.c[0].vm.cmdline, "cmd");
    assert_int_equal(cfg.c[0].vm.mem_mib, 512);
    assert_int_equal(cfg.c[0].vm.vcpus, 2);
    assert_int_equal(cfg.c[1].vm.mem_mib, BC_VM_MEM_DEFAULT);
    assert_int_equal(cfg.c[1].vm.vcpus, 1);
    assert_string_equal(cfg.c[1].vm.initrd, "");
    parse("echo bin=echo quota=16 prio=1\n");
    assert_false(cfg.c[0].vm.is_vm);
    parse("x bin=vmm quota=64 prio=40 mem=64\n");
    expect_one_error(1, "mem= without kernel=");
    parse("x bin=vmm quota=64 prio=40 vcpus=2 initrd=initrd\n");
    expect_one_error(1, "without kernel=");
    parse("x bin=vmm quota=64 prio=40 kernel=nosuch\n");
    expect_one_error(1, "kernel=nosuch: no boot module");
    parse("x bin=vmm quota=64 prio=40 kernel=vmlinuz initrd=a/b\n");
    expect_one_error(1, "initrd=a/b: not a module name");
    parse("x bin=vmm quota=64 prio=40 kernel=vmlinuz vcpus=5\n");
    expect_one_error(1, "vcpus=5");
    parse("x bin=vmm quota=64 prio=40 kernel=vmlinuz vcpus=0\n");
    expect_one_error(1, "vcpus=0");
    parse("x bin=vmm quota=64 prio=40 kernel=vmlinuz mem=8\n");
    expect_one_error(1, "mem=8");
    parse("x bin=vmm quota=64 prio=40 kernel=vmlinuz mem=3073\n");
    expect_one_error(1, "mem=3073");
    assert_int_equal(cfg.count, 0);
}

/* data= (a component's configuration module, e.g. the ESP gateway's). */
static void test_data_module(void **state)
{
    (void)state;
    parse("esp bin=echo quota=64 prio=40 data=cmd\n"
          "plain bin=echo quota=16 prio=1\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.count, 2);
    assert_string_equal(cfg.c[0].data, "cmd");
    assert_string_equal(cfg.c[1].data, "");
    assert_false(cfg.c[0].vm.is_vm);
    parse("x bin=echo quota=64 prio=40 data=nosuch\n");
    expect_one_error(1, "data=nosuch: no boot module");
    parse("x bin=echo quota=64 prio=40 data=a/b\n");
    expect_one_error(1, "data=a/b: not a module name");
    parse("x bin=echo quota=64 prio=40 data=cmd data=cmd\n");
    assert_int_equal(rep.n, 1);
    assert_int_equal(cfg.count, 0);
}

static void test_unknown_key_skips_line(void **state)
{
    (void)state;
    parse("console bin=console quota=64 prio=90\n"
          "echo bin=echo quota=64 prio=50 colour=blue\n"
          "kvstore bin=kvstore quota=64 prio=70\n");
    expect_one_error(2, "unknown key 'colour'");
    assert_int_equal(cfg.count, 2);
    assert_string_equal(cfg.c[1].name, "kvstore");
}

static void test_missing_fields(void **state)
{
    (void)state;
    parse("echo quota=64 prio=50\n");
    expect_one_error(1, "missing bin=");
    parse("echo bin=echo prio=50\n");
    expect_one_error(1, "missing quota=");
    parse("echo bin=echo quota=64\n");
    expect_one_error(1, "missing prio=");
    parse("echo\n");
    expect_one_error(1, "missing bin=");
    assert_int_equal(cfg.count, 0);
}

static void test_malformed_fields(void **state)
{
    (void)state;
    parse("echo bin=echo quota=64 prio=50 heap\n");
    expect_one_error(1, "not KEY=VALUE");
    parse("echo bin=echo quota=64 prio=50 prio=51\n");
    expect_one_error(1, "given twice");
    parse("echo bin= quota=64 prio=50\n");
    expect_one_error(1, "empty value");
    parse("echo bin=echo quota=64 prio=50 debug=maybe\n");
    expect_one_error(1, "yes or no");
    parse("echo bin=echo quota=64 prio=50 =5\n");
    expect_one_error(1, "unknown key ''");
    parse("echo bin=echo quota=64 prio=50 # trailing comment\n");
    expect_one_error(1, "not KEY=VALUE");
    parse("echo bin=ec/ho quota=64 prio=50\n");
    expect_one_error(1, "not a module name");
    parse("echo bin=missing quota=64 prio=50\n");
    expect_one_error(1, "no boot module");
    assert_int_equal(cfg.count, 0);
}

static void test_bad_numbers(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "prio=128", "prio=-1", "prio=+5", "prio=1e2", "prio=0x", "prio=0x80", "prio= ", "quota=15",
        "quota=65537", "quota=abc", "quota=99999999999999999999999999", "quota=18446744073709551616",
        "quota=0xffffffffffffffffff", "heap=65537", "quota=64k", "quota=0b101",
    };
    char line[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* The required keys the bad field does not replace, then the bad field. */
        bool quota = strncmp(bad[i], "quota=", 6) == 0, prio = strncmp(bad[i], "prio=", 5) == 0;
        snprintf(line, sizeof(line), "echo bin=echo%s%s %s\n", quota ? "" : " quota=64", prio ? "" : " prio=5",
                 bad[i]);
        parse(line);
        if (rep.n != 1 || cfg.count != 0)
            fail_msg("'%s' accepted (line '%s')", bad[i], line);
        if (!strstr(rep.what[0], "not a number") && !strstr(rep.what[0], "empty value"))
            fail_msg("'%s': unexpected report '%s'", bad[i], rep.what[0]);
    }
    parse("echo bin=echo quota=0x10 prio=0 heap=0\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.c[0].quota, 16);
    assert_int_equal(cfg.c[0].prio, 0);
    parse("echo bin=echo quota=65536 prio=127 heap=65536\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.c[0].quota, 65536);
}

static void test_names(void **state)
{
    (void)state;
    parse("Echo bin=echo quota=64 prio=5\n");
    expect_one_error(1, "not a component name");
    parse("1echo bin=echo quota=64 prio=5\n");
    expect_one_error(1, "not a component name");
    parse("abcdefghijklmnop bin=echo quota=64 prio=5\n"); /* 16 characters */
    expect_one_error(1, "not a component name");
    parse("abcdefghijklmno bin=echo quota=64 prio=5\n"); /* 15: fine */
    assert_int_equal(rep.n, 0);
    parse("init bin=echo quota=64 prio=5\n");
    expect_one_error(1, "reserved");
    parse("sigma0 bin=echo quota=64 prio=5\n");
    expect_one_error(1, "reserved");
    parse("bin=echo quota=64 prio=5\n");
    expect_one_error(1, "not a component name");
}

static void test_duplicate_name(void **state)
{
    (void)state;
    parse("echo bin=echo quota=64 prio=5\n"
          "echo bin=kvstore quota=64 prio=6\n");
    expect_one_error(2, "duplicate component 'echo' (first on line 1)");
    assert_int_equal(cfg.count, 1);
    assert_string_equal(cfg.c[0].bin, "echo");
}

static void test_portal_references(void **state)
{
    (void)state;
    parse("kvclient bin=kvclient quota=64 prio=5 pt=kvstore\n"
          "kvstore bin=kvstore quota=64 prio=6\n");
    expect_one_error(1, "no component of that name on an earlier line");
    assert_int_equal(cfg.count, 1);
    assert_false(cfg.c[0].serves);
    parse("kvstore bin=kvstore quota=64 prio=6 pt=kvstore\n");
    expect_one_error(1, "its own portal");
    parse("kvstore bin=kvstore quota=64 prio=6\n"
          "kvclient bin=kvclient quota=64 prio=5 pt=kvstore,kvstore\n");
    expect_one_error(2, "named twice");
    assert_false(cfg.c[0].serves); /* a skipped line marks nobody as a server */
    parse("kvstore bin=kvstore quota=64 prio=6\n"
          "kvclient bin=kvclient quota=64 prio=5 pt=kvstore,,kvstore\n");
    expect_one_error(2, "empty item");
    parse("kvstore bin=kvstore quota=64 prio=6\n"
          "kvclient bin=kvclient quota=64 prio=5 pt=kvstore,\n");
    expect_one_error(2, "pt=kvstore,: empty item at the end (no blanks");
    parse("a bin=echo quota=64 prio=1\nb bin=echo quota=64 prio=1\nc bin=echo quota=64 prio=1\n"
          "d bin=echo quota=64 prio=1\ne bin=echo quota=64 prio=1\nf bin=echo quota=64 prio=1\n"
          "g bin=echo quota=64 prio=1\nh bin=echo quota=64 prio=1\ni bin=echo quota=64 prio=1\n"
          "x bin=echo quota=64 prio=1 pt=a,b,c,d,e,f,g,h,i\n");
    expect_one_error(10, "more than 8 items");
}

/* A skipped server makes its clients' references unknown: they are
 * skipped too, each with its own report, never started half-granted. */
static void test_error_cascade(void **state)
{
    (void)state;
    parse("kvstore bin=kvstore quota=64 prio=6 oops=1\n"
          "kvclient bin=kvclient quota=64 prio=5 pt=kvstore\n"
          "echo bin=echo quota=64 prio=5\n");
    assert_int_equal(rep.n, 2);
    assert_int_equal(rep.line[0], 1);
    assert_int_equal(rep.line[1], 2);
    assert_non_null(strstr(rep.what[1], "pt=kvstore"));
    assert_int_equal(cfg.count, 1);
    assert_string_equal(cfg.c[0].name, "echo");
}

static void test_io_ranges(void **state)
{
    (void)state;
    parse("c bin=console quota=64 prio=5 io=0x3f8-0x3ff,0x60-0x60,1016-1023\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.c[0].nio, 3);
    assert_int_equal(cfg.c[0].io[1].first, 0x60);
    assert_int_equal(cfg.c[0].io[1].last, 0x60);
    assert_int_equal(cfg.c[0].io[2].first, 0x3f8);
    static const char *const bad[] = {"io=0x3ff-0x3f8", "io=0x3f8", "io=0x3f8-", "io=-0x3ff", "io=0-0x10000",
                                      "io=0x3f8--0x3ff", "io=a-b", "io=1-2,3-4,5-6,7-8,9-10"};
    char line[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(line, sizeof(line), "c bin=console quota=64 prio=5 %s\n", bad[i]);
        parse(line);
        if (rep.n != 1 || cfg.count != 0)
            fail_msg("'%s' accepted", bad[i]);
    }
    parse("c bin=console quota=64 prio=5 irq=256\n");
    expect_one_error(1, "irq=256");
}

static void test_long_line(void **state)
{
    (void)state;
    char text[1200];
    memset(text, 'a', 1000);
    text[1000] = '\n';
    strcpy(text + 1001, "echo bin=echo quota=64 prio=5\n");
    parse(text);
    expect_one_error(1, "longer than 255");
    assert_int_equal(cfg.count, 1);
    /* Exactly the limit is fine (blank padding after a valid line). */
    char edge[BC_LINE_MAX + 2];
    const char *base = "echo bin=echo quota=64 prio=5";
    memset(edge, ' ', BC_LINE_MAX);
    memcpy(edge, base, strlen(base));
    edge[BC_LINE_MAX] = '\n';
    parse_n(edge, BC_LINE_MAX + 1);
    assert_int_equal(rep.n, 0);
    edge[BC_LINE_MAX] = ' ';
    edge[BC_LINE_MAX + 1] = '\n';
    parse_n(edge, BC_LINE_MAX + 2);
    expect_one_error(1, "longer than 255");
}

static void test_embedded_nul_and_control(void **state)
{
    (void)state;
    static const char text[] = "echo bin=echo quota=64\0 prio=5\nkvstore bin=kvstore quota=64 prio=6\n";
    parse_n(text, sizeof(text) - 1);
    expect_one_error(1, "NUL byte 0x00 at column 23");
    assert_int_equal(cfg.count, 1);
    assert_string_equal(cfg.c[0].name, "kvstore");
    parse("echo bin=echo quota=64 prio=5\r\n");
    expect_one_error(1, "0x0d");
    parse("echo bin=echo quota=64 prio=5 \x1b[31m\n");
    expect_one_error(1, "0x1b");
    parse("\xc3\xa9" "cho bin=echo quota=64 prio=5\n");
    expect_one_error(1, "non-ASCII");
}

static void test_too_many(void **state)
{
    (void)state;
    char text[4096] = "";
    for (int i = 0; i < BC_MAX_COMPONENTS + 2; i++) {
        char line[64];
        snprintf(line, sizeof(line), "c%d bin=echo quota=16 prio=1\n", i);
        strcat(text, line);
    }
    parse(text);
    assert_int_equal(cfg.count, BC_MAX_COMPONENTS);
    assert_int_equal(rep.n, 2);
    assert_int_equal(rep.line[0], BC_MAX_COMPONENTS + 1);
    assert_non_null(strstr(rep.what[0], "more than 16 components"));
    parse("e bin=echo quota=16 prio=1 heap=1 heap=1 heap=1 heap=1 heap=1 heap=1 heap=1 heap=1 heap=1 heap=1 "
          "heap=1 heap=1 heap=1 heap=1 heap=1 heap=1\n");
    expect_one_error(1, "more than 16 fields");
}

static void test_without_env(void **state)
{
    (void)state;
    static const char text[] = "x bin=anything quota=16 prio=1\ny bad\n";
    bc_parse(text, strlen(text), &cfg, NULL);
    assert_int_equal(cfg.count, 1);
    assert_int_equal(cfg.errors, 1);
}

/* The device keys: devmem=, msi=, pci=, arg=, restart=. */
static void test_device_keys(void **state)
{
    (void)state;
    parse("pci bin=echo quota=64 prio=80 io=0xcf8-0xcff devmem=yes debug=yes\n"
          "nic bin=echo quota=64 prio=60 pt=pci msi=8 pci=8086:10D3 arg=mode=fast,mtu=1500 restart=yes\n"
          "nic2 bin=echo quota=64 prio=60 pt=pci msi=0 pci=1af4:1041#2 restart=no devmem=no\n"
          "nic3 bin=echo quota=64 prio=60 pt=pci pci=00:1f.7\n"
          "plain bin=echo quota=64 prio=1\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.count, 5);
    assert_true(cfg.c[0].devmem);
    assert_false(cfg.c[0].restart);
    for (unsigned a = 0; a < BC_PCI_ALTS; a++)
        assert_true(cfg.c[0].pci[a] == 0);
    assert_int_equal(cfg.c[1].nmsi, 8);
    assert_true(cfg.c[1].restart);
    assert_false(cfg.c[1].devmem);
    assert_true(cfg.c[1].pci[0] == DJ_PCI_SEL_ID(0x8086, 0x10d3, 0));
    assert_true(cfg.c[1].pci[1] == 0);
    assert_string_equal(cfg.c[1].arg, "mode=fast,mtu=1500");
    assert_true(cfg.c[2].pci[0] == DJ_PCI_SEL_ID(0x1af4, 0x1041, 2));
    assert_int_equal(cfg.c[2].nmsi, 0);
    assert_false(cfg.c[2].restart);
    assert_true(cfg.c[3].pci[0] == DJ_PCI_SEL_BDF(0, 0, 0x1f, 7));
    assert_int_equal(DJ_PCI_SEL_KIND(cfg.c[3].pci[0]), 2);
    assert_int_equal(DJ_PCI_SEL_KIND(cfg.c[1].pci[0]), 1);
    assert_string_equal(cfg.c[4].arg, "");
    assert_int_equal(cfg.c[4].nmsi, 0);
    /* The longest argument. */
    char line[256], arg[BC_ARG_MAX + 2];
    memset(arg, 'x', BC_ARG_MAX);
    arg[BC_ARG_MAX] = '\0';
    snprintf(line, sizeof(line), "a bin=echo quota=64 prio=1 arg=%s\n", arg);
    parse(line);
    assert_int_equal(rep.n, 0);
    assert_int_equal(strlen(cfg.c[0].arg), BC_ARG_MAX);
    arg[BC_ARG_MAX] = 'y';
    arg[BC_ARG_MAX + 1] = '\0';
    snprintf(line, sizeof(line), "a bin=echo quota=64 prio=1 arg=%s\n", arg);
    parse(line);
    expect_one_error(1, "longer than 47");
}

static void test_device_keys_refused(void **state)
{
    (void)state;
    static const struct {
        const char *field, *needle;
    } bad[] = {
        {"msi=9", "not a number in 0..8"},
        {"msi=-1", "not a number"},
        {"msi=99999999999999999999999", "not a number"},
        {"devmem=1", "yes or no"},
        {"restart=always", "yes or no"},
        {"restart=YES", "yes or no"},
        {"pci=8086", "not VVVV:DDDD"},
        {"pci=8086:", "not VVVV:DDDD"},
        {"pci=:10d3", "not VVVV:DDDD"},
        {"pci=808:10d3", "not VVVV:DDDD"},
        {"pci=80866:10d3", "not VVVV:DDDD"},
        {"pci=8086:10d3:1", "not VVVV:DDDD"},
        {"pci=8086:10g3", "not VVVV:DDDD"},
        {"pci=0x8086:10d3", "not VVVV:DDDD"},
        {"pci=ffff:10d3", "no vendor"},
        {"pci=0000:10d3", "no vendor"},
        {"pci=8086:10d3#", "#K"},
        {"pci=8086:10d3#256", "#K"},
        {"pci=8086:10d3#0x1", "#K"},
        {"pci=8086:10d3#-1", "#K"},
        {"pci=8086:10d3##1", "#K"},
        {"pci=8086:10d3#1#2", "#K"},
        {"pci=#1", "not VVVV:DDDD"},
        {"pci=00:02.8", "function 0-7"},
        {"pci=00:20.0", "above 0x1f"},
        {"pci=0:02.0", "not VVVV"},
        {"pci=000:02.0", "not VVVV"},
        {"pci=00:02.00", "not VVVV"},
        {"pci=00.02:0", "not VVVV"},
        {"pci=zz:02.0", "not VVVV"},
        {"pci=00:02.", "not VVVV"},
        {"pci=.", "not VVVV"},
        {"arg=", "empty value"},
    };
    char line[128];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(line, sizeof(line), "d bin=echo quota=64 prio=5 %s\n", bad[i].field);
        parse(line);
        if (rep.n != 1 || cfg.count != 0)
            fail_msg("'%s' accepted", bad[i].field);
        if (!strstr(rep.what[0], bad[i].needle))
            fail_msg("'%s': report '%s' does not mention '%s'", bad[i].field, rep.what[0], bad[i].needle);
    }
    parse("d bin=echo quota=64 prio=5 pci=8086:10d3 pci=8086:10d3\n");
    expect_one_error(1, "given twice");
    parse("d bin=echo quota=64 prio=5 msi=1 msi=1\n");
    expect_one_error(1, "given twice");
    /* A blank ends the argument: the rest is another (malformed) field. */
    parse("d bin=echo quota=64 prio=5 arg=two words\n");
    expect_one_error(1, "'words' is not KEY=VALUE");
    parse("d bin=echo quota=64 prio=5 arg=tab\there\n");
    expect_one_error(1, "not KEY=VALUE");
    parse("d bin=echo quota=64 prio=5 arg=bell\a\n");
    expect_one_error(1, "0x07");
}

/* pci= with alternatives: kept in the order written, 0 after the last;
 * ids and addresses mixed; #K counts as before. */
static void test_pci_alternatives(void **state)
{
    (void)state;
    parse("virtio bin=echo quota=64 prio=60 pci=1af4:1041|1af4:1000\n"
          "mixed bin=echo quota=64 prio=60 pci=00:03.0|8086:10d3#1|8086:10D3|1af4:1000#255\n"
          "one bin=echo quota=64 prio=60 pci=1af4:1000|00:02.0\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.count, 3);
    assert_true(cfg.c[0].pci[0] == DJ_PCI_SEL_ID(0x1af4, 0x1041, 0));
    assert_true(cfg.c[0].pci[1] == DJ_PCI_SEL_ID(0x1af4, 0x1000, 0));
    assert_true(cfg.c[0].pci[2] == 0 && cfg.c[0].pci[3] == 0);
    assert_true(cfg.c[1].pci[0] == DJ_PCI_SEL_BDF(0, 0, 3, 0));
    assert_true(cfg.c[1].pci[1] == DJ_PCI_SEL_ID(0x8086, 0x10d3, 1));
    assert_true(cfg.c[1].pci[2] == DJ_PCI_SEL_ID(0x8086, 0x10d3, 0));
    assert_true(cfg.c[1].pci[3] == DJ_PCI_SEL_ID(0x1af4, 0x1000, 255));
    assert_true(cfg.c[2].pci[1] == DJ_PCI_SEL_BDF(0, 0, 2, 0));
    /* The shipped NIC line. */
    parse("pci bin=echo quota=64 prio=85 devmem=yes\n"
          "nic-virtio bin=echo quota=1024 prio=80 pt=pci pci=1af4:1041|1af4:1000 msi=1 restart=yes\n");
    assert_int_equal(rep.n, 0);
    assert_int_equal(cfg.count, 2);
    assert_true(cfg.c[1].pci[1] == DJ_PCI_SEL_ID(0x1af4, 0x1000, 0));
}

/* Every malformed list of alternatives is an error for its line, which
 * is skipped as a whole (the next line still counts). */
static void test_pci_alternatives_refused(void **state)
{
    (void)state;
    static const struct {
        const char *field, *needle;
    } bad[] = {
        {"pci=|", "empty alternative"},
        {"pci=||", "empty alternative"},
        {"pci=8086:10d3|", "empty alternative"},
        {"pci=|8086:10d3", "empty alternative"},
        {"pci=8086:10d3||1af4:1000", "empty alternative"},
        {"pci=1af4:1041|1af4:1000|00:02.0|00:03.0|00:04.0", "more than 4 alternatives"},
        {"pci=1af4:1041|1af4:1041", "the same device as alternative 1"},
        {"pci=1af4:1000|1af4:1000#0", "the same device as alternative 1"},
        {"pci=00:02.0|8086:10d3|00:02.0", "the same device as alternative 1"},
        {"pci=8086:10d3|1af4:1000|1af4:1000", "the same device as alternative 2"},
        {"pci=8086:10d3|zz", "pci=zz: not VVVV:DDDD"},
        {"pci=8086:10d3|00:20.0", "above 0x1f"},
        {"pci=8086:10d3|ffff:0001", "no vendor"},
        {"pci=8086:10d3|8086:10d3#256", "#K"},
        {"pci=8086:10d3,1af4:1000", "not VVVV:DDDD"},
        {"pci=8086:10d3;1af4:1000", "not VVVV:DDDD"},
        {"pci=8086:10d3|1af4:1000#", "#K"},
        {"pci=8086:10d3#1|#1", "not VVVV:DDDD"},
    };
    char text[256];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(text, sizeof(text), "good bin=echo quota=64 prio=5\nd bin=echo quota=64 prio=5 %s\n"
                 "after bin=echo quota=64 prio=5 pci=8086:10d3|1af4:1000\n", bad[i].field);
        parse_n(text, strlen(text));
        if (rep.n != 1 || cfg.count != 2 || rep.line[0] != 2)
            fail_msg("'%s': %u reports, %u components", bad[i].field, rep.n, cfg.count);
        if (!strstr(rep.what[0], bad[i].needle))
            fail_msg("'%s': report '%s' does not mention '%s'", bad[i].field, rep.what[0], bad[i].needle);
        assert_string_equal(cfg.c[1].name, "after");
    }
    /* Four is the limit, exactly. */
    parse("d bin=echo quota=64 prio=5 pci=1af4:1041|1af4:1000|00:02.0|00:03.0\n");
    assert_int_equal(rep.n, 0);
    assert_true(cfg.c[0].pci[3] == DJ_PCI_SEL_BDF(0, 0, 3, 0));
    /* pci= twice is still an error, alternatives or not. */
    parse("d bin=echo quota=64 prio=5 pci=1af4:1041|1af4:1000 pci=8086:10d3\n");
    expect_one_error(1, "given twice");
}

/* Random bytes and random mixes of valid tokens: never a crash, a leak or
 * an out-of-bounds access (the sanitizers watch), and every committed
 * component is well-formed. */
static void test_random_input(void **state)
{
    (void)state;
    static const char *const pieces[] = {"echo", "kvstore", " ", "\t", "\n", "bin=", "echo", "quota=", "prio=",
                                         "64", "0x", "pt=", "io=", "0x3f8-0x3ff", ",", "=", "#", "\0", "99999999999",
                                         "heap=", "irq=", "debug=yes", "-", "kvclient", "msi=", "8", "pci=",
                                         "8086:10d3", "00:02.0", "#", "#1", ".", ":", "arg=", "restart=yes",
                                         "devmem=yes", "ffff", "|", "1af4:1000", "|1af4:1041", "8086:10d3#0|"};
    srand(4242);
    char buf[2048];
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        int n = rand() % 64;
        for (int i = 0; i < n && len < sizeof(buf) - 32; i++) {
            if (rand() % 4 == 0) {
                buf[len++] = (char)(rand() % 256);
            } else {
                const char *p = pieces[rand() % (sizeof(pieces) / sizeof(pieces[0]))];
                size_t pl = p[0] ? strlen(p) : 1;
                memcpy(buf + len, p, pl);
                len += pl;
            }
        }
        char *copy = malloc(len ? len : 1); /* exact size: ASan catches reads past the end */
        memcpy(copy, buf, len);
        parse_n(copy, len);
        free(copy);
        assert_true(cfg.count <= BC_MAX_COMPONENTS);
        for (unsigned i = 0; i < cfg.count; i++) {
            const struct bc_component *c = &cfg.c[i];
            assert_true(strlen(c->name) > 0 && strlen(c->name) <= BC_NAME_MAX);
            assert_true(c->quota >= BC_QUOTA_MIN && c->prio <= BC_PRIO_MAX);
            for (unsigned j = 0; j < c->nportals; j++)
                assert_true(c->portals[j] < i);
            assert_true(c->nmsi <= BC_MSI_MAX);
            assert_true(strlen(c->arg) <= BC_ARG_MAX);
            /* Alternatives first, then only 0; each a selector; none twice. */
            unsigned n = 0;
            while (n < BC_PCI_ALTS && c->pci[n])
                n++;
            for (unsigned a = 0; a < BC_PCI_ALTS; a++) {
                if (a >= n) {
                    assert_true(c->pci[a] == 0);
                    continue;
                }
                assert_true(DJ_PCI_SEL_KIND(c->pci[a]) == 1 || DJ_PCI_SEL_KIND(c->pci[a]) == 2);
                for (unsigned b = 0; b < a; b++)
                    assert_true(c->pci[a] != c->pci[b]);
            }
        }
    }
}


/* The build-time check (tools/bootconfig-check) and init report these
 * with the parser's own words; each kind of mistake once. */
static void test_unknown_key_suggests_closest(void **state)
{
    (void)state;
    parse("console bin=console quota=64 prio=90\n"
          "kvstore bin=kvstore quota=64 prio=70 hep=16\n");
    expect_one_error(2, "unknown key 'hep' (did you mean 'heap'?)");
    parse("kvstore bin=kvstore quota=64 priority=70\n");
    expect_one_error(1, "(did you mean 'prio'?)");
    parse("kvstore bin=kvstore quota=64 prio=70 colour=blue\n");
    expect_one_error(1, "unknown key 'colour'");
    assert_null(strstr(rep.what[0], "did you mean")); /* nothing close: no guess */
}

static void test_list_errors_quote_whole_value(void **state)
{
    (void)state;
    /* A blank after the comma ends the value: say so, quoting all of it. */
    parse("console bin=console quota=64 prio=90\n"
          "kvstore bin=kvstore quota=64 prio=70\n"
          "kvclient bin=kvclient quota=64 prio=50 pt=kvstore, console\n");
    expect_one_error(3, "pt=kvstore,: empty item at the end (no blanks inside a value: pt=a,b)");
    parse("console bin=console quota=64 prio=90\n"
          "kvclient bin=kvclient quota=64 prio=50 pt=console,,console\n");
    expect_one_error(2, "pt=console,,console: empty item");
    parse("kvclient bin=kvclient quota=64 prio=50 io=0x60-0x64,,0x70-0x71\n");
    expect_one_error(1, "io=0x60-0x64,,0x70-0x71: empty item");
}

static void test_reference_to_later_line(void **state)
{
    (void)state;
    parse("kvclient bin=kvclient quota=64 prio=50 pt=kvstore\n"
          "# the service comes too late\n"
          "  kvstore bin=kvstore quota=64 prio=70\n");
    expect_one_error(1, "pt=kvstore: no component of that name on an earlier line (it is on line 3)");
    parse("kvclient bin=kvclient quota=64 prio=50 pt=kvstor\n"
          "kvstore bin=kvstore quota=64 prio=70\n");
    expect_one_error(1, "pt=kvstor: no component of that name on an earlier line");
    assert_null(strstr(rep.what[0], "it is on line"));
}

static void test_bin_not_a_program_of_the_iso(void **state)
{
    (void)state;
    parse("counter bin=counter quota=64 prio=70\n");
    expect_one_error(1, "bin=counter: no boot module of that name");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_config),
        cmocka_unit_test(test_last_line_without_newline),
        cmocka_unit_test(test_unknown_key_skips_line),
        cmocka_unit_test(test_missing_fields),
        cmocka_unit_test(test_vm_lines),
        cmocka_unit_test(test_data_module),
        cmocka_unit_test(test_malformed_fields),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_duplicate_name),
        cmocka_unit_test(test_portal_references),
        cmocka_unit_test(test_error_cascade),
        cmocka_unit_test(test_io_ranges),
        cmocka_unit_test(test_long_line),
        cmocka_unit_test(test_embedded_nul_and_control),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_without_env),
        cmocka_unit_test(test_device_keys),
        cmocka_unit_test(test_device_keys_refused),
        cmocka_unit_test(test_pci_alternatives),
        cmocka_unit_test(test_pci_alternatives_refused),
        cmocka_unit_test(test_maxprio),
        cmocka_unit_test(test_random_input),
        cmocka_unit_test(test_unknown_key_suggests_closest),
        cmocka_unit_test(test_list_errors_quote_whole_value),
        cmocka_unit_test(test_reference_to_later_line),
        cmocka_unit_test(test_bin_not_a_program_of_the_iso),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
