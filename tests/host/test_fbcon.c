// host-test-sources: arch/x86_64/fbcon.c
/* SPDX-License-Identifier: GPL-2.0-only */
/* The framebuffer console on the pixel layouts GRUB can hand over: 32, 24,
 * 16 and 15 bits of direct colour are drawn (pixel values and strides
 * checked), indexed colour and impossible layouts are refused, and every
 * write, scrolling included, stays inside the framebuffer (the buffer is
 * exactly pitch * height bytes, so the sanitizer sees any write past it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "arch/x86_64/fbcon.h"
#include "kernel/font.h"
#include "arch/x86_64/paging.h"

#define GLYPH_W 8
#define GLYPH_H 16
#define FB_PHYS 0xfd000000ull
#define GRAY 0xaa /* the console's foreground intensity */

/* Glyph n draws the bits of n on each of its rows: 'A' (0x41) sets the
 * pixels at x = 1 and x = 7. */
static uint8_t glyph_bits[256 * GLYPH_H];
const struct console_font console_font = {
    .width = GLYPH_W, .height = GLYPH_H, .glyph_count = 256, .bytes_per_glyph = GLYPH_H, .glyphs = glyph_bits,
    .ascii_map = {[' '] = ' ', ['?'] = '?', ['@'] = '@', ['A'] = 'A'}, /* the rest: glyph 0, blank */
};

static uint8_t *fb_mem;
static size_t fb_len;

void *ioremap(uint64_t phys, size_t len, enum cache_mode mode)
{
    (void)mode;
    if (phys != FB_PHYS || len > fb_len)
        return NULL;
    return fb_mem;
}

static int setup(void **state)
{
    (void)state;
    for (unsigned g = 0; g < 256; g++)
        memset(glyph_bits + g * GLYPH_H, (int)g, GLYPH_H);
    return 0;
}

static struct boot_framebuffer rgb_fb(uint32_t w, uint32_t h, uint32_t pitch, uint8_t bpp, const uint8_t f[6])
{
    return (struct boot_framebuffer){.addr = FB_PHYS, .pitch = pitch, .width = w, .height = h, .bpp = bpp,
                                     .type = FB_RGB, .red_pos = f[0], .red_size = f[1], .green_pos = f[2],
                                     .green_size = f[3], .blue_pos = f[4], .blue_size = f[5]};
}

/* A framebuffer of exactly pitch * height bytes, filled with a marker. */
static void new_fb(const struct boot_framebuffer *fb)
{
    free(fb_mem);
    fb_len = (size_t)fb->pitch * fb->height;
    fb_mem = malloc(fb_len);
    assert_non_null(fb_mem);
    memset(fb_mem, 0x5a, fb_len);
}

static uint32_t pixel(const struct boot_framebuffer *fb, uint32_t x, uint32_t y)
{
    const uint8_t *p = fb_mem + (size_t)y * fb->pitch + (size_t)x * ((fb->bpp + 7u) / 8);
    uint32_t v = 0;
    for (unsigned i = 0; i < (fb->bpp + 7u) / 8; i++)
        v |= (uint32_t)p[i] << (8 * i);
    return v;
}

/* Draws 'A' in the first cell and checks its pixels, and that the padding
 * past each row's last pixel was left alone. */
static void draws_layout(uint8_t bpp, const uint8_t fields[6], uint32_t gray)
{
    const uint32_t w = 64, h = 48, bytespp = (bpp + 7u) / 8, pitch = w * bytespp + 12;
    struct boot_framebuffer fb = rgb_fb(w, h, pitch, bpp, fields);
    new_fb(&fb);
    assert_int_equal(fbcon_init(&fb), 0);
    assert_int_equal(pixel(&fb, 0, 0), 0); /* cleared to black */
    fbcon_write("A", 1);
    for (uint32_t y = 0; y < GLYPH_H; y++)
        for (uint32_t x = 0; x < GLYPH_W; x++)
            assert_int_equal(pixel(&fb, x, y), (x == 1 || x == 7) ? gray : 0);
    for (uint32_t y = 0; y < h; y++)
        for (uint32_t b = w * bytespp; b < pitch; b++)
            assert_int_equal(fb_mem[(size_t)y * pitch + b], 0x5a);
}

static void draws_32bpp(void **state)
{
    (void)state;
    static const uint8_t xrgb[6] = {16, 8, 8, 8, 0, 8};
    draws_layout(32, xrgb, GRAY << 16 | GRAY << 8 | GRAY);
}

static void draws_24bpp(void **state)
{
    (void)state;
    static const uint8_t rgb[6] = {16, 8, 8, 8, 0, 8};
    draws_layout(24, rgb, GRAY << 16 | GRAY << 8 | GRAY);
}

static void draws_16bpp(void **state)
{
    (void)state;
    static const uint8_t rgb565[6] = {11, 5, 5, 6, 0, 5};
    draws_layout(16, rgb565, (GRAY >> 3) << 11 | (GRAY >> 2) << 5 | (GRAY >> 3));
}

static void draws_15bpp(void **state)
{
    (void)state;
    static const uint8_t rgb555[6] = {10, 5, 5, 5, 0, 5};
    draws_layout(15, rgb555, (GRAY >> 3) << 10 | (GRAY >> 3) << 5 | (GRAY >> 3));
}

static void refuses_what_it_cannot_drive(void **state)
{
    (void)state;
    static const uint8_t xrgb[6] = {16, 8, 8, 8, 0, 8};
    static const uint8_t wide[6] = {16, 8, 8, 8, 0, 8};
    struct boot_framebuffer fb = rgb_fb(640, 480, 640, 8, xrgb); /* 8 bpp "direct" colour */
    new_fb(&fb);
    assert_int_equal(fbcon_init(&fb), -1);
    fb = rgb_fb(640, 480, 640, 8, xrgb);
    fb.type = FB_NONE; /* what the parser leaves for an indexed-colour framebuffer */
    assert_int_equal(fbcon_init(&fb), -1);
    fb = rgb_fb(640, 480, 640 * 2, 16, wide); /* red field past 16 bits */
    new_fb(&fb);
    assert_int_equal(fbcon_init(&fb), -1);
    fb = rgb_fb(640, 480, 640 * 3 - 1, 24, xrgb); /* pitch shorter than a row */
    new_fb(&fb);
    assert_int_equal(fbcon_init(&fb), -1);
    fb = rgb_fb(4, 8, 16, 32, xrgb); /* smaller than one glyph */
    new_fb(&fb);
    assert_int_equal(fbcon_init(&fb), -1);
    /* Refused means silent: nothing is drawn. */
    fbcon_write("A", 1);
    for (size_t i = 0; i < fb_len; i++)
        assert_int_equal(fb_mem[i], 0x5a);
}

/* Many lines on a small 24-bpp screen: scrolling stays inside the buffer
 * and the last line is at the bottom. */
static void scrolls_inside_24bpp(void **state)
{
    (void)state;
    static const uint8_t rgb[6] = {16, 8, 8, 8, 0, 8};
    const uint32_t w = 40, h = 3 * GLYPH_H + 5, pitch = w * 3 + 4;
    struct boot_framebuffer fb = rgb_fb(w, h, pitch, 24, rgb);
    new_fb(&fb);
    assert_int_equal(fbcon_init(&fb), 0);
    for (int i = 0; i < 10; i++)
        fbcon_write("@@@@@\n", 6);
    fbcon_write("A", 1);
    const uint32_t gray = GRAY << 16 | GRAY << 8 | GRAY;
    uint32_t row = 2 * GLYPH_H; /* the third and last text row */
    assert_int_equal(pixel(&fb, 1, row), gray);
    assert_int_equal(pixel(&fb, 0, row), 0);
    assert_int_equal(pixel(&fb, 2 * GLYPH_W + 1, GLYPH_H), gray); /* '@' (0x40) above it */
}

static int teardown(void **state)
{
    (void)state;
    free(fb_mem);
    fb_mem = NULL;
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(draws_32bpp),
        cmocka_unit_test(draws_24bpp),
        cmocka_unit_test(draws_16bpp),
        cmocka_unit_test(draws_15bpp),
        cmocka_unit_test(refuses_what_it_cannot_drive),
        cmocka_unit_test(scrolls_inside_24bpp),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
