/* SPDX-License-Identifier: GPL-2.0-only */
/* Parser of `ip xfrm state add` / `ip xfrm policy add` lines and of what
 * `ip xfrm state` / `ip xfrm policy` list (xfrm_listing.h; see
 * xfrm_config.h). No key material ever reaches an error message: a word
 * in the key position and any long hex word are replaced when quoted. */
#include "xfrm_config.h"

#include <string.h>

#include "esp_aead.h"
#include "xfrm_listing.h"
#include "xfrm_text.h"

#define NAME_GCM "rfc4106(gcm(aes))"
#define NAME_CHACHA "rfc7539esp(chacha20,poly1305)"
#define ICV_BITS (ESP_ICV_BYTES * 8)
#define SPI_RESERVED_MAX 255 /* RFC 4303 2.1: 1..255 reserved, 0 invalid */

struct parser {
    struct xfrm_config *cfg;
    struct xfrm_error *err;
    struct xfrm_line line;
};

static bool fail(struct parser *ps, const char *what, const struct xfrm_word *w)
{
    xfrm_error_for_line(ps->err, &ps->line, what, w);
    return false;
}

static bool next_word(struct parser *ps, const struct xfrm_word *after, struct xfrm_word **w)
{
    *w = xfrm_line_next(&ps->line);
    if (!*w)
        return fail(ps, "missing value after", after);
    return true;
}

static bool take_number(struct parser *ps, const struct xfrm_word *key, uint64_t max,
                        uint64_t *v)
{
    struct xfrm_word *w;
    if (!next_word(ps, key, &w))
        return false;
    if (!xfrm_word_number(w, v) || *v > max)
        return fail(ps, "bad number", w);
    return true;
}

static bool take_u32(struct parser *ps, const struct xfrm_word *key, uint32_t *out)
{
    uint64_t v;
    if (!take_number(ps, key, UINT32_MAX, &v))
        return false;
    *out = (uint32_t)v;
    return true;
}

static bool take_outer_addr(struct parser *ps, const struct xfrm_word *key, uint32_t *out)
{
    struct xfrm_word *w;
    struct esp_addr a;
    if (!next_word(ps, key, &w))
        return false;
    if (!esp_addr_parse(w->p, w->n, &a))
        return fail(ps, "bad address", w);
    if (a.family != ESP_AF_INET)
        return fail(ps, "tunnel end points must be IPv4, not", w);
    *out = esp_addr_v4(&a);
    return true;
}

static bool take_prefix(struct parser *ps, const struct xfrm_word *key, struct esp_prefix *out)
{
    struct xfrm_word *w;
    if (!next_word(ps, key, &w))
        return false;
    if (!esp_prefix_parse(w->p, w->n, out))
        return fail(ps, "bad address or prefix", w);
    return true;
}

static bool take_expected(struct parser *ps, const struct xfrm_word *key, const char *expected,
                          const char *what)
{
    struct xfrm_word *w;
    if (!next_word(ps, key, &w))
        return false;
    if (!xfrm_word_is(w, expected))
        return fail(ps, what, w);
    return true;
}

static const struct {
    const char *name;
    uint8_t number;
} protocols[] = {
    {"any", ESP_PROTO_ANY}, {"icmp", 1}, {"tcp", 6}, {"udp", 17},
    {"gre", 47}, {"ipv6-icmp", 58}, {"sctp", 132},
};

static bool take_upper_proto(struct parser *ps, const struct xfrm_word *key, uint8_t *out)
{
    struct xfrm_word *w;
    uint64_t v;
    if (!next_word(ps, key, &w))
        return false;
    for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
        if (xfrm_word_is(w, protocols[i].name)) {
            *out = protocols[i].number;
            return true;
        }
    }
    if (!xfrm_word_number(w, &v) || v > 255)
        return fail(ps, "unknown protocol", w);
    *out = (uint8_t)v;
    return true;
}

/* ---------------------------------------------------------------- state */

static bool take_key(struct parser *ps, const struct xfrm_word *name, struct esp_sa *sa)
{
    struct xfrm_word *w;
    if (!next_word(ps, name, &w))
        return false;
    ps->line.secret = w; /* never quoted from here on */
    size_t got = 0;
    if (!xfrm_word_hex_bytes(w, sa->keymat, sizeof(sa->keymat), &got))
        return fail(ps, "aead key must be 0x followed by hex digits, not", w);
    if (got != ESP_KEYMAT_BYTES)
        return fail(ps, "aead key must be 36 bytes (32-byte key and 4-byte salt, 72 hex digits):",
                    w);
    return true;
}

static bool take_aead(struct parser *ps, const struct xfrm_word *key, struct esp_sa *sa)
{
    struct xfrm_word *name;
    if (!next_word(ps, key, &name))
        return false;
    if (xfrm_word_is(name, NAME_GCM))
        sa->aead = ESP_AEAD_AES256GCM;
    else if (xfrm_word_is(name, NAME_CHACHA))
        sa->aead = ESP_AEAD_CHACHA20POLY1305;
    else
        return fail(ps, "unsupported aead (use '" NAME_GCM "' or '" NAME_CHACHA "'):", name);
    if (!take_key(ps, name, sa))
        return false;
    uint64_t bits;
    struct xfrm_word *icv = xfrm_line_peek(&ps->line);
    if (!take_number(ps, name, UINT32_MAX, &bits))
        return false;
    if (bits != ICV_BITS)
        return fail(ps, "ICV length must be 128 bits, not", icv);
    return true;
}

static bool take_selector(struct parser *ps, const struct xfrm_word *key, struct esp_selector *sel,
                          bool *has_src, bool *has_dst);

static bool take_limit(struct parser *ps, const struct xfrm_word *key, struct esp_lifetime *life)
{
    struct xfrm_word *kind;
    if (!next_word(ps, key, &kind))
        return false;
    uint64_t *slot = NULL;
    if (xfrm_word_is(kind, "packet-soft"))
        slot = &life->packet_soft;
    else if (xfrm_word_is(kind, "packet-hard"))
        slot = &life->packet_hard;
    else if (xfrm_word_is(kind, "byte-soft"))
        slot = &life->byte_soft;
    else if (xfrm_word_is(kind, "byte-hard"))
        slot = &life->byte_hard;
    else
        return fail(ps, "unsupported limit (packet-soft, packet-hard, byte-soft, byte-hard; "
                        "time limits need a trusted clock):", kind);
    return take_number(ps, kind, UINT64_MAX, slot);
}

static bool take_flags(struct parser *ps, struct esp_sa *sa)
{
    /* ip xfrm allows several flag words after one "flag" */
    struct xfrm_word *w;
    bool any = false;
    while ((w = xfrm_line_peek(&ps->line)) != NULL) {
        if (xfrm_word_is(w, "align4"))
            ; /* ESP is always 4-aligned here */
        else if (xfrm_word_is(w, "af-unspec"))
            ; /* either family inside: so it is here, the selectors decide */
        else if (xfrm_word_is(w, "nopmtudisc"))
            sa->df = ESP_DF_CLEAR;
        else if (xfrm_word_is(w, "esn"))
            return fail(ps, "extended sequence numbers are not supported:", w);
        else if (xfrm_word_is(w, "noecn") || xfrm_word_is(w, "decap-dscp") ||
                 xfrm_word_is(w, "wildrecv") || xfrm_word_is(w, "icmp"))
            return fail(ps, "unsupported flag", w);
        else
            break;
        xfrm_line_next(&ps->line);
        any = true;
    }
    if (!any)
        return fail(ps, "missing flag after", xfrm_line_current(&ps->line));
    return true;
}

static bool state_word(struct parser *ps, struct xfrm_word *w, struct esp_sa *sa, unsigned *seen)
{
    enum { SRC = 1, DST = 2, PROTO = 4, SPI = 8, MODE = 16, AEAD = 32 };
    uint64_t v;
    if (xfrm_word_is(w, "src")) {
        *seen |= SRC;
        return take_outer_addr(ps, w, &sa->outer_src);
    }
    if (xfrm_word_is(w, "dst")) {
        *seen |= DST;
        return take_outer_addr(ps, w, &sa->outer_dst);
    }
    if (xfrm_word_is(w, "proto")) {
        *seen |= PROTO;
        return take_expected(ps, w, "esp", "only proto esp is supported, not");
    }
    if (xfrm_word_is(w, "spi")) {
        struct xfrm_word *value = xfrm_line_peek(&ps->line);
        if (!take_number(ps, w, UINT32_MAX, &v))
            return false;
        if (v <= SPI_RESERVED_MAX)
            return fail(ps, "spi 0..255 is reserved (RFC 4303 2.1):", value);
        sa->spi = (uint32_t)v;
        *seen |= SPI;
        return true;
    }
    if (xfrm_word_is(w, "reqid"))
        return take_u32(ps, w, &sa->reqid);
    if (xfrm_word_is(w, "mode")) {
        *seen |= MODE;
        return take_expected(ps, w, "tunnel", "only mode tunnel is supported, not");
    }
    if (xfrm_word_is(w, "aead")) {
        *seen |= AEAD;
        return take_aead(ps, w, sa);
    }
    if (xfrm_word_is(w, "replay-window")) {
        struct xfrm_word *value = xfrm_line_peek(&ps->line);
        if (!take_number(ps, w, UINT32_MAX, &v))
            return false;
        if (v > ESP_REPLAY_WINDOW)
            return fail(ps, "replay-window above the wrapper's 1024 packets:", value);
        return true; /* the wrapper always keeps a 1024-packet window */
    }
    if (xfrm_word_is(w, "flag"))
        return take_flags(ps, sa);
    if (xfrm_word_is(w, "sel")) {
        bool s = false, d = false;
        sa->has_selector = true;
        return take_selector(ps, w, &sa->selector, &s, &d);
    }
    if (xfrm_word_is(w, "limit"))
        return take_limit(ps, w, &sa->life);
    if (xfrm_word_is(w, "anti-replay"))
        return xfrm_listing_replay_context(&ps->line, ps->err);
    if (xfrm_word_is(w, "encap"))
        return fail(ps, "UDP encapsulation (NAT traversal) is not supported: plain ESP only, not", w);
    if (xfrm_word_is(w, "mark") || xfrm_word_is(w, "if_id") || xfrm_word_is(w, "output-mark"))
        return fail(ps, "marks and XFRM interfaces (route-based VPNs) are Linux's routing, not supported here:", w);
    if (xfrm_word_is(w, "enc") || xfrm_word_is(w, "auth") || xfrm_word_is(w, "auth-trunc") ||
        xfrm_word_is(w, "comp"))
        return fail(ps, "only AEAD algorithms are supported (aead ...), not", w);
    return fail(ps, "unknown word", w);
}

static bool parse_state(struct parser *ps)
{
    struct xfrm_config *cfg = ps->cfg;
    if (cfg->sa_count == XFRM_MAX_SAS)
        return fail(ps, "too many SAs (at most 16)", NULL);
    struct esp_sa *sa = &cfg->sas[cfg->sa_count];
    memset(sa, 0, sizeof(*sa));
    unsigned seen = 0;
    struct xfrm_word *w;
    while ((w = xfrm_line_next(&ps->line)) != NULL) {
        if (!state_word(ps, w, sa, &seen)) {
            esp_sa_wipe(sa);
            return false;
        }
    }
    static const char *const required[] = {"src", "dst", "proto esp", "spi", "mode tunnel",
                                           "aead"};
    for (unsigned bit = 0; bit < 6; bit++) {
        if (!(seen & (1u << bit))) {
            esp_sa_wipe(sa);
            xfrm_error_missing(ps->err, &ps->line, required[bit]);
            return false;
        }
    }
    cfg->sa_line[cfg->sa_count++] = ps->line.number;
    return true;
}

/* --------------------------------------------------------------- policy */

static bool take_selector(struct parser *ps, const struct xfrm_word *key, struct esp_selector *sel,
                          bool *has_src, bool *has_dst)
{
    (void)key;
    struct xfrm_word *w;
    while ((w = xfrm_line_peek(&ps->line)) != NULL) {
        bool ok;
        if (xfrm_word_is(w, "src")) {
            xfrm_line_next(&ps->line);
            ok = take_prefix(ps, w, &sel->src);
            *has_src = true;
        } else if (xfrm_word_is(w, "dst")) {
            xfrm_line_next(&ps->line);
            ok = take_prefix(ps, w, &sel->dst);
            *has_dst = true;
        } else if (xfrm_word_is(w, "proto")) {
            xfrm_line_next(&ps->line);
            ok = take_upper_proto(ps, w, &sel->proto);
        } else if (xfrm_word_is(w, "sport") || xfrm_word_is(w, "dport") ||
                   xfrm_word_is(w, "type") || xfrm_word_is(w, "code") ||
                   xfrm_word_is(w, "dev") || xfrm_word_is(w, "key")) {
            return fail(ps, "selector word not supported (addresses and proto only):", w);
        } else {
            break;
        }
        if (!ok)
            return false;
    }
    if (!*has_src || !*has_dst)
        return fail(ps, "a selector needs both src and dst", NULL);
    if (sel->src.addr.family != sel->dst.addr.family)
        return fail(ps, "selector src and dst are of different address families", NULL);
    return true;
}

static bool take_tmpl(struct parser *ps, struct xfrm_policy *pol)
{
    bool src = false, dst = false, proto = false, mode = false;
    struct xfrm_word *w;
    pol->has_tmpl = true;
    while ((w = xfrm_line_next(&ps->line)) != NULL) {
        bool ok = true;
        if (xfrm_word_is(w, "src"))
            ok = src = take_outer_addr(ps, w, &pol->tmpl.src);
        else if (xfrm_word_is(w, "dst"))
            ok = dst = take_outer_addr(ps, w, &pol->tmpl.dst);
        else if (xfrm_word_is(w, "proto"))
            ok = proto = take_expected(ps, w, "esp", "only proto esp is supported, not");
        else if (xfrm_word_is(w, "mode"))
            ok = mode = take_expected(ps, w, "tunnel", "only mode tunnel is supported, not");
        else if (xfrm_word_is(w, "reqid"))
            ok = take_u32(ps, w, &pol->tmpl.reqid);
        else if (xfrm_word_is(w, "spi"))
            ok = take_u32(ps, w, &pol->tmpl.spi);
        else if (xfrm_word_is(w, "level")) {
            struct xfrm_word *l;
            ok = next_word(ps, w, &l);
            if (ok && !xfrm_word_is(l, "required") && !xfrm_word_is(l, "use"))
                return fail(ps, "level must be required or use, not", l);
        } else if (xfrm_word_is(w, "tmpl"))
            return fail(ps, "one tmpl per policy (no nested transforms):", w);
        else
            return fail(ps, "unknown word in tmpl", w);
        if (!ok)
            return false;
    }
    if (!src || !dst)
        return fail(ps, "tmpl needs src and dst (the tunnel end points)", NULL);
    if (!proto || !mode)
        return fail(ps, "tmpl needs proto esp and mode tunnel", NULL);
    return true;
}

static bool policy_word(struct parser *ps, struct xfrm_word *w, struct xfrm_policy *pol,
                        bool *has_src, bool *has_dst)
{
    struct xfrm_word *v;
    if (xfrm_word_is(w, "src") || xfrm_word_is(w, "dst") || xfrm_word_is(w, "proto")) {
        ps->line.pos--; /* the selector reads its own words */
        return take_selector(ps, w, &pol->sel, has_src, has_dst);
    }
    if (xfrm_word_is(w, "dir")) {
        if (!next_word(ps, w, &v))
            return false;
        if (xfrm_word_is(v, "out"))
            pol->dir = XFRM_DIR_OUT;
        else if (xfrm_word_is(v, "in"))
            pol->dir = XFRM_DIR_IN;
        else if (xfrm_word_is(v, "fwd"))
            pol->dir = XFRM_DIR_FWD;
        else
            return fail(ps, "dir must be out, in or fwd, not", v);
        return true;
    }
    if (xfrm_word_is(w, "action")) {
        if (!next_word(ps, w, &v))
            return false;
        if (xfrm_word_is(v, "block"))
            pol->block = true;
        else if (!xfrm_word_is(v, "allow"))
            return fail(ps, "action must be allow or block, not", v);
        return true;
    }
    if (xfrm_word_is(w, "priority"))
        return take_u32(ps, w, &pol->priority);
    if (xfrm_word_is(w, "index")) {
        uint32_t ignored;
        return take_u32(ps, w, &ignored);
    }
    if (xfrm_word_is(w, "ptype"))
        return take_expected(ps, w, "main", "only ptype main is supported, not");
    if (xfrm_word_is(w, "tmpl"))
        return take_tmpl(ps, pol);
    if (xfrm_word_is(w, "socket"))
        return fail(ps, "a per-socket policy (an IKE daemon's own) does not belong here: leave it out;", w);
    return fail(ps, "unknown word", w);
}

static bool parse_policy(struct parser *ps)
{
    struct xfrm_config *cfg = ps->cfg;
    if (cfg->policy_count == XFRM_MAX_POLICIES)
        return fail(ps, "too many policies (at most 32)", NULL);
    struct xfrm_policy *pol = &cfg->policies[cfg->policy_count];
    memset(pol, 0, sizeof(*pol));
    bool has_src = false, has_dst = false;
    struct xfrm_word *w;
    while ((w = xfrm_line_next(&ps->line)) != NULL) {
        if (!policy_word(ps, w, pol, &has_src, &has_dst))
            return false;
    }
    if (!has_src || !has_dst)
        return fail(ps, "a policy needs a selector with src and dst", NULL);
    if (!pol->dir)
        return fail(ps, "a policy needs dir out, in or fwd", NULL);
    if (!pol->block && !pol->has_tmpl)
        return fail(ps, "an allow policy needs a tmpl: the wrapper passes nothing in the clear",
                    NULL);
    pol->line = ps->line.number;
    cfg->policy_count++;
    return true;
}

/* ---------------------------------------------------------- whole text */

bool xfrm_tmpl_matches(const struct xfrm_tmpl *t, const struct esp_sa *sa)
{
    return t->src == sa->outer_src && t->dst == sa->outer_dst &&
           (t->reqid == 0 || t->reqid == sa->reqid) && (t->spi == 0 || t->spi == sa->spi);
}

static bool parse_statement(struct parser *ps)
{
    bool policy;
    if (xfrm_word_is(xfrm_line_peek(&ps->line), "src")) /* a listed statement */
        return xfrm_listing_kind(&ps->line, &policy, ps->err) && (policy ? parse_policy(ps) : parse_state(ps));
    struct xfrm_word *w = xfrm_line_next(&ps->line);
    if (xfrm_word_is(w, "ip"))
        w = xfrm_line_next(&ps->line);
    if (w && xfrm_word_is(w, "xfrm"))
        w = xfrm_line_next(&ps->line);
    if (!w)
        return fail(ps, "expected 'state add' or 'policy add'", NULL);
    bool state = xfrm_word_is(w, "state");
    if (!state && !xfrm_word_is(w, "policy"))
        return fail(ps, "expected state or policy, not", w);
    struct xfrm_word *verb = xfrm_line_next(&ps->line);
    if (!verb || !xfrm_word_is(verb, "add"))
        return fail(ps, "only 'add' is understood here, not", verb ? verb : w);
    return state ? parse_state(ps) : parse_policy(ps);
}

static bool link_fail(struct parser *ps, unsigned line, const char *what)
{
    xfrm_error_plain(ps->err, line, what);
    return false;
}

/* Ties policies to SAs and checks the SA set as a whole. */
static bool link_policies(struct parser *ps)
{
    struct xfrm_config *cfg = ps->cfg;
    for (size_t p = 0; p < cfg->policy_count; p++) {
        const struct xfrm_policy *pol = &cfg->policies[p];
        if (!pol->has_tmpl)
            continue;
        bool found = false;
        for (size_t s = 0; s < cfg->sa_count; s++) {
            if (!xfrm_tmpl_matches(&pol->tmpl, &cfg->sas[s]))
                continue;
            found = true;
            if (pol->dir == XFRM_DIR_OUT)
                cfg->sa_outbound[s] = true;
            else
                cfg->sa_inbound[s] = true;
            if (cfg->sa_outbound[s] && cfg->sa_inbound[s])
                return link_fail(ps, pol->line,
                                 "this tmpl names an SA that a policy of the other direction "
                                 "uses: one SA per direction");
        }
        if (!found && !pol->block)
            return link_fail(ps, pol->line, "no SA (state line) matches this policy's tmpl");
    }
    for (size_t a = 0; a < cfg->sa_count; a++) {
        for (size_t b = 0; b < a; b++) {
            const struct esp_sa *x = &cfg->sas[a], *y = &cfg->sas[b];
            if (x->spi == y->spi && x->outer_dst == y->outer_dst)
                return link_fail(ps, cfg->sa_line[a], "spi and dst repeat an earlier SA");
            /* one key per SA: two SAs on one key could repeat a nonce */
            if (memcmp(x->keymat, y->keymat, ESP_KEYMAT_BYTES) == 0)
                return link_fail(ps, cfg->sa_line[a],
                                 "key repeats an earlier SA's key: use one key per SA and "
                                 "direction, or the two may reuse an IV");
        }
    }
    return true;
}

static void wipe_sas(struct xfrm_config *cfg)
{
    for (size_t i = 0; i < XFRM_MAX_SAS; i++)
        esp_sa_wipe(&cfg->sas[i]);
}

static size_t line_end(const char *text, size_t len, size_t pos)
{
    while (pos < len && text[pos] != '\n')
        pos++;
    return pos;
}

/* One statement per line, or a listed statement over its lines. */
static bool parse_text(struct parser *ps, const char *text, size_t len)
{
    size_t pos = 0;
    unsigned number = 0;
    while (pos < len) {
        size_t end = line_end(text, len, pos);
        unsigned first = ++number;
        if (xfrm_listing_starts(text + pos, end - pos)) {
            while (end < len && xfrm_listing_continues(text + end + 1, len - end - 1)) {
                end = line_end(text, len, end + 1);
                number++;
            }
        }
        if (!xfrm_line_split(&ps->line, text + pos, end - pos, first, ps->err))
            return false;
        if (ps->line.count > 0 && !parse_statement(ps))
            return false;
        pos = end + 1;
    }
    return link_policies(ps);
}

bool xfrm_config_parse(const char *text, size_t len, struct xfrm_config *cfg,
                       struct xfrm_error *err)
{
    struct parser ps = {.cfg = cfg, .err = err};
    wipe_sas(cfg);
    memset(cfg, 0, sizeof(*cfg));
    memset(err, 0, sizeof(*err));
    if (parse_text(&ps, text, len))
        return true;
    wipe_sas(cfg); /* no key stays behind a failed load */
    memset(cfg, 0, sizeof(*cfg));
    return false;
}
