/* SPDX-License-Identifier: GPL-2.0-only */
/* Known-answer vectors made by an independent ESP implementation (Scapy
 * 2.5's IPsec layer with python3-cryptography, i.e. OpenSSL), RFC 4303
 * tunnel mode, SPI 0x1000, sequence 1, explicit IV 00..01, from
 * 192.0.2.1 to 192.0.2.2. Used by the component's boot self-test and by
 * tests/host/test_esp_packet.c. The outer IPv4 header is Scapy's (TTL 64,
 * id 1, no DF): encryption is compared from the ESP header on. */
#ifndef ESP_KAT_H
#define ESP_KAT_H

#define ESP_KAT_INNER_HEX                                                   \
    "45000033424240004001e4790a0100050a0200070800a35c00010001646f6e6a6f6e" \
    "20657370206b6e6f776e20616e73776572"
#define ESP_KAT_GCM_KEY "0x404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f60616263"
#define ESP_KAT_GCM_ESP_HEX                                                 \
    "4500006c000100004032f65bc0000201c0000202000010000000000100000000000000" \
    "011265f75583ddac23c57a1b1e8282d2a702da6c1f72cc7efc2248e3b044d6cb1419" \
    "8c2c59d8ded9ab53a23287b0c8a3e437a2ad18039ee4629c0c4d1b5bf969590d34fc" \
    "dd697d9566"
#define ESP_KAT_CHACHA_KEY "0x808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9fa0a1a2a3"
#define ESP_KAT_CHACHA_ESP_HEX                                              \
    "4500006c000100004032f65bc0000201c0000202000010000000000100000000000000" \
    "01df63ec369aecaa43bcd5aa7c2deb69616ae2d7ff1f81181edf66aa1bb850902246" \
    "abb3eeaa764329a660cf9ced8e7ccc8faac243cb4641a0ed10e1132df0ef4e7704a6" \
    "fdd85064dc"

/* One SA each way between the two addresses, for one AEAD and key. */
#define ESP_KAT_STATE(aead, key)                                                          \
    "ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1000 reqid 1 mode tunnel " \
    "aead '" aead "' " key " 128\n"
#define ESP_KAT_POLICY(dir)                                                         \
    "ip xfrm policy add src 10.1.0.0/16 dst 10.2.0.0/16 dir " dir " tmpl src 192.0.2.1 " \
    "dst 192.0.2.2 proto esp reqid 1 mode tunnel\n"

#endif
