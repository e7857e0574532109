/* SPDX-License-Identifier: GPL-2.0-only */
/* Why a packet was dropped: one counter per reason, per SA and global. */
#ifndef ESP_DROP_H
#define ESP_DROP_H

#define ESP_DROP_REASONS(X)                                                     \
    X(NONE, "none")                       /* not dropped */                     \
    X(TRUNCATED, "truncated")             /* shorter than its headers */        \
    X(OUTER_HEADER, "outer_header")       /* bad outer IPv4 header */           \
    X(FRAGMENT, "fragment")               /* outer fragment: not reassembled */ \
    X(NOT_ESP, "not_esp")                 /* outer protocol is not 50 */        \
    X(WRONG_OUTER_DST, "wrong_outer_dst") /* not addressed to this gateway */   \
    X(WRONG_OUTER_SRC, "wrong_outer_src") /* not from the SA's peer */          \
    X(UNKNOWN_SPI, "unknown_spi")                                               \
    X(BAD_LENGTH, "bad_esp_length")       /* ciphertext not 4-aligned etc. */   \
    X(SEQ_ZERO, "seq_zero")                                                     \
    X(REPLAY, "replay")                   /* already seen in the window */      \
    X(TOO_OLD, "too_old")                 /* left of the window */              \
    X(ICV, "bad_icv")                     /* authentication failed */           \
    X(BAD_PAD, "bad_padding")                                                   \
    X(BAD_NEXT_HEADER, "bad_next_header")                                       \
    X(DUMMY, "dummy_packet")              /* next header 59 (TFC) */            \
    X(INNER_MALFORMED, "inner_malformed") /* bad inner IP header */             \
    X(SELECTOR, "selector_mismatch")      /* inner packet outside the SA */     \
    X(NO_POLICY, "no_policy")             /* inner packet matches no policy */  \
    X(POLICY_BLOCK, "policy_block")       /* matched a block policy */          \
    X(NO_SA, "no_sa")                     /* policy names no usable SA */       \
    X(SA_EXPIRED, "sa_expired")           /* hard lifetime or SA dead */        \
    X(SEQ_EXHAUSTED, "seq_exhausted")     /* 2^32-1 sent: never wraps */        \
    X(SEQ_RESERVE, "seq_reserve_failed")  /* the counter store refused */       \
    X(TOO_BIG, "too_big")                 /* does not fit 64 KiB or the buffer */\
    X(NO_CRYPTO, "crypto_unavailable")                                          \
    /* the gateway component's Ethernet sides (wrappers/esp/component) */      \
    X(LINK_NOT_IP, "not_ip_frame")        /* neither ARP nor IPv4/IPv6 */      \
    X(LINK_NOT_OURS, "not_for_us")        /* unicast to another MAC, other ARP */\
    X(LINK_NO_NEIGHBOR, "no_neighbor")    /* next hop's MAC not known yet */   \
    X(LINK_RING_FULL, "ring_full")        /* the other side's ring is full */  \
    X(LINK_NO_CLIENT, "no_client")        /* nobody connected on the other side */

enum esp_drop {
#define ESP_DROP_ENUM(name, text) ESP_DROP_##name,
    ESP_DROP_REASONS(ESP_DROP_ENUM)
#undef ESP_DROP_ENUM
    ESP_DROP_COUNT
};

/* The reason's name for logs and status ("bad_icv"); "?" if out of range. */
const char *esp_drop_name(enum esp_drop d);

#endif
