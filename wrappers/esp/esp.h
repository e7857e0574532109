/* SPDX-License-Identifier: GPL-2.0-only */
/* RFC 4303 ESP in tunnel mode with AEAD only (RFC 4106 AES-256-GCM,
 * RFC 7634 ChaCha20-Poly1305), outer IPv4, inner IPv4 or IPv6.
 *
 * Freestanding: no allocation, no libc beyond memcpy/memset/memcmp; every
 * piece of state lives in caller-provided structures. The crypto is
 * libsodium's (esp_aead.c is the only file that calls it). */
#ifndef ESP_H
#define ESP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "esp_addr.h"
#include "esp_drop.h"
#include "esp_replay.h"

#define ESP_PROTO 50              /* IPv4 protocol number of ESP */
#define ESP_NH_IPV4 4             /* next header: IP-in-IP (inner IPv4) */
#define ESP_NH_IPV6 41            /* next header: inner IPv6 */
#define ESP_NH_DUMMY 59           /* RFC 4303 2.6: dummy (TFC) packet */
#define ESP_KEY_BYTES 32          /* AES-256 and ChaCha20 keys */
#define ESP_SALT_BYTES 4          /* RFC 4106 4 / RFC 7634 2: salt in the key material */
#define ESP_KEYMAT_BYTES (ESP_KEY_BYTES + ESP_SALT_BYTES)
#define ESP_IV_BYTES 8            /* explicit IV: our 64-bit sequence number */
#define ESP_ICV_BYTES 16
#define ESP_HDR_BYTES 8           /* SPI + sequence number */
#define ESP_OUTER_HDR_BYTES 20    /* outer IPv4 header, no options */
#define ESP_ALIGN 4               /* RFC 4303 2.4: ciphertext ends on 4 bytes */
#define ESP_TRAILER_BYTES 2       /* pad length + next header */
#define ESP_OVERHEAD_MAX (ESP_OUTER_HDR_BYTES + ESP_HDR_BYTES + ESP_IV_BYTES + \
                          (ESP_ALIGN - 1) + ESP_TRAILER_BYTES + ESP_ICV_BYTES)
#define ESP_IP_MAX 65535          /* largest IPv4 total length */
#define ESP_TTL 64
#define ESP_SEQ_MAX 0xffffffffu   /* without ESN: the SA dies after this one */
#define ESP_SEQ_BLOCK_DEFAULT 65536u
#define ESP_KEY_ID_BYTES 16       /* names a key in the sequence store, reveals nothing */

enum esp_aead {
    ESP_AEAD_NONE = 0,
    ESP_AEAD_AES256GCM,        /* rfc4106(gcm(aes)), 256-bit key + 4-byte salt */
    ESP_AEAD_CHACHA20POLY1305, /* rfc7539esp(chacha20,poly1305), 256-bit key + salt */
};

enum esp_df_mode { ESP_DF_COPY = 0, ESP_DF_SET, ESP_DF_CLEAR };

/* Limits: 0 means none ("inf" in ip xfrm). */
struct esp_lifetime {
    uint64_t packet_soft, packet_hard;
    uint64_t byte_soft, byte_hard;
};

/* The persistent side of an outbound SA's sequence numbers (see
 * docs/gateway.md, "No key and IV twice"). The wrapper never uses a
 * sequence number above the last mark that reserve() has made durable.
 * Marks are kept per key (esp_sa_key_id), not per SPI. */
struct esp_seq_store {
    /* Durably records that numbers up to and including `mark` may be in
     * use for this SPI before returning true. Called before the first
     * packet of each block. False: the SA sends nothing more. */
    bool (*reserve)(void *ctx, const uint8_t key_id[ESP_KEY_ID_BYTES], uint64_t mark);
    void *ctx;
};

/* What the store knew about this key when the wrapper (re)started. */
struct esp_seq_record {
    bool present;          /* a mark was stored for this key id */
    bool store_persistent; /* the store survives a full reboot */
    bool key_fresh;        /* the parent vouches this key was made for this boot */
    uint64_t mark;         /* highest number that may have been used */
};

struct esp_sa_counters {
    uint64_t packets, bytes;       /* inner packets and inner bytes done */
    uint64_t drops[ESP_DROP_COUNT];
    bool soft_expired;             /* a soft limit was reached: rekey soon */
};

/* One SA (one direction). Fill the configuration part (esp_sa_config or
 * the xfrm parser does it), then esp_sa_start_*. */
struct esp_sa {
    /* configuration */
    uint32_t spi;
    uint32_t reqid;
    uint32_t outer_src, outer_dst;     /* tunnel end points, host order */
    enum esp_aead aead;
    uint8_t keymat[ESP_KEYMAT_BYTES];  /* key || salt: never logged */
    struct esp_lifetime life;
    enum esp_df_mode df;
    bool has_selector;                 /* "sel src .. dst .." on the state line */
    struct esp_selector selector;
    /* state */
    bool started, outbound, dead;
    struct esp_seq_store store;
    uint32_t seq_block;
    uint64_t next_seq;                 /* outbound: next number to send */
    uint64_t reserved_mark;            /* outbound: highest durable reservation */
    uint16_t ip_id;
    struct esp_replay replay;          /* inbound */
    struct esp_sa_counters count;
    _Alignas(16) uint8_t aead_state[512]; /* libsodium's precomputed AES-GCM state */
};

/* Once, before anything else: initializes libsodium. Returns false if
 * libsodium cannot start. */
bool esp_crypto_init(void);
/* True once esp_crypto_init has started libsodium. */
bool esp_crypto_started(void);
/* True if this CPU runs libsodium's AES-256-GCM (needs AES-NI and PCLMUL). */
bool esp_aes256gcm_available(void);
#ifdef HOST_TEST
extern bool esp_test_hide_aesni; /* host tests: as on a CPU without AES-NI */
#endif

enum esp_start_result {
    ESP_START_OK = 0,
    ESP_START_NO_AEAD,       /* aead unset, or libsodium not started */
    ESP_START_SEQ_STATE_LOST,/* static key, non-persistent store, nothing recorded */
    ESP_START_SEQ_EXHAUSTED, /* the stored mark is at the end of the space */
    ESP_START_RESERVE_FAILED,
    ESP_START_AEAD_NOT_ON_CPU, /* AES-256-GCM on a CPU without AES-NI: the SA stays off */
};
const char *esp_start_result_name(enum esp_start_result r);

/* The store's name for the SA's key: BLAKE2b-128 of a label and the key
 * material, so the same key is recognized under any SPI. */
void esp_sa_key_id(const struct esp_sa *sa, uint8_t id[ESP_KEY_ID_BYTES]);
/* Outbound: resumes above record->mark, reserves the first block. */
enum esp_start_result esp_sa_start_outbound(struct esp_sa *sa, const struct esp_seq_store *store,
                                            const struct esp_seq_record *record, uint32_t seq_block);
enum esp_start_result esp_sa_start_inbound(struct esp_sa *sa);
/* Wipes key material and state. */
void esp_sa_wipe(struct esp_sa *sa);

/* Encapsulates the inner packet (IPv4 or IPv6, checked) into a complete
 * outer IPv4 ESP packet in out (inner and out must not overlap).
 * ESP_DROP_NONE on success. */
enum esp_drop esp_encapsulate(struct esp_sa *sa, const uint8_t *inner, size_t inner_len,
                              uint8_t *out, size_t out_cap, size_t *out_len);

/* Header facts of an outer ESP packet, read before the SA is known. */
struct esp_outer_view {
    uint32_t src, dst, spi, seq;
    const uint8_t *esp;  /* first byte of the ESP header */
    size_t esp_len;      /* ESP header to the end of the ICV */
};
/* Checks the outer IPv4 header (version, lengths, checksum, no fragment,
 * protocol 50) and the minimal ESP length. */
enum esp_drop esp_outer_parse(const uint8_t *pkt, size_t len, struct esp_outer_view *view);

/* Decapsulates a parsed packet with its SA (found by the caller from
 * view->dst and view->spi): checks the outer addresses, the replay window,
 * the ICV (before anything else is used), padding, next header and the
 * inner header, and the SA's own selector. The inner packet goes to out. */
enum esp_drop esp_decapsulate(struct esp_sa *sa, const struct esp_outer_view *view,
                              uint8_t *out, size_t out_cap, size_t *out_len);

/* The inner packet's addresses after esp_inner_parse. */
struct esp_inner_view {
    struct esp_addr src, dst;
    uint8_t proto; /* upper protocol (IPv6: the first next header) */
};
/* Checks an inner IPv4/IPv6 header against len (exact total length,
 * IPv4 header checksum). */
enum esp_drop esp_inner_parse(const uint8_t *pkt, size_t len, struct esp_inner_view *view);

#endif
