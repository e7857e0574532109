/* SPDX-License-Identifier: GPL-2.0-only */
/* The console font, generated at build time from a PSF file (tools/psf2c). */
#pragma once
#include <stdint.h>
struct console_font {
    uint32_t width, height;  /* pixels */
    uint32_t glyph_count;
    uint32_t bytes_per_glyph; /* rows of ceil(width/8) bytes */
    const uint8_t *glyphs;
    /* Unicode/ASCII code point -> glyph index for the first 256 code points. */
    uint16_t ascii_map[256];
};
extern const struct console_font console_font;
