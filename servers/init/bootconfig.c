/* SPDX-License-Identifier: GPL-2.0-only */
/* Boot configuration parser: see bootconfig.h and docs/boot-config.md.
 * Each line is checked completely into a scratch component and committed
 * only if nothing is wrong, so a bad line leaves no trace but its report. */
#include <stdio.h>
#include <string.h>
#include "bootconfig.h"
#include "lib/pci.h"
#include "lib/proto.h"
#include "lib/startinfo.h"

_Static_assert(BC_PCI_ALTS == DJ_SERVICE_CLIENT_PCI_ALTS, "init announces every alternative of pci=");
_Static_assert(BC_MAX_COMPONENTS == DJ_COMPONENT_ID_MAX, "component ids are 1..BC_MAX_COMPONENTS");

#define MAX_FIELDS 16 /* a name and at most one of each key, with room for repeats to be reported */
#define QUOTE_MAX 32  /* characters of user text quoted in a report */

enum key { K_BIN, K_QUOTA, K_PRIO, K_HEAP, K_PT, K_IO, K_IRQ, K_DEBUG, K_DEVMEM, K_MSI, K_PCI, K_ARG, K_RESTART,
           K_MAXPRIO, K_KERNEL, K_INITRD, K_CMDLINE, K_MEM, K_VCPUS, K_DATA, K_COUNT };
static const char *const key_names[K_COUNT] = {"bin", "quota", "prio", "heap",   "pt",  "io",     "irq",
                                               "debug", "devmem", "msi", "pci", "arg", "restart", "maxprio",
                                               "kernel", "initrd", "cmdline", "mem", "vcpus", "data"};
static const bool key_required[K_COUNT] = {[K_BIN] = true, [K_QUOTA] = true, [K_PRIO] = true};

/* Names that would be confused with the system's own parts. */
static const char *const reserved_names[] = {"sigma0", "init", "kernel", "parent", "mem"};

struct line_ctx {
    const struct bc_config *cfg;
    const struct bc_env *env;
    char *what; /* BC_WHAT_MAX bytes for the report */
    const char *value; /* the whole value being parsed, as written (reports quote it) */
    const char *rest;  /* the text after this line (a name used before its line) */
    size_t rest_len;
    unsigned line;
};

/* Describes what is wrong with the line and makes the caller fail. */
#define FAIL(x, ...) (snprintf((x)->what, BC_WHAT_MAX, __VA_ARGS__), false)

static bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_blank(char c) { return c == ' ' || c == '\t'; }

/* Component names: a lower-case letter, then lower-case letters, digits,
 * '_' and '-'; at most BC_NAME_MAX characters. */
static bool valid_name(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > BC_NAME_MAX || !is_lower(s[0]))
        return false;
    for (size_t i = 1; i < n; i++)
        if (!is_lower(s[i]) && !is_digit(s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* Module names as tools/mkiso accepts them: letters, digits, '_' and '-'. */
static bool valid_module(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > BC_MODULE_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!is_lower(s[i]) && !is_digit(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z') && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

static int hex_digit(char c)
{
    if (is_digit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* A decimal or 0x-prefixed hexadecimal number of [s, end), no sign, no
 * blanks, no overflow, at most max. */
static bool parse_num(const char *s, const char *end, uint64_t max, uint64_t *out)
{
    unsigned base = 10;
    if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (s == end)
        return false;
    uint64_t v = 0;
    for (; s < end; s++) {
        int d = base == 16 ? hex_digit(*s) : (is_digit(*s) ? *s - '0' : -1);
        if (d < 0 || (uint64_t)d > max || v > (max - (uint64_t)d) / base)
            return false;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool number(struct line_ctx *x, const char *key, const char *val, uint64_t min, uint64_t max, uint64_t *out)
{
    if (parse_num(val, val + strlen(val), max, out) && *out >= min)
        return true;
    char range[48];
    snprintf(range, sizeof(range), "%llu..%llu", (unsigned long long)min, (unsigned long long)max);
    return FAIL(x, "%s=%.*s: not a number in %s", key, QUOTE_MAX, val, range);
}

/* How a list value is split: its key, the separator, what its items are
 * called in reports and how many it may have. */
struct list_shape {
    const char *key;
    char sep;
    const char *item;
    unsigned max;
};

static const struct list_shape pt_list = {"pt", ',', "item", BC_MAX_PORTALS};
static const struct list_shape io_list = {"io", ',', "item", BC_MAX_IO};
static const struct list_shape irq_list = {"irq", ',', "item", BC_MAX_IRQS};
static const struct list_shape pci_list = {"pci", '|', "alternative", BC_PCI_ALTS};

/* Splits a list in place; every item must be non-empty. Reports quote
 * the whole value (x->value), not the piece left after splitting. */
static bool split_list(struct line_ctx *x, const struct list_shape *shape, char *val, char **items, unsigned *n)
{
    *n = 0;
    for (char *p = val;;) {
        char *sep = strchr(p, shape->sep);
        if (sep)
            *sep = '\0';
        if (!*p && !sep && *n > 0)
            return FAIL(x, "%s=%.*s: empty %s at the end (no blanks inside a value: %s=a%cb)", shape->key,
                        QUOTE_MAX, x->value, shape->item, shape->key, shape->sep);
        if (!*p)
            return FAIL(x, "%s=%.*s: empty %s in the list", shape->key, QUOTE_MAX, x->value, shape->item);
        if (*n == shape->max)
            return FAIL(x, "%s=%.*s: more than %u %ss", shape->key, QUOTE_MAX, x->value, shape->max, shape->item);
        items[(*n)++] = p;
        if (!sep)
            return true;
        p = sep + 1;
    }
}

/* The number of a later line whose first word is name, or 0. */
static unsigned later_line_named(const struct line_ctx *x, const char *name)
{
    size_t n = strlen(name), pos = 0;
    unsigned line = x->line;
    for (struct bc_text_line l; bc_next_line(x->rest, x->rest_len, &pos, &l);) {
        line++;
        if (l.len - l.indent > n && strncmp(l.s + l.indent, name, n) == 0 && is_blank(l.s[l.indent + n]))
            return line;
    }
    return 0;
}

static bool set_portals(struct line_ctx *x, struct bc_component *c, char *val)
{
    char *items[BC_MAX_PORTALS];
    if (!split_list(x, &pt_list, val, items, &c->nportals))
        return false;
    for (unsigned i = 0; i < c->nportals; i++) {
        if (strcmp(items[i], c->name) == 0)
            return FAIL(x, "pt=%.32s: a component cannot be granted its own portal", items[i]);
        int idx = bc_find(x->cfg, items[i]);
        unsigned later = idx < 0 ? later_line_named(x, items[i]) : 0;
        if (later)
            return FAIL(x, "pt=%.32s: no component of that name on an earlier line (it is on line %u)", items[i],
                        later);
        if (idx < 0)
            return FAIL(x, "pt=%.32s: no component of that name on an earlier line", items[i]);
        for (unsigned j = 0; j < i; j++)
            if (c->portals[j] == idx)
                return FAIL(x, "pt=%.32s: named twice", items[i]);
        c->portals[i] = (uint8_t)idx;
    }
    return true;
}

static bool set_io(struct line_ctx *x, struct bc_component *c, char *val)
{
    char *items[BC_MAX_IO];
    if (!split_list(x, &io_list, val, items, &c->nio))
        return false;
    for (unsigned i = 0; i < c->nio; i++) {
        char *dash = strchr(items[i], '-');
        uint64_t lo, hi;
        if (!dash || !parse_num(items[i], dash, BC_PORT_MAX, &lo) ||
            !parse_num(dash + 1, dash + 1 + strlen(dash + 1), BC_PORT_MAX, &hi))
            return FAIL(x, "io=%.32s: not a port range FIRST-LAST within 0..0xffff", items[i]);
        if (lo > hi)
            return FAIL(x, "io=%.32s: the range ends before it starts", items[i]);
        c->io[i] = (struct bc_io_range){(uint16_t)lo, (uint16_t)hi};
    }
    return true;
}

static bool set_irqs(struct line_ctx *x, struct bc_component *c, char *val)
{
    char *items[BC_MAX_IRQS];
    if (!split_list(x, &irq_list, val, items, &c->nirqs))
        return false;
    for (unsigned i = 0; i < c->nirqs; i++) {
        uint64_t v;
        if (!number(x, "irq", items[i], 0, BC_IRQ_MAX, &v))
            return false;
        c->irqs[i] = (uint8_t)v;
    }
    return true;
}

/* A boot module's name for key (bin=, and a VM's kernel=, initrd=, cmdline=). */
static bool set_module(struct line_ctx *x, const char *key, char *dst, const char *val)
{
    if (!valid_module(val))
        return FAIL(x, "%s=%.32s: not a module name (letters, digits, _ and -, at most 31)", key, val);
    if (x->env && x->env->module_exists && !x->env->module_exists(x->env->ctx, val))
        return FAIL(x, "%s=%.32s: no boot module of that name", key, val);
    memcpy(dst, val, strlen(val) + 1);
    return true;
}

static bool set_bin(struct line_ctx *x, struct bc_component *c, const char *val)
{
    return set_module(x, "bin", c->bin, val);
}

static bool yes_no(struct line_ctx *x, const char *key, const char *val, bool *out)
{
    if (strcmp(val, "yes") != 0 && strcmp(val, "no") != 0)
        return FAIL(x, "%s=%.32s: must be yes or no", key, val);
    *out = val[0] == 'y';
    return true;
}

/* Exactly n hexadecimal digits of s (no prefix), at most 16. */
static bool fixed_hex(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        int d = hex_digit(s[i]);
        if (d < 0)
            return false;
        v = v << 4 | (uint64_t)d;
    }
    *out = v;
    return true;
}

/* Decimal digits only (parse_num also takes 0x), at most max. */
static bool decimal(const char *s, uint64_t max, uint64_t *out)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++)
        if (!is_digit(s[i]))
            return false;
    return parse_num(s, s + n, max, out);
}

/* BB:DD.F: bus and device two hex digits each, function one digit. */
static bool pci_bdf(struct line_ctx *x, const char *val, uint64_t *sel)
{
    uint64_t bus, dev;
    if (strlen(val) != 7 || val[2] != ':' || val[5] != '.' || !fixed_hex(val, 2, &bus) ||
        !fixed_hex(val + 3, 2, &dev) || val[6] < '0' || val[6] > '7')
        return FAIL(x, "pci=%.32s: not VVVV:DDDD[#K] or BB:DD.F (hexadecimal, function 0-7)", val);
    if (dev > 0x1f)
        return FAIL(x, "pci=%.32s: device number above 0x1f", val);
    *sel = DJ_PCI_SEL_BDF(0, bus, dev, (uint64_t)(val[6] - '0'));
    return true;
}

/* VVVV:DDDD or VVVV:DDDD#K: the K-th function (from 0, in bus order) with
 * this vendor and device id. */
static bool pci_id(struct line_ctx *x, const char *val, uint64_t *sel)
{
    uint64_t vendor, device, index = 0;
    const char *hash = strchr(val, '#');
    size_t id_len = hash ? (size_t)(hash - val) : strlen(val);
    if (id_len != 9 || val[4] != ':' || !fixed_hex(val, 4, &vendor) || !fixed_hex(val + 5, 4, &device))
        return FAIL(x, "pci=%.32s: not VVVV:DDDD[#K] or BB:DD.F (hexadecimal, function 0-7)", val);
    if (vendor == 0xffff || vendor == 0)
        return FAIL(x, "pci=%.32s: vendor id %04llx is no vendor", val, (unsigned long long)vendor);
    if (hash && !decimal(hash + 1, BC_PCI_INDEX_MAX, &index))
        return FAIL(x, "pci=%.32s: #K must be a decimal number in 0..%u", val, BC_PCI_INDEX_MAX);
    *sel = DJ_PCI_SEL_ID(vendor, device, index);
    return true;
}

/* Alternatives separated by '|', each a selector of its own; the driver
 * gets the first that names a present device no other driver owns (the
 * PCI server decides). Two alternatives naming the same selector
 * ("8086:10d3" and "8086:10d3#0" too) are a mistake, not a preference. */
static bool set_pci(struct line_ctx *x, struct bc_component *c, char *val)
{
    char *alts[BC_PCI_ALTS];
    unsigned n;
    if (!split_list(x, &pci_list, val, alts, &n))
        return false;
    for (unsigned i = 0; i < n; i++) {
        if (!(strchr(alts[i], '.') ? pci_bdf(x, alts[i], &c->pci[i]) : pci_id(x, alts[i], &c->pci[i])))
            return false;
        for (unsigned j = 0; j < i; j++)
            if (c->pci[j] == c->pci[i])
                return FAIL(x, "pci=%.32s: the same device as alternative %u", alts[i], j + 1);
    }
    return true;
}

/* Printable ASCII without blanks (the line is split at blanks already). */
static bool set_arg(struct line_ctx *x, struct bc_component *c, const char *val)
{
    size_t n = strlen(val);
    if (n > BC_ARG_MAX)
        return FAIL(x, "arg=%.32s...: longer than %u characters", val, BC_ARG_MAX);
    memcpy(c->arg, val, n + 1);
    return true;
}

static bool set_key(struct line_ctx *x, struct bc_component *c, enum key k, char *val)
{
    uint64_t v;
    switch (k) {
    case K_BIN: return set_bin(x, c, val);
    case K_QUOTA:
        if (!number(x, "quota", val, BC_QUOTA_MIN, BC_QUOTA_MAX, &v))
            return false;
        c->quota = (uint32_t)v;
        return true;
    case K_PRIO:
        if (!number(x, "prio", val, 0, BC_PRIO_MAX, &v))
            return false;
        c->prio = (uint8_t)v;
        return true;
    case K_MAXPRIO:
        if (!number(x, "maxprio", val, 0, BC_PRIO_MAX, &v))
            return false;
        c->maxprio = (uint8_t)v;
        return true;
    case K_HEAP:
        if (!number(x, "heap", val, 0, BC_HEAP_MAX, &v))
            return false;
        c->heap = (uint32_t)v;
        return true;
    case K_PT: return set_portals(x, c, val);
    case K_IO: return set_io(x, c, val);
    case K_IRQ: return set_irqs(x, c, val);
    case K_DEBUG: return yes_no(x, "debug", val, &c->debug);
    case K_DEVMEM: return yes_no(x, "devmem", val, &c->devmem);
    case K_RESTART: return yes_no(x, "restart", val, &c->restart);
    case K_MSI:
        if (!number(x, "msi", val, 0, BC_MSI_MAX, &v))
            return false;
        c->nmsi = (uint8_t)v;
        return true;
    case K_PCI: return set_pci(x, c, val);
    case K_ARG: return set_arg(x, c, val);
    case K_KERNEL: return set_module(x, "kernel", c->vm.kernel, val);
    case K_INITRD: return set_module(x, "initrd", c->vm.initrd, val);
    case K_CMDLINE: return set_module(x, "cmdline", c->vm.cmdline, val);
    case K_DATA: return set_module(x, "data", c->data, val);
    case K_MEM:
        if (!number(x, "mem", val, BC_VM_MEM_MIN, BC_VM_MEM_MAX, &v))
            return false;
        c->vm.mem_mib = (uint32_t)v;
        return true;
    case K_VCPUS:
        if (!number(x, "vcpus", val, 1, BC_VM_VCPUS_MAX, &v))
            return false;
        c->vm.vcpus = (uint8_t)v;
        return true;
    default: return FAIL(x, "internal: unknown key");
    }
}

static int key_index(const char *key)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(key, key_names[k]) == 0)
            return k;
    return -1;
}

/* Edits (insert, delete, replace a character) from a to b, counted up to
 * a limit: keys are short. */
static unsigned edit_distance(const char *a, const char *b)
{
    enum { MAX = 24 };
    size_t la = strlen(a), lb = strlen(b);
    if (la >= MAX || lb >= MAX)
        return MAX;
    unsigned row[MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        row[j] = (unsigned)j;
    for (size_t i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = (unsigned)i;
        for (size_t j = 1; j <= lb; j++) {
            unsigned up = row[j], best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            diag = up;
            row[j] = best;
        }
    }
    return row[lb];
}

/* The known key closest to an unknown one (a typo, or a longer word that
 * starts with the key: "priority"), or NULL if none is close. */
static const char *closest_key(const char *key)
{
    const char *best = NULL;
    unsigned best_d = 3; /* at most two edits */
    for (int k = 0; k < K_COUNT; k++) {
        size_t n = strlen(key_names[k]);
        unsigned d = strncmp(key, key_names[k], n) == 0 ? 1 : edit_distance(key, key_names[k]);
        if (d < best_d) {
            best_d = d;
            best = key_names[k];
        }
    }
    return best;
}

static bool field(struct line_ctx *x, struct bc_component *c, char *tok, bool *seen)
{
    char *eq = strchr(tok, '=');
    if (!eq)
        return FAIL(x, "field '%.32s' is not KEY=VALUE", tok);
    *eq = '\0';
    int k = key_index(tok);
    const char *near = k < 0 ? closest_key(tok) : NULL;
    if (near)
        return FAIL(x, "unknown key '%.32s' (did you mean '%s'?)", tok, near);
    if (k < 0)
        return FAIL(x, "unknown key '%.32s'", tok);
    if (seen[k])
        return FAIL(x, "key '%s' given twice", key_names[k]);
    seen[k] = true;
    if (!eq[1])
        return FAIL(x, "%s=: empty value", key_names[k]);
    char value[BC_LINE_MAX + 1]; /* as written: set_key may split eq + 1 in place */
    memcpy(value, eq + 1, strlen(eq + 1) + 1);
    x->value = value;
    bool ok = set_key(x, c, (enum key)k, eq + 1);
    x->value = NULL;
    return ok;
}

static bool check_name(struct line_ctx *x, const char *name)
{
    if (!valid_name(name))
        return FAIL(x, "'%.32s' is not a component name (a-z first, then a-z 0-9 _ -, at most 15)", name);
    for (size_t i = 0; i < sizeof(reserved_names) / sizeof(reserved_names[0]); i++)
        if (strcmp(name, reserved_names[i]) == 0)
            return FAIL(x, "'%s' is a reserved name", name);
    int dup = bc_find(x->cfg, name);
    if (dup >= 0) {
        return FAIL(x, "duplicate component '%s' (first on line %u)", name, x->cfg->c[dup].line);
    }
    return true;
}

/* A VM line (docs/vmm.md): kernel= makes one; the other VM keys need it. */
static bool vm_fields(struct line_ctx *x, struct bc_component *c, const bool *seen)
{
    static const enum key vm_keys[] = {K_INITRD, K_CMDLINE, K_MEM, K_VCPUS};
    if (!seen[K_KERNEL]) {
        for (size_t i = 0; i < sizeof(vm_keys) / sizeof(vm_keys[0]); i++)
            if (seen[vm_keys[i]])
                return FAIL(x, "%s= without kernel=: only a VM line (kernel=MODULE) takes it", key_names[vm_keys[i]]);
        return true;
    }
    c->vm.is_vm = true;
    if (!seen[K_MEM])
        c->vm.mem_mib = BC_VM_MEM_DEFAULT;
    if (!seen[K_VCPUS])
        c->vm.vcpus = 1;
    return true;
}

/* The fields of one line (already split), into *c. */
static bool parse_fields(struct line_ctx *x, char **tok, unsigned ntok, struct bc_component *c)
{
    if (!check_name(x, tok[0]))
        return false;
    memcpy(c->name, tok[0], strlen(tok[0]) + 1);
    bool seen[K_COUNT] = {false};
    for (unsigned i = 1; i < ntok; i++)
        if (!field(x, c, tok[i], seen))
            return false;
    for (int k = 0; k < K_COUNT; k++)
        if (key_required[k] && !seen[k])
            return FAIL(x, "missing %s=", key_names[k]);
    if (!vm_fields(x, c, seen))
        return false;
    if (!seen[K_MAXPRIO])
        c->maxprio = c->prio; /* its threads never above the one init gives it */
    else if (c->maxprio < c->prio)
        return FAIL(x, "maxprio=%u is below prio=%u", c->maxprio, c->prio);
    if (x->cfg->count == BC_MAX_COMPONENTS) {
        return FAIL(x, "more than %u components", BC_MAX_COMPONENTS);
    }
    return true;
}

/* Splits buf at blanks; false if there are too many fields. */
static bool tokenize(struct line_ctx *x, char *buf, char **tok, unsigned *ntok)
{
    *ntok = 0;
    for (char *p = buf; *p;) {
        while (is_blank(*p))
            *p++ = '\0';
        if (!*p)
            break;
        if (*ntok == MAX_FIELDS) {
            return FAIL(x, "more than %u fields", MAX_FIELDS);
        }
        tok[(*ntok)++] = p;
        while (*p && !is_blank(*p))
            p++;
    }
    return true;
}

/* Bytes a line may hold: printable ASCII and tabs. */
static bool check_bytes(struct line_ctx *x, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '\t' || (ch >= 0x20 && ch < 0x7f))
            continue;
        return FAIL(x, "%s byte 0x%02x at column %u", ch == 0 ? "NUL" : "control or non-ASCII", ch,
                    (unsigned)i + 1);
    }
    return true;
}

/* One line of n bytes (no newline): false with x->what set if it is bad;
 * *empty for blank lines and comments. */
static bool parse_line(struct line_ctx *x, const char *s, size_t n, struct bc_component *c, bool *empty)
{
    char buf[BC_LINE_MAX + 1];
    char *tok[MAX_FIELDS];
    unsigned ntok;
    *empty = false;
    if (n > BC_LINE_MAX) {
        return FAIL(x, "longer than %u characters", BC_LINE_MAX);
    }
    if (!check_bytes(x, s, n))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!tokenize(x, buf, tok, &ntok))
        return false;
    if (ntok == 0 || tok[0][0] == '#') {
        *empty = true;
        return true;
    }
    return parse_fields(x, tok, ntok, c);
}

static void commit(struct bc_config *out, const struct bc_component *c)
{
    out->c[out->count++] = *c;
    for (unsigned i = 0; i < c->nportals; i++)
        out->c[c->portals[i]].serves = true;
}

bool bc_next_line(const char *text, size_t len, size_t *pos, struct bc_text_line *out)
{
    if (*pos >= len)
        return false;
    const char *s = text + *pos;
    size_t n = 0, b = 0;
    while (*pos + n < len && s[n] != '\n')
        n++;
    while (b < n && is_blank(s[b]))
        b++;
    *out = (struct bc_text_line){s, n, b};
    *pos += n < len - *pos ? n + 1 : n;
    return true;
}

void bc_parse(const char *text, size_t len, struct bc_config *out, const struct bc_env *env)
{
    memset(out, 0, sizeof(*out));
    char what[BC_WHAT_MAX];
    struct line_ctx x = {out, env, what, NULL, NULL, 0, 0};
    unsigned line = 0;
    size_t pos = 0;
    for (struct bc_text_line l; bc_next_line(text, len, &pos, &l);) {
        struct bc_component c = {.line = ++line};
        bool empty;
        what[0] = '\0';
        x.line = line;
        x.rest = text + pos; /* the lines after this one */
        x.rest_len = len - pos;
        if (parse_line(&x, l.s, l.len, &c, &empty)) {
            if (!empty)
                commit(out, &c);
        } else {
            out->errors++;
            if (env && env->error)
                env->error(env->ctx, line, what);
        }
    }
}

int bc_find(const struct bc_config *cfg, const char *name)
{
    for (unsigned i = 0; i < cfg->count; i++)
        if (strcmp(cfg->c[i].name, name) == 0)
            return (int)i;
    return -1;
}
