/* SPDX-License-Identifier: GPL-2.0-only */
/* Text console on the boot framebuffer: direct-colour pixels of 15, 16, 24
 * or 32 bits drawn with the PSF console font (light gray on black), or EGA
 * text mode cells. Indexed-colour framebuffers are not driven. Scrolling
 * moves the framebuffer contents up (no shadow buffer). Callers (the
 * console) serialize writes; this file takes no lock of its own so the
 * panic path can always write. */
#include <stdbool.h>
#include <stdint.h>
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/fbcon.h"
#include "kernel/font.h"
#include "common/string.h"
#include "arch/x86_64/paging.h"

#define FB_MAX_DIM 16384u       /* pixels (or text cells) per side */
#define FB_MAX_BYTES (1ull << 30)
#define EGA_ATTR 0x07           /* light gray on black */
#define TAB_WIDTH 8

static struct {
    uint8_t type;   /* enum fb_type; FB_NONE until fbcon_init succeeds */
    uint8_t *base;
    uint32_t pitch, width, height;
    uint32_t bytespp;        /* RGB: bytes per pixel */
    uint32_t fg, bg;         /* RGB: encoded pixel values */
    uint32_t cols, rows;     /* text cells */
    uint32_t cx, cy;         /* cursor cell; cx == cols means "wrap before the next glyph" */
    uint32_t utf8_cp;        /* partial UTF-8 character */
    unsigned utf8_left;      /* continuation bytes still expected */
} con;

/* 8-bit intensity scaled into a channel of `size` bits at `pos`. */
static uint32_t channel(uint8_t v, uint8_t pos, uint8_t size)
{
    uint32_t c = size <= 8 ? (uint32_t)v >> (8 - size) : (uint32_t)v << (size - 8);
    return c << pos;
}

static uint32_t rgb(const struct boot_framebuffer *fb, uint8_t r, uint8_t g, uint8_t b)
{
    return channel(r, fb->red_pos, fb->red_size) | channel(g, fb->green_pos, fb->green_size) |
           channel(b, fb->blue_pos, fb->blue_size);
}

static bool channel_ok(uint8_t pos, uint8_t size, uint8_t bpp)
{
    return size >= 1 && size <= 16 && pos + size <= bpp;
}

static bool font_ok(void)
{
    const struct console_font *f = &console_font;
    return f->width >= 1 && f->width <= 64 && f->height >= 1 && f->height <= 64 &&
           f->bytes_per_glyph == f->height * ((f->width + 7) / 8) && f->glyph_count >= 1 &&
           f->glyphs;
}

int fbcon_init(const struct boot_framebuffer *fb)
{
    con.type = FB_NONE;
    if (!fb || fb->addr == 0 || fb->width == 0 || fb->height == 0 || fb->width > FB_MAX_DIM ||
        fb->height > FB_MAX_DIM)
        return -1;
    uint32_t bytespp;
    if (fb->type == FB_RGB) {
        /* Direct colour in 2, 3 or 4 bytes a pixel (15 bpp is 5:5:5 in 2). */
        if (fb->bpp != 15 && fb->bpp != 16 && fb->bpp != 24 && fb->bpp != 32)
            return -1;
        if (!channel_ok(fb->red_pos, fb->red_size, fb->bpp) ||
            !channel_ok(fb->green_pos, fb->green_size, fb->bpp) ||
            !channel_ok(fb->blue_pos, fb->blue_size, fb->bpp) || !font_ok())
            return -1;
        bytespp = (fb->bpp + 7u) / 8;
    } else if (fb->type == FB_EGA_TEXT) {
        bytespp = 2; /* character + attribute */
    } else {
        return -1;
    }
    uint64_t size = (uint64_t)fb->pitch * fb->height;
    if ((uint64_t)fb->pitch < (uint64_t)fb->width * bytespp || size > FB_MAX_BYTES ||
        fb->addr + size < fb->addr)
        return -1;

    uint32_t cols = fb->width, rows = fb->height;
    if (fb->type == FB_RGB) {
        cols = fb->width / console_font.width;
        rows = fb->height / console_font.height;
        if (cols == 0 || rows == 0)
            return -1;
    }
    uint8_t *base = ioremap(fb->addr, size, fb->type == FB_RGB ? CACHE_WC : CACHE_UC);
    if (!base)
        return -1;

    con.base = base;
    con.pitch = fb->pitch;
    con.width = fb->width;
    con.height = fb->height;
    con.bytespp = bytespp;
    con.cols = cols;
    con.rows = rows;
    con.cx = con.cy = 0;
    con.utf8_left = 0;
    if (fb->type == FB_RGB) {
        con.fg = rgb(fb, 0xaa, 0xaa, 0xaa);
        con.bg = rgb(fb, 0, 0, 0);
        for (uint32_t y = 0; y < fb->height; y++)
            memset(base + (uint64_t)y * fb->pitch, 0, (uint64_t)fb->width * bytespp);
    } else {
        for (uint32_t y = 0; y < rows; y++)
            for (uint32_t x = 0; x < cols; x++)
                ((volatile uint16_t *)(base + (uint64_t)y * fb->pitch))[x] = EGA_ATTR << 8 | ' ';
        outb(0x3d4, 0x0a); /* hide the VGA hardware cursor (cursor start register, bit 5) */
        outb(0x3d5, 0x20);
    }
    con.type = fb->type;
    return 0;
}

static void put_pixel(uint8_t *p, uint32_t v)
{
    switch (con.bytespp) {
    case 4:
        *(volatile uint32_t *)p = v;
        break;
    case 3:
        ((volatile uint8_t *)p)[0] = (uint8_t)v;
        ((volatile uint8_t *)p)[1] = (uint8_t)(v >> 8);
        ((volatile uint8_t *)p)[2] = (uint8_t)(v >> 16);
        break;
    default:
        *(volatile uint16_t *)p = (uint16_t)v;
        break;
    }
}

/* Draws glyph `glyph` (a font index) into text cell (cx, cy). */
static void draw_cell(uint32_t cx, uint32_t cy, uint32_t glyph)
{
    if (cx >= con.cols || cy >= con.rows)
        return; /* only after a racing panic write; never draw outside */
    if (con.type == FB_EGA_TEXT) {
        volatile uint16_t *row = (volatile uint16_t *)(con.base + (uint64_t)cy * con.pitch);
        row[cx] = (uint16_t)(EGA_ATTR << 8 | (glyph & 0xff));
        return;
    }
    const struct console_font *f = &console_font;
    if (glyph >= f->glyph_count)
        glyph = f->ascii_map['?'] < f->glyph_count ? f->ascii_map['?'] : 0;
    uint32_t row_bytes = (f->width + 7) / 8;
    const uint8_t *bits = f->glyphs + (uint64_t)glyph * f->bytes_per_glyph;
    uint8_t *line = con.base + (uint64_t)cy * f->height * con.pitch + (uint64_t)cx * f->width * con.bytespp;
    for (uint32_t y = 0; y < f->height; y++, bits += row_bytes, line += con.pitch) {
        uint8_t *p = line;
        for (uint32_t x = 0; x < f->width; x++, p += con.bytespp)
            put_pixel(p, (bits[x / 8] & (0x80 >> (x % 8))) ? con.fg : con.bg);
    }
}

/* Moves every text row up by one and blanks the last one. */
static void scroll(void)
{
    if (con.type == FB_EGA_TEXT) {
        memmove(con.base, con.base + con.pitch, (uint64_t)(con.rows - 1) * con.pitch);
        volatile uint16_t *last = (volatile uint16_t *)(con.base + (uint64_t)(con.rows - 1) * con.pitch);
        for (uint32_t x = 0; x < con.cols; x++)
            last[x] = EGA_ATTR << 8 | ' ';
        return;
    }
    uint64_t cell_rows = console_font.height; /* pixel rows per text row */
    uint64_t line_bytes = (uint64_t)con.width * con.bytespp;
    for (uint64_t y = 0; y < (uint64_t)(con.rows - 1) * cell_rows; y++)
        memmove(con.base + y * con.pitch, con.base + (y + cell_rows) * con.pitch, line_bytes);
    for (uint64_t y = (uint64_t)(con.rows - 1) * cell_rows; y < con.rows * cell_rows; y++)
        memset(con.base + y * con.pitch, 0, line_bytes); /* black is 0 in every RGB layout */
}

static void newline(void)
{
    con.cx = 0;
    if (con.cy + 1 < con.rows) {
        con.cy++;
    } else {
        con.cy = con.rows - 1;
        scroll();
    }
}

/* Prints code point cp (already decoded; '?' for anything undrawable). */
static void put_char(uint32_t cp)
{
    switch (cp) {
    case '\n':
        newline();
        return;
    case '\r':
        con.cx = 0;
        return;
    case '\t':
        if (con.cx >= con.cols)
            newline();
        do
            draw_cell(con.cx, con.cy, con.type == FB_EGA_TEXT ? ' ' : console_font.ascii_map[' ']);
        while (++con.cx < con.cols && con.cx % TAB_WIDTH);
        return;
    case '\b':
        if (con.cx > 0)
            con.cx--; /* like a terminal: move left, do not erase */
        return;
    }
    bool printable = (cp >= 0x20 && cp < 0x7f) || (cp >= 0xa0 && cp <= 0xff && con.type == FB_RGB);
    if (!printable)
        cp = '?';
    if (con.cx >= con.cols)
        newline();
    draw_cell(con.cx, con.cy, con.type == FB_EGA_TEXT ? cp : console_font.ascii_map[cp]);
    con.cx++;
}

void fbcon_write(const char *s, size_t n)
{
    if (con.type == FB_NONE)
        return;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (uint8_t)s[i];
        if (con.utf8_left) {
            if ((c & 0xc0) == 0x80) {
                con.utf8_cp = con.utf8_cp << 6 | (c & 0x3f);
                if (--con.utf8_left == 0)
                    put_char(con.utf8_cp >= 0x80 ? con.utf8_cp : '?'); /* no overlong forms */
                continue;
            }
            con.utf8_left = 0;
            put_char('?'); /* truncated sequence; c starts afresh below */
        }
        if (c < 0x80) {
            put_char(c);
        } else if (c >= 0xc2 && c <= 0xf4) {
            con.utf8_left = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : 1;
            con.utf8_cp = c & (0x3f >> con.utf8_left);
        } else {
            put_char('?'); /* stray continuation or invalid lead byte */
        }
    }
}
