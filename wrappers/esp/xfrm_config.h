/* SPDX-License-Identifier: GPL-2.0-only */
/* SAs and policies from configuration lines in the words of Linux's
 * `ip xfrm state add` and `ip xfrm policy add`, so one side's lines can be
 * copied from a Linux peer (with src and dst swapped as needed):
 *
 *   ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 \
 *       mode tunnel aead 'rfc4106(gcm(aes))' 0x<72 hex digits> 128
 *   ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir out \
 *       tmpl src 192.0.2.1 dst 192.0.2.2 proto esp reqid 1 mode tunnel
 *
 * One statement per line ("ip", "xfrm" optional; '#' starts a comment).
 * The first bad line stops the load with a message that names the line,
 * the offending word and quotes the line with every key replaced. */
#ifndef XFRM_CONFIG_H
#define XFRM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp.h"

#define XFRM_MAX_SAS 16
#define XFRM_MAX_POLICIES 32
#define XFRM_ERROR_BYTES 320

enum xfrm_dir { XFRM_DIR_OUT = 1, XFRM_DIR_IN, XFRM_DIR_FWD };

struct xfrm_tmpl {
    uint32_t src, dst; /* tunnel end points, host order */
    uint32_t reqid;    /* 0: any */
    uint32_t spi;      /* 0: any */
};

struct xfrm_policy {
    struct esp_selector sel;
    enum xfrm_dir dir;
    bool block;
    uint32_t priority; /* lower wins; equal: the earlier line */
    bool has_tmpl;
    struct xfrm_tmpl tmpl;
    unsigned line;
};

struct xfrm_config {
    struct esp_sa sas[XFRM_MAX_SAS];
    unsigned sa_line[XFRM_MAX_SAS];
    bool sa_outbound[XFRM_MAX_SAS]; /* set by the policy that names it */
    bool sa_inbound[XFRM_MAX_SAS];
    size_t sa_count;
    struct xfrm_policy policies[XFRM_MAX_POLICIES];
    size_t policy_count;
};

struct xfrm_error {
    unsigned line; /* 0: not tied to one line */
    char message[XFRM_ERROR_BYTES];
};

/* Parses the whole text into cfg (which it clears first) and ties every
 * policy template to its SAs. False with err filled on the first error. */
bool xfrm_config_parse(const char *text, size_t len, struct xfrm_config *cfg,
                       struct xfrm_error *err);
/* Does sa serve tmpl? (addresses, reqid and spi when given) */
bool xfrm_tmpl_matches(const struct xfrm_tmpl *tmpl, const struct esp_sa *sa);

#endif
