/* SPDX-License-Identifier: GPL-2.0-only */
/* ACPI DMAR parsing. Everything in the table is firmware's word and may be
 * wrong or hostile: every structure length is checked against the bytes
 * left, every count against its array, every address against the host
 * address width. A structural fault refuses the whole table (VT-d stays
 * off and the console says why): a half-understood table could leave a
 * device outside every remapping unit while the kernel believes it
 * confined. Structure types this kernel does not use (ATSR, RHSA, ANDD,
 * SATC) are skipped after their length is checked. */
#include "arch/x86_64/dmar.h"
#include "arch/x86_64/le_read.h"
#include "common/format.h"
#include "common/string.h"

#define DMAR_OFF_HAW 36
#define DMAR_OFF_FLAGS 37
#define DMAR_STRUCTS 48
#define DMAR_FLAG_INTR_REMAP (1u << 0)
#define DMAR_FLAG_X2APIC_OPT_OUT (1u << 1)

#define STRUCT_HEADER_LEN 4
#define TYPE_DRHD 0
#define TYPE_RMRR 1

#define DRHD_LEN 16
#define DRHD_OFF_FLAGS 4
#define DRHD_OFF_SIZE 5
#define DRHD_OFF_SEGMENT 6
#define DRHD_OFF_BASE 8
#define DRHD_INCLUDE_ALL (1u << 0)
#define DRHD_SIZE_MASK 0xfu

#define RMRR_LEN 24
#define RMRR_OFF_SEGMENT 6
#define RMRR_OFF_BASE 8
#define RMRR_OFF_LIMIT 16

#define SCOPE_HEADER_LEN 6
#define SCOPE_OFF_ENUM_ID 4
#define SCOPE_OFF_BUS 5
#define SCOPE_HOP_LEN 2
#define PCI_DEVICE_MAX 31
#define PCI_FUNCTION_MAX 7

#define PAGE_BYTES 4096ull

struct dmar_parser {
    const uint8_t *t;
    size_t len;
    struct dmar_info *info;
    boot_warn_fn warn;
};

#define dwarn(p, ...) format_to_sink((p)->warn, __VA_ARGS__)

static bool addr_fits(const struct dmar_info *info, uint64_t a)
{
    return info->addr_bits >= 64 || a < (1ull << info->addr_bits);
}

/* One device scope entry at s with at most avail bytes; its length, or 0
 * on a fault (reported). */
static size_t parse_scope(const struct dmar_parser *p, const uint8_t *s, size_t avail, size_t at)
{
    struct dmar_info *info = p->info;
    if (avail < 2 || s[1] < SCOPE_HEADER_LEN + SCOPE_HOP_LEN || s[1] > avail || (s[1] - SCOPE_HEADER_LEN) % 2) {
        dwarn(p, "dmar: malformed device scope at offset %zu (length %u of %zu bytes left)", at,
              avail >= 2 ? s[1] : 0, avail);
        return 0;
    }
    size_t slen = s[1];
    if (s[0] < DMAR_SCOPE_ENDPOINT || s[0] > DMAR_SCOPE_NAMESPACE) {
        dwarn(p, "dmar: device scope of unknown type %u at offset %zu skipped", s[0], at);
        return slen;
    }
    unsigned hops = (unsigned)(slen - SCOPE_HEADER_LEN) / SCOPE_HOP_LEN;
    if (hops > DMAR_MAX_PATH) {
        dwarn(p, "dmar: device scope at offset %zu has %u bridge hops (at most %u)", at, hops, DMAR_MAX_PATH);
        return 0;
    }
    if (info->scope_count >= DMAR_MAX_SCOPES) {
        dwarn(p, "dmar: more than %u device scopes", DMAR_MAX_SCOPES);
        return 0;
    }
    struct dmar_scope *d = &info->scopes[info->scope_count];
    memset(d, 0, sizeof(*d));
    d->type = s[0];
    d->enum_id = s[SCOPE_OFF_ENUM_ID];
    d->start_bus = s[SCOPE_OFF_BUS];
    d->path_len = (uint8_t)hops;
    for (unsigned i = 0; i < hops; i++) {
        uint8_t dev = s[SCOPE_HEADER_LEN + 2 * i], fn = s[SCOPE_HEADER_LEN + 2 * i + 1];
        if (dev > PCI_DEVICE_MAX || fn > PCI_FUNCTION_MAX) {
            dwarn(p, "dmar: device scope at offset %zu names device %u function %u", at, dev, fn);
            return 0;
        }
        d->path[i] = (uint8_t)(dev << 3 | fn);
    }
    info->scope_count++;
    return slen;
}

/* The scopes filling [from, end) of the table; false on a fault. */
static bool parse_scopes(const struct dmar_parser *p, size_t from, size_t end, uint16_t *first, uint16_t *count)
{
    *first = (uint16_t)p->info->scope_count;
    for (size_t off = from; off < end;) {
        size_t n = parse_scope(p, p->t + off, end - off, off);
        if (n == 0)
            return false;
        off += n;
    }
    *count = (uint16_t)(p->info->scope_count - *first);
    return true;
}

static bool ranges_overlap(uint64_t a, uint64_t a_len, uint64_t b, uint64_t b_len)
{
    return a < b + b_len && b < a + a_len;
}

static uint64_t unit_reg_bytes(const struct dmar_unit *u)
{
    return PAGE_BYTES << u->reg_pages_order;
}

static bool parse_drhd(const struct dmar_parser *p, size_t off, size_t slen)
{
    struct dmar_info *info = p->info;
    const uint8_t *s = p->t + off;
    if (slen < DRHD_LEN) {
        dwarn(p, "dmar: remapping unit at offset %zu is truncated (%zu bytes)", off, slen);
        return false;
    }
    if (info->unit_count >= DMAR_MAX_UNITS) {
        dwarn(p, "dmar: more than %u remapping units", DMAR_MAX_UNITS);
        return false;
    }
    struct dmar_unit u = {
        .reg_base = read_le64(s + DRHD_OFF_BASE),
        .segment = read_le16(s + DRHD_OFF_SEGMENT),
        .include_all = s[DRHD_OFF_FLAGS] & DRHD_INCLUDE_ALL,
        .reg_pages_order = s[DRHD_OFF_SIZE] & DRHD_SIZE_MASK,
    };
    if (u.reg_base == 0 || (u.reg_base & (PAGE_BYTES - 1)) || !addr_fits(info, u.reg_base) ||
        !addr_fits(info, u.reg_base + unit_reg_bytes(&u) - 1)) {
        dwarn(p, "dmar: remapping unit at offset %zu has register base %#llx (not page aligned or beyond %u bits)",
              off, (unsigned long long)u.reg_base, info->addr_bits);
        return false;
    }
    for (unsigned i = 0; i < info->unit_count; i++) {
        const struct dmar_unit *o = &info->units[i];
        if (ranges_overlap(u.reg_base, unit_reg_bytes(&u), o->reg_base, unit_reg_bytes(o))) {
            dwarn(p, "dmar: remapping units at %#llx and %#llx overlap", (unsigned long long)u.reg_base,
                  (unsigned long long)o->reg_base);
            return false;
        }
        if (u.include_all && o->include_all && o->segment == u.segment) {
            dwarn(p, "dmar: two remapping units claim every device of segment %u", u.segment);
            return false;
        }
    }
    if (!parse_scopes(p, off + DRHD_LEN, off + slen, &u.scope_first, &u.scope_count))
        return false;
    if (!u.include_all && u.scope_count == 0)
        dwarn(p, "dmar: remapping unit at %#llx lists no devices", (unsigned long long)u.reg_base);
    info->units[info->unit_count++] = u;
    return true;
}

static bool parse_rmrr(const struct dmar_parser *p, size_t off, size_t slen)
{
    struct dmar_info *info = p->info;
    const uint8_t *s = p->t + off;
    if (slen < RMRR_LEN) {
        dwarn(p, "dmar: reserved region at offset %zu is truncated (%zu bytes)", off, slen);
        return false;
    }
    if (info->rmrr_count >= DMAR_MAX_RMRRS) {
        dwarn(p, "dmar: more than %u reserved regions", DMAR_MAX_RMRRS);
        return false;
    }
    uint64_t base = read_le64(s + RMRR_OFF_BASE), limit = read_le64(s + RMRR_OFF_LIMIT);
    if ((base & (PAGE_BYTES - 1)) || ((limit + 1) & (PAGE_BYTES - 1)) || limit < base || !addr_fits(info, limit)) {
        dwarn(p, "dmar: reserved region at offset %zu is %#llx-%#llx (not page aligned, empty or beyond %u bits)",
              off, (unsigned long long)base, (unsigned long long)limit, info->addr_bits);
        return false;
    }
    struct dmar_rmrr r = {.segment = read_le16(s + RMRR_OFF_SEGMENT), .base = base, .end = limit + 1};
    if (!parse_scopes(p, off + RMRR_LEN, off + slen, &r.scope_first, &r.scope_count))
        return false;
    info->rmrrs[info->rmrr_count++] = r;
    return true;
}

static bool parse_structures(const struct dmar_parser *p)
{
    for (size_t off = DMAR_STRUCTS; off < p->len;) {
        if (p->len - off < STRUCT_HEADER_LEN) {
            dwarn(p, "dmar: %zu stray bytes at the end of the table", p->len - off);
            return false;
        }
        uint16_t type = read_le16(p->t + off), slen = read_le16(p->t + off + 2);
        if (slen < STRUCT_HEADER_LEN || slen > p->len - off) {
            dwarn(p, "dmar: structure of type %u at offset %zu has length %u (%zu bytes left)", type, off, slen,
                  p->len - off);
            return false;
        }
        bool ok = true;
        if (type == TYPE_DRHD)
            ok = parse_drhd(p, off, slen);
        else if (type == TYPE_RMRR)
            ok = parse_rmrr(p, off, slen);
        if (!ok)
            return false;
        off += slen;
    }
    return true;
}

bool dmar_parse(const uint8_t *t, size_t len, struct dmar_info *info, boot_warn_fn warn)
{
    struct dmar_parser p = {t, len, info, warn};
    memset(info, 0, sizeof(*info));
    if (!t || len < DMAR_STRUCTS) {
        dwarn(&p, "dmar: table is truncated (%zu bytes)", t ? len : 0);
        return false;
    }
    unsigned bits = (unsigned)t[DMAR_OFF_HAW] + 1;
    if (bits < DMAR_MIN_ADDR_BITS || bits > DMAR_MAX_ADDR_BITS) {
        dwarn(&p, "dmar: host address width of %u bits is implausible", bits);
        return false;
    }
    info->addr_bits = (uint8_t)bits;
    info->intr_remap = t[DMAR_OFF_FLAGS] & DMAR_FLAG_INTR_REMAP;
    info->x2apic_opt_out = t[DMAR_OFF_FLAGS] & DMAR_FLAG_X2APIC_OPT_OUT;
    if (!parse_structures(&p))
        return false;
    if (info->unit_count == 0) {
        dwarn(&p, "dmar: the table lists no remapping unit");
        return false;
    }
    info->valid = true;
    return true;
}

int dmar_scope_rid(const struct dmar_scope *s)
{
    if (s->path_len != 1)
        return -1;
    return s->start_bus << 8 | s->path[0];
}
