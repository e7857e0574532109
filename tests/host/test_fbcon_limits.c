// host-test-sources: arch/x86_64/fbcon.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The framebuffer console (arch/x86_64/fbcon.c) on the host, RGB modes
 * only (EGA text mode programs the VGA cursor with port I/O): which
 * framebuffers fbcon_init accepts, at each limit's edge; the bytes of a
 * drawn glyph at 16, 24 and 32 bits per pixel; UTF-8 decoding. ioremap
 * hands out exactly the framebuffer's size, so the address sanitizer
 * stops any write past it. The fake font's glyph g has g as its first
 * pixel row, so a cell tells which glyph was drawn there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>
#include "arch/x86_64/fbcon.h"
#include "kernel/font.h"
#include "arch/x86_64/paging.h"

#define FONT_W 8
#define FONT_H 2
#define GLYPHS 256
#define MAX_DIM 16384u
#define MAX_BYTES (1ull << 30)
#define FG 0xaa /* light gray: 0xaa in every channel */

#define MAP16(b) b, b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7, b + 8, b + 9, b + 10, b + 11, b + 12, b + 13, \
                 b + 14, b + 15
static uint8_t glyph_bits[GLYPHS * FONT_H];
const struct console_font console_font = {
    .width = FONT_W, .height = FONT_H, .glyph_count = GLYPHS, .bytes_per_glyph = FONT_H, .glyphs = glyph_bits,
    .ascii_map = {MAP16(0), MAP16(16), MAP16(32), MAP16(48), MAP16(64), MAP16(80), MAP16(96), MAP16(112),
                  MAP16(128), MAP16(144), MAP16(160), MAP16(176), MAP16(192), MAP16(208), MAP16(224), MAP16(240)},
};

static uint8_t *fb_mem;
static size_t fb_len;
static bool fb_mapped; /* from mmap (large), else malloc */

void *ioremap(uint64_t phys, size_t len, enum cache_mode mode)
{
    (void)phys, (void)mode;
    if (len > (64u << 20)) {
        fb_mem = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        fb_mapped = true;
        if (fb_mem == MAP_FAILED)
            fb_mem = NULL;
    } else {
        fb_mem = malloc(len);
        fb_mapped = false;
    }
    fb_len = len;
    return fb_mem;
}

static void release(void)
{
    if (fb_mem && fb_mapped)
        munmap(fb_mem, fb_len);
    else
        free(fb_mem);
    fb_mem = NULL;
}

static int setup(void **state)
{
    (void)state;
    for (unsigned g = 0; g < GLYPHS; g++) {
        glyph_bits[g * FONT_H] = (uint8_t)g;
        glyph_bits[g * FONT_H + 1] = 0;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    release();
    return 0;
}

static struct boot_framebuffer rgb(unsigned bpp, uint32_t width, uint32_t height, uint32_t pitch)
{
    struct boot_framebuffer fb = {
        .addr = 0xfd000000ull, .pitch = pitch, .width = width, .height = height, .bpp = (uint8_t)bpp,
        .type = FB_RGB, .red_pos = 16, .red_size = 8, .green_pos = 8, .green_size = 8, .blue_pos = 0, .blue_size = 8,
    };
    if (bpp == 16)
        fb.red_pos = 11, fb.red_size = 5, fb.green_pos = 5, fb.green_size = 6, fb.blue_size = 5;
    return fb;
}

static int init(struct boot_framebuffer fb)
{
    release();
    return fbcon_init(&fb);
}

static void accepts_usual_framebuffers(void **state)
{
    (void)state;
    assert_int_equal(init(rgb(32, 64, 8, 256)), 0);
    assert_int_equal(fb_len, 256 * 8);
    assert_int_equal(init(rgb(24, 64, 8, 192)), 0);
    assert_int_equal(init(rgb(16, 64, 8, 128)), 0);
}

static void refuses_bad_framebuffers(void **state)
{
    (void)state;
    struct boot_framebuffer fb = rgb(32, 64, 8, 256);
    fb.addr = 0;
    assert_int_equal(init(fb), -1);
    assert_int_equal(init(rgb(32, 0, 8, 256)), -1);
    assert_int_equal(init(rgb(32, 64, 0, 256)), -1);
    assert_int_equal(init(rgb(8, 64, 8, 256)), -1);
    assert_int_equal(init(rgb(32, 64, 8, 255)), -1); /* pitch shorter than a row */
    assert_int_equal(init(rgb(32, 64, 8, 257)), 0);
    assert_int_equal(init(rgb(32, 4, 8, 16)), -1);    /* narrower than one glyph */
    assert_int_equal(init(rgb(32, 8, 1, 32)), -1);    /* lower than one glyph */
    assert_int_equal(init(rgb(32, 8, 2, 32)), 0);     /* exactly one cell */
    fb = rgb(32, 64, 8, 256);
    fb.type = 7;
    assert_int_equal(init(fb), -1);
    fb = rgb(32, 64, 8, 256);
    fb.addr = ~0ull - 100; /* wraps around */
    assert_int_equal(init(fb), -1);
    assert_null(fb_mem);
}

static void channel_limits(void **state)
{
    (void)state;
    struct boot_framebuffer fb = rgb(32, 64, 8, 256);
    fb.red_pos = 16, fb.red_size = 16; /* ends at bit 32: fits */
    assert_int_equal(init(fb), 0);
    fb.red_pos = 17; /* ends at bit 33 */
    assert_int_equal(init(fb), -1);
    fb.red_pos = 0, fb.red_size = 17;
    assert_int_equal(init(fb), -1);
    fb.red_size = 0;
    assert_int_equal(init(fb), -1);
    fb.red_size = 1;
    assert_int_equal(init(fb), 0);
}

/* Width and height up to 16,384, the whole framebuffer up to 1 GiB. */
static void size_limits(void **state)
{
    (void)state;
    assert_int_equal(init(rgb(32, MAX_DIM, 2, MAX_DIM * 4)), 0);
    assert_int_equal(init(rgb(32, MAX_DIM + 1, 2, (MAX_DIM + 1) * 4)), -1);
    assert_int_equal(init(rgb(32, 8, MAX_DIM, 32)), 0);
    assert_int_equal(init(rgb(32, 8, MAX_DIM + 1, 32)), -1);
    /* 16,384 rows of 64 KiB: exactly 1 GiB, then one row more per pitch. */
    assert_int_equal(init(rgb(32, 8, MAX_DIM, (uint32_t)(MAX_BYTES / MAX_DIM))), 0);
    assert_int_equal(fb_len, MAX_BYTES);
    assert_int_equal(init(rgb(32, 8, MAX_DIM, (uint32_t)(MAX_BYTES / MAX_DIM) + 4)), -1);
}

/* The glyph drawn in cell (cx, cy): its first pixel row, read back. */
static int cell_glyph_at(unsigned cx, unsigned cy, unsigned bytespp, unsigned pitch)
{
    unsigned g = 0;
    for (unsigned x = 0; x < FONT_W; x++) {
        const uint8_t *p = fb_mem + (size_t)cy * FONT_H * pitch + (cx * FONT_W + x) * bytespp;
        bool on = false, off = true;
        for (unsigned b = 0; b < bytespp; b++) {
            on = on || p[b] != 0;
            off = off && p[b] == 0;
        }
        if (!on && !off)
            return -1;
        g = g << 1 | on;
    }
    return (int)g;
}

static int cell_glyph(unsigned cx, unsigned bytespp, unsigned pitch)
{
    return cell_glyph_at(cx, 0, bytespp, pitch);
}

static void pixels_at_each_depth(void **state)
{
    (void)state;
    static const unsigned depths[] = {32, 24, 16};
    for (unsigned i = 0; i < 3; i++) {
        unsigned bpp = depths[i], bytespp = bpp / 8, pitch = 64 * bytespp;
        assert_int_equal(init(rgb(bpp, 64, 8, pitch)), 0);
        fbcon_write("\xff", 1); /* invalid lead byte: '?' */
        fbcon_write("A", 1);
        assert_int_equal(cell_glyph(0, bytespp, pitch), '?');
        assert_int_equal(cell_glyph(1, bytespp, pitch), 'A');
        /* 'A' = 0x41: pixel 1 of the first row is foreground, every byte of it. */
        const uint8_t *p = fb_mem + (FONT_W + 1) * bytespp;
        if (bpp == 16) {
            uint16_t v;
            memcpy(&v, p, 2);
            assert_int_equal(v, (0xaa >> 3) << 11 | (0xaa >> 2) << 5 | (0xaa >> 3));
        } else {
            for (unsigned b = 0; b < 3; b++)
                assert_int_equal(p[b], FG);
            if (bpp == 32)
                assert_int_equal(p[3], 0);
        }
        assert_int_equal(p[bytespp], 0); /* pixel 2 is background */
    }
}

static void utf8_decoding(void **state)
{
    (void)state;
    assert_int_equal(init(rgb(32, 64, 8, 256)), 0);
    fbcon_write("\xc3\xa9" "b" "\xe0\x82\x80" "c" "\xc3" "d" "e", 10);
    assert_int_equal(cell_glyph(0, 4, 256), 0xe9); /* é, two bytes */
    assert_int_equal(cell_glyph(1, 4, 256), 'b');
    assert_int_equal(cell_glyph(2, 4, 256), '?'); /* overlong 0x80 */
    assert_int_equal(cell_glyph(3, 4, 256), 'c');
    assert_int_equal(cell_glyph(4, 4, 256), '?'); /* truncated: '?', then the next byte */
    assert_int_equal(cell_glyph(5, 4, 256), 'd');
    assert_int_equal(cell_glyph(6, 4, 256), 'e'); /* the truncated sequence is over */
    assert_int_equal(cell_glyph(7, 4, 256), 0);
}

/* Eight cells a row: the ninth glyph wraps, a full screen scrolls, and
 * nothing is written outside the framebuffer (ASan). */
static void wrap_and_scroll_stay_inside(void **state)
{
    (void)state;
    assert_int_equal(init(rgb(32, 64, 4, 256)), 0); /* 8 columns, 2 rows */
    fbcon_write("abcdefghij\tk\n\nlm\b\rn", 19);
    assert_int_equal(cell_glyph_at(0, 1, 4, 256), 'n');
    assert_int_equal(cell_glyph_at(1, 1, 4, 256), 'm');
    assert_int_equal(cell_glyph_at(2, 1, 4, 256), 0);
    for (unsigned cx = 0; cx < 8; cx++)
        assert_int_equal(cell_glyph_at(cx, 0, 4, 256), 0); /* scrolled away */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(accepts_usual_framebuffers),
        cmocka_unit_test(refuses_bad_framebuffers),
        cmocka_unit_test(channel_limits),
        cmocka_unit_test(size_limits),
        cmocka_unit_test(pixels_at_each_depth),
        cmocka_unit_test(utf8_decoding),
        cmocka_unit_test(wrap_and_scroll_stay_inside),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
