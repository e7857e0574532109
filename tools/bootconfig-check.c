/* SPDX-License-Identifier: GPL-2.0-only */
/* bootconfig-check: checks a boot configuration at build time with the
 * parser init uses (servers/init/bootconfig.c, built for the host), so a
 * bad line fails `make iso` instead of showing up at boot.
 *
 *     bootconfig-check CONFIG PROGRAM...
 *
 * PROGRAMs are the boot modules of the ISO the configuration goes into:
 * a bin= naming anything else is an error. Every error names the file,
 * the line and what is wrong, and quotes the line. A line the parser
 * accepts is fine; init would start it.
 *
 * A test configuration may contain mistakes on purpose (the boot test
 * checks that init reports them): a comment line
 *     # expect-errors N ...
 * says that the next N lines that are neither blank nor comments must be
 * rejected. They are then no error; one that is accepted is.
 * Exit status: 0 clean, 1 errors, 2 usage or I/O trouble. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "../servers/init/bootconfig.h"
#include "bootconfig-check.h"

#define MAX_LINES 1024
#define EXPECT_MARK "# expect-errors "

struct check {
    FILE *err;
    const char *path;
    const char *text;
    size_t len;
    char **programs;
    int nprograms;
    bool expected[MAX_LINES + 1]; /* by line number */
    bool reported[MAX_LINES + 1];
    unsigned errors;
};

/* Line `line` (from 1) of the text into buf, without its newline. */
static void line_text(const struct check *c, unsigned line, char *buf, size_t size)
{
    const char *s = c->text, *end = c->text + c->len;
    for (unsigned i = 1; i < line && s < end; i++) {
        const char *nl = memchr(s, '\n', (size_t)(end - s));
        s = nl ? nl + 1 : end;
    }
    size_t n = 0;
    while (s + n < end && s[n] != '\n' && n + 1 < size)
        n++;
    memcpy(buf, s, n);
    buf[n] = '\0';
}

static void on_error(void *ctx, unsigned line, const char *what)
{
    struct check *c = ctx;
    if (line <= MAX_LINES)
        c->reported[line] = true;
    if (line <= MAX_LINES && c->expected[line])
        return; /* a mistake on purpose */
    char text[BC_LINE_MAX + 2];
    line_text(c, line, text, sizeof(text));
    fprintf(c->err, "%s:%u: error: %s\n    %s\n", c->path, line, what, text);
    if (strstr(what, "no boot module")) {
        fprintf(c->err, "    (programs of this ISO:");
        for (int i = 0; i < c->nprograms; i++)
            fprintf(c->err, " %s", c->programs[i]);
        fprintf(c->err, ")\n");
    }
    c->errors++;
}

static bool module_exists(void *ctx, const char *name)
{
    const struct check *c = ctx;
    for (int i = 0; i < c->nprograms; i++)
        if (strcmp(c->programs[i], name) == 0)
            return true;
    return false;
}

/* Marks the lines "# expect-errors N" announces. */
static void find_expected(struct check *c)
{
    unsigned line = 0, pending = 0;
    size_t pos = 0;
    for (struct bc_text_line l; bc_next_line(c->text, c->len, &pos, &l);) {
        line++;
        const char *s = l.s + l.indent;
        size_t n = l.len - l.indent;
        bool blank = n == 0, comment = !blank && s[0] == '#';
        if (comment && n > strlen(EXPECT_MARK) && strncmp(s, EXPECT_MARK, strlen(EXPECT_MARK)) == 0)
            pending = (unsigned)strtoul(s + strlen(EXPECT_MARK), NULL, 10);
        else if (!blank && !comment && pending && line <= MAX_LINES) {
            c->expected[line] = true;
            pending--;
        }
    }
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap)
            buf = realloc(buf, cap *= 2);
    }
    fclose(f);
    *len = n;
    return buf;
}

int bootconfig_check(const char *path, char **programs, int nprograms, FILE *err)
{
    static struct bc_config cfg;
    struct check *c = calloc(1, sizeof(*c));
    if (!c)
        return 2;
    c->err = err;
    c->path = path;
    c->programs = programs;
    c->nprograms = nprograms;
    char *text = read_all(path, &c->len);
    if (!text) {
        fprintf(err, "%s: cannot read it\n", path);
        free(c);
        return 2;
    }
    c->text = text;
    find_expected(c);
    struct bc_env env = {on_error, module_exists, c};
    bc_parse(c->text, c->len, &cfg, &env);
    for (unsigned line = 1; line <= MAX_LINES; line++) {
        if (c->expected[line] && !c->reported[line]) {
            char buf[BC_LINE_MAX + 2];
            line_text(c, line, buf, sizeof(buf));
            fprintf(err, "%s:%u: error: marked as a mistake (# expect-errors) but init accepts it\n    %s\n", path,
                    line, buf);
            c->errors++;
        }
    }
    unsigned errors = c->errors;
    if (errors)
        fprintf(err, "%s: %u error%s: init would skip these lines at boot\n", path, errors, errors == 1 ? "" : "s");
    free(text);
    free(c);
    return errors ? 1 : 0;
}

#ifndef HOST_TEST /* the host tests call bootconfig_check directly */
int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s CONFIG PROGRAM...\n", argv[0]);
        return 2;
    }
    return bootconfig_check(argv[1], argv + 2, argc - 2, stderr);
}
#endif
