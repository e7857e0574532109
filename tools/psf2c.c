/* SPDX-License-Identifier: GPL-2.0-only */
/* psf2c: convert an uncompressed PSF1/PSF2 console font into C source that
 * defines `const struct console_font console_font` (kernel/font.h).
 *
 *   psf2c FONT.psf > font.c
 *
 * ascii_map[cp] (cp = 0..255) is the glyph for Unicode code point cp, taken
 * from the font's Unicode table when it has one (identity otherwise); code
 * points the font lacks map to the glyph for '?'. */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSF1_MAGIC0 0x36
#define PSF1_MAGIC1 0x04
#define PSF1_MODE512 0x01
#define PSF1_MODEHASTAB 0x02
#define PSF1_MODEHASSEQ 0x04
#define PSF1_SEPARATOR 0xFFFF
#define PSF1_STARTSEQ 0xFFFE

#define PSF2_MAGIC 0x864ab572u
#define PSF2_HAS_UNICODE_TABLE 0x01
#define PSF2_SEPARATOR 0xFF
#define PSF2_STARTSEQ 0xFE

#define MAX_FILE (16u << 20)
#define MAX_DIM 256u
#define MAX_GLYPHS 65536u /* glyph indices must fit the uint16_t ascii_map */
#define UNMAPPED 0xFFFFFFFFu

static const char *path;

static void die(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "psf2c: %s: ", path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct font {
    uint32_t width, height, count, bytes_per_glyph;
    const uint8_t *glyphs;
    uint32_t map[256]; /* code point -> glyph, UNMAPPED when absent */
    int has_table;
};

/* Record that `glyph` draws code point cp (first glyph wins). */
static void note(struct font *f, uint32_t cp, uint32_t glyph)
{
    if (cp < 256 && f->map[cp] == UNMAPPED)
        f->map[cp] = glyph;
}

static void parse_psf1(struct font *f, const uint8_t *buf, size_t len)
{
    if (len < 4)
        die("truncated PSF1 header");
    uint8_t mode = buf[2];
    f->width = 8;
    f->height = buf[3];
    f->count = (mode & PSF1_MODE512) ? 512 : 256;
    f->bytes_per_glyph = f->height;
    if (f->height == 0)
        die("PSF1 glyph height is 0");
    if (mode & ~(PSF1_MODE512 | PSF1_MODEHASTAB | PSF1_MODEHASSEQ))
        die("unknown PSF1 mode bits 0x%02x", mode);
    size_t glyph_bytes = (size_t)f->count * f->bytes_per_glyph;
    if (len - 4 < glyph_bytes)
        die("truncated: %u glyphs of %u bytes need %zu bytes after the header, file has %zu",
            f->count, f->bytes_per_glyph, glyph_bytes, len - 4);
    f->glyphs = buf + 4;
    if (!(mode & (PSF1_MODEHASTAB | PSF1_MODEHASSEQ)))
        return;

    f->has_table = 1;
    size_t pos = 4 + glyph_bytes;
    for (uint32_t g = 0; g < f->count; g++) {
        int in_seq = 0;
        for (;;) {
            if (len - pos < 2)
                die("truncated PSF1 unicode table (at glyph %u of %u)", g, f->count);
            uint16_t u = (uint16_t)(buf[pos] | buf[pos + 1] << 8);
            pos += 2;
            if (u == PSF1_SEPARATOR)
                break;
            if (u == PSF1_STARTSEQ)
                in_seq = 1; /* combining sequences follow; only single points map */
            else if (!in_seq)
                note(f, u, g);
        }
    }
}

/* Decodes one UTF-8 character at buf[*pos] (before end); dies on bad input. */
static uint32_t utf8_next(const uint8_t *buf, size_t *pos, size_t end, uint32_t glyph)
{
    uint8_t c = buf[*pos];
    uint32_t cp, min;
    unsigned more;
    if (c < 0x80) { cp = c; more = 0; min = 0; }
    else if ((c & 0xE0) == 0xC0) { cp = c & 0x1F; more = 1; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { cp = c & 0x0F; more = 2; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { cp = c & 0x07; more = 3; min = 0x10000; }
    else die("invalid UTF-8 lead byte 0x%02x in unicode table (glyph %u)", c, glyph);
    if (end - *pos < 1 + (size_t)more)
        die("truncated UTF-8 sequence in unicode table (glyph %u)", glyph);
    for (unsigned i = 1; i <= more; i++) {
        uint8_t k = buf[*pos + i];
        if ((k & 0xC0) != 0x80)
            die("invalid UTF-8 continuation byte 0x%02x in unicode table (glyph %u)", k, glyph);
        cp = cp << 6 | (k & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        die("invalid UTF-8 code point U+%04X in unicode table (glyph %u)", cp, glyph);
    *pos += 1 + more;
    return cp;
}

static void parse_psf2(struct font *f, const uint8_t *buf, size_t len)
{
    if (len < 32)
        die("truncated PSF2 header (%zu bytes, need 32)", len);
    uint32_t version = le32(buf + 4), headersize = le32(buf + 8), flags = le32(buf + 12);
    f->count = le32(buf + 16);
    f->bytes_per_glyph = le32(buf + 20);
    f->height = le32(buf + 24);
    f->width = le32(buf + 28);
    if (version != 0)
        die("unsupported PSF2 version %u", version);
    if (headersize < 32 || headersize > len)
        die("bad PSF2 header size %u (file is %zu bytes)", headersize, len);
    if (f->width == 0 || f->height == 0 || f->width > MAX_DIM || f->height > MAX_DIM)
        die("bad PSF2 glyph size %ux%u (each must be 1..%u)", f->width, f->height, MAX_DIM);
    if (f->count == 0 || f->count > MAX_GLYPHS)
        die("bad PSF2 glyph count %u (must be 1..%u)", f->count, MAX_GLYPHS);
    uint32_t need = f->height * ((f->width + 7) / 8);
    if (f->bytes_per_glyph != need)
        die("PSF2 charsize %u does not match %ux%u glyphs (%u bytes)", f->bytes_per_glyph,
            f->width, f->height, need);
    size_t glyph_bytes = (size_t)f->count * f->bytes_per_glyph;
    if (len - headersize < glyph_bytes)
        die("truncated: %u glyphs of %u bytes need %zu bytes after the header, file has %zu",
            f->count, f->bytes_per_glyph, glyph_bytes, len - headersize);
    f->glyphs = buf + headersize;
    if (!(flags & PSF2_HAS_UNICODE_TABLE))
        return;

    f->has_table = 1;
    size_t pos = headersize + glyph_bytes;
    for (uint32_t g = 0; g < f->count; g++) {
        int in_seq = 0;
        for (;;) {
            if (pos >= len)
                die("truncated PSF2 unicode table (at glyph %u of %u)", g, f->count);
            if (buf[pos] == PSF2_SEPARATOR) {
                pos++;
                break;
            }
            if (buf[pos] == PSF2_STARTSEQ) {
                pos++;
                in_seq = 1;
                continue;
            }
            uint32_t cp = utf8_next(buf, &pos, len, g);
            if (!in_seq)
                note(f, cp, g);
        }
    }
}

static uint8_t *read_file(const char *p, size_t *len_out)
{
    FILE *fp = fopen(p, "rb");
    if (!fp)
        die("cannot open: %s", strerror(errno));
    uint8_t *buf = malloc(MAX_FILE + 1);
    if (!buf)
        die("out of memory");
    size_t len = fread(buf, 1, MAX_FILE + 1, fp);
    if (ferror(fp))
        die("read error: %s", strerror(errno));
    fclose(fp);
    if (len > MAX_FILE)
        die("file larger than %u bytes; not a console font", MAX_FILE);
    *len_out = len;
    return buf;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: psf2c FONT.psf > font.c   (uncompressed PSF1 or PSF2)\n");
        return 2;
    }
    path = argv[1];
    size_t len;
    uint8_t *buf = read_file(path, &len);

    struct font f;
    memset(&f, 0, sizeof f);
    for (unsigned i = 0; i < 256; i++)
        f.map[i] = UNMAPPED;
    const char *kind;
    if (len >= 2 && buf[0] == PSF1_MAGIC0 && buf[1] == PSF1_MAGIC1) {
        kind = "PSF1";
        parse_psf1(&f, buf, len);
    } else if (len >= 4 && le32(buf) == PSF2_MAGIC) {
        kind = "PSF2";
        parse_psf2(&f, buf, len);
    } else if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
        die("file is gzip-compressed; decompress it first (zcat -f)");
    } else {
        die("not a PSF file (bad magic)");
    }

    if (!f.has_table)
        for (uint32_t cp = 0; cp < 256 && cp < f.count; cp++)
            f.map[cp] = cp;
    uint32_t fallback = f.map['?'];
    if (fallback == UNMAPPED)
        fallback = 0; /* a font without '?': glyph 0 is the best we can do */
    unsigned missing = 0;
    for (unsigned cp = 0; cp < 256; cp++)
        if (f.map[cp] == UNMAPPED) {
            f.map[cp] = fallback;
            missing += cp >= 0x20 && cp < 0x7f;
        }
    if (missing)
        fprintf(stderr, "psf2c: %s: warning: %u printable ASCII characters missing; drawn as '?'\n",
                path, missing);

    printf("/* Generated by tools/psf2c from %s (%s, %ux%u, %u glyphs%s). Do not edit. */\n", path,
           kind, f.width, f.height, f.count, f.has_table ? ", unicode table" : "");
    printf("#include <stdint.h>\n#include \"kernel/font.h\"\n\n");
    size_t total = (size_t)f.count * f.bytes_per_glyph;
    printf("static const uint8_t console_font_glyphs[%zu] = {\n", total);
    for (size_t i = 0; i < total; i++)
        printf("%s0x%02x,%s", i % 16 ? " " : "    ", f.glyphs[i], i % 16 == 15 || i + 1 == total ? "\n" : "");
    printf("};\n\n");
    printf("const struct console_font console_font = {\n");
    printf("    .width = %u,\n    .height = %u,\n    .glyph_count = %u,\n    .bytes_per_glyph = %u,\n",
           f.width, f.height, f.count, f.bytes_per_glyph);
    printf("    .glyphs = console_font_glyphs,\n    .ascii_map = {\n");
    for (unsigned cp = 0; cp < 256; cp++)
        printf("%s%u,%s", cp % 16 ? " " : "        ", f.map[cp], cp % 16 == 15 ? "\n" : "");
    printf("    },\n};\n");
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "psf2c: write error: %s\n", strerror(errno));
        return 1;
    }
    free(buf);
    return 0;
}
