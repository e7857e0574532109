/* SPDX-License-Identifier: GPL-2.0-only */
#include "policy.h"

#include <string.h>

static enum esp_drop count_drop(struct gateway *gw, enum esp_drop why)
{
    if (why != ESP_DROP_NONE && why < ESP_DROP_COUNT)
        gw->count.drops[why]++;
    return why;
}

enum esp_start_result gw_start(struct gateway *gw, struct xfrm_config *cfg,
                               const struct esp_seq_store *store, gw_seq_load load,
                               void *load_ctx, uint32_t seq_block, size_t *bad)
{
    memset(gw, 0, sizeof(*gw));
    gw->cfg = cfg;
    for (size_t i = 0; i < cfg->sa_count; i++) {
        struct esp_sa *sa = &cfg->sas[i];
        enum esp_start_result r = ESP_START_OK;
        if (cfg->sa_outbound[i]) {
            uint8_t id[ESP_KEY_ID_BYTES];
            struct esp_seq_record record;
            memset(&record, 0, sizeof(record));
            esp_sa_key_id(sa, id);
            load(load_ctx, id, &record);
            r = esp_sa_start_outbound(sa, store, &record, seq_block);
        } else if (cfg->sa_inbound[i]) {
            r = esp_sa_start_inbound(sa);
        }
        if (r == ESP_START_AEAD_NOT_ON_CPU)
            continue; /* stays off, the others run: its packets find no SA (gw_sa_off) */
        if (r != ESP_START_OK) {
            *bad = i;
            return r;
        }
    }
    return ESP_START_OK;
}

bool gw_sa_off(const struct gateway *gw, size_t i)
{
    const struct xfrm_config *cfg = gw->cfg;
    return i < cfg->sa_count && (cfg->sa_outbound[i] || cfg->sa_inbound[i]) && !cfg->sas[i].started;
}

/* The policy of direction class `outbound` that decides for this packet:
 * lowest priority number, then the earliest line. */
static const struct xfrm_policy *decide(const struct xfrm_config *cfg, bool outbound,
                                        const struct esp_inner_view *v)
{
    const struct xfrm_policy *best = NULL;
    for (size_t i = 0; i < cfg->policy_count; i++) {
        const struct xfrm_policy *p = &cfg->policies[i];
        if ((p->dir == XFRM_DIR_OUT) != outbound)
            continue;
        if (!esp_selector_matches(&p->sel, &v->src, &v->dst, v->proto))
            continue;
        if (!best || p->priority < best->priority)
            best = p;
    }
    return best;
}

/* The newest usable outbound SA for a template (a later state line for
 * the same peer is a rekey). */
static struct esp_sa *outbound_sa(struct xfrm_config *cfg, const struct xfrm_tmpl *t)
{
    for (size_t i = cfg->sa_count; i-- > 0;) {
        struct esp_sa *sa = &cfg->sas[i];
        if (cfg->sa_outbound[i] && sa->started && !sa->dead && xfrm_tmpl_matches(t, sa))
            return sa;
    }
    return NULL;
}

enum esp_drop gw_from_inner(struct gateway *gw, const uint8_t *pkt, size_t len, uint8_t *out,
                            size_t out_cap, size_t *out_len)
{
    *out_len = 0;
    struct esp_inner_view v;
    enum esp_drop why = esp_inner_parse(pkt, len, &v);
    if (why != ESP_DROP_NONE)
        return count_drop(gw, why);
    const struct xfrm_policy *p = decide(gw->cfg, true, &v);
    if (!p)
        return count_drop(gw, ESP_DROP_NO_POLICY);
    if (p->block)
        return count_drop(gw, ESP_DROP_POLICY_BLOCK);
    struct esp_sa *sa = outbound_sa(gw->cfg, &p->tmpl);
    if (!sa)
        return count_drop(gw, ESP_DROP_NO_SA);
    why = esp_encapsulate(sa, pkt, len, out, out_cap, out_len);
    if (why != ESP_DROP_NONE)
        return count_drop(gw, why);
    gw->count.to_outer++;
    return ESP_DROP_NONE;
}

/* Inbound SA by SPI and our address; a known SPI to another address is
 * "wrong_outer_dst". */
static struct esp_sa *inbound_sa(struct xfrm_config *cfg, const struct esp_outer_view *v,
                                 enum esp_drop *why)
{
    *why = ESP_DROP_UNKNOWN_SPI;
    for (size_t i = 0; i < cfg->sa_count; i++) {
        struct esp_sa *sa = &cfg->sas[i];
        if (!cfg->sa_inbound[i] || sa->spi != v->spi)
            continue;
        if (sa->outer_dst == v->dst)
            return sa;
        *why = ESP_DROP_WRONG_OUTER_DST;
    }
    return NULL;
}

static bool tied_to(const struct xfrm_policy *p, const struct esp_sa *sa)
{
    return p && !p->block && p->has_tmpl && xfrm_tmpl_matches(&p->tmpl, sa);
}

enum esp_drop gw_from_outer(struct gateway *gw, const uint8_t *pkt, size_t len, uint8_t *out,
                            size_t out_cap, size_t *out_len)
{
    *out_len = 0;
    struct esp_outer_view ov;
    enum esp_drop why = esp_outer_parse(pkt, len, &ov);
    if (why != ESP_DROP_NONE)
        return count_drop(gw, why);
    struct esp_sa *sa = inbound_sa(gw->cfg, &ov, &why);
    if (!sa)
        return count_drop(gw, why);
    size_t inner_len = 0;
    why = esp_decapsulate(sa, &ov, out, out_cap, &inner_len);
    if (why != ESP_DROP_NONE)
        return count_drop(gw, why);
    struct esp_inner_view iv;
    if (esp_inner_parse(out, inner_len, &iv) != ESP_DROP_NONE ||
        !tied_to(decide(gw->cfg, false, &iv), sa)) {
        memset(out, 0, inner_len);
        sa->count.drops[ESP_DROP_SELECTOR]++;
        return count_drop(gw, ESP_DROP_SELECTOR);
    }
    *out_len = inner_len;
    gw->count.to_inner++;
    return ESP_DROP_NONE;
}
