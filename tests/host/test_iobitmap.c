// host-test-sources: arch/x86_64/iobitmap.c kernel/quota.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* I/O permission bitmaps (kernel/iobitmap.c) on the host: the bits a range
 * allows or denies, exactly (the ports next to it keep theirs), the two
 * pages a bitmap takes and gives back when the second cannot be had, and
 * what iobitmap_load copies into a CPU's TSS. this_cpu() reads %gs:0 as
 * in the kernel: the test points the GS base at a per-CPU area of its own
 * (arch_prctl), so the code runs unchanged. ASan bounds every array. */
#include <asm/prctl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <cmocka.h>
#include "arch/x86_64/iobitmap.h"
#include "test_pages.h"

#define PORTS 65536u
#define IOMAP_OFFSET (offsetof(struct cpu_tables, iomap) - offsetof(struct cpu_tables, tss))

static struct percpu *cpu;

static int setup(void **state)
{
    (void)state;
    cpu = aligned_alloc(64, (sizeof(*cpu) + 63) & ~(size_t)63);
    assert_non_null(cpu);
    memset(cpu, 0, sizeof(*cpu));
    cpu->self = cpu;
    cpu->index = 3;
    return syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)cpu) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    syscall(SYS_arch_prctl, ARCH_SET_GS, 0ul);
    free(cpu);
    return 0;
}

static bool denied(const struct pd *pd, unsigned port)
{
    return pd->io_bits[port / IOBITMAP_PAGE_PORTS][(port % IOBITMAP_PAGE_PORTS) / 8] & (1u << (port % 8));
}

static void new_pd(struct pd *pd, struct test_pages *tp, long pages)
{
    memset(pd, 0, sizeof(*pd));
    test_pages_init(tp, 16);
    tp->fail_after = pages;
    pd->pages = tp->src;
}

static void free_bitmap(struct pd *pd)
{
    for (unsigned i = 0; i < 2; i++)
        if (pd->io_bits[i])
            page_source_free(&pd->pages, pd->io_bits[i]);
}

static void allow_exact_ranges(void **state)
{
    (void)state;
    struct test_pages tp;
    struct pd pd;
    new_pd(&pd, &tp, -1);
    assert_int_equal(iobitmap_allow(&pd, 0x3f8, 8), DJ_OK);   /* whole byte */
    assert_int_equal(iobitmap_allow(&pd, 0x61, 3), DJ_OK);    /* bits inside a byte */
    assert_int_equal(iobitmap_allow(&pd, 0x7ffe, 4), DJ_OK);  /* across the page boundary */
    assert_int_equal(iobitmap_allow(&pd, PORTS - 1, 5), DJ_OK); /* clipped at the last port */
    assert_int_equal(tp.live, 2);
    for (unsigned port = 0; port < PORTS; port++) {
        bool allowed = (port >= 0x3f8 && port < 0x400) || (port >= 0x61 && port < 0x64) ||
                       (port >= 0x7ffe && port < 0x8002) || port == PORTS - 1;
        if (denied(&pd, port) == allowed)
            fail_msg("port %#x is %s", port, allowed ? "denied" : "allowed");
    }
    uint64_t gen = pd.io_gen;
    assert_true(gen != 0);
    iobitmap_deny(&pd, 0x3f9, 6);
    assert_true(pd.io_gen > gen);
    assert_false(denied(&pd, 0x3f8));
    for (unsigned port = 0x3f9; port < 0x3ff; port++)
        assert_true(denied(&pd, port));
    assert_false(denied(&pd, 0x3ff));
    free_bitmap(&pd);
}

static void second_page_missing_keeps_nothing(void **state)
{
    (void)state;
    struct test_pages tp;
    struct pd pd;
    new_pd(&pd, &tp, 1);
    assert_int_equal(iobitmap_allow(&pd, 0x60, 1), DJ_E_QUOTA);
    assert_int_equal(tp.live, 0);
    assert_null(pd.io_bits[0]);
    assert_null(pd.io_bits[1]);
    assert_int_equal(pd.io_gen, 0);
    iobitmap_deny(&pd, 0x60, 1); /* no bitmap: nothing to do */
    assert_null(pd.io_bits[0]);
}

static void load_copies_the_bitmap(void **state)
{
    (void)state;
    struct test_pages tp;
    struct pd pd;
    new_pd(&pd, &tp, -1);
    assert_int_equal(iobitmap_allow(&pd, 0x70, 2), DJ_OK);
    assert_int_equal(iobitmap_allow(&pd, PORTS - 8, 8), DJ_OK);
    memset(cpu->tables.iomap, 0x5a, sizeof(cpu->tables.iomap));
    iobitmap_load(&pd);
    assert_int_equal(cpu->tables.tss.iomap_base, IOMAP_OFFSET);
    assert_int_equal(iobitmap_loaded_gen[3], pd.io_gen);
    assert_int_equal(iobitmap_content_gen[3], pd.io_gen);
    assert_memory_equal(cpu->tables.iomap, pd.io_bits[0], 4096);
    assert_memory_equal(cpu->tables.iomap + 4096, pd.io_bits[1], 4096);
    assert_int_equal(cpu->tables.iomap[TSS_IOMAP_BYTES], 0xff); /* the terminating byte */
    assert_int_equal(cpu->tables.iomap[TSS_IOMAP_BYTES - 1], 0);

    /* A PD without ports: nothing copied, the map offset past the limit. */
    struct test_pages tp2;
    struct pd none;
    new_pd(&none, &tp2, -1);
    cpu->tables.iomap[0] = 0x11;
    iobitmap_load(&none);
    assert_int_equal(cpu->tables.tss.iomap_base, TSS_IOMAP_DENY);
    assert_int_equal(iobitmap_loaded_gen[3], 0);
    assert_int_equal(cpu->tables.iomap[0], 0x11);
    free_bitmap(&pd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(allow_exact_ranges),
        cmocka_unit_test(second_page_missing_keeps_nothing),
        cmocka_unit_test(load_copies_the_bitmap),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
